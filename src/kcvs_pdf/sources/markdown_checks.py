"""Turn a parsed Markdown body into located diagnostics for everything that would not print as written."""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

from markdown_it.token import Token
from PIL import Image, ImageFile

from ..confine import RefusedFile, read_confined
from ..errors import Diagnostics
from ..model import BodyLink, Chart

MAX_DEPTH = 6
"""Lists and block quotes nested deeper than this are an error (markdown-it drops what is nested
past its own limit of 20 token levels, and a list level costs two of them)."""
DECORATIVE = "decoratief"
"""Alt text that declares an image decorative: it carries no information and is left untagged."""
IMAGE_MAX_BYTES = 256 * 1024**2
"""Far more than a camera's largest photo: a larger file is a mistake."""
_LINK_SCHEMES = ("http", "https", "mailto")
_CONTAINERS = {"blockquote_open": "blockquote_close", "bullet_list_open": "bullet_list_close",
               "ordered_list_open": "ordered_list_close"}
# Markers that open a quote or list item at the start of a line, in the order they nest.
_MARKER = re.compile(r"[ \t]*(>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))")
# What the parser leaves as text when a footnote, image or link was not recognised.
_LEFTOVERS = re.compile(r"(?P<footnote>\[\^[^\]\s]+\])|(?P<image>!\[)"
                        r"|(?P<link>\]\(|\]\[|\][ \t]+\((?=https?:|mailto:|#|www\.))")
_PIPE = re.compile(r"(?<!\\)\|")
_SVG_HREFS = ("href", "{http://www.w3.org/1999/xlink}href")
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]+)")
_CODE_SPAN = re.compile(r"`+[^`]*`+")
_CSS_URL = re.compile(r"url\(([^)]*)\)")
_CSS_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;}]+)")


@dataclass(frozen=True)
class BodyFile:
    """The body's lines and where they stand in the section file, for locating problems."""

    path: Path
    first_line: int
    """File line of body row 0."""
    lines: tuple[str, ...]
    diagnostics: Diagnostics

    def column(self, row: int, snippet: str, opener: str = "") -> int:
        """Return the 1-based column of snippet on row (or of the opener before it), else 1."""
        line = self.lines[row] if row < len(self.lines) else ""
        found = line.find(snippet)
        if found < 0:
            return 1
        if opener:
            found = max(line.rfind(opener, 0, found), 0)
        return found + 1

    def error(self, row: int, column: int, message: str, code: str) -> None:
        self.diagnostics.error(self.path, self.first_line + row, column, message, code)

    def warning(self, row: int, column: int, message: str, code: str) -> None:
        self.diagnostics.warning(self.path, self.first_line + row, column, message, code)


def check_body(tokens: list[Token], env: dict, body: BodyFile, sources: Path) -> tuple[BodyLink, ...]:
    """Record every problem in the parsed body; return its links with their locations.

    Images that pass get `meta["file"]`, decorative ones also `meta["decorative_size"]` (CSS px).
    """
    links: list[BodyLink] = []
    _check_depth(tokens, body)
    _check_footnote_definitions(env, body)
    _check_heading_levels(tokens, body)
    for index, token in enumerate(tokens):
        if token.type == "html_block":
            _report_html(token.content, body, token.map[0], 1)
        elif token.type == "table_open":
            _check_table_rows(tokens, index, body)
        elif token.type == "inline" and token.map:
            if tokens[index - 1].type == "paragraph_open":
                _check_raw_table(token, body)
            _check_inline(token, body, sources, links)
    _check_references(tokens, env, body)
    return tuple(links)


def _check_inline(token: Token, body: BodyFile, sources: Path, links: list[BodyLink]) -> None:
    row = token.map[0]
    children = token.children or []
    for index, child in enumerate(children):
        if child.type in ("softbreak", "hardbreak"):
            row += 1
        elif child.type == "html_inline" and not child.content.startswith("</"):
            _report_html(child.content, body, row, body.column(row, child.content))
        elif child.type == "image":
            src = child.attrGet("src") or ""
            _check_image(child, body, row, body.column(row, "](" + src, "!["), sources)
        elif child.type == "link_open":
            href = child.attrGet("href") or ""
            column = body.column(row, "<" + href) if child.markup == "autolink" else \
                body.column(row, "](" + href, "[")
            words = _link_words(children[index + 1:])
            _check_link(href, body, row, column)
            _check_link_text(href, words, body, row, column)
            links.append(BodyLink(href, body.first_line + row, column, words))
        elif child.type == "text":
            _check_leftovers(child.content, body, row)


def _check_heading_levels(tokens: list[Token], body: BodyFile) -> None:
    """Refuse a heading that skips a level: screen readers navigate by them and read a gap as
    something missing, and PDF/UA-1 forbids it (veraPDF's 7.4.2-1), so a warning would leave a
    PDF that claims what it is not. The section's title is the level above `#`."""
    level = 0
    for token in tokens:
        if token.type != "heading_open":
            continue
        written = int(token.tag[1])
        if written > level + 1:
            before = "the section title" if level == 0 else f"'{'#' * level}'"
            body.error(token.map[0], 1, f"this heading ('{'#' * written}') skips a level: after {before} "
                       f"comes '{'#' * (level + 1)}'", "markdown.heading-skip")
        level = written


def _link_words(following: list[Token]) -> str:
    """Return the words of the link that `following` starts inside, as they are read."""
    end = next((i for i, token in enumerate(following) if token.type == "link_close"), len(following))
    return " ".join("".join(token.content if token.type in ("text", "code_inline") else
                            " " if token.type in ("softbreak", "hardbreak") else ""
                            for token in following[:end]).split())


def _check_link_text(href: str, words: str, body: BodyFile, row: int, column: int) -> None:
    """Warn when a link's words are its bare address: a listener hears a string of letters and
    slashes instead of where the link leads."""
    bare = words.removesuffix("/")
    if bare and bare in {href.removesuffix("/"), href.split("://", 1)[-1].removesuffix("/"),
                         href.removeprefix("mailto:")} and not href.startswith("mailto:"):
        body.warning(row, column, f"the link's text is its address ('{words}'): write what it "
                     "leads to, e.g. [het verslag op de website](https://…)", "markdown.link-text")


def _report_html(content: str, body: BodyFile, row: int, column: int) -> None:
    snippet = content.strip().splitlines()[0][:40]
    body.error(row, column, f"raw HTML '{snippet}' is not allowed: use Markdown instead "
               "(**bold**, *italic*, [link](https://…))", "markdown.raw-html")


def _check_link(href: str, body: BodyFile, row: int, column: int) -> None:
    scheme = urlsplit(href).scheme.lower()
    if href.startswith("#") or scheme in _LINK_SCHEMES:
        return
    body.error(row, column, f"link to '{href}' is not allowed: links must start with "
               "https://, http://, mailto: or # (a place in this report)", "markdown.link")


def _check_image(token: Token, body: BodyFile, row: int, column: int, sources: Path) -> None:
    src = token.attrGet("src") or ""
    alt = token.content.strip()
    if not alt:
        body.error(row, column, f"image '{src}' has no alt text: describe it between the brackets, "
                   f"![like this](image.png), or write ![{DECORATIVE}]({src}) if it only decorates",
                   "markdown.image-alt")
    elif alt.lower() == DECORATIVE and token.attrGet("title"):
        body.error(row, column, f"image '{src}' is marked decorative but has a caption: describe it "
                   "instead of writing 'decoratief', or remove the caption", "markdown.image-alt")
    target = _image_file(src, body, row, column, sources)
    if target is None:
        return
    problem = _unreadable(target, sources)
    if problem:
        body.error(row, column, f"image '{src}' cannot be read ({problem}): save it as PNG, JPEG or SVG",
                   "markdown.image-unreadable")
        return
    if target.suffix.lower() == ".svg":
        root = ElementTree.parse(target).getroot()
        for reference in _svg_references(root):
            _check_svg_reference(src, reference, target, body, row, column, sources)
        token.meta["chart"] = Chart(target, body.first_line + row, column, _svg_fonts(root),
                                    " ".join(text for text in root.itertext() if text.strip()))
    token.meta["file"] = target
    if alt.lower() == DECORATIVE:
        # Printed as a background (an untagged artifact), which needs the image's proportions.
        size = image_size(target)
        if size is None:
            body.error(row, column, f"image '{src}' cannot be read: save it as PNG, JPEG or SVG",
                       "markdown.image-unreadable")
        token.meta["decorative_size"] = size


def _image_file(src: str, body: BodyFile, row: int, column: int, sources: Path) -> Path | None:
    """Return the existing file inside sources/ that src names, or record why there is none."""
    if urlsplit(src).scheme or src.startswith("/"):
        body.error(row, column, f"image '{src}' must be a file inside sources/, given as a path "
                   "relative to this file", "markdown.image-outside")
        return None
    # realpath, not resolve(): a link loop is the reading's to report, not an exception here.
    target = Path(os.path.realpath(body.path.parent / unquote(src)))
    if not target.is_relative_to(sources.resolve()):
        body.error(row, column, f"image '{src}' is outside sources/: copy it into sources/ and "
                   "link to the copy", "markdown.image-outside")
        return None
    if not target.exists():
        shown = target.relative_to(sources.resolve().parent).as_posix()
        body.error(row, column, f"image '{src}' does not exist (looked for {shown})",
                   "markdown.image-missing")
        return None
    return target


def _svg_references(root: ElementTree.Element) -> list[str]:
    """Return the files and addresses an SVG draws from: its links and its CSS url()s."""
    references = []
    for element in root.iter():
        texts = list(element.attrib.values()) + ([element.text or ""] if element.tag.endswith("style") else [])
        # A link (<a>) is followed by whoever reads the PDF, never fetched to render it.
        if element.tag.rpartition("}")[2] != "a":
            references += [value for name, value in element.attrib.items() if name.rsplit("}", 1)[-1] == "href"]
        references += [url.strip("'\" ") for text in texts for url in _CSS_URL.findall(text)]
    return list(dict.fromkeys(reference.strip() for reference in references))


def _svg_fonts(root: ElementTree.Element) -> tuple[tuple[str, ...], ...]:
    """Return each font-family an SVG names (attribute, style or stylesheet), as its families."""
    values = []
    for element in root.iter():
        values += [element.get("font-family", "")]
        styles = [element.get("style", ""), *([element.text or ""] if element.tag.endswith("style") else [])]
        values += [value for style in styles for value in _CSS_FONT_FAMILY.findall(style)]
    families = (tuple(name.strip(" '\"") for name in value.split(",") if name.strip(" '\"")) for value in values)
    return tuple(dict.fromkeys(family for family in families if family))


def _check_svg_reference(src: str, reference: str, svg: Path, body: BodyFile, row: int, column: int,
                         sources: Path) -> None:
    """Record an error for a file or address an SVG draws from that the build may not read."""
    if reference.startswith(("#", "data:")) or not reference:
        return  # a part of the picture itself, or embedded in it
    target = (svg.parent / unquote(reference)).resolve()
    if urlsplit(reference).scheme or reference.startswith("/") or not target.is_relative_to(sources.resolve()):
        body.error(row, column, f"image '{src}' draws from '{reference}', outside sources/: the build "
                   "reads nothing else; embed it in the picture, or copy it into sources/ and refer to "
                   "it relative to the picture", "markdown.image-outside")
    elif not target.is_file():
        shown = target.relative_to(sources.resolve().parent).as_posix()
        body.error(row, column, f"image '{src}' draws from '{reference}', which does not exist "
                   f"(looked for {shown})", "markdown.image-missing")


def _unreadable(path: Path, sources: Path) -> str:
    """Return why the image file cannot be printed ('' when it decodes), read as confined as any source."""
    try:
        data = read_confined(path, (sources,), IMAGE_MAX_BYTES)
    except RefusedFile as refused:
        return refused.message
    try:
        if path.suffix.lower() == ".svg":
            root = ElementTree.fromstring(data)
            return "" if root.tag.endswith("svg") else "it is XML, but not an SVG picture"
        with warnings.catch_warnings():
            # Large photos are welcome: the build downsamples them to the printed size.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
            # verify() reads no pixels: damaged picture data only fails when it is decoded, and
            # the renderer would print what it could decode without a word.
            with _truncation_fails(), Image.open(io.BytesIO(data)) as image:
                if image.format == "JPEG":
                    image.draft(image.mode, (image.width // 8, image.height // 8))  # all data, an 8th of the work
                image.load()
    except Image.DecompressionBombError:
        return "it has far too many pixels to print"
    except ElementTree.ParseError:
        return "it is not a valid SVG file"
    except OSError as error:
        if "truncated" in str(error):
            return "it stops halfway, as after an interrupted copy or download; copy it again"
        return "it is not a picture in a format that can be read, or it is damaged"
    except Exception:  # noqa: BLE001 (Pillow raises many kinds of errors on a damaged file)
        return "it is not a picture in a format that can be read, or it is damaged"
    return ""


@contextlib.contextmanager
def _truncation_fails():
    """Let Pillow fail on a truncated picture: WeasyPrint, once imported, tells it to pad it instead."""
    padded = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = padded


def image_size(path: Path) -> tuple[float, float] | None:
    """Return the size of a raster or SVG image in CSS pixels, or None if it cannot be read."""
    try:
        if path.suffix.lower() == ".svg":
            return _svg_size(ElementTree.parse(path).getroot())
        with Image.open(path) as image:
            return float(image.width), float(image.height)
    except (OSError, ElementTree.ParseError, Image.DecompressionBombError, ValueError):
        return None


_CSS_PX = {"px": 1.0, "": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


def _svg_size(root: ElementTree.Element) -> tuple[float, float] | None:
    """Return an SVG's width and height as a browser sizes it (a missing one follows the viewBox)."""
    if not root.tag.endswith("svg"):
        return None
    box = [float(v) for v in re.split(r"[\s,]+", root.get("viewBox", "").strip()) if v]
    ratio = box[3] / box[2] if len(box) == 4 and box[2] > 0 else None
    width, height = _svg_length(root.get("width")), _svg_length(root.get("height"))
    if width is None and height is None:
        width, height = (box[2], box[3]) if ratio else (300.0, 150.0)
    elif height is None:
        height = width * ratio if ratio else 150.0
    elif width is None:
        width = height / ratio if ratio else 300.0
    return (width, height) if width > 0 and height > 0 else None


def _svg_length(value: str | None) -> float | None:
    length = re.fullmatch(r"\s*([\d.]+)\s*(px|pt|pc|mm|cm|in|)\s*", value or "")
    return float(length[1]) * _CSS_PX[length[2]] if length else None


def _check_leftovers(text: str, body: BodyFile, row: int) -> None:
    """Warn about Markdown the parser left as literal text (it would print as typed)."""
    seen = set()
    for match in _LEFTOVERS.finditer(text):
        kind = match.lastgroup
        if kind in seen or (kind == "link" and "image" in seen):
            continue  # one warning per kind and line says enough; an image's '](' is the image's
        line = body.lines[row] if row < len(body.lines) else ""
        found = line.find(match.group())
        if found < 0 or line[found - 1:found] == "\\":
            continue  # written with backslashes or entities: the author meant it literally
        seen.add(kind)
        if kind == "link":
            found = max(line.rfind("[", 0, found), 0)  # point at the link's start, where it reads
        message, code = _LEFTOVER_MESSAGES[kind]
        body.warning(row, found + 1, message.format(match.group()), code)


_LEFTOVER_MESSAGES = {
    "footnote": ("footnote {0} has no text and prints as typed: add a line '{0}: text of the note' "
                 "below the paragraph, or remove the reference", "markdown.footnote-undefined"),
    "image": ("this image was not recognised and prints as typed: write ![description](file.png), "
              "with nothing between ] and (", "markdown.image-malformed"),
    "link": ("this link was not recognised and prints as typed: write [text](https://…), with "
             "nothing between ] and (, no spaces in the address (write %20) and a closing )",
             "markdown.link-malformed"),
}


def _check_raw_table(token: Token, body: BodyFile) -> None:
    """Warn about a paragraph with table rows that did not become a table."""
    for offset, text in enumerate(token.content.splitlines()):
        cells = _PIPE.split(_CODE_SPAN.sub("", text).strip())
        if len(cells) >= 3 or (len(cells) == 2 and not all(cells)):
            row = token.map[0] + offset
            body.warning(row, body.column(row, "|"), "this line looks like a table row but prints "
                         "as typed: a table needs a header row, then a line like | --- | --- | "
                         "with one --- per column, then its rows, and a blank line before it",
                         "markdown.raw-table")
            return


def _check_table_rows(tokens: list[Token], start: int, body: BodyFile) -> None:
    """Warn about rows with more cells than the header: the parser drops the extra cells."""
    columns = 0
    for token in tokens[start:]:
        if token.type == "th_open":
            columns += 1
        elif token.type == "tr_open" and columns and token.map:
            row = token.map[0]
            line = re.sub(r"^[\s>]*", "", body.lines[row])
            cells = _PIPE.split(line.strip())
            cells = cells[1 if cells[0] == "" else 0:len(cells) - 1 if cells[-1] == "" else None]
            if len(cells) > columns:
                extra = "|".join(cells[columns:]).strip()
                body.warning(row, body.column(row, extra), f"this row has {len(cells)} cells but "
                             f"the header has {columns}, so '{extra[:40]}' is not printed: add a "
                             "column to the header or remove the extra cells", "markdown.table-cells")
        elif token.type == "table_close":
            return


def _check_depth(tokens: list[Token], body: BodyFile) -> None:
    """Report the first list or quote nested deeper than MAX_DEPTH on each branch."""
    stack: list[Token] = []
    for token in tokens:
        if token.type in _CONTAINERS:
            stack.append(token)
            if len(stack) == MAX_DEPTH + 1:
                row = token.map[0]
                body.error(row, _marker_column(body.lines[row], _marker_index(stack, row)),
                           f"lists and quotes are nested {MAX_DEPTH + 1} deep here; at most "
                           f"{MAX_DEPTH} levels print: indent less, or split the list",
                           "markdown.too-deep")
        elif stack and token.type == _CONTAINERS[stack[-1].type]:
            stack.pop()


def _marker_index(stack: list[Token], row: int) -> int:
    """Return which of the line's '>' and list markers opens the last container in stack."""
    # A quote opened on an earlier line repeats its '>' on this line; a list only indents.
    earlier_quotes = sum(1 for t in stack if t.map[0] < row and t.type == "blockquote_open")
    return earlier_quotes + sum(1 for t in stack[:-1] if t.map[0] == row)


def _marker_column(line: str, index: int) -> int:
    position = 0
    for _ in range(index + 1):
        marker = _MARKER.match(line, position)
        if marker is None:
            return 1
        position = marker.end()
    return marker.start(1) + 1


def _check_references(tokens: list[Token], env: dict, body: BodyFile) -> None:
    """Warn about link targets ('[label]: address' lines) no link uses: such a line prints nothing."""
    used = {child.attrGet("href") or child.attrGet("src") for token in tokens
            for child in token.children or () if child.type in ("link_open", "image")}
    for reference in env.get("references", {}).values():
        if reference["href"] not in used:
            row = reference.get("map", (0,))[0]
            body.warning(row, body.column(row, "["), "this line does not print: Markdown reads "
                         "'[label]: address' as the target of links written [text][label], and no "
                         "link uses it; remove the line, or start it with a word",
                         "markdown.unused-reference")


def _check_footnote_definitions(env: dict, body: BodyFile) -> None:
    """Warn about footnote texts that do not print: never referenced, or replaced by a later one."""
    refs = env.get("footnotes", {}).get("refs", {})
    first_rows: dict[str, int] = {}
    for label, row in env.get("footnote_rows", ()):
        column = body.column(row, f"[^{label}]:")
        if label in first_rows:
            body.warning(row, column, f"footnote [^{label}] is defined again here (first at line "
                         f"{body.first_line + first_rows[label]}) and only this text prints: give "
                         "one of them another label", "markdown.footnote-duplicate")
        elif refs.get(":" + label, -1) < 0:
            body.warning(row, column, f"footnote [^{label}] is never referenced, so its text does not "
                         f"print: add [^{label}] in the text where the note belongs, or remove it",
                         "markdown.footnote-unused")
        first_rows.setdefault(label, row)
