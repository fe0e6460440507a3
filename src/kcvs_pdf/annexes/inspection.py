"""Turn annex files into Verdicts: from the cache when their bytes were inspected before, else in children.

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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pikepdf

from .. import __version__
from ..errors import Diagnostics
from ..layout.bounded import Breach, Task, run_all_bounded
from ..model import InflateLimits

INSPECT_TIMEOUT_SECONDS = 60
INSPECT_MEMORY_BYTES = 2 * 1024**3
"""What inspecting one file may allocate beyond what its child had mapped when it began."""
_INSPECT = "kcvs_pdf.annexes.inspect_annex"
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


def inspect_files(paths: Sequence[Path], cache: Path, limits: InflateLimits = InflateLimits(),
                  parallel: int = 0) -> dict[Path, Verdict]:
    """Return the verdict on each path's content: from the cache when it has one, else inspected
    in children, `parallel` at a time (0: one per core), each distinct content once."""
    verdicts, keys = _cached(paths, cache, limits)
    uncached: dict[str, Path] = {}
    for path, key in keys.items():
        if path not in verdicts:
            uncached.setdefault(key, path)
    inspected = _inspect_in_children(uncached, cache, limits, INSPECT_TIMEOUT_SECONDS, INSPECT_MEMORY_BYTES,
                                     parallel or os.cpu_count() or 1)
    return {path: verdicts[path] if path in verdicts else inspected[keys[path]] for path in paths}


def cached_verdicts(paths: Sequence[Path], cache: Path, limits: InflateLimits = InflateLimits()) -> dict[Path, Verdict]:
    """Return the verdicts the cache (or reading the file) already knows, inspecting nothing."""
    return _cached(paths, cache, limits)[0]


def _cached(paths: Sequence[Path], cache: Path, limits: InflateLimits) -> tuple[dict[Path, Verdict], dict[Path, str]]:
    """Return the verdicts known without inspecting, and the cache key of each readable path."""
    verdicts: dict[Path, Verdict] = {}
    keys: dict[Path, str] = {}
    for path in paths:
        try:
            keys[path] = _key(_file_digest(path), limits)
        except OSError as error:
            verdicts[path] = Verdict(False, f"cannot be read ({error.strerror})")
            continue
        cached = _load(cache, keys[path])
        if cached is not None:
            verdicts[path] = cached
    return verdicts, keys


def inspect_in_child(path: Path, repaired: Path, timeout: float = INSPECT_TIMEOUT_SECONDS,
                     memory: int = INSPECT_MEMORY_BYTES,
                     limits: InflateLimits = InflateLimits()) -> Verdict:
    """Inspect path in a child process with a time and memory limit; never raise for the file's sake."""
    return _verdicts([path], [repaired], limits, timeout, memory, 1)[0][0]


def _inspect_in_children(files: dict[str, Path], cache: Path, limits: InflateLimits, timeout: float,
                         memory: int, parallel: int) -> dict[str, Verdict]:
    """Return the verdict on each file by cache key, stored in the cache unless the file changed meanwhile."""
    keys = list(files)
    if not keys:
        return {}
    cache.mkdir(parents=True, exist_ok=True)
    # Named per process: two builds may inspect the same content at the same time.
    scratch = [cache / f".{key}.{os.getpid()}.pdf" for key in keys]
    try:
        found = _verdicts([files[key] for key in keys], scratch, limits, timeout, memory, parallel)
        stored = {}
        for key, (verdict, inspected_digest) in zip(keys, found, strict=True):
            if inspected_digest is None:
                stored[key] = verdict
            elif _key(inspected_digest, limits) != key:
                stored[key] = Verdict(False, "changed while it was being inspected: build again")
            else:
                stored[key] = _store(cache, key, verdict)
        return stored
    finally:
        for path in scratch:
            path.unlink(missing_ok=True)


def _verdicts(paths: list[Path], repaired: list[Path], limits: InflateLimits, timeout: float,
              memory: int, parallel: int) -> list[tuple[Verdict, str | None]]:
    """Return each file's verdict and the SHA-256 of the bytes inspected (None when inspection failed)."""
    works = [Task(f"{_INSPECT}:inspect_bounded", (path, copy, limits)) for path, copy in zip(paths, repaired)]
    answers = run_all_bounded(works, Diagnostics(), timeout, memory, preload=(_INSPECT,),
                              parallel=parallel) if works else []
    return [_verdict(answer, copy, timeout) for answer, copy in zip(answers, repaired, strict=True)]


def _verdict(answer: object, repaired: Path, timeout: float) -> tuple[Verdict, str | None]:
    if isinstance(answer, Breach):
        if answer.kind == "timeout":
            return Verdict(False, f"could not be read within {timeout:g} seconds (the PDF library "
                           "hangs on it): re-save it from a PDF viewer"), None
        # The failure's own message may quote the file: it is not ours to print.
        cause = "ran out of memory" if answer.kind == "memory" else "crashed"
        return Verdict(False, f"makes the PDF reader fail: it {cause}; re-save it from a PDF viewer"), None
    if "errno" in answer:
        # A full disk or a read-only cache folder: the build reports the machine, not the annex.
        raise OSError(answer["errno"], os.strerror(answer["errno"]), str(repaired.parent))
    if not answer["ok"]:
        return Verdict(False, answer["problem"]), answer["sha256"]
    return Verdict(True, pages=answer["pages"], path=repaired, repaired=answer["repaired"],
                   removed=answer["removed"]), answer["sha256"]


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
    scratch = cache / f".{key}.{os.getpid()}.json"
    try:
        scratch.write_text(json.dumps({**asdict(verdict), "path": None}), encoding="utf-8")
        os.replace(scratch, cache / f"{key}.json")
    finally:
        scratch.unlink(missing_ok=True)
    return verdict
