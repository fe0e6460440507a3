"""Turn an exception that no stage handled into one line for the editor: a bug report, or the machine's fault.

Every exception that escapes a command is a bug in kcvs-pdf, except the machine refusing a
write (a full disk, a read-only folder): the editor sees one line saying which, never a
traceback; a bug's traceback goes to a report file under build/.crash/ to send to the maintainers.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import sys
import tempfile
import traceback
from pathlib import Path
from typing import NoReturn

import click

from ..errors import machine_failure
from ..project import ProjectNotFound, find_root

EXIT_BUG = 70
"""EX_SOFTWARE of sysexits.h: an internal error, distinct from the report's problems (1)."""
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
CRASH_FOLDER = Path("build") / ".crash"
_PASSED_ON = (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort)


class GuardedGroup(click.Group):
    """A command group that turns any exception its commands let escape into one line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except _PASSED_ON:
            raise
        except KeyboardInterrupt:
            # Outside a command's own handling (while it loads, say): click would call it exit 1.
            click.secho("Interrupted.", fg="red", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except OSError as error:
            if machine_failure(error) is None:
                report_crash(error, ctx.params.get("project"))
            report_machine(error)
        except Exception as error:  # noqa: BLE001 (the one place that catches every bug)
            report_crash(error, ctx.params.get("project"))


def report_machine(error: OSError) -> NoReturn:
    """Say in one line which file the machine refused and what to do; exit 1."""
    where = f"{_shown(Path(error.filename))}: " if error.filename else ""
    click.secho(f"error: {where}{machine_failure(error)}", fg="red", err=True)
    sys.exit(EXIT_FAILED)


def report_crash(error: BaseException, project: Path | None) -> NoReturn:
    """Write the traceback to a report file, say in one line that kcvs-pdf has a bug; exit 70."""
    saved = _save(_report(error), _crash_folder(project) / f"kcvs-pdf-crash-{_fingerprint(error)}.txt")
    where = f"details in {_shown(saved)}" if saved else "its details could not be saved"
    click.secho(f"internal error (a bug in kcvs-pdf, not in your sources): {_summary(error)}; {where}; "
                "please report it", fg="red", err=True)
    sys.exit(EXIT_BUG)


def _summary(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    message = lines[0][:200] if lines else ""
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _fingerprint(error: BaseException) -> str:
    """Name the bug by where it happened, so that the same bug always writes the same file."""
    frames = [(Path(frame.filename).name, frame.name, frame.lineno)
              for frame in traceback.extract_tb(error.__traceback__)]
    return hashlib.sha256(repr((type(error).__qualname__, frames)).encode()).hexdigest()[:12]


def _report(error: BaseException) -> str:
    versions = ", ".join(f"{name} {_version(name)}" for name in ("kcvs-pdf", "weasyprint", "pikepdf"))
    return (f"kcvs-pdf stopped on an internal error: a bug in kcvs-pdf, not in the report's sources.\n"
            f"Please send this file to the maintainers of kcvs-pdf.\n\n"
            f"command: kcvs-pdf {' '.join(sys.argv[1:])}\n"
            f"versions: {versions}, Python {platform.python_version()} on {platform.platform()}\n\n"
            + "".join(traceback.format_exception(error)))


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _crash_folder(project: Path | None) -> Path:
    try:
        return (project.resolve() if project else find_root(Path.cwd())) / CRASH_FOLDER
    except (ProjectNotFound, OSError):
        return Path(tempfile.gettempdir()) / "kcvs-pdf-crash"


def _save(text: str, path: Path) -> Path | None:
    """Write text to path, or to the temporary folder when that fails; return where, or None."""
    for target in (path, Path(tempfile.gettempdir()) / path.name):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            return target
        except OSError:
            continue
    return None


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)
