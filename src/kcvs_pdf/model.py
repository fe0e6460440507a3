"""Name the values that flow between the build stages."""

from __future__ import annotations

import datetime
import enum
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from .pdf.images import Resampled
    from .release.budget import SizeCheck


class Edition(enum.Enum):
    """Which PDF to produce from the same sources."""

    FULL = "full"
    """The report with every available annex bundled after it."""
    WEB = "web"
    """The report alone; calls to action link to the published URLs."""
    DRAFT = "draft"
    """The full edition for reviewers: watermarked, stamped, ending with the approval sheet."""

    @property
    def is_final(self) -> bool:
        """Return whether this edition may only be built from approved sections."""
        return self is not Edition.DRAFT

    @property
    def bundles_annexes(self) -> bool:
        return self is not Edition.WEB


class ApprovalStatus(enum.Enum):
    """Where a section stands in the review cycle."""

    CONCEPT = "concept"
    """Being written."""
    REVIEW = "review"
    """Ready for the management committee to read."""
    APPROVED = "approved"
    """Signed off: may go into the final editions."""


@dataclass(frozen=True)
class Approval:
    """A section's review state, as written in its front matter or inherited from report.yaml."""

    status: ApprovalStatus
    approved_by: str = ""
    approved_on: datetime.date | None = None
    path: Path | None = None
    """File the status was written in (the section file, or report.yaml when inherited)."""
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Paragraph:
    """One block of body text (paragraph, list item, heading, table cell, footnote, caption) with
    the file line it starts on."""

    line: int
    text: str


@dataclass(frozen=True)
class Footnote:
    """A note under a section's text, and where the text refers to it."""

    number: int
    """As printed, counted per section."""
    note: str
    """Id of the note, where its number in the text links to."""
    reference: str
    """Id of the note's first reference in the text, where the note links back to."""


@dataclass(frozen=True)
class BodyLink:
    """A link written in the body text, where it stands in the file."""

    url: str
    line: int
    column: int
    text: str = ""
    """The link's words, which a screen reader says for it."""


@dataclass(frozen=True)
class Chart:
    """An SVG picture in the body text: the fonts and text it draws, where it is written."""

    path: Path
    line: int
    column: int
    fonts: tuple[tuple[str, ...], ...]
    """Each font-family it names: its families in order of preference."""
    text: str
    """The text it draws."""


@dataclass(frozen=True)
class Link:
    """A call to action: a button-like link below a section."""

    label: str
    """Text on the button, as written in the source."""
    url: str
    """Published URL the link points to."""
    annex_file: str | None
    """Local file name under `sources/annexes/` when the URL is a PDF annex."""
    title: str | None = None
    """Title of the linked annex when it is not the section's title."""
    line: int = 0
    """Line of the link's URL in the section file, for messages about its annex."""
    column: int = 0


@dataclass(frozen=True)
class Section:
    """One working group or project page of the report."""

    slug: str
    """Stable identifier, the file name without number prefix and suffix."""
    title: str
    """Title as printed."""
    body_html: str
    """Body rendered from Markdown to safe HTML."""
    paragraphs: tuple[Paragraph, ...]
    """Body blocks as plain text with their file lines, for checking the PDF and placing comments."""
    links: tuple[Link, ...]
    """Calls to action in the order written."""
    web_links: tuple[BodyLink, ...]
    """Links written in the body text."""
    path: Path
    """Source file, for messages."""
    approval: Approval = Approval(ApprovalStatus.CONCEPT)
    """Review state; a section that says nothing is a concept."""
    anchors: tuple[str, ...] = ()
    """Ids its body defines besides the section's own (footnotes), for links `#id`."""
    footnotes: tuple[Footnote, ...] = ()
    """Its notes, for the words their links are read as."""
    charts: tuple[Chart, ...] = ()
    """SVG pictures in its body, whose fonts and text the layout must have."""

    @property
    def body_text(self) -> str:
        """Return the body as plain text, one blank line between blocks."""
        return "\n\n".join(paragraph.text for paragraph in self.paragraphs)


@dataclass(frozen=True)
class Chapter:
    """A group of sections with an opener page."""

    number: int
    """1-based position in the report."""
    title: str
    """Title as printed on the opener, in the TOC and in running heads."""
    sections: tuple[Section, ...]
    """Sections in reading order."""


@dataclass(frozen=True)
class LabelOverride:
    """A fixed word of the layout that report.yaml replaces."""

    name: str
    """Dotted label name, e.g. `contents` or `draft.watermark`."""
    value: str
    path: Path
    line: int
    column: int


@dataclass(frozen=True)
class SizeBudget:
    """The most an edition's PDF may weigh, as report.yaml's `budget:` sets it."""

    edition: Edition
    limit: int
    """Bytes."""
    path: Path
    line: int
    column: int


@dataclass(frozen=True)
class ColophonLine:
    """One labelled line of the colophon."""

    label: str
    value: str


@dataclass(frozen=True)
class InflateLimits:
    """How far an annex's compressed streams may expand before the file is refused."""

    per_stream: int = 256 * 1024**2
    """Bytes one stream may decode to."""
    total: int = 1024**3
    """Bytes all streams of the file together may decode to."""


@dataclass(frozen=True)
class Report:
    """The whole report as validated from `sources/`."""

    title: str
    subtitle: str
    year: int
    organisation: str
    language: str
    published: datetime.date
    subject: str
    keywords: tuple[str, ...]
    website: str
    chapters: tuple[Chapter, ...]
    labels: tuple[LabelOverride, ...]
    """Fixed words of the layout that this report replaces (report.yaml's `labels:`)."""
    colophon: tuple[ColophonLine, ...]
    sources: Path
    """The sources folder the report came from."""
    budgets: tuple[SizeBudget, ...] = ()
    """Size budgets report.yaml sets (`budget:`); editions it does not name keep the default."""
    annex_limits: InflateLimits = InflateLimits()
    """How far an annex's streams may expand before it is refused as a bomb (`annex_limits:`)."""

    @property
    def sections(self) -> tuple[Section, ...]:
        """Return every section in reading order."""
        return tuple(s for chapter in self.chapters for s in chapter.sections)

    @property
    def output_stem(self) -> str:
        """Return the file name stem for outputs, derived from the title."""
        return slugify(self.title)


class AnnexStatus(enum.Enum):
    """Whether an annex is bundled into the PDF."""

    BUNDLED = "bundled"
    """The local copy is usable and goes into the full edition."""
    ONLINE = "online"
    """Only the published URL is used (no local copy, a web page, or the web edition)."""


@dataclass(frozen=True)
class Annex:
    """A document linked from one or more sections."""

    number: int
    """1-based position among bundled annexes, 0 when not bundled."""
    title: str
    """Title shown in the TOC and on the divider: the linking section's title."""
    url: str
    """Published URL."""
    section: Section
    """The section that links to it first."""
    status: AnnexStatus
    path: Path | None
    """Usable local PDF (possibly repaired or decrypted), when bundled."""
    page_count: int
    """Pages in the annex PDF, 0 when not bundled."""

    @property
    def anchor(self) -> str:
        """Return the named destination for the annex's first page."""
        return f"annex-{self.number}"

    @property
    def first_label(self) -> str:
        """Return the page label of the annex's first page."""
        return f"B{self.number}-1"

    @property
    def divider_label(self) -> str:
        """Return the page label of the divider page before the annex."""
        return f"B{self.number}"

    @property
    def host(self) -> str:
        """Return the web site the annex is published on, without `www.`."""
        host = urlsplit(self.url).hostname or ""
        return host.removeprefix("www.")

    @property
    def file_name(self) -> str:
        """Return the published file's name, as a reader would save it."""
        return url_file_name(self.url)


def url_file_name(url: str) -> str:
    """Return the name of the file a URL names, percent-decoded: the name a reader saves it under."""
    return PurePosixPath(unquote(urlsplit(url).path)).name


@dataclass(frozen=True)
class AnnexPlan:
    """Annexes in the order first linked, plus the local files that were expected but absent."""

    annexes: tuple[Annex, ...]
    missing: tuple[Path, ...]

    @property
    def bundled(self) -> tuple[Annex, ...]:
        """Return the annexes that go into the PDF, numbered from 1."""
        return tuple(annex for annex in self.annexes if annex.status is AnnexStatus.BUNDLED)

    @property
    def online(self) -> tuple[Annex, ...]:
        """Return the annexes that are only linked by URL."""
        return tuple(annex for annex in self.annexes if annex.status is AnnexStatus.ONLINE)

    @property
    def bundled_pages(self) -> int:
        return sum(annex.page_count for annex in self.bundled)


NO_ANNEXES = AnnexPlan((), ())


@dataclass(frozen=True)
class ComposedReport:
    """HTML ready for rendering, with what the renderer needs to resolve its resources."""

    html: str
    base_url: str
    """Layout folder as a file URL, so the stylesheet and fonts resolve inside it."""


@dataclass(frozen=True)
class RenderedReport:
    """The report rendered by WeasyPrint, before annexes are added."""

    pdf: bytes
    page_count: int
    anchors: dict[str, int]
    """0-based page index of each element id in the document (`annex-1`, a section's slug, …)."""

    @property
    def divider_pages(self) -> tuple[int, ...]:
        """Return the 0-based page index of each bundled annex's divider, in annex order."""
        numbered = sorted((int(name.removeprefix("annex-")), page) for name, page in self.anchors.items()
                          if name.startswith("annex-") and name.removeprefix("annex-").isdigit())
        return tuple(page for _, page in numbered)


@dataclass(frozen=True)
class RenderLimits:
    """How long and how much memory rendering may take before the build stops it."""

    timeout: float = 300.0
    """Seconds; `--render-timeout` raises it for a report that is simply large."""
    memory: int = 2 * 1024**3
    """Bytes the render may allocate beyond what the build had loaded before it."""


@dataclass(frozen=True)
class Project:
    """Where a build reads from and writes to."""

    root: Path
    """Project folder; nothing outside it is read."""
    sources: Path
    layout: Path
    output: Path | None
    """Output file chosen on the command line, or None for `build/<name>.pdf`."""
    render_limits: RenderLimits = RenderLimits()
    """How long and how much memory rendering may take."""

    @property
    def annexes(self) -> Path:
        return self.sources / "annexes"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def cache(self) -> Path:
        """Folder for results reused between builds; safe to delete."""
        return self.build_dir / ".cache"

    @property
    def annex_cache(self) -> Path:
        """Return the folder of inspected annexes kept between builds; deleting it is safe."""
        return self.cache / "annexes"

    def output_for(self, report: Report, suffix: str) -> Path:
        """Return the file an edition is written to; suffix tells editions apart (`-web`)."""
        if self.output is not None:
            return self.output
        return self.build_dir / f"{report.output_stem}{suffix}.pdf"


@dataclass(frozen=True)
class DraftStamp:
    """What a draft says about its sources on every report page."""

    revision: str
    """`git describe --always --dirty`, or a short content hash outside git."""
    changed: datetime.date
    """Date of the newest change to the sources or layout."""


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote, for the summary line."""

    path: Path
    page_count: int
    size_bytes: int
    annexes: AnnexPlan
    untagged_annex_pages: int = 0
    """Bundled annex pages without tags (out of `annexes.bundled_pages`)."""
    claims_pdf_ua: bool = False
    """Whether the written PDF claims conformance to PDF/UA-1 in its metadata."""
    size: SizeCheck | None = None
    """The size against the edition's budget, with the heaviest items when over it."""
    resampled: tuple[Resampled, ...] = ()
    """Images downsampled to what print needs."""


def slugify(text: str) -> str:
    """Return a lowercase ASCII kebab-case form of text."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
