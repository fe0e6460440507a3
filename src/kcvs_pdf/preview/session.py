"""Turn saved sources into snapshots: the edited section first, then the whole draft, one build at a time."""

from __future__ import annotations

import dataclasses
import fcntl
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

from ..build import build_checked
from ..check import check
from ..errors import Diagnostics, KcvsError
from ..layout.labels import Labels, load_labels
from ..model import AnnexPlan, Edition, Project, Report
from ..pdf.provenance import read as read_embedded
from ..sources.load import load_report
from ..sources.revision import draft_stamp
from .changes import classify
from .pages import Pictures, read_pages
from .section import SectionDraft, SectionRenderer
from .snapshot import Page, Snapshot, Stage, document_pages, section_range, splice
from .view import counted

PREVIEW_DIR = ".preview"
"""Folder under build/ for what the preview writes; the editions in build/ are never touched."""
DRAFT_FILE = "draft.pdf"
LOCK_FILE = "lock"
HOLD = 0.5
"""Seconds the whole draft waits for a watching browser to fetch the edited section's first page:
a build running meanwhile would slow that page down."""


class PreviewBusy(KcvsError):
    """Raised when another preview of the same project is running: both would write one draft."""


class Superseded(Exception):
    """Raised between two build stages when newer saves wait, or the preview stops."""


class Session:
    """Keep the preview's snapshot up to date with the sources, on a thread of its own.

    Saves are collected while a build runs. A build checks for them between its stages and is
    abandoned for them before it writes anything, so there is never more than one build, and
    the next one starts from the newest sources.
    """

    def __init__(self, project: Project, log: Callable[[str], None] = lambda line: None) -> None:
        self.project = dataclasses.replace(project, output=project.build_dir / PREVIEW_DIR / DRAFT_FILE)
        self.instance = secrets.token_hex(4)
        """Tells this run's documents and snapshots from those of a preview started before."""
        self._log = log
        self._renderer = SectionRenderer(self.project)
        self._changed = threading.Condition()
        self._pending: set[Path] = set()
        self._closing = False
        self._snapshot = Snapshot(generation=0, stage=Stage.BUILDING, note="Building the draft…")
        self._previous = self._snapshot
        self._documents: dict[str, bytes] = {}
        self._pictures = Pictures()
        self._good: tuple[Page, ...] = ()
        """The pages last shown without a problem: the last whole draft, or a section shown alone
        since whose whole draft has not failed."""
        self._made = 0
        self._edits = 0
        self._annexes: AnnexPlan | None = None
        """The annexes of the last whole draft built, for sections rendered alone."""
        self._report: Report | None = None
        """The report last read without errors: its sections, title and language."""
        self._labels: tuple[tuple, Labels] | None = None
        """The layout's labels with the report's own, and those of the report (its `labels:`)."""
        self._watchers = 0
        self._delivered: set[tuple[str, int]] = set()
        self._lock = None
        self._thread = threading.Thread(target=self._run, name="kcvs-preview-build", daemon=True)

    def start(self) -> None:
        """Claim the project's preview folder and build the draft; raise PreviewBusy if taken."""
        folder = self.project.output.parent
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = open(folder / LOCK_FILE, "w")  # noqa: SIM115 (held until close)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise PreviewBusy(f"another preview of this project is running (it writes "
                              f"{folder / DRAFT_FILE}): stop it first") from None
        self._thread.start()

    def saved(self, paths: Iterable[Path]) -> None:
        """Note saved files; the build thread takes them up as soon as it can."""
        with self._changed:
            self._pending.update(paths)
            self._changed.notify_all()

    def close(self, timeout: float = 5.0) -> None:
        """Stop building: a running build is abandoned at its next stage."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._lock is not None:
            self._lock.close()

    @property
    def snapshot(self) -> Snapshot:
        with self._changed:
            return self._snapshot

    def document(self, name: str) -> bytes | None:
        """Return a rendered PDF the current or the previous snapshot shows."""
        with self._changed:
            return self._documents.get(name)

    def picture(self, document: str, index: int) -> bytes | None:
        """Return the picture of a page of a rendered PDF; None when no snapshot shows it now."""
        pdf = self.document(document)
        if pdf is None:
            return None
        try:
            return self._pictures.get(document, pdf, index)
        except IndexError:
            return None

    def wait(self, generation: int, timeout: float) -> Snapshot:
        """Return the snapshot once it is newer than generation, or after timeout, or on close."""
        with self._changed:
            self._changed.wait_for(lambda: self._snapshot.generation != generation or self._closing, timeout)
            return self._snapshot

    @property
    def closing(self) -> bool:
        with self._changed:
            return self._closing

    @contextmanager
    def watching(self):
        """Count a browser tab following the snapshots while in the block."""
        with self._changed:
            self._watchers += 1
        try:
            yield
        finally:
            with self._changed:
                self._watchers -= 1

    def delivered(self, document: str, index: int) -> None:
        """Note that a browser received the picture of a page."""
        with self._changed:
            self._delivered.add((document, index))
            self._changed.notify_all()

    def _run(self) -> None:
        self._attempt(self._build_draft, None, time.monotonic())
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._pending or self._closing)
                if self._closing:
                    return
                paths, self._pending = self._pending, set()
                self._edits += 1
            self._attempt(self._rebuild, paths, time.monotonic())

    def _attempt(self, job: Callable, *arguments) -> None:
        try:
            job(*arguments)
        except Superseded:
            pass
        except Exception as error:  # a bug: say so, and keep serving the last good pages
            traceback.print_exc()
            self._show_problems(Diagnostics(), None, f"kcvs-pdf failed ({error!r}); see the terminal")

    def _rebuild(self, paths: set[Path], started: float) -> None:
        diagnostics = Diagnostics(self.project.root)
        report = load_report(self.project.sources, diagnostics)
        edit = classify(paths, self.project, report or self._report)
        if edit.layout:
            self._renderer.forget_layout()
            self._labels = None
        if report is None:
            self._show_problems(diagnostics, edit.section)
            return
        self._report = report
        before = self._good
        if edit.section is not None:
            self._show_section(report, edit.section, diagnostics, started)
        self._build_draft(edit.section, started, before)

    def _show_section(self, report: Report, slug: str, diagnostics: Diagnostics, started: float) -> None:
        """Show the section rendered alone in place of its pages, if the last draft had it."""
        old = section_range(self._good, slug)
        labels = self._labels_for(report)
        if self._annexes is None or old is None or not labels:
            return
        stamp = draft_stamp(self.project.root, (self.project.sources, self.project.layout))
        draft = SectionDraft(report, labels, self._annexes, stamp)
        pdf = self._renderer.render(draft, slug, first_page=old.start + 1)
        if pdf is None:
            return
        name = self._keep(pdf)
        pages = splice(self._good, slug, document_pages(name, read_pages(pdf), lambda index: slug))
        title = next(s.title for s in report.sections if s.slug == slug)
        # Drawn now, the first page is there when the browser asks, before any page around it.
        self.picture(name, 0)
        self._good = pages
        self._publish(Stage.SECTION, pages, diagnostics, focus=old.start,
                      note=f"“{title}” shown in {time.monotonic() - started:.2f} s; building the whole draft…")
        with self._changed:
            if self._watchers:
                self._changed.wait_for(lambda: (name, 0) in self._delivered or self._pending or self._closing,
                                       HOLD)

    def _labels_for(self, report: Report) -> Labels:
        """Return the layout's labels with the report's own; read again only when either changed."""
        if self._labels is None or self._labels[0] != report.labels:
            self._labels = (report.labels, load_labels(self.project.layout, report.labels, Diagnostics()))
        return self._labels[1]

    def _build_draft(self, focus: str | None, started: float, before: tuple[Page, ...] = ()) -> None:
        """Build the whole draft into build/.preview/ and show it, or its problems over before."""
        diagnostics = Diagnostics(self.project.root)
        checked = check(self.project, diagnostics, Edition.DRAFT, progress=self._checkpoint)
        failure = ""
        if checked is not None:
            try:
                result = build_checked(self.project, checked, Edition.DRAFT, diagnostics,
                                       progress=self._checkpoint)
            except KcvsError as error:
                failure = "" if diagnostics.errors else str(error)
        if checked is None or diagnostics.errors or failure:
            # The section shown alone may have been the problem: not good after all.
            self._good = before
            self._show_problems(diagnostics, focus, failure)
            return
        self._report = checked.report
        pdf = result.path.read_bytes()
        embedded = read_embedded(result.path)
        name = self._keep(pdf)
        pages = document_pages(name, read_pages(pdf),
                               lambda index: section.slug if (section := embedded.section_at(index)) else None)
        self._annexes = checked.annexes
        first = section_range(pages, focus)
        self._good = pages
        self._publish(Stage.DRAFT, pages, diagnostics, focus=first.start if first else None,
                      note=f"Whole draft: {len(pages)} pages, built in {time.monotonic() - started:.1f} s")
        self._labels = (checked.report.labels, checked.labels)
        self._renderer.warm_up(SectionDraft(checked.report, checked.labels, checked.annexes, checked.stamp))

    def _show_problems(self, diagnostics: Diagnostics, focus: str | None, failure: str = "") -> None:
        """Show the problems over the last good pages, at the section saved."""
        first = section_range(self._good, focus)
        errors = len(diagnostics.errors) + bool(failure)
        self._publish(Stage.FAILED, self._good, diagnostics, focus=first.start if first else None,
                      failure=failure, note=f"Not built: {counted(errors, 'error')}")

    def _checkpoint(self, message: str = "") -> None:
        """Abandon the build when newer saves wait or the preview stops: called between stages."""
        with self._changed:
            if self._pending or self._closing:
                raise Superseded

    def _keep(self, pdf: bytes) -> str:
        with self._changed:
            self._made += 1
            name = f"{self.instance}-{self._made}"
            self._documents[name] = pdf
            return name

    def _publish(self, stage: Stage, pages: tuple[Page, ...], diagnostics: Diagnostics, focus: int | None,
                 note: str, failure: str = "") -> None:
        """Make a new snapshot the one shown, and wake every browser tab and waiter."""
        title, language = (self._report.title, self._report.language) if self._report else ("", "")
        with self._changed:
            self._previous = self._snapshot
            self._snapshot = Snapshot(generation=self._previous.generation + 1, stage=stage, title=title,
                                      language=language, pages=pages, diagnostics=diagnostics.items,
                                      failure=failure, edit=self._edits, focus=focus, note=note)
            # Pictures of the snapshot just replaced may still be on their way to the browser.
            shown = self._snapshot.documents | self._previous.documents | {page.document for page in self._good}
            self._documents = {name: pdf for name, pdf in self._documents.items() if name in shown}
            self._delivered = {page for page in self._delivered if page[0] in shown}
            self._changed.notify_all()
        self._log(note)
        for diagnostic in diagnostics.items:
            self._log(f"  {diagnostic}")
        if failure:
            self._log(f"  error: {failure}")
