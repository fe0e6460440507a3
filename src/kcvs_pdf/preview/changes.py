"""Turn the files saved since the last build into what the preview redoes first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..model import Project, Report


@dataclass(frozen=True)
class Edit:
    """What a batch of saved files means for the preview."""

    section: str | None
    """Slug of the one section the files belong to, shown first; None when no single section."""
    layout: bool
    """Whether a file of the layout changed: fonts and stylesheet must be read again."""


def classify(paths: Iterable[Path], project: Project, report: Report | None) -> Edit:
    """Return what the saved paths change, as far as report (the last one loaded) tells.

    A section's own file, or a picture only that section shows, belongs to the section. Files
    no section uses (report.yaml, annexes, an editor's temporary file) do not keep the edited
    section from being shown first; the whole draft is rebuilt after it in any case.
    """
    paths = [Path(path).resolve() for path in paths]
    layout = project.layout.resolve()
    sections = {_section_of(path, report) for path in paths} - {None} if report is not None else set()
    return Edit(section=sections.pop() if len(sections) == 1 else None,
                layout=any(path.is_relative_to(layout) for path in paths))


def _section_of(path: Path, report: Report) -> str | None:
    """Return the slug of the section path is the file of, or the only section showing it."""
    for section in report.sections:
        if section.path.resolve() == path:
            return section.slug
    # Pictures are linked by their file URL, quoted (sources/markdown.py).
    quoted = (f'"{path.as_uri()}"', f"'{path.as_uri()}'")
    showing = {section.slug for section in report.sections if any(q in section.body_html for q in quoted)}
    return showing.pop() if len(showing) == 1 else None
