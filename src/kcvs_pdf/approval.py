"""Turn the sections' review states into the verdict the final editions need."""

from __future__ import annotations

from .errors import Diagnostics
from .model import ApprovalStatus, Report


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
