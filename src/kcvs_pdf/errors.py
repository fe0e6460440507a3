"""Name what can go wrong in a build, with where it went wrong."""

from __future__ import annotations

import enum
import errno
import logging
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.Enum):
    """How serious a diagnostic is."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"
    """Not a problem: a remark located in the sources, such as a reviewer's comment."""


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One located problem, printed as `path:line:col: severity: message [code]`."""

    path: str
    """File the problem is in, relative to the project where possible."""
    line: int
    """1-based line, 0 when the problem concerns the whole file."""
    column: int
    """1-based column, 0 when unknown."""
    severity: Severity = field(compare=False)
    message: str = field(compare=False)
    code: str = field(compare=False)
    """Stable identifier of the kind of problem, e.g. `section.missing-field`."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity.value}: {self.message} [{self.code}]"


class Diagnostics:
    """Collect diagnostics of one run so that all are reported together."""

    def __init__(self, root: Path | None = None) -> None:
        self._items: list[Diagnostic] = []
        self._root = root

    def error(self, path: Path | str, line: int, column: int, message: str, code: str) -> None:
        """Record an error."""
        self._add(path, line, column, Severity.ERROR, message, code)

    def warning(self, path: Path | str, line: int, column: int, message: str, code: str) -> None:
        """Record a warning."""
        self._add(path, line, column, Severity.WARNING, message, code)

    def _add(self, path, line, column, severity, message, code) -> None:
        self._items.append(Diagnostic(self._display(path), line, column, severity, message, code))

    def _display(self, path: Path | str) -> str:
        path = Path(path)
        if self._root is not None:
            # The path as named first: a link is shown where it is, not where it leads.
            for shown, root in ((Path(os.path.abspath(path)), Path(os.path.abspath(self._root))),
                                (Path(os.path.realpath(path)), Path(os.path.realpath(self._root)))):
                if shown.is_relative_to(root):
                    return shown.relative_to(root).as_posix()
        return path.as_posix()

    @property
    def items(self) -> tuple[Diagnostic, ...]:
        """Return every diagnostic once, sorted by location.

        A stage that runs twice (publish renders two editions) finds the same problem twice.
        """
        return tuple(sorted({str(item): item for item in self._items}.values()))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.items if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.items if d.severity is Severity.WARNING)

    def failed(self, strict: bool = False) -> bool:
        """Return whether errors (or, if strict, warnings) were recorded."""
        return bool(self.errors or (strict and self.warnings))

    def raise_if_errors(self, strict: bool = False) -> None:
        """Raise SourceError when errors (or, if strict, warnings) were recorded."""
        if self.failed(strict):
            raise SourceError(self.items)


class _DiagnosticHandler(logging.Handler):
    def __init__(self, locate: Callable[[str], Path | None], diagnostics: Diagnostics, prefix: str,
                 label: str, ignore: tuple[str, ...], errors: tuple[str, ...]) -> None:
        super().__init__(logging.WARNING)
        self.locate, self.diagnostics, self.prefix, self.label = locate, diagnostics, prefix, label
        self.ignore, self.errors = ignore, errors

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().splitlines()[0]
        path = None if text.startswith(self.ignore) else self.locate(text)
        if path is None:
            return
        message = f"{self.label}: {text}"
        if record.levelno >= logging.ERROR or text.startswith(self.errors):
            self.diagnostics.error(path, 0, 0, message, f"{self.prefix}.error")
        else:
            self.diagnostics.warning(path, 0, 0, message, f"{self.prefix}.warning")


@contextmanager
def captured_log(logger_name: str, path: Path, diagnostics: Diagnostics, prefix: str,
                 ignore: tuple[str, ...] = (), errors: tuple[str, ...] = (),
                 locate: Callable[[str], Path | None] | None = None):
    """Turn what a library logs while in the block into diagnostics on path, so none is silent.

    Messages starting with one of `ignore` are about the machine, not the report, and dropped;
    those starting with one of `errors` are errors whatever level the library gave them.
    `locate`, when given, names the file a message is about (path when it names none), or None
    for a message that another diagnostic already reports.
    """
    logger = logging.getLogger(logger_name)
    handler = _DiagnosticHandler(locate or (lambda text: path), diagnostics, prefix, logger_name, ignore,
                                 errors)
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


class KcvsError(Exception):
    """Raised when the report cannot be built because of its input; never a bug."""


class SourceError(KcvsError):
    """Raised when sources, layout or annexes have problems; carries all of them."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class UnsafeResourceError(KcvsError):
    """Raised when rendering asks for a file or URL the report may not read."""


class NotBuiltError(KcvsError):
    """Raised when a PDF carries no section data of kcvs-pdf, so it cannot be compared or reviewed."""


class OutputError(KcvsError):
    """Raised when the finished PDF cannot be written or fails its final check."""


class SettingError(KcvsError):
    """Raised when a setting of the machine the build depends on is unusable, e.g. SOURCE_DATE_EPOCH."""


_READ_ONLY = "the folder is read-only (check its permissions or choose another with -o)"
_FULL = "the disk is full (free some space and build again)"
_FILE_FOR_FOLDER = "part of this path is a file where a folder is needed (move that file away)"
_FOLDER_FOR_FILE = "it is a folder where a file is needed (move it away)"
_WRITE_FAILURES = {errno.EROFS: _READ_ONLY, errno.EACCES: _READ_ONLY, errno.EPERM: _READ_ONLY,
                   errno.ENOSPC: _FULL, errno.EDQUOT: _FULL, errno.ENOTDIR: _FILE_FOR_FOLDER,
                   errno.EEXIST: _FILE_FOR_FOLDER, errno.EISDIR: _FOLDER_FOR_FILE}


def write_failure(error: OSError) -> str | None:
    """Return what to do about a write the machine refused (read-only, disk full, a file or folder in the
    way), or None for another error."""
    return _WRITE_FAILURES.get(error.errno)


def machine_failure(error: OSError) -> str | None:
    """Return what to do about the machine refusing a file (no permission, disk full), or None."""
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (check the permissions of this file and its folder)"
    return _WRITE_FAILURES.get(error.errno)
