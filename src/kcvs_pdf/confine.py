"""Turn a path the build wants to read into its bytes, or their digest, only when it is a regular file inside
the project."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from .errors import Diagnostics, UnsafeResourceError
from .project import MARKER as LAYOUTS

RESOURCE_MAX_BYTES = 256 * 1024**2
"""Far more than any picture, stylesheet or font needs; a larger file is a mistake, not content."""

# O_NONBLOCK: opening a FIFO that replaced the file after the check must not wait for a writer.
# O_NOFOLLOW: the last part of the checked path must not have become a symlink since.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


class RefusedFile(UnsafeResourceError):
    """Raised when a file the build wants to read is not a regular file inside an allowed folder.

    The message says why in plain words and never quotes what the file holds.
    """

    def __init__(self, path: Path, reason: str, message: str) -> None:
        self.path = path
        self.reason = reason
        """Stable suffix for a diagnostic code: `outside-project`, `missing`, `not-a-file`,
        `too-large` or `unreadable`."""
        self.message = message
        super().__init__(f"{path}: {message}")


def read_confined(path: Path, roots: tuple[Path, ...], max_bytes: int) -> bytes:
    """Return the bytes of path; raise RefusedFile unless it is a regular file under one of roots."""
    target = Path(os.path.realpath(path))
    if not any(target.is_relative_to(os.path.realpath(root)) for root in roots):
        allowed = " or ".join(_shown_root(Path(root)) for root in roots)
        raise RefusedFile(path, "outside-project", f"it leads outside {allowed} through a link: "
                          "put a copy of the file here instead of the link")
    _check_kind(path, _stat(path, target), max_bytes)
    try:
        descriptor = os.open(target, _OPEN_FLAGS)
    except OSError as error:
        raise RefusedFile(path, "unreadable", f"it cannot be read ({error.strerror}): check its "
                          "permissions") from None
    with os.fdopen(descriptor, "rb") as file:
        # Checked again on what was opened: the path may have been replaced since os.stat.
        _check_kind(path, os.fstat(file.fileno()), max_bytes)
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(path, max_bytes)
    return data


def digest_confined(path: Path, roots: tuple[Path, ...]) -> tuple[bytes, float]:
    """Return the SHA-256 and modification time of what a build may read at path.

    A regular file under one of roots is read. Anything else (a link out of roots, a pipe, a
    device, a file that cannot be read) counts by what it is and where a link leads, from the
    entry itself: reading it could hang (a pipe, /proc/kmsg) or read what is not the report's.
    """
    target = Path(os.path.realpath(path))
    try:
        status = os.stat(target)
        if stat.S_ISREG(status.st_mode) and any(target.is_relative_to(os.path.realpath(root)) for root in roots):
            digest = hashlib.sha256()
            with os.fdopen(os.open(target, _OPEN_FLAGS), "rb") as file:
                while chunk := file.read(1024**2):
                    digest.update(chunk)
            return digest.digest(), status.st_mtime
        status = os.lstat(path)
        what = f"{stat.S_IFMT(status.st_mode)} {os.readlink(path) if os.path.islink(path) else ''}"
    except OSError as error:
        # The build reports the problem when it reads the file; a fingerprint only needs to differ.
        status, what = None, f"unreadable {error.errno}"
    return hashlib.sha256(what.encode()).digest(), status.st_mtime if status else 0.0


def _shown_root(root: Path) -> str:
    """Name a folder the way editors know it: `sources/`, `layouts/default/`."""
    return f"{root.parent.name}/{root.name}/" if root.parent.name == LAYOUTS else f"{root.name}/"


def _stat(path: Path, target: Path) -> os.stat_result:
    try:
        return os.stat(target)
    except FileNotFoundError:
        if os.path.islink(path):
            raise RefusedFile(path, "missing", "it is a link to a file that does not exist: "
                              "remove the link, or put the file itself here") from None
        raise RefusedFile(path, "missing", "the file does not exist") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise RefusedFile(path, "unreadable", "it is a link that leads back to itself: remove the "
                              "link, or put the file itself here") from None
        raise RefusedFile(path, "unreadable", f"it cannot be read ({error.strerror}): check its "
                          "permissions") from None


def _check_kind(path: Path, status: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _KINDS if test(status.st_mode)), "a special file")
        raise RefusedFile(path, "not-a-file", f"it is {kind}, not a file: rename it or move it "
                          "away")
    if status.st_size > max_bytes:
        raise _too_large(path, max_bytes)


def _too_large(path: Path, max_bytes: int) -> RefusedFile:
    return RefusedFile(path, "too-large", f"it is larger than {max_bytes // 1024} KB, far more than "
                       "this kind of file needs: check that it is the right file")


def read_layout_text(path: Path, layout: Path, limit: int, diagnostics: Diagnostics, missing: str) -> str | None:
    """Return a layout file's text, read as confined as any file; else record why not and return None.

    `missing` is the code of the error for a file the layout lacks (a link to nothing is refused).
    """
    try:
        data = read_confined(path, (layout,), limit)
    except RefusedFile as refused:
        if refused.reason == "missing" and not path.is_symlink():
            diagnostics.error(path, 0, 0, f"the layout has no {path.name}: copy the one from layouts/default/",
                              missing)
        else:
            diagnostics.error(path, 1, 1, f"'{path.name}' was not read because {refused.message}",
                              f"layout.{refused.reason}")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        diagnostics.error(path, 1, 1, f"'{path.name}' is not UTF-8 text: save it again as UTF-8", "layout.encoding")
        return None
