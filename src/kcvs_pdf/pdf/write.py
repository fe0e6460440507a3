"""Turn a finished PDF into a file on disk atomically: the previous good file survives any failure."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pikepdf

from ..errors import OutputError


def write_atomically(data: bytes, target: Path, expected_pages: int) -> int:
    """Write to a temporary file beside target, check it, then rename it over target.

    Returns the size in bytes. The rename is atomic on one file system, so readers see either
    the old PDF or the new one, and an interrupted build leaves the old one untouched.
    """
    _check(data, expected_pages, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(target)
    temporary = target.parent / f".{target.name}.{os.getpid()}.part"
    try:
        _write_durably(data, temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return len(data)


def _write_durably(data: bytes, temporary: Path) -> None:
    with open(temporary, "xb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


def _remove_stale_parts(target: Path) -> None:
    """Remove temporary files of a build killed by SIGKILL, the one signal that allows no cleanup."""
    for stale in target.parent.glob(f".{target.name}.*.part"):
        stale.unlink(missing_ok=True)


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
