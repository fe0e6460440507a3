"""Turn an annex file into a Verdict: from the cache when its bytes were inspected before, else in a child.

The cache holds, per file content, the verdict and the normalised copy the bundle reads. Its
key is the file's SHA-256 together with everything that could change the verdict (limits,
pikepdf and qpdf versions, this package's version and the code that inspects), so a cached
verdict is only ever reused for the very same bytes inspected the very same way. Deleting the
cache folder only costs time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import resource
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pikepdf

from .. import __version__
from ..model import InflateLimits

INSPECT_TIMEOUT_SECONDS = 60
INSPECT_MEMORY_BYTES = 2 * 1024**3
# The modules that make and store a verdict: a change to any of them may change one.
_INSPECTING_MODULES = ("inspection.py", "inspect_annex.py", "inflate.py", "sanitize.py")


@dataclass(frozen=True)
class Verdict:
    """What inspecting one annex file found."""

    usable: bool
    problem: str = ""
    """Why the file is refused, phrased to follow its name (`… requires a password`)."""
    pages: int = 0
    path: Path | None = None
    """The file to bundle: a copy rewritten by qpdf, decrypted, repaired, without active content."""
    repaired: str = ""
    """What qpdf found damaged and repaired, '' when nothing was."""
    removed: str = ""
    """The active content left out of the copy, e.g. '2 JavaScript actions', '' when none."""


def inspect_file(path: Path, cache: Path, limits: InflateLimits = InflateLimits()) -> Verdict:
    """Return the verdict on path's content, inspecting it in a child only when the cache has none."""
    cache.mkdir(parents=True, exist_ok=True)
    try:
        key = _key(_file_digest(path), limits)
    except OSError as error:
        return Verdict(False, f"cannot be read ({error.strerror})")
    cached = _load(cache, key)
    if cached is not None:
        return cached
    # Named per thread: two annexes with the same content may be inspected at the same time.
    scratch = cache / f".{key}.{os.getpid()}.{threading.get_ident()}.pdf"
    try:
        verdict, inspected_digest = _run_child(path, scratch, INSPECT_TIMEOUT_SECONDS,
                                               INSPECT_MEMORY_BYTES, limits)
        if inspected_digest is None:
            return verdict
        if _key(inspected_digest, limits) != key:
            return Verdict(False, "changed while it was being inspected: build again")
        return _store(cache, key, verdict)
    finally:
        scratch.unlink(missing_ok=True)


def inspect_in_child(path: Path, repaired: Path, timeout: float = INSPECT_TIMEOUT_SECONDS,
                     memory: int = INSPECT_MEMORY_BYTES,
                     limits: InflateLimits = InflateLimits()) -> Verdict:
    """Inspect path in a child process with a time and memory limit; never raise for the file's sake."""
    return _run_child(path, repaired, timeout, memory, limits)[0]


def _run_child(path: Path, repaired: Path, timeout: float, memory: int,
               limits: InflateLimits) -> tuple[Verdict, str | None]:
    """Return the child's verdict and the SHA-256 of the bytes it read (None when it failed)."""
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        completed = subprocess.run(
            [sys.executable, "-m", "kcvs_pdf.annexes.inspect_annex", str(path), str(repaired),
             str(limits.per_stream), str(limits.total)],
            capture_output=True, text=True, timeout=timeout, preexec_fn=limit_memory, check=False)
    except subprocess.TimeoutExpired:
        return Verdict(False, f"could not be read within {timeout:g} seconds (the PDF library "
                       "hangs on it): re-save it from a PDF viewer"), None
    if completed.returncode != 0:
        cause = "ran out of memory" if "MemoryError" in completed.stderr else \
            f"crashed (exit code {completed.returncode})"
        return Verdict(False, f"makes the PDF reader fail: it {cause}; re-save it from a PDF viewer"), None
    found = json.loads(completed.stdout)
    if "errno" in found:
        # A full disk or a read-only cache folder: the build reports the machine, not the annex.
        raise OSError(found["errno"], os.strerror(found["errno"]), str(repaired.parent))
    if not found["ok"]:
        return Verdict(False, found["problem"]), found["sha256"]
    return Verdict(True, pages=found["pages"], path=repaired, repaired=found["repaired"],
                   removed=found["removed"]), found["sha256"]


def _file_digest(path: Path) -> str:
    # Non-blocking, so that a pipe put in the file's place cannot hang the build.
    with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _key(digest: str, limits: InflateLimits) -> str:
    settings = {"file": digest, "limits": [limits.per_stream, limits.total], "kcvs-pdf": __version__,
                "pikepdf": pikepdf.__version__, "qpdf": pikepdf.__libqpdf_version__, "code": _code_digest()}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


@functools.cache
def _code_digest() -> str:
    here = Path(__file__).parent
    return hashlib.sha256(b"".join((here / name).read_bytes() for name in _INSPECTING_MODULES)).hexdigest()


def _load(cache: Path, key: str) -> Verdict | None:
    copy = cache / f"{key}.pdf"
    try:
        found = json.loads((cache / f"{key}.json").read_text(encoding="utf-8"))
        verdict = Verdict(**{**found, "path": copy if found["usable"] else None})
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return None if verdict.usable and not copy.is_file() else verdict


def _store(cache: Path, key: str, verdict: Verdict) -> Verdict:
    """Keep the verdict and its copy under key; the verdict is written last, so it never lacks its copy."""
    if verdict.usable:
        os.replace(verdict.path, cache / f"{key}.pdf")
        verdict = replace(verdict, path=cache / f"{key}.pdf")
    scratch = cache / f".{key}.{os.getpid()}.{threading.get_ident()}.json"
    try:
        scratch.write_text(json.dumps({**asdict(verdict), "path": None}), encoding="utf-8")
        os.replace(scratch, cache / f"{key}.json")
    finally:
        scratch.unlink(missing_ok=True)
    return verdict
