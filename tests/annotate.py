"""Add comments to a PDF the way PDF readers write them (Acrobat, Preview, Okular), for tests."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pypdfium2
from pikepdf import Array, Dictionary, Name, String


def find_words(path: Path, page: int, words: str, occurrence: int = 1) -> tuple[tuple[float, ...], ...]:
    """Return a box (left, bottom, right, top) per line of the occurrence of words on page.

    Boxes are the characters' loose boxes (the line height), as a reader's text selection is. The
    words may be broken over two lines by the layout's hyphenation.
    """
    document = pypdfium2.PdfDocument(path)
    try:
        text = document[page].get_textpage()
        broken = r"(?:[\u2010\u00ad-]?\r?\n)?".join(re.escape(ch) if ch != " " else r"\s+" for ch in words)
        found = list(re.finditer(broken, text.get_text_range()))
        assert len(found) >= occurrence, f"'{words}' (occurrence {occurrence}) is not on page {page}"
        start, count = found[occurrence - 1].start(), len(found[occurrence - 1].group())
        lines: dict[float, list] = {}
        for index in range(start, start + count):
            left, bottom, right, top = text.get_charbox(index, loose=True)
            if right > left:
                lines.setdefault(round(top), []).append((left, bottom, right, top))
        return tuple((min(b[0] for b in boxes), min(b[1] for b in boxes),
                      max(b[2] for b in boxes), max(b[3] for b in boxes))
                     for _, boxes in sorted(lines.items(), reverse=True))
    finally:
        document.close()


def quad_points(boxes) -> list[float]:
    """Return /QuadPoints for boxes in the order Acrobat writes them: top left, top right, bottom left, bottom right."""
    return [value for left, bottom, right, top in boxes
            for value in (left, top, right, top, left, bottom, right, bottom)]


def bounding(boxes) -> list[float]:
    return [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]


class Annotator:
    """Open a PDF, add annotations to its pages, save it over itself."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pdf = pikepdf.open(path, allow_overwriting_input=True)

    def _add(self, page: int, fields: dict, popup: bool = True) -> Dictionary:
        annotation = self.pdf.make_indirect(Dictionary(Type=Name.Annot, F=4, **fields))
        target = self.pdf.pages[page]
        if "/Annots" not in target.obj:
            target.obj.Annots = Array()
        target.obj.Annots.append(annotation)
        if popup:
            # Acrobat and Preview pair each comment with a /Popup window; it is not a comment itself.
            x1, y1, x2, y2 = (float(v) for v in annotation.Rect)
            window = self.pdf.make_indirect(Dictionary(
                Type=Name.Annot, Subtype=Name.Popup, Rect=Array([x2, y2 - 80, x2 + 180, y2]),
                Parent=annotation, Open=False, F=28))
            annotation.Popup = window
            target.obj.Annots.append(window)
        return annotation

    def sticky_note(self, page: int, at: tuple[float, float], contents: str, author: str, when: str,
                    name: str | None = None) -> Dictionary:
        """Acrobat's sticky note: a 20 pt /Text icon with /M, /CreationDate and /NM."""
        x, y = at
        fields = dict(Subtype=Name.Text, Rect=Array([x, y - 20, x + 20, y]), Contents=String(contents),
                      T=String(author), M=String(when), CreationDate=String(when), Name=Name.Comment,
                      C=Array([1, 0.82, 0]), Open=False)
        if name:
            fields["NM"] = String(name)
        return self._add(page, fields)

    def text_markup(self, subtype: str, page: int, boxes, contents: str, author: str, when: str,
                    name: str | None = None, creation: bool = True) -> Dictionary:
        """Highlight, underline, squiggly or strike-out over boxes, with /QuadPoints.

        Preview writes /M only (creation=False); Acrobat both /M and /CreationDate.
        """
        fields = dict(Subtype=Name(f"/{subtype}"), Rect=Array(bounding(boxes)),
                      QuadPoints=Array(quad_points(boxes)), Contents=String(contents), T=String(author),
                      M=String(when), C=Array([1, 1, 0]))
        if creation:
            fields["CreationDate"] = String(when)
        if name:
            fields["NM"] = String(name)
        return self._add(page, fields)

    def free_text(self, page: int, rect: list[float], contents: str, author: str, when: str,
                  name: str) -> Dictionary:
        """Okular's typewriter text box: /FreeText with /DA, no popup."""
        return self._add(page, dict(Subtype=Name.FreeText, Rect=Array(rect), Contents=String(contents),
                                    T=String(author), M=String(when), NM=String(name),
                                    DA=String("0 0 0 rg /Helv 10 Tf")), popup=False)

    def ink(self, page: int, rect: list[float], contents: str, author: str, when: str) -> Dictionary:
        """A free-hand stroke around rect: /Ink with one /InkList path."""
        left, bottom, right, top = rect
        stroke = Array([left, bottom, right, bottom, right, top, left, top, left, bottom])
        return self._add(page, dict(Subtype=Name.Ink, Rect=Array(rect), InkList=Array([stroke]),
                                    Contents=String(contents), T=String(author), M=String(when)))

    def reply(self, parent: Dictionary, page: int, contents: str, author: str, when: str) -> Dictionary:
        """A reply in the comment thread: a hidden /Text note with /IRT pointing at parent."""
        return self._add(page, dict(Subtype=Name.Text, Rect=parent.Rect, Contents=String(contents),
                                    T=String(author), M=String(when), CreationDate=String(when),
                                    IRT=parent, RT=Name.R, Name=Name.Comment), popup=False)

    def save(self) -> None:
        # A full rewrite renumbers every object, as Preview's save does.
        self.pdf.save(self.path)
        self.pdf.close()
