"""Turn the annotations in a PDF into comments, with the text they mark and the text around them."""

from __future__ import annotations

import datetime
import io
import re
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2

from ..pdf.provenance import MARKUP_SUBTYPES, normalised_rect
from ..pdf.watermark import remove_watermarks

# Characters on either side of an annotation read to tell which paragraph it is in.
CONTEXT_CHARS = 80
_HYPHENS = "-\u2010\u00ad"
_PDF_DATE = re.compile(r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?\s*"
                       r"(?:([Zz+-])(?:(\d\d)'?(?:(\d\d)'?)?)?)?")


@dataclass(frozen=True)
class Reply:
    """An answer to a comment, written in the reader's comment thread."""

    author: str
    date: str
    """ISO 8601 when the PDF date could be read, else as written; empty when absent."""
    text: str


@dataclass(frozen=True)
class Comment:
    """One reviewer annotation with its replies, on one page."""

    page: int
    """0-based page index."""
    page_label: str
    """The page's label, as a reader shows it."""
    subtype: str
    """Annotation subtype without the slash, e.g. `Highlight`."""
    author: str
    date: str
    text: str
    """What the reviewer wrote (/Contents), empty for a bare mark."""
    quoted: str
    """Text under a highlight, underline, squiggle or strike-out; empty for other kinds."""
    before: str
    """Page text before the character nearest to the annotation, in reading order."""
    after: str
    """Page text from the character nearest to the annotation on; with before, finds its paragraph."""
    rect: tuple[float, ...]
    name: str | None
    """The annotation's /NM, when it has one."""
    replies: tuple[Reply, ...]


def read_comments(path: Path) -> tuple[Comment, ...]:
    """Return every markup annotation of the PDF that is not a reply, with its replies attached."""
    with pikepdf.open(path) as pdf:
        found = [(index, annotation) for index, page in enumerate(pdf.pages)
                 for annotation in page.get("/Annots", ())
                 if str(annotation.get("/Subtype", ""))[1:] in MARKUP_SUBTYPES]
        by_id = {annotation.objgen: annotation for _, annotation in found if annotation.objgen != (0, 0)}
        threads = _threads(found, by_id)
        labels = tuple(str(page.label) for page in pdf.pages)
        with closing(pypdfium2.PdfDocument(_without_watermarks(pdf, {index for index, _ in found}) or path)) \
                as document:
            texts = _PageTexts(document)
            return tuple(_comment(index, labels[index], annotation, texts, threads.get(annotation.objgen, ()))
                         for index, annotation in found if _parent(annotation, by_id) is None)


def _without_watermarks(pdf: pikepdf.Pdf, pages: set[int]) -> bytes | None:
    """Return pdf with no watermark on the pages given, None when they have none: a draft's text."""
    removed = [remove_watermarks(pdf, pdf.pages[index]) for index in sorted(pages)]
    if not any(removed):
        return None
    saved = io.BytesIO()
    pdf.save(saved)
    return saved.getvalue()


def _parent(annotation: pikepdf.Dictionary, by_id: dict) -> pikepdf.Dictionary | None:
    """Return the comment annotation answers (/IRT), when it is among the comments found."""
    target = annotation.get("/IRT")
    return by_id.get(target.objgen) if isinstance(target, pikepdf.Dictionary) else None


def _threads(found: list, by_id: dict) -> dict[tuple[int, int], tuple[Reply, ...]]:
    """Return the replies of each first comment of a thread, replies to replies included, by date."""
    threads: dict[tuple[int, int], list[Reply]] = {}
    for _, annotation in found:
        root, seen = annotation, {annotation.objgen}
        while (parent := _parent(root, by_id)) is not None and parent.objgen not in seen:
            root = parent
            seen.add(root.objgen)
        if root is not annotation:
            threads.setdefault(root.objgen, []).append(
                Reply(_text(annotation, "/T"), _date(annotation), _text(annotation, "/Contents")))
    return {key: tuple(sorted(replies, key=lambda reply: reply.date)) for key, replies in threads.items()}


def _comment(index: int, label: str, annotation: pikepdf.Dictionary, texts: _PageTexts,
             replies: tuple[Reply, ...]) -> Comment:
    quads = _quads(annotation)
    rect = normalised_rect(annotation.get("/Rect"))
    anchor = quads[0] if quads else rect
    before, after = texts.around(index, ((anchor[0] + anchor[2]) / 2, (anchor[1] + anchor[3]) / 2))
    return Comment(page=index, page_label=label, subtype=str(annotation.Subtype)[1:],
                   author=_text(annotation, "/T"), date=_date(annotation),
                   text=_text(annotation, "/Contents"),
                   quoted=_join_lines(texts.bounded(index, quad) for quad in quads),
                   before=before, after=after, rect=rect, name=_text(annotation, "/NM") or None,
                   replies=replies)


def _quads(annotation: pikepdf.Dictionary) -> tuple[tuple[float, ...], ...]:
    """Return each quadrilateral of /QuadPoints as its bounding box (left, bottom, right, top)."""
    points = annotation.get("/QuadPoints")
    if not isinstance(points, pikepdf.Array):
        return ()
    values = [float(value) for value in points]
    boxes = []
    for start in range(0, len(values) - 7, 8):
        xs, ys = values[start:start + 8:2], values[start + 1:start + 8:2]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    return tuple(boxes)


def _join_lines(lines) -> str:
    """Join the text of consecutive quads, undoing hyphenation at the end of a line."""
    joined = ""
    for line in (line.strip() for line in lines):
        if joined and joined[-1] in _HYPHENS and line[:1].islower():
            joined = joined[:-1] + line
        else:
            joined = f"{joined} {line}".strip()
    return joined


def _text(annotation: pikepdf.Dictionary, key: str) -> str:
    value = annotation.get(key)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip() if value is not None else ""


def _date(annotation: pikepdf.Dictionary) -> str:
    """Return when the comment was written: its creation date, else its last change."""
    raw = _text(annotation, "/CreationDate") or _text(annotation, "/M")
    return pdf_date(raw) or raw


def pdf_date(text: str) -> str | None:
    """Return a PDF date (`D:20240315103000+01'00'`) in ISO 8601, None when it is not one."""
    found = _PDF_DATE.fullmatch(text.strip().rstrip("'"))
    if not found:
        return None
    year, month, day, hour, minute, second, sign, zone_hours, zone_minutes = found.groups()
    zone = None
    if sign in ("Z", "z"):
        zone = datetime.UTC
    elif sign:
        offset = datetime.timedelta(hours=int(zone_hours or 0), minutes=int(zone_minutes or 0))
        zone = datetime.timezone(offset if sign == "+" else -offset)
    try:
        moment = datetime.datetime(int(year), int(month or 1), int(day or 1), int(hour or 0),
                                   int(minute or 0), int(second or 0), tzinfo=zone)
    except ValueError:
        return None
    return moment.isoformat()


class _PageTexts:
    """The text of a document's pages with each character's box, read once per page."""

    def __init__(self, document: pypdfium2.PdfDocument) -> None:
        self.document = document
        self.pages: dict[int, tuple[pypdfium2.PdfTextPage, tuple]] = {}

    def _page(self, index: int) -> tuple[pypdfium2.PdfTextPage, tuple]:
        if index not in self.pages:
            text = self.document[index].get_textpage()
            boxes = tuple(text.get_charbox(char) for char in range(text.count_chars()))
            self.pages[index] = (text, boxes)
        return self.pages[index]

    def bounded(self, index: int, box: tuple[float, ...]) -> str:
        """Return the text inside box, trimmed so the lines above and below do not reach in."""
        left, bottom, right, top = box
        # A reader's highlight covers the whole line height, which touches the next lines.
        inset = (top - bottom) * 0.25
        return self._page(index)[0].get_text_bounded(left, bottom + inset, right, top - inset)

    def around(self, index: int, point: tuple[float, float]) -> tuple[str, str]:
        """Return CONTEXT_CHARS of text before the character nearest to point, and as many from it on."""
        text, boxes = self._page(index)
        nearest = _nearest(boxes, point)
        if nearest is None:
            return "", ""
        start = max(nearest - CONTEXT_CHARS, 0)
        return (text.get_text_range(start, nearest - start) if nearest > start else "",
                text.get_text_range(nearest, min(CONTEXT_CHARS, len(boxes) - nearest)))


_LINE_WEIGHT = 20


def _nearest(boxes: tuple, point: tuple[float, float]) -> int | None:
    """Return the index of the character box nearest to point, None on a page without text."""
    x, y = point
    best, best_distance = None, float("inf")
    for index, (left, bottom, right, top) in enumerate(boxes):
        if right <= left:
            continue  # line breaks pdfium adds have no extent
        # A note in the margin sits beside the line it is about, however short that line is: the
        # height counts far more than the distance across.
        distance = max(left - x, 0, x - right) ** 2 + (_LINE_WEIGHT * max(bottom - y, 0, y - top)) ** 2
        if distance < best_distance:
            best, best_distance = index, distance
    return best
