"""Turn a built report into the section data embedded in its PDF, and back."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree

from ..errors import NotBuiltError, OutputError
from ..model import Annex, AnnexPlan, Chapter, Edition, Project, Report, Section

CATALOG_KEY = "/KCVSReport"
"""Private key of the PDF catalog that holds the data (docs/embedded-data.md)."""
FORMAT_VERSION = 1
# The markup annotations of PDF 1.7 (12.5.6.2): the kinds a reader shows as comments.
MARKUP_SUBTYPES = frozenset({
    "Text", "FreeText", "Line", "Square", "Circle", "Polygon", "PolyLine", "Highlight", "Underline",
    "Squiggly", "StrikeOut", "Stamp", "Caret", "Ink", "FileAttachment", "Sound", "Redact"})


@dataclass(frozen=True)
class EmbeddedParagraph:
    """One body block of a section as written in its source."""

    line: int
    """1-based line of the section file the block starts on."""
    text: str
    """Plain text, line breaks of the source joined by spaces."""


@dataclass(frozen=True)
class EmbeddedSection:
    """A section as built into this PDF."""

    slug: str
    title: str
    chapter: int
    """1-based number of the section's chapter."""
    chapter_title: str
    source: str
    """Section file relative to the project, e.g. `sources/sections/04-gdpr.md`."""
    sha256: str
    """Hex digest of the section file's bytes."""
    paragraphs: tuple[EmbeddedParagraph, ...]
    first_page: int
    """0-based index of the section's first page in this PDF."""
    last_page: int
    page_labels: tuple[str, ...]
    """Labels of the pages first_page to last_page, as a reader shows them."""
    status: str | None = None
    """Approval state (concept, review, approved); who approved it and when, for an approved one.
    Absent from PDFs built before the review tools recorded them."""
    approved_by: str | None = None
    approved_on: str | None = None


@dataclass(frozen=True)
class AnnexAnnotation:
    """A markup annotation an annex PDF carried itself: not a reviewer's comment."""

    page: int
    """0-based page index in this PDF."""
    subtype: str
    """Annotation subtype without the slash, e.g. `Highlight`."""
    rect: tuple[float, ...]
    """Normalised rectangle (left, bottom, right, top), rounded to 0.01 pt."""
    name: str | None = None
    """The annotation's /NM, when it has one."""


@dataclass(frozen=True)
class EmbeddedAnnex:
    """A bundled annex as placed in this PDF."""

    number: int
    title: str
    source: str
    """Annex file relative to the project, e.g. `sources/annexes/verslag.pdf`."""
    first_page: int
    last_page: int
    page_labels: tuple[str, ...]
    annotations: tuple[AnnexAnnotation, ...]


@dataclass(frozen=True)
class EmbeddedReport:
    """Everything a built PDF says about the sources it was built from."""

    title: str
    year: int
    edition: str
    language: str
    published: str
    """ISO date of publication."""
    sections: tuple[EmbeddedSection, ...]
    """Sections in reading order."""
    annexes: tuple[EmbeddedAnnex, ...]
    revision: str | None = None
    """Last commit that changed the sources or layout, absent when unknown or edited since."""

    def section_at(self, page: int) -> EmbeddedSection | None:
        """Return the section that page belongs to, if any."""
        return next((s for s in self.sections if s.first_page <= page <= s.last_page), None)

    def annex_at(self, page: int) -> EmbeddedAnnex | None:
        """Return the annex that page belongs to, if any."""
        return next((a for a in self.annexes if a.first_page <= page <= a.last_page), None)


def embed(document: pikepdf.Pdf, report: Report, plan: AnnexPlan, edition: Edition, project: Project) -> None:
    """Store the report's section data under document's catalog entry /KCVSReport."""
    data = zlib.compress(to_json(describe(document, report, plan, edition, project)), 9)
    stream = pikepdf.Stream(document, b"")
    stream.write(data, filter=Name.FlateDecode)
    stream.Type, stream.Version = Name(CATALOG_KEY), FORMAT_VERSION
    document.Root[CATALOG_KEY] = document.make_indirect(stream)


def describe(document: pikepdf.Pdf, report: Report, plan: AnnexPlan, edition: Edition,
             project: Project) -> EmbeddedReport:
    """Return what the bundled document holds, section by section and annex by annex."""
    starts = _destination_pages(document)
    labels = tuple(str(page.label) for page in document.pages)
    annexes = tuple(_annex(document, annex, starts, labels, project) for annex in plan.bundled)
    # A section runs until the page before the next section, chapter opener, annex divider (the
    # page before an annex's first page) or other part the layout gives an id (a draft's approval
    # sheet), or to the end of the document. Ids inside a section start with its slug.
    inside = tuple(f"{section.slug}--" for section in report.sections)
    boundaries = {len(labels)} | {annex.first_page - 1 for annex in annexes} | {
        page for name, page in starts.items() if not name.startswith(inside)}
    missing = [section.slug for section in report.sections if section.slug not in starts]
    if missing:
        raise OutputError(f"the layout gives section '{missing[0]}' no anchor: its element needs "
                          f"id=\"{missing[0]}\" so that the PDF can be compared and reviewed")
    boundaries |= {starts[section.slug] for section in report.sections}
    sections = tuple(
        _section(section, chapter, starts[section.slug],
                 min(b for b in boundaries if b > starts[section.slug]) - 1, labels, project)
        for chapter in report.chapters for section in chapter.sections)
    return EmbeddedReport(title=report.title, year=report.year, edition=edition.value,
                          language=report.language, published=report.published.isoformat(),
                          sections=sections, annexes=annexes,
                          revision=source_revision(project))


def _section(section: Section, chapter: Chapter, first: int, last: int, labels: tuple[str, ...],
             project: Project) -> EmbeddedSection:
    approval = section.approval
    return EmbeddedSection(
        slug=section.slug, title=section.title, chapter=chapter.number, chapter_title=chapter.title,
        source=_relative(section.path, project),
        sha256=hashlib.sha256(section.path.read_bytes()).hexdigest(),
        paragraphs=tuple(EmbeddedParagraph(p.line, p.text) for p in section.paragraphs),
        first_page=first, last_page=last, page_labels=labels[first:last + 1],
        status=approval.status.value, approved_by=approval.approved_by or None,
        approved_on=approval.approved_on.isoformat() if approval.approved_on else None)


def _annex(document: pikepdf.Pdf, annex: Annex, starts: dict[str, int], labels: tuple[str, ...],
           project: Project) -> EmbeddedAnnex:
    first = starts[annex.anchor]
    last = first + annex.page_count - 1
    file_name = next(link.annex_file for link in annex.section.links if link.url == annex.url)
    annotations = tuple(
        AnnexAnnotation(page=index, subtype=str(annotation.Subtype)[1:],
                        rect=normalised_rect(annotation.get("/Rect")),
                        name=str(annotation.NM) if "/NM" in annotation else None)
        for index in range(first, last + 1)
        for annotation in document.pages[index].get("/Annots", ())
        if str(annotation.get("/Subtype", ""))[1:] in MARKUP_SUBTYPES)
    return EmbeddedAnnex(number=annex.number, title=annex.title,
                         source=_relative(project.annexes / file_name, project),
                         first_page=first, last_page=last, page_labels=labels[first:last + 1],
                         annotations=annotations)


def normalised_rect(rect) -> tuple[float, ...]:
    """Return a PDF rectangle as (left, bottom, right, top), rounded to 0.01 pt."""
    if not isinstance(rect, Array) or len(rect) != 4:
        return (0.0, 0.0, 0.0, 0.0)
    x1, y1, x2, y2 = (float(value) for value in rect)
    return tuple(round(value, 2) for value in (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))


def _destination_pages(document: pikepdf.Pdf) -> dict[str, int]:
    """Return the 0-based page each named destination of the document lands on."""
    if "/Names" not in document.Root or "/Dests" not in document.Root.Names:
        return {}
    index = {page.obj.objgen: number for number, page in enumerate(document.pages)}
    pages = {}
    for name, destination in NameTree(document.Root.Names.Dests).items():
        if isinstance(destination, Dictionary):
            destination = destination.get("/D")
        if isinstance(destination, Array) and len(destination) and \
                isinstance(destination[0], Dictionary) and destination[0].objgen in index:
            pages[name] = index[destination[0].objgen]
    return pages


def _relative(path: Path, project: Project) -> str:
    """Return path relative to the project, or to the sources' parent when outside it."""
    for base in (project.root, project.sources.parent):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def source_revision(project: Project) -> str | None:
    """Return the last commit that changed the sources or layout, None when unknown or edited since."""
    paths = ("--", str(project.sources), str(project.layout))
    try:
        last = _git(project.root, "log", "-1", "--format=%H", *paths)
        edited = _git(project.root, "status", "--porcelain", *paths)
    except (OSError, subprocess.SubprocessError):
        return None
    # Uncommitted edits mean no commit describes these sources: better no revision than a wrong one.
    return last if last and not edited else None


def _git(root: Path, *arguments: str) -> str:
    completed = subprocess.run(["git", "-C", str(root), *arguments], capture_output=True, text=True,
                               timeout=30, check=True)
    return completed.stdout.strip()


def to_json(embedded: EmbeddedReport) -> bytes:
    """Return the data as UTF-8 JSON with sorted keys and no absent fields, the same for the same build."""
    def without_absent(value):
        if isinstance(value, dict):
            return {key: without_absent(item) for key, item in value.items() if item is not None}
        if isinstance(value, (list, tuple)):
            return [without_absent(item) for item in value]
        return value
    return json.dumps(without_absent(dataclasses.asdict(embedded)), ensure_ascii=False,
                      sort_keys=True, separators=(",", ":")).encode("utf-8")


def read(path: Path) -> EmbeddedReport:
    """Return the section data embedded in the PDF at path; raise NotBuiltError without it."""
    try:
        with pikepdf.open(path) as document:
            stream = document.Root.get(CATALOG_KEY)
            if not isinstance(stream, pikepdf.Stream):
                raise NotBuiltError(f"{path.name} carries no KCVS report data: it was not built by "
                                    "kcvs-pdf, or by a version before the review tools (diff, "
                                    "comments) existed; build it again with this version")
            version = int(stream.get("/Version", 0))
            data = stream.read_bytes()
    except pikepdf.PdfError as exc:
        raise NotBuiltError(f"{path.name} cannot be read as a PDF ({exc})") from exc
    if version != FORMAT_VERSION:
        raise NotBuiltError(f"{path.name} carries KCVS report data of format {version}; this "
                            f"kcvs-pdf reads format {FORMAT_VERSION}: use the version that built it")
    try:
        return from_json(json.loads(data.decode("utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise NotBuiltError(f"{path.name}: its KCVS report data is damaged ({exc})") from exc


def from_json(data: dict) -> EmbeddedReport:
    """Return the report described by data, as written by to_json."""
    sections = tuple(_known(EmbeddedSection, section, {
        "paragraphs": tuple(_known(EmbeddedParagraph, p) for p in section["paragraphs"]),
        "page_labels": tuple(section["page_labels"])}) for section in data["sections"])
    annexes = tuple(_known(EmbeddedAnnex, annex, {
        "page_labels": tuple(annex["page_labels"]),
        "annotations": tuple(_known(AnnexAnnotation, a, {"rect": tuple(a["rect"])})
                             for a in annex["annotations"])}) for annex in data["annexes"])
    return _known(EmbeddedReport, data, {"sections": sections, "annexes": annexes})


def _known(cls, fields: dict, replaced: dict | None = None):
    """Build cls from the fields it knows, so that data with fields added later still reads."""
    names = {field.name for field in dataclasses.fields(cls)}
    return cls(**{key: value for key, value in {**fields, **(replaced or {})}.items() if key in names})
