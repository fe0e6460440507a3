"""Turn the report's links into Annexes: which are bundled, which stay online, which are refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import Diagnostics
from ..model import (
    Annex,
    AnnexPlan,
    AnnexStatus,
    Edition,
    Link,
    Project,
    Report,
    Section,
)
from .inspection import Verdict, cached_verdicts, inspect_files


def collect_annexes(report: Report, project: Project, edition: Edition, cache: Path,
                    diagnostics: Diagnostics, strict: bool = False, parallel: int = 0) -> AnnexPlan:
    """Decide each linked PDF's fate; inspect present files, through the cache folder `cache`,
    in `parallel` children at a time (0: one per core)."""
    first_links, local, verdicts, readable = _files(report, project, edition)
    verdicts |= inspect_files(readable, cache, report.annex_limits, parallel)
    return _decided(first_links, local, verdicts, edition, diagnostics, strict)


def expected_annexes(report: Report, project: Project, edition: Edition, cache: Path) -> AnnexPlan:
    """Return the plan collect_annexes will decide if every file it has yet to inspect passes.

    Nothing is inspected and nothing reported: the cache gives the verdicts it knows. Which
    annexes are bundled, and their numbers, are then what they will be unless a file is refused,
    which fails the build; so the report can be composed and rendered while the files are inspected.
    """
    first_links, local, verdicts, readable = _files(report, project, edition)
    known = cached_verdicts(readable, cache, report.annex_limits)
    verdicts |= {path: known.get(path, Verdict(True)) for path in readable}
    return _decided(first_links, local, verdicts, edition, Diagnostics(), strict=False)


def _files(report: Report, project: Project, edition: Edition) -> tuple[
        list[tuple[Link, Section]], dict[str, Path], dict[Path, Verdict], list[Path]]:
    """Return the first link to each annex, its file by URL, the verdicts on present files that may
    not be read at all, and the present files that may (none when the edition bundles no annex)."""
    first_links = _first_links(report)
    local = {link.url: project.annexes / link.annex_file for link, _ in first_links}
    if not edition.bundles_annexes:
        return first_links, local, {}, []
    confined_to = (project.root.resolve(), project.sources.resolve())
    present = [path for path in local.values() if os.path.lexists(path)]
    refused = {path: Verdict(False, refusal) for path in present if (refusal := _refusal(path, confined_to))}
    return first_links, local, refused, [path for path in present if path not in refused]


def _decided(first_links: list[tuple[Link, Section]], local: dict[str, Path], verdicts: dict[Path, Verdict],
             edition: Edition, diagnostics: Diagnostics, strict: bool) -> AnnexPlan:
    """Return the plan the verdicts make; report refused and missing files and what was repaired or removed."""
    annexes, missing, number = [], [], 0
    for link, section in first_links:
        path = local[link.url]
        verdict = verdicts.get(path)
        status, used_path, pages = AnnexStatus.ONLINE, None, 0
        if edition.bundles_annexes and verdict is None:
            missing.append(path)
            if strict:
                diagnostics.error(section.path, link.line, link.column,
                                  f"annex file {_shown(path)} is missing: add it, "
                                  "or build without --strict to list it as online", "annex.missing")
        elif verdict is not None and not verdict.usable:
            diagnostics.error(section.path, link.line, link.column, f"annex {_shown(path)} {verdict.problem}",
                              "annex.unusable")
        elif verdict is not None:
            _warn(verdict, path, link, section, diagnostics)
            number += 1
            status, used_path, pages = AnnexStatus.BUNDLED, verdict.path, verdict.pages
        annexes.append(Annex(number=number if status is AnnexStatus.BUNDLED else 0,
                             title=link.title or section.title, url=link.url, section=section,
                             status=status, path=used_path, page_count=pages))
    return AnnexPlan(tuple(annexes), tuple(missing))


def _warn(verdict: Verdict, path: Path, link: Link, section: Section, diagnostics: Diagnostics) -> None:
    if verdict.repaired:
        diagnostics.warning(section.path, link.line, link.column,
                            f"annex {_shown(path)} was damaged ({verdict.repaired}) and has been repaired",
                            "annex.repaired")
    if verdict.removed:
        diagnostics.warning(section.path, link.line, link.column,
                            f"annex {_shown(path)}: removed {verdict.removed}", "annex.active-content")


def _refusal(path: Path, confined_to: tuple[Path, ...]) -> str:
    """Return why path may not be read as an annex ('' when it may): only regular files in the project."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "is a symbolic link to a file that does not exist: put the PDF itself in its place"
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if not any(path.resolve().is_relative_to(root) for root in confined_to):
        return ("leads outside the project through a symbolic link, so it is not read: put the PDF "
                "itself in the annexes folder")
    if stat.S_ISDIR(mode):
        return "is a folder, not a PDF file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (it is a pipe, socket or device), so it is not read"
    return ""


def _first_links(report: Report) -> list[tuple[Link, Section]]:
    seen, links = set(), []
    for section in report.sections:
        for link in section.links:
            if link.annex_file is not None and link.url not in seen:
                seen.add(link.url)
                links.append((link, section))
    return links


def _shown(path: Path) -> str:
    return f"'{path.parent.name}/{path.name}'"
