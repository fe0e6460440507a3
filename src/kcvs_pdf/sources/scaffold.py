"""Turn this year's report sources into next year's skeleton, beside them."""

from __future__ import annotations

import calendar
import datetime
import json
import re
import shutil
from pathlib import Path

from ..model import Report
from .load import ANNEXES_DIR, REPORT_FILE, SECTIONS_DIR


class ScaffoldError(Exception):
    """Raised when the new report's folder cannot be made."""


def next_folder(sources: Path, year: int) -> Path:
    """Return the folder beside sources for year's report: sources-2024 beside sources, and
    beside sources-2024 too (not sources-2024-2025)."""
    return sources.with_name(f"{re.sub(r'-[0-9]{4}$', '', sources.name)}-{year}")


def new_report(report: Report, year: int, target: Path) -> tuple[Path, ...]:
    """Write target/ with report.yaml for year, a stub per section and an empty annexes/ folder.

    Chapters and sections keep their order and titles; every section starts as a concept with
    no text and no links, and the approval is cleared. Returns the files written.
    """
    if target.exists():
        raise ScaffoldError(f"{target} already exists: choose another folder with --to")
    staging = target.with_name(f".{target.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / SECTIONS_DIR).mkdir(parents=True)
    (staging / ANNEXES_DIR).mkdir()
    written = [staging / REPORT_FILE]
    (staging / REPORT_FILE).write_text(_report_yaml(report, year), encoding="utf-8")
    for section in report.sections:
        path = staging / SECTIONS_DIR / section.path.name
        path.write_text(f"---\ntitle: {_quoted(section.title)}\nstatus: \"concept\"\n---\n\n", encoding="utf-8")
        written.append(path)
    staging.rename(target)
    return tuple(target / path.relative_to(staging) for path in written)


def _report_yaml(report: Report, year: int) -> str:
    old = str(report.year)
    # A year later, on the same day; the 29th of February becomes the 28th.
    month, day = report.published.month, report.published.day
    published = datetime.date(year + 1, month, min(day, calendar.monthrange(year + 1, month)[1]))
    lines = [
        f"# The {year} annual report, started from the {old} report by `kcvs-pdf new {year}`.",
        f"title: {_quoted(report.title.replace(old, str(year)))}",
        *([f"subtitle: {_quoted(report.subtitle.replace(old, str(year)))}"] if report.subtitle else []),
        f"year: {year}",
        f"organisation: {_quoted(report.organisation)}",
        f"language: {_quoted(report.language)}",
        f"published: {published.isoformat()}   # planned; confirm before the final build",
        f"subject: {_quoted(report.subject.replace(old, str(year)))}",
        f"keywords: [{', '.join(_quoted(k) for k in report.keywords)}]",
        *([f"website: {_quoted(report.website)}"] if report.website else []),
        "status: \"concept\"   # every section starts as a concept; see README, 'Approval'",
        "chapters:",
    ]
    for chapter in report.chapters:
        slugs = ", ".join(_quoted(section.slug) for section in chapter.sections)
        lines += [f"  - title: {_quoted(chapter.title)}", f"    sections: [{slugs}]"]
    if report.labels:
        nested: dict = {}
        for label in report.labels:
            *groups, name = label.name.split(".")
            target = nested
            for group in groups:
                target = target.setdefault(group, {})
            target[name] = label.value
        lines += ["labels:", *_mapping(nested, "  ")]
    if report.colophon:
        lines.append("colophon:")
        for line in report.colophon:
            lines += [f"  - label: {_quoted(line.label)}", f"    value: {_quoted(line.value)}"]
    return "\n".join(lines) + "\n"


def _mapping(values: dict, indent: str) -> list[str]:
    lines = []
    for name, value in values.items():
        if isinstance(value, dict):
            lines += [f"{indent}{name}:", *_mapping(value, indent + "  ")]
        else:
            lines.append(f"{indent}{name}: {_quoted(value)}")
    return lines


def _quoted(text: str) -> str:
    """Return text as a double-quoted YAML scalar (JSON's escaping is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)
