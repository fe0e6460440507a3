"""Turn the approval fields of report.yaml and the sections into Approvals, and unapproved sections
into the diagnostics that gate the final editions."""

from __future__ import annotations

from ..errors import Diagnostics
from ..model import Approval, ApprovalStatus, Report
from .fields import FieldReader
from .yamlsource import Located

APPROVAL_FIELDS = ("status", "approved_by", "approved_on")


def check_approvals(report: Report, diagnostics: Diagnostics, as_errors: bool) -> None:
    """Record one located problem per section that is not approved.

    Errors when building a final edition; warnings for `check`, which --strict makes errors.
    """
    record = diagnostics.error if as_errors else diagnostics.warning
    for section in report.sections:
        approval = section.approval
        if approval.status is ApprovalStatus.APPROVED:
            continue
        written_here = approval.path == section.path
        line, column = (approval.line, approval.column) if written_here else (1, 1)
        record(section.path, line, column,
               f"section '{section.title}' is not approved (status: {approval.status.value}); the final "
               "editions need every section approved, or build --edition draft", "approval.pending")


def approval_fields(reader: FieldReader, fields: dict[str, Located]) -> dict[str, tuple]:
    """Return the approval fields written in one file as {name: (value, path, line, column)}."""
    found = {}
    if "status" in fields:
        status = reader.text(fields, "status")
        choices = [s.value for s in ApprovalStatus]
        if status is not None and status not in choices:
            reader.error(fields["status"], f"'status' must be one of {', '.join(choices)}, "
                         f"not '{status}'", "invalid-status")
        elif status is not None:
            found["status"] = ApprovalStatus(status)
    if "approved_by" in fields:
        found["approved_by"] = reader.text(fields, "approved_by")
    if "approved_on" in fields:
        found["approved_on"] = reader.date(fields, "approved_on")
    return {name: (value, reader.path, fields[name].line, fields[name].column)
            for name, value in found.items() if value is not None}


def resolve_approval(reader: FieldReader, own: dict[str, tuple], defaults: dict[str, tuple]) -> Approval:
    """Combine a section's approval fields with report.yaml's; an approved one needs who and when."""
    fields = {**defaults, **own}
    status, path, line, column = fields.get("status", (ApprovalStatus.CONCEPT, reader.path, 1, 1))
    if "status" in own:
        require_signature(reader, fields)
    if status is not ApprovalStatus.APPROVED:
        return Approval(status, path=path, line=line, column=column)
    return Approval(status, fields.get("approved_by", ("",))[0], fields.get("approved_on", (None,))[0],
                    path, line, column)


def require_signature(reader: FieldReader, fields: dict[str, tuple]) -> None:
    """Record an error when status says approved but who or when is missing."""
    status, _, line, column = fields.get("status", (None, None, 0, 0))
    if status is not ApprovalStatus.APPROVED:
        return
    for name in ("approved_by", "approved_on"):
        if name not in fields:
            reader.error((line, column), f"'status: approved' also needs '{name}:' (who approved it "
                         "and on which date, YYYY-MM-DD)", "approval-incomplete")
