"""Turn the report's links into Annexes: which are bundled, which stay online, which are refused."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostics
from .model import Annex, AnnexPlan, AnnexStatus, Edition, Link, Report, Section

INSPECT_TIMEOUT_SECONDS = 60
INSPECT_MEMORY_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Verdict:
    """What inspecting one annex file found."""

    usable: bool
    problem: str = ""
    """Why the file is refused, phrased to follow its name (`… requires a password`)."""
    pages: int = 0
    path: Path | None = None
    """The file to bundle: a copy rewritten by qpdf, decrypted and repaired."""
    warnings: tuple[str, ...] = ()


def collect_annexes(report: Report, annex_dir: Path, edition: Edition, workdir: Path,
                    diagnostics: Diagnostics, strict: bool = False) -> AnnexPlan:
    """Decide each linked PDF's fate; inspect present files in child processes."""
    first_links = _first_links(report)
    local = {link.url: annex_dir / link.annex_file for link, _ in first_links}
    present = [url for url, path in local.items() if path.is_file()]
    verdicts = _inspect_all([local[url] for url in present], workdir) if edition.bundles_annexes else {}
    annexes, missing, number = [], [], 0
    for link, section in first_links:
        path = local[link.url]
        verdict = verdicts.get(path)
        status, used_path, pages = AnnexStatus.ONLINE, None, 0
        if edition.bundles_annexes and not path.is_file():
            missing.append(path)
            if strict:
                diagnostics.error(section.path, link.line, link.column,
                                  f"annex file {_shown(path)} is missing: add it, "
                                  "or build without --strict to list it as online", "annex.missing")
        elif verdict is not None and not verdict.usable:
            diagnostics.error(section.path, link.line, link.column, f"annex {_shown(path)} {verdict.problem}",
                              "annex.unusable")
        elif verdict is not None:
            for warning in verdict.warnings:
                diagnostics.warning(section.path, link.line, link.column, f"annex {_shown(path)} {warning}",
                                    "annex.repaired" if "repaired" in warning else "annex.warning")
            number += 1
            status, used_path, pages = AnnexStatus.BUNDLED, verdict.path, verdict.pages
        annexes.append(Annex(number=number if status is AnnexStatus.BUNDLED else 0,
                             title=link.title or section.title, url=link.url, section=section,
                             status=status, path=used_path, page_count=pages))
    return AnnexPlan(tuple(annexes), tuple(missing))


def _first_links(report: Report) -> list[tuple[Link, Section]]:
    seen, links = set(), []
    for section in report.sections:
        for link in section.links:
            if link.annex_file is not None and link.url not in seen:
                seen.add(link.url)
                links.append((link, section))
    return links


def _inspect_all(paths: list[Path], workdir: Path) -> dict[Path, Verdict]:
    jobs = [(path, workdir / f"annex-{index}.pdf") for index, path in enumerate(paths)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(paths, pool.map(lambda job: inspect_in_child(*job), jobs), strict=True))


def inspect_in_child(path: Path, repaired: Path, timeout: float = INSPECT_TIMEOUT_SECONDS,
                     memory: int = INSPECT_MEMORY_BYTES) -> Verdict:
    """Inspect path in a child process with a time and memory limit; never raise for the file's sake."""
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        completed = subprocess.run(
            [sys.executable, "-m", "kcvs_pdf.inspect_annex", str(path), str(repaired)],
            capture_output=True, text=True, timeout=timeout, preexec_fn=limit_memory, check=False)
    except subprocess.TimeoutExpired:
        return Verdict(False, f"could not be read within {timeout:g} seconds (the PDF library "
                       "hangs on it): re-save it from a PDF viewer")
    if completed.returncode != 0:
        cause = "ran out of memory" if "MemoryError" in completed.stderr else \
            f"crashed (exit code {completed.returncode})"
        return Verdict(False, f"makes the PDF reader fail: it {cause}; re-save it from a PDF viewer")
    found = json.loads(completed.stdout)
    if not found["ok"]:
        return Verdict(False, found["problem"])
    return Verdict(True, pages=found["pages"], path=Path(found["path"]),
                   warnings=tuple(found["warnings"]))


def _shown(path: Path) -> str:
    return f"'{path.parent.name}/{path.name}'"
