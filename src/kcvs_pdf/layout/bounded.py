"""Turn a piece of work into its result, computed in a forked child under a time and a memory limit.

The child is forked from this process, so it starts in milliseconds with what this process has
loaded (the report's language data, hyphenation). Work that needs a heavy library this process
never loads (WeasyPrint) goes to a `Worker`: a child forked early, which imports that library
while this process is still checking the sources. A breach of either limit, or any exception in
the child, comes back as a `Breach` instead of exhausting the machine, hanging the build or
ending in a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import importlib
import math
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

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


@dataclass(frozen=True)
class Task:
    """Work named by its module, so that only the child imports what the work needs."""

    function: str
    """`package.module:function`, called with the arguments and then the child's Diagnostics."""
    arguments: tuple[Any, ...]

    def __call__(self, diagnostics: Diagnostics) -> Any:
        module, name = self.function.split(":")
        return getattr(importlib.import_module(module), name)(*self.arguments, diagnostics)


class Worker:
    """A child forked now that imports `preload` while this process goes on, then runs the work
    sent to it, one piece at a time, under the same limits as a child forked for the work.

    After work that did not finish well it is stopped, and later work gets a child of its own.
    """

    def __init__(self, preload: tuple[str, ...]) -> None:
        context = multiprocessing.get_context("fork")
        tasks, self._tasks = context.Pipe(duplex=False)
        self._answers, answers = context.Pipe(duplex=False)
        self._process = context.Process(target=_serve, args=(preload, tasks, answers), daemon=True)
        _start(self._process)
        tasks.close()
        answers.close()
        self.usable = True

    def submit(self, work: Callable[[Diagnostics], object], timeout: float, memory: int, printed: str) -> bool:
        """Send work to the worker; return False (and stop it) when the worker is gone."""
        try:
            self._tasks.send((work, timeout, memory, printed, os.getcwd(), dict(os.environ)))
        except OSError:  # killed from outside
            self.close()
            return False
        return True

    @property
    def answers(self):
        """The connection the answer to submitted work arrives on, for `multiprocessing.connection.wait`."""
        return self._answers

    def receive(self) -> tuple[str, object, tuple[Diagnostic, ...]]:
        """Return the answer to the submitted work, which has arrived (or the worker died)."""
        try:
            answer = self._answers.recv()
        except EOFError:
            self._process.join()
            answer = "died", _signal_name(self._process.exitcode), ()
        if answer[0] != "ok":
            self.close()
        return answer

    def close(self) -> None:
        """Stop the worker (again, if it was already): it holds nothing that needs finishing."""
        self.usable = False
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._tasks.close()
        self._answers.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


def run_bounded(work: Callable[[Diagnostics], Result], diagnostics: Diagnostics, timeout: float,
                memory: int, worker: Worker | None = None) -> Result:
    """Return work(diagnostics) computed in a child; raise Breach when it does not finish well.

    The child is `worker` while it is usable (then work must be picklable, e.g. a Task), else
    one forked for the work; either way it works in this process's folder and environment. What
    the work records in its diagnostics reaches `diagnostics`, whatever the outcome. `memory` is
    what the child may allocate beyond what it has mapped when the work starts. What the child's
    libraries print is passed on after a success, and explains a child that died.
    """
    return Submitted(work, timeout, memory, worker).result(diagnostics)


class Submitted:
    """Work sent to a worker, going on while this process does something else; `result` waits for it.

    Bounded as by run_bounded. Without a usable worker the work starts only when its result is
    asked for, in a child forked for it.
    """

    def __init__(self, work: Callable[[Diagnostics], object], timeout: float, memory: int,
                 worker: Worker | None = None) -> None:
        self._work, self._timeout, self._memory = work, timeout, memory
        self._printed = tempfile.NamedTemporaryFile()
        self._deadline = time.monotonic() + timeout
        self._worker = worker if worker is not None and worker.usable and \
            worker.submit(work, timeout, memory, self._printed.name) else None

    def result(self, diagnostics: Diagnostics) -> Any:
        """Return the work's result once it is there; raise Breach when it did not finish well."""
        with self._printed:
            if self._worker is None:
                answer = _run_in_new_child(self._work, self._timeout, self._memory, self._printed.name)
            elif self._worker.answers.poll(max(0.0, self._deadline - time.monotonic())):
                answer = self._worker.receive()
            else:
                self._worker.close()
                answer = "timeout", "", ()
            result = _result(answer, self._printed.name, diagnostics)
        if isinstance(result, Breach):
            raise result
        return result


def run_all_bounded(works: Sequence[Callable[[Diagnostics], object]], diagnostics: Diagnostics, timeout: float,
                    memory: int, preload: tuple[str, ...], parallel: int) -> list[object]:
    """Return each work's result, or the Breach it ended in, computed in up to `parallel` workers.

    Each work is bounded as by run_bounded (works must be picklable). The workers are forked
    before any work starts and import preload; a worker that breaches is replaced by a new one.
    """
    results: list[object] = [None] * len(works)
    waiting = list(enumerate(works))[::-1]
    busy: dict[object, tuple[Worker, int, float]] = {}
    idle: list[Worker] = []
    with tempfile.TemporaryDirectory(prefix="kcvs-bounded-") as folder, contextlib.ExitStack() as workers:
        while waiting or busy:
            while waiting and len(busy) < parallel:
                index, work = waiting.pop()
                worker = idle.pop() if idle else workers.enter_context(Worker(preload))
                printed = os.path.join(folder, str(index))
                if worker.submit(work, timeout, memory, printed):
                    busy[worker.answers] = worker, index, time.monotonic() + timeout
                else:
                    results[index] = _result(_run_in_new_child(work, timeout, memory, printed), printed, diagnostics)
            if not busy:
                continue
            nearest = min(deadline for _, _, deadline in busy.values())
            ready = multiprocessing.connection.wait(list(busy), max(0.0, nearest - time.monotonic()))
            for answers in list(busy):
                worker, index, deadline = busy[answers]
                if answers in ready:
                    answer = worker.receive()
                elif time.monotonic() >= deadline:
                    worker.close()
                    answer = "timeout", "", ()
                else:
                    continue
                del busy[answers]
                results[index] = _result(answer, os.path.join(folder, str(index)), diagnostics)
                if worker.usable:
                    idle.append(worker)
    return results


def _result(answer: tuple[str, object, tuple[Diagnostic, ...]], printed: str, diagnostics: Diagnostics) -> object:
    """Return the value of an answer, or the Breach it is, with what the child printed."""
    status, value, found = answer
    said = Path(printed).read_text(encoding="utf-8", errors="replace").strip() if os.path.exists(printed) else ""
    _merge(found, diagnostics)
    if status == "died" and said:
        value = f"{value}: {said.splitlines()[-1]}"
    if status != "ok":
        return Breach(status, value)
    if said:
        print(said, file=sys.stderr)
    return value


def _run_in_new_child(work: Callable[[Diagnostics], object], timeout: float, memory: int,
                      printed: str) -> tuple[str, object, tuple[Diagnostic, ...]]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, daemon=True,
                            args=(work, sender, timeout, memory, printed, os.getcwd(), dict(os.environ)))
    _start(child)
    sender.close()  # else the parent's copy would keep the pipe open after the child died
    try:
        return _answer(receiver, child, timeout)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()


def _start(child: multiprocessing.process.BaseProcess) -> None:
    # Frozen, the parent's objects are never visited by the child's garbage collector, so
    # their memory pages stay shared instead of being copied.
    gc.freeze()
    try:
        child.start()
    finally:
        gc.unfreeze()


def _answer(receiver, child, timeout: float) -> tuple[str, object, tuple[Diagnostic, ...]]:
    """Return the child's status, value and diagnostics, or what became of a child that gave none."""
    if not receiver.poll(timeout):
        return "timeout", "", ()
    try:
        return receiver.recv()
    except EOFError:
        child.join()
        return "died", _signal_name(child.exitcode), ()


def _child(work: Callable[[Diagnostics], object], sender, timeout: float, memory: int, printed: str,
           folder: str, environment: dict[str, str]) -> None:
    _leave_signals_to_the_parent()
    _send(sender, _outcome(work, timeout, memory, printed, folder, environment))
    sender.close()


def _serve(preload: tuple[str, ...], tasks, answers) -> None:
    """Import preload, then run each task that comes until the parent stops this worker."""
    _leave_signals_to_the_parent()
    for name in preload:
        # A module that fails to import fails the work that needs it, where it is reported.
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    while True:
        try:
            task = tasks.recv()
        except EOFError:
            return
        _send(answers, _outcome(*task))


def _leave_signals_to_the_parent() -> None:
    # The parent alone answers Ctrl-C and SIGTERM, and stops the child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _outcome(work: Callable[[Diagnostics], object], timeout: float, memory: int, printed: str, folder: str,
             environment: dict[str, str]) -> tuple[str, object, tuple[Diagnostic, ...]]:
    """Run work under the limits; return its status, value (or failure) and diagnostics."""
    diagnostics = Diagnostics()
    try:
        with open(printed, "ab") as output:
            os.dup2(output.fileno(), 2)
        # A worker was forked before the parent moved on: it takes the parent's folder and
        # environment as they are now.
        os.chdir(folder)
        os.environ.clear()
        os.environ.update(environment)
        _limit(resource.RLIMIT_AS, _mapped_bytes() + memory)
        # CPU time never runs ahead of the clock, so this only stops a child whose parent is gone.
        _limit(resource.RLIMIT_CPU, math.ceil(_cpu_seconds() + timeout) + 1)
        outcome = ("ok", work(diagnostics))
    except BaseException as error:  # noqa: BLE001 (whatever the work raises is reported, never printed)
        outcome = _failure(error)
    return (*outcome, diagnostics.items)


def _send(connection, message: tuple[str, object, tuple[Diagnostic, ...]]) -> None:
    try:
        connection.send(message)
    except BaseException as error:  # noqa: BLE001 (a result too large to send under the limit)
        connection.send((*_failure(error), message[2]))


def _cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


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
