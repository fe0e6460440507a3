"""Turn a finished PDF into a file on disk atomically: the previous good file survives any failure."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pikepdf

from ..errors import OutputError, write_failure

LOCK_TIMEOUT_SECONDS = 600.0
"""How long a build waits for another build writing the same file before it gives up."""
_LOCK_POLL_SECONDS = 0.2
_PART = re.compile(r"\.(?P<pid>\d+)\.part")


def write_atomically(data: bytes, target: Path, expected_pages: int,
                     waiting: Callable[[str], None] = lambda message: None) -> int:
    """Write to a temporary file beside target, check it, then rename it over target.

    Returns the size in bytes. The rename is atomic on one file system, so readers see either
    the old PDF or the new one, and an interrupted build leaves the old one untouched. Builds of
    the same target write one at a time; `waiting` hears when this one waits for another.
    """
    _check(data, expected_pages, target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked(target, waiting):
            _remove_stale_parts(target)
            temporary = target.parent / f".{target.name}.{os.getpid()}.part"
            try:
                _write_durably(data, temporary)
                os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    temporary.unlink(missing_ok=True)
                raise
    except OSError as error:
        reason = write_failure(error) or error.strerror or type(error).__name__
        raise OutputError(f"cannot write {_shown(target)}: {reason}; the previous file was kept") from error
    return len(data)


def _write_durably(data: bytes, temporary: Path) -> None:
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _locked(target: Path, waiting: Callable[[str], None]) -> Iterator[None]:
    """Hold `.<name>.lock` beside target while in the block; the lock file goes when it is released."""
    lock = target.parent / f".{target.name}.lock"
    descriptor = _acquire(lock, target, waiting)
    try:
        yield
    finally:
        # Removed while still held: a build waiting for it then finds the file gone and makes a new one.
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(descriptor)


def _acquire(lock: Path, target: Path, waiting: Callable[[str], None]) -> int:
    """Return a descriptor holding the lock on the lock file, waiting while another build holds it."""
    deadline = None
    while True:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            if deadline is None:
                waiting(f"another build is writing {_shown(target)}; waiting…")
                deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
            elif time.monotonic() > deadline:
                raise OutputError(f"another build has been writing {_shown(target)} for more than "
                                  f"{LOCK_TIMEOUT_SECONDS:g} seconds: wait for it to finish, or stop "
                                  "it, then build again") from None
            time.sleep(_LOCK_POLL_SECONDS)
            continue
        if _still_there(descriptor, lock):
            return descriptor
        os.close(descriptor)  # the build before us removed the file we locked: lock the new one


def _still_there(descriptor: int, lock: Path) -> bool:
    try:
        held, named = os.fstat(descriptor), os.stat(lock)
    except FileNotFoundError:
        return False
    return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)


def _remove_stale_parts(target: Path) -> None:
    """Remove temporary files of builds that are gone (killed by SIGKILL, the one signal that allows
    no cleanup); a part whose build still runs is left alone."""
    for part in target.parent.glob(f".{target.name}.*.part"):
        owner = _PART.fullmatch(part.name[len(target.name) + 1:])
        if owner is None or not _running(int(owner["pid"])):
            part.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a part of ours left over from before is stale too
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _shown(path: Path) -> str:
    """Return path relative to the current folder when it is inside it, as editors type it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _check(data: bytes, expected_pages: int, target: Path) -> None:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
    except pikepdf.PdfError as exc:
        raise OutputError(f"the PDF for {target} could not be read back ({exc}); "
                          "the previous file was kept") from exc
    if pages != expected_pages:
        raise OutputError(f"the PDF for {target} has {pages} pages instead of {expected_pages}; "
                          "the previous file was kept")
