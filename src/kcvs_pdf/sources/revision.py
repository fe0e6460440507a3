"""Turn a project folder into its source revision and the date of its newest change, for drafts."""

from __future__ import annotations

import datetime
import hashlib
import subprocess
from pathlib import Path

from ..confine import digest_confined
from ..model import DraftStamp

_HASH_LENGTH = 10


def draft_stamp(root: Path, folders: tuple[Path, ...]) -> DraftStamp:
    """Return the revision and change date of folders: from git where root is a checkout.

    Never the clock: the same sources give the same stamp, so a rebuild gives the same bytes.
    """
    described = _git(root, "describe", "--always", "--dirty", "--abbrev=10")
    if described is not None:
        top = Path((_git(root, "rev-parse", "--show-toplevel") or str(root)).strip())
        dirty = _git(root, "status", "--porcelain", "--", *map(str, folders)) or ""
        changed = _newest_mtime(top, [line[3:].strip('"') for line in dirty.splitlines()]) or \
            _commit_date(root, folders)
        if changed is not None:
            return DraftStamp(described.strip(), changed)
    digest, newest = hashlib.sha256(), 0.0
    for number, folder in enumerate(folders):
        for path in sorted(folder.rglob("*")):
            if path.is_dir() and not path.is_symlink():
                continue
            content, modified = digest_confined(path, (root, *folders))
            digest.update(f"{number}/{path.relative_to(folder).as_posix()}".encode() + b"\0" + content)
            newest = max(newest, modified)
    return DraftStamp(digest.hexdigest()[:_HASH_LENGTH],
                      datetime.datetime.fromtimestamp(newest, datetime.UTC).date())


def _git(root: Path, *args: str) -> str | None:
    try:
        completed = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                                   timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout if completed.returncode == 0 else None


def _commit_date(root: Path, folders: tuple[Path, ...]) -> datetime.date | None:
    shown = _git(root, "log", "-1", "--format=%cs", "--", *map(str, folders))
    return datetime.date.fromisoformat(shown.strip()) if shown and shown.strip() else None


def _newest_mtime(top: Path, changed: list[str]) -> datetime.date | None:
    """Return the newest modification date of uncommitted files: their change is not in git yet."""
    times = [(top / name).stat().st_mtime for name in changed if (top / name).is_file()]
    if not times:
        return None
    return datetime.datetime.fromtimestamp(max(times), datetime.UTC).date()
