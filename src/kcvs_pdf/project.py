"""Turn a working folder and command-line options into the Project a command works on."""

from __future__ import annotations

import os
from pathlib import Path

from .model import Project

SOURCES = Path("sources")
LAYOUT = Path("layouts/default")
MARKER = "layouts"
REPORT_FILE = "report.yaml"


class ProjectNotFound(Exception):
    """Raised when no folder at or above the start has a layouts/ folder."""


def find_root(start: Path) -> Path:
    """Return start or the nearest folder above it that holds layouts/, as git finds its .git."""
    start = _real(start)
    for folder in (start, *start.parents):
        if (folder / MARKER).is_dir():
            return folder
    raise ProjectNotFound(f"no project found at or above {start}: a project folder holds layouts/ "
                          "and sources/ (give it with --project)")


def open_project(root: Path | None, sources: Path | None, layout: Path | None,
                 output: Path | None = None) -> Project:
    """Return the project a command works on.

    Folders given on the command line are relative to the current folder, like every other
    command's paths, except that with an explicit root the sources and layout folders are
    relative to it (they are parts of it). The root is found from the sources folder (or the
    current one) when not given. The default sources are the report the current folder is in
    (inside sources-2024/ that one), else the root's sources/.
    """
    if root is None:
        root = find_root(sources if sources is not None else Path.cwd())
    else:
        sources, layout = (root / folder if folder is not None else None for folder in (sources, layout))
    root = _real(root)
    return Project(root=root, sources=_real(sources or _report_around(Path.cwd(), root) or root / SOURCES),
                   layout=_real(layout or root / LAYOUT), output=_real(output) if output else None)


def _report_around(folder: Path, root: Path) -> Path | None:
    """Return the folder at or above folder, below root, that holds a report.yaml."""
    folder = _real(folder)
    if not folder.is_relative_to(root):
        return None
    for candidate in (folder, *folder.parents):
        if candidate == root:
            return None
        if (candidate / REPORT_FILE).is_file():
            return candidate
    return None


def _real(path: Path) -> Path:
    # Not Path.resolve(), which raises on a link that leads to itself: such a folder or file is
    # reported where it is used.
    return Path(os.path.realpath(path))
