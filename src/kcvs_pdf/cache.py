"""Turn a build's inputs into a fingerprint, and a fingerprint seen before into the PDF it gave.

A build with nothing changed (sources, layout, annex files, this tool, its libraries, the edition
and options) gives the same bytes, so it need not render again: the fingerprint is checked
before anything heavy is imported, and the PDF is only confirmed (or restored) from build/.cache/.
Deleting build/.cache/ is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from .confine import digest_confined
from .model import Edition, Project
from .sources.revision import draft_stamp

FORMAT = "kcvs-pdf build cache 1"
LIBRARIES = ("weasyprint", "pydyf", "pikepdf", "fonttools", "pyphen", "babel", "jinja2", "pyyaml",
             "markdown-it-py", "mdit-py-plugins", "pillow", "pypdfium2")
_PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class CachedBuild:
    """What a build wrote and told, kept to tell it again when nothing changed."""

    key: str
    path: str
    sha256: str
    page_count: int
    summary: str
    """The summary after `Wrote <path>: `, without the time."""
    notes: tuple[str, ...]
    """Warnings and notices the build printed, in order."""


def build_key(project: Project, edition: Edition, strict: bool) -> str:
    """Return the fingerprint of everything a build of edition reads."""
    digest = hashlib.sha256(FORMAT.encode())
    for part in (edition.value, str(strict), str(project.output or ""), os.environ.get("SOURCE_DATE_EPOCH", ""),
                 *(f"{name} {_version(name)}" for name in LIBRARIES)):
        digest.update(part.encode() + b"\0")
    if edition is Edition.DRAFT:
        stamp = draft_stamp(project.root, (project.sources, project.layout))
        digest.update(f"{stamp.revision} {stamp.changed}".encode() + b"\0")
    readable = (_PACKAGE, project.root, project.sources, project.layout)
    for name, folder in (("package", _PACKAGE), ("sources", project.sources), ("layout", project.layout)):
        for path in sorted(folder.rglob("*")):
            if (path.is_dir() and not path.is_symlink()) or "__pycache__" in path.parts:
                continue
            digest.update(f"{name}/{path.relative_to(folder).as_posix()}".encode() + b"\0")
            digest.update(digest_confined(path, readable)[0])
    return digest.hexdigest()


def replay(project: Project, edition: Edition, key: str) -> CachedBuild | None:
    """Return the last build of edition when its inputs had this key and its PDF is still there.

    A PDF deleted or changed since is restored from the cache's copy.
    """
    entry_path, copy = _files(project, edition)
    try:
        data = json.loads(entry_path.read_text(encoding="utf-8"))
        entry = CachedBuild(**{**data, "notes": tuple(data["notes"])})
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if entry.key != key:
        return None
    target = Path(entry.path)
    if _sha256(target) == entry.sha256:
        return entry
    if _sha256(copy) != entry.sha256:
        return None
    from .pdf.write import (
        write_atomically,  # the rare path: a PDF removed or edited by hand
    )
    write_atomically(copy.read_bytes(), target, expected_pages=entry.page_count)
    return entry


def remember(project: Project, edition: Edition, entry: CachedBuild) -> None:
    """Keep what a successful build wrote, so that an unchanged rebuild can skip the work.

    Only ever a saving of time: when the disk is full the build has still written its PDF, and
    the entry is left out (a half-written one would be removed, and never be trusted).
    """
    entry_path, copy = _files(project, edition)
    temporary = copy.with_name(f".{copy.name}.{os.getpid()}")
    try:
        entry_path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(Path(entry.path).read_bytes())
        os.replace(temporary, copy)
        entry_path.write_text(json.dumps(asdict(entry), indent=1), encoding="utf-8")
    except OSError:
        for path in (temporary, entry_path):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _files(project: Project, edition: Edition) -> tuple[Path, Path]:
    name = hashlib.sha256(f"{edition.value} {project.sources} {project.output or ''}".encode()).hexdigest()[:16]
    folder = project.cache / "builds"
    return folder / f"{name}.json", folder / f"{name}.pdf"


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"
