"""Turn a piece of work into its result, computed in a forked child under a time and a memory limit.

Forking keeps what the parent already imported (WeasyPrint, its fonts and caches) warm, so the
child starts in milliseconds; a breach of either limit, or any exception in the child, comes back
as a `Breach` instead of exhausting the machine, hanging the build or ending in a traceback.
"""

from __future__ import annotations

import errno
import gc
import math
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
from collections.abc import Callable
from typing import TypeVar

from ..errors import Diagnostic, Diagnostics, Severity

Result = TypeVar("Result")


class Breach(Exception):
    """Raised when the work in the child ran out of time or memory, failed or died."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind, detail)
        self.kind = kind
        """`timeout`, `memory`, `failed` (an exception in the work) or `died` (no answer: a signal)."""
        self.detail = detail
        """The exception's type and message, or the signal's name."""


def run_bounded(work: Callable[[Diagnostics], Result], diagnostics: Diagnostics, timeout: float,
                memory: int) -> Result:
    """Return work(diagnostics) computed in a forked child; raise Breach when it does not finish well.

    What the work records in its diagnostics reaches `diagnostics`, whatever the outcome. `memory`
    is what the child may allocate beyond what the parent had mapped when it forked. What the
    child's libraries print is passed on after a success, and explains a child that died.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    with tempfile.TemporaryFile() as printed:
        child = context.Process(target=_child, args=(work, sender, timeout, memory, printed.fileno()),
                                daemon=True)
        # Frozen, the parent's objects are never visited by the child's garbage collector, so
        # their memory pages stay shared instead of being copied.
        gc.freeze()
        try:
            child.start()
        finally:
            gc.unfreeze()
        sender.close()  # else the parent's copy would keep the pipe open after the child died
        try:
            status, value, found = _answer(receiver, child, timeout)
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()
        printed.seek(0)
        said = printed.read().decode("utf-8", "replace").strip()
    _merge(found, diagnostics)
    if status == "died" and said:
        value = f"{value}: {said.splitlines()[-1]}"
    if status != "ok":
        raise Breach(status, value)
    if said:
        print(said, file=sys.stderr)
    return value


def _answer(receiver, child, timeout: float) -> tuple[str, object, tuple[Diagnostic, ...]]:
    """Return the child's status, value and diagnostics, or what became of a child that gave none."""
    if not receiver.poll(timeout):
        return "timeout", "", ()
    try:
        return receiver.recv()
    except EOFError:
        child.join()
        return "died", _signal_name(child.exitcode), ()


def _child(work: Callable[[Diagnostics], object], sender, timeout: float, memory: int, printed: int) -> None:
    # The parent alone answers Ctrl-C and SIGTERM, and stops the child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.dup2(printed, 2)
    diagnostics = Diagnostics()
    try:
        _limit(resource.RLIMIT_AS, _mapped_bytes() + memory)
        # CPU time never runs ahead of the clock, so this only stops a child whose parent is gone.
        _limit(resource.RLIMIT_CPU, math.ceil(timeout) + 1)
        outcome = ("ok", work(diagnostics))
    except BaseException as error:  # noqa: BLE001 (whatever the work raises is reported, never printed)
        outcome = _failure(error)
    try:
        sender.send((*outcome, diagnostics.items))
    except BaseException as error:  # noqa: BLE001 (a result too large to send under the limit)
        sender.send((*_failure(error), diagnostics.items))
    sender.close()


def _failure(error: BaseException) -> tuple[str, str]:
    if isinstance(error, MemoryError) or (isinstance(error, OSError) and error.errno == errno.ENOMEM):
        return "memory", _described(error)
    return "failed", _described(error)


def _limit(kind: int, limit: int) -> None:
    """Lower the soft limit of kind to limit, never above the hard limit."""
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(kind, (limit, hard))
    except (ValueError, OSError):
        pass  # a system that refuses this limit (macOS for RLIMIT_AS): the timeout still bounds the child


def _mapped_bytes() -> int:
    """Return the address space this process has mapped (0 where /proc does not tell)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return 0


def _described(error: BaseException) -> str:
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _signal_name(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def _merge(found: tuple[Diagnostic, ...], diagnostics: Diagnostics) -> None:
    """Record the child's diagnostics in the parent's, shown relative to the parent's project."""
    for item in found:
        record = diagnostics.error if item.severity is Severity.ERROR else diagnostics.warning
        record(item.path, item.line, item.column, item.message, item.code)
