"""Turn saves in the sources and layout folders into batches of changed paths, on a thread of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

QUIET_MS = 30
"""A batch ends when nothing more changed for this long: an editor's save is several events."""
LONGEST_MS = 300
"""A batch ends after this long in any case, even while files keep changing."""


class Watcher:
    """Call back with the paths changed under the folders, one batch per save."""

    def __init__(self, folders: tuple[Path, ...], saved: Callable[[set[Path]], None]) -> None:
        self._folders = tuple(folder for folder in folders if folder.is_dir())
        self._saved = saved
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kcvs-preview-watch", daemon=True)

    def start(self) -> None:
        """Start watching; return once saves from now on are seen."""
        self._thread.start()
        self._ready.wait(timeout=5)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        changes = watchfiles.watch(*self._folders, debounce=LONGEST_MS, step=QUIET_MS, stop_event=self._stop,
                                   raise_interrupt=False, yield_on_timeout=True, rust_timeout=200)
        for batch in changes:
            # The first (empty) batch comes once the watcher is in place.
            self._ready.set()
            if batch:
                self._saved({Path(path) for _, path in batch})
