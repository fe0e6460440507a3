"""Turn child processes into wall times and peak memory, and a run's figures into medians."""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

GNU_TIME = Path("/usr/bin/time")


class CommandFailed(Exception):
    """Raised when a measured command exits with a status it is not allowed to."""


@dataclass(frozen=True)
class Run:
    """One measured child process."""

    seconds: float
    peak_mib: float
    """Peak resident memory of the largest process: the child or a descendant it waited for."""
    tree_mib: float = 0.0
    """Peak of the memory of all the child's processes together, sampled (0 where /proc cannot tell)."""


@dataclass(frozen=True)
class Summary:
    """Several runs of the same thing: median wall time with the spread, and the highest peak."""

    median: float
    low: float
    high: float
    runs: int
    peak_mib: float
    tree_mib: float = 0.0

    @classmethod
    def of(cls, runs: Sequence[Run]) -> Summary:
        """Return the summary of runs (at least one)."""
        seconds = [run.seconds for run in runs]
        return cls(statistics.median(seconds), min(seconds), max(seconds), len(runs),
                   max(run.peak_mib for run in runs), max(run.tree_mib for run in runs))


def run_child(command: Sequence[str | Path], cwd: Path | None = None, allowed: tuple[int, ...] = (0,)) -> Run:
    """Run command to its end; return its wall time and the peak RSS of its process tree.

    A child's peak RSS starts from its parent's size at the fork (Linux keeps the high-water mark
    of the address space the child replaces at exec), and this process is large once it has
    imported WeasyPrint. So GNU time, a small process, starts the command and reports its peak
    when installed; otherwise the peak comes from `os.wait4` and is at least this process's size.
    That is the largest single process; what the processes of a build need together is sampled
    apart (`TreeMemory`), as their proportional set size, so shared pages count once.
    """
    with tempfile.NamedTemporaryFile(prefix="kcvs-bench-rss-") as peak_file:
        timed = [GNU_TIME, "--format", "%M", "--output", peak_file.name] if GNU_TIME.is_file() else []
        started = time.perf_counter()
        process = subprocess.Popen([*map(str, timed), *map(str, command)], cwd=cwd,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with TreeMemory(process.pid) as tree:
            # Read stderr while waiting, so a chatty child never blocks on a full pipe.
            errors = process.stderr.read()
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
        # Both ru_maxrss and GNU time's %M are KiB; GNU time writes a line before it on failure.
        peak_kib = int(Path(peak_file.name).read_text().split()[-1]) if timed else usage.ru_maxrss
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode not in allowed:
        tail = errors.decode(errors="replace").strip().splitlines()[-15:]
        raise CommandFailed(f"{' '.join(map(str, command))} exited {process.returncode}:\n" + "\n".join(tail))
    return Run(seconds, peak_kib / 1024, tree.peak_kib / 1024)


class TreeMemory:
    """Sample, while in the block, the summed proportional set size of a process and its descendants."""

    INTERVAL_SECONDS = 0.02

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(self.INTERVAL_SECONDS):
            self.peak_kib = max(self.peak_kib, sum(map(_pss_kib, _descendants(self.root))))


def _descendants(root: int) -> list[int]:
    """Return root and every process below it, from /proc.

    Each process's threads list the children they started, which costs a few reads: listing
    the whole of /proc every 20 ms took a tenth of a core, taken from the build being measured.
    """
    if not Path(f"/proc/{root}/task/{root}/children").exists():
        return _descendants_by_scan(root)
    found = [root]
    for pid in found:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                found.extend(int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
            except (OSError, ValueError):
                continue
    return found


def _descendants_by_scan(root: int) -> list[int]:
    """Return root and every process below it, from the parent of every process in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if Path("/proc").is_dir() else ():
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found = [root]
    for pid in found:
        found.extend(children.get(pid, ()))
    return found


def _pss_kib(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(found[1]) if found else 0


def peak_rss_source() -> str:
    """Say how peak memory is measured on this machine."""
    return "GNU time" if GNU_TIME.is_file() else "os.wait4 (at least bench.py's own size)"


def rounds(runs: int, measurements: dict[str, Callable[[], Run]]) -> dict[str, list[Run]]:
    """Run every measurement once per round, in order, for runs rounds; return the runs by name.

    Alternating shares the load of a busy machine fairly between the things compared.
    """
    measured: dict[str, list[Run]] = {name: [] for name in measurements}
    for _ in range(runs):
        for name, measure in measurements.items():
            measured[name].append(measure())
    return measured


def machine() -> dict[str, str]:
    """Describe the machine and the versions the figures depend on."""
    import pikepdf
    import weasyprint

    return {
        "cores": f"{os.cpu_count()} (nproc {len(os.sched_getaffinity(0))})",
        "cpu": _cpu_model(),
        "ram": f"{_total_ram_gib():.0f} GiB",
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "weasyprint": weasyprint.__version__,
        "pikepdf": f"{pikepdf.__version__} (libqpdf {pikepdf.__libqpdf_version__})",
        "qpdf": qpdf_version() or "not installed",
        "peak RSS by": peak_rss_source(),
    }


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages as one string."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def qpdf_version() -> str | None:
    """Return the qpdf command's version, or None when qpdf is not installed."""
    if shutil.which("qpdf") is None:
        return None
    first = subprocess.run(["qpdf", "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    return first.removeprefix("qpdf version ")


def _cpu_model() -> str:
    text = Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found[1].strip() if found else platform.processor() or "unknown"


def _total_ram_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
