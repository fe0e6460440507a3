"""Turn a working folder and command-line options into the Project a command works on."""

from __future__ import annotations

import os
from pathlib import Path

from .model import Project

SOURCES = Path("sources")
LAYOUT = Path("layouts/default")
MARKER = "layouts"


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
    command's paths; the defaults are inside the project root, which is found from the sources
    folder (or the current one) when not given.
    """
    if root is None:
        root = find_root(sources if sources is not None else Path.cwd())
    root = _real(root)
    return Project(root=root, sources=_real(sources or root / SOURCES), layout=_real(layout or root / LAYOUT),
                   output=_real(output) if output else None)


def _real(path: Path) -> Path:
    # Not Path.resolve(), which raises on a link that leads to itself: such a folder or file is
    # reported where it is used.
    return Path(os.path.realpath(path))
