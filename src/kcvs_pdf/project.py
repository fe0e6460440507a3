"""Turn a working folder and command-line options into the Project a command works on."""

from __future__ import annotations

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
    start = start.resolve()
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
    root = root.resolve()
    return Project(root=root, sources=(sources or _report_around(Path.cwd(), root) or root / SOURCES).resolve(),
                   layout=(layout or root / LAYOUT).resolve(),
                   output=output.resolve() if output else None)


def _report_around(folder: Path, root: Path) -> Path | None:
    """Return the folder at or above folder, below root, that holds a report.yaml."""
    folder = folder.resolve()
    if not folder.is_relative_to(root):
        return None
    for candidate in (folder, *folder.parents):
        if candidate == root:
            return None
        if (candidate / REPORT_FILE).is_file():
            return candidate
    return None
