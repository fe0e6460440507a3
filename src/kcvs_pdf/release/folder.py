"""Turn the final editions and annexes into the folder the web team uploads."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ..build import build
from ..check import check
from ..errors import Diagnostics
from ..layout.labels import Labels
from ..model import Annex, BuildResult, Edition, Link, Project, Report
from ..sources.revision import draft_stamp
from .landing import LANDING_PAGE, Cover, compose_landing, render_cover
from .manifest import (
    CHECKSUMS,
    MANIFEST,
    FileKind,
    PublishedFile,
    describe,
    write_inventory,
)

PUBLISH_FOLDER = "publish"
"""Folder under build/ that holds the tree to upload."""
# Characters sha256sum escapes in file names and servers treat unevenly: no annex path has them.
_UNSAFE_CHARACTERS = frozenset("\\\n\r\t\0")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Release:
    """What `publish` wrote."""

    folder: Path
    files: tuple[PublishedFile, ...]
    """Every file in the folder but SHA256SUMS and manifest.json, which describe them."""
    full: BuildResult
    web: BuildResult


@dataclass(frozen=True)
class _Placed:
    """An annex and where it goes in the folder."""

    annex: Annex
    source: Path
    """The file in sources/annexes/, copied untouched."""
    path: PurePosixPath


def publish_release(project: Project, diagnostics: Diagnostics, strict: bool = False,
                    progress: Progress = lambda message: None) -> Release:
    """Build the full and web editions and replace build/publish/ with everything to upload.

    Refuses, before rendering, while a section is unapproved or an annex file is missing or has
    a URL path that would land outside the folder. The folder is built beside the old one and
    swapped in only when complete, so a failed publish leaves the previous folder as it was.
    """
    target = project.build_dir / PUBLISH_FOLDER
    _recover(project.build_dir, target)
    progress("Checking sources, layout and annexes")
    checked = check(project, diagnostics, Edition.FULL)
    diagnostics.raise_if_errors(strict)
    report, labels = checked.report, checked.labels
    links = _annex_links(report, project, diagnostics)
    diagnostics.raise_if_errors(strict)
    full = build(project, Edition.FULL, diagnostics, strict, lambda message: progress(f"Full edition: {message}"))
    web = build(project, Edition.WEB, diagnostics, strict, lambda message: progress(f"Web edition: {message}"))
    placed = tuple(_Placed(annex, project.annexes / links[annex.url].annex_file, _site_path(annex.url))
                   for annex in full.annexes.bundled if _on_website(annex.url, report))
    staged = project.build_dir / f".{PUBLISH_FOLDER}.tmp-{os.getpid()}"
    staged.mkdir(parents=True)
    try:
        files = _assemble(staged, project, report, labels, full, web, placed, diagnostics, progress)
        diagnostics.raise_if_errors(strict)
        progress("Writing checksums and manifest")
        write_inventory(staged, files, draft_stamp(project.root, (project.sources, project.layout)).revision,
                        {"title": report.title, "year": report.year, "published": report.published.isoformat()})
        _swap(staged, target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return Release(target, files, full, web)


def _assemble(folder: Path, project: Project, report: Report, labels: Labels, full: BuildResult,
              web: BuildResult, placed: tuple[_Placed, ...], diagnostics: Diagnostics,
              progress: Progress) -> tuple[PublishedFile, ...]:
    """Write the editions, annexes, cover and landing page into folder; return their descriptions."""
    page_folder = PurePosixPath(report.output_stem)
    (folder / page_folder).mkdir(parents=True)
    web_path, full_path = page_folder / web.path.name, page_folder / full.path.name
    # The web edition comes linearised from its build; neither edition is touched here.
    shutil.copyfile(web.path, folder / web_path)
    shutil.copyfile(full.path, folder / full_path)
    progress(f"Copying {len(placed)} annex(es) to their paths on the website")
    for item in placed:
        (folder / item.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.source, folder / item.path)
    editions = (describe(folder, web_path, FileKind.WEB), describe(folder, full_path, FileKind.FULL))
    annexes = tuple(describe(folder, item.path, FileKind.ANNEX, item.annex.title, item.annex.number)
                    for item in placed)
    progress("Writing the landing page")
    cover = Cover(page_folder / f"{report.output_stem}.png",
                  *render_cover(folder / web_path, folder / page_folder / f"{report.output_stem}.png"))
    page = page_folder / LANDING_PAGE
    html = compose_landing(report, labels, project.layout, page, cover, editions, annexes, diagnostics)
    if html is None:
        return (*editions, *annexes)
    (folder / page).write_text(html, encoding="utf-8")
    return (*editions, *annexes, describe(folder, cover.path, FileKind.COVER),
            describe(folder, page, FileKind.LANDING))


def _annex_links(report: Report, project: Project, diagnostics: Diagnostics) -> dict[str, Link]:
    """Return the first link to each annex; record an error for each that cannot be published.

    Publishing needs every annex file, since the full edition must bundle them all, and a URL
    path that stays inside the folder, since the annex is copied to it.
    """
    links: dict[str, Link] = {}
    paths: dict[PurePosixPath, str] = {}
    if not report.website:
        diagnostics.error(report.sources / "report.yaml", 0, 0, "publishing needs 'website:' in "
                          "report.yaml: annexes are placed at their paths on it", "publish.no-website")
    for section in report.sections:
        for link in section.links:
            if link.annex_file is None or link.url in links:
                continue
            links[link.url] = link
            problem = _annex_problem(link, report, project, paths)
            if problem:
                diagnostics.error(section.path, link.line, link.column, problem, "publish.annex")
            elif not _on_website(link.url, report):
                diagnostics.warning(section.path, link.line, link.column,
                                    f"annex '{link.annex_file}' is published on {urlsplit(link.url).hostname}, "
                                    f"not on the report's website: the folder does not include it",
                                    "publish.other-host")
    return links


def _annex_problem(link: Link, report: Report, project: Project,
                   paths: dict[PurePosixPath, str]) -> str | None:
    if not (project.annexes / link.annex_file).is_file():
        return (f"annex file 'annexes/{link.annex_file}' is missing: publishing needs every annex "
                "(put it in sources/annexes/)")
    if not _on_website(link.url, report):
        return None
    path = _site_path(link.url)
    if path is None:
        return (f"the URL path of '{link.url}' leaves the website's root (it has '..', '.', an empty "
                "part or a control character): the annex cannot be placed in the publish folder")
    if path.parts[0] == report.output_stem or path.as_posix() in (CHECKSUMS, MANIFEST):
        return f"the URL path of '{link.url}' is where the publish folder puts its own files"
    if paths.setdefault(path, link.url) != link.url:
        return f"'{link.url}' lands on the same file as '{paths[path]}'"
    return None


def _site_path(url: str) -> PurePosixPath | None:
    """Return the path of url on its site, percent-decoded part by part; None when it would escape.

    Decoding part by part keeps an encoded slash (%2F) from creating a folder the server would
    not see; a part that is empty, '.' or '..' after decoding could point outside the folder.
    """
    parts = tuple(unquote(part) for part in urlsplit(url).path.split("/")[1:])
    if not parts or any(part in ("", ".", "..") or "/" in part or _UNSAFE_CHARACTERS & set(part)
                        for part in parts):
        return None
    return PurePosixPath(*parts)


def _on_website(url: str, report: Report) -> bool:
    """Return whether url is on the report's website (with or without www.)."""
    def host(address: str) -> str:
        return (urlsplit(address).hostname or "").removeprefix("www.")
    return bool(report.website) and host(url) == host(report.website)


def _swap(staged: Path, target: Path) -> None:
    """Put staged where target is; the old target is removed only once staged is in place."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.rename(target, old)
    try:
        os.rename(staged, target)
    except BaseException:
        if old.exists():
            os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _recover(build_dir: Path, target: Path) -> None:
    """Undo what a publish killed by SIGKILL (the one signal that allows no cleanup) left behind.

    Its staging folder goes; a previous folder it had moved aside but not yet replaced comes back.
    """
    for stale in build_dir.glob(f".{PUBLISH_FOLDER}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for old in build_dir.glob(f".{PUBLISH_FOLDER}.old-*"):
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, target)
