"""Turn a section's Markdown body into safe HTML and plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from ..errors import Diagnostics
from ..model import BodyLink, Chart, Footnote, Paragraph
from .markdown_checks import BodyFile, check_body

__all__ = ["MarkdownBody", "render_markdown"]

HEADING_OFFSET = 2
"""Levels above a section's own headings: the chapter (h1) and the section title (h2)."""

# A cell that holds one amount: 1.383.572,80 · 12 % · € 3.500 · -4,5
_NUMBER = re.compile(r"[€$£]?\s?[-+−]?\d[\d.\u00a0\u202f ]*(,\d+)?\s?[%‰€]?")
_PLACEHOLDERS = ("", "-", "–", "—")
# The ids _note_id and _reference_id write: slugs never hold "--", so the prefix cannot either.


@dataclass(frozen=True)
class MarkdownBody:
    """A body rendered for the layout and for checking the PDF."""

    html: str
    paragraphs: tuple[Paragraph, ...]
    links: tuple[BodyLink, ...]
    anchors: tuple[str, ...] = ()
    """Ids the body defines: its footnotes and the references to them."""
    footnotes: tuple[Footnote, ...] = ()
    charts: tuple[Chart, ...] = ()
    """Its SVG pictures, with the fonts and text they draw."""

    @property
    def text(self) -> str:
        """Return the body as plain text, one blank line between blocks."""
        return "\n\n".join(paragraph.text for paragraph in self.paragraphs)


def render_markdown(source: str, path: Path, first_line: int, sources: Path,
                    diagnostics: Diagnostics, *, id_prefix: str) -> MarkdownBody:
    """Render source (which starts on file line `first_line`), recording what would not print as written.

    Every id the body defines starts with `id_prefix` (the section's slug), so that the footnotes
    of all sections can share the report's one HTML document.
    """
    parser = _parser()
    env: dict = {}
    tokens = parser.parse(source, env)
    body = BodyFile(path, first_line, tuple(source.splitlines()), diagnostics)
    links = check_body(tokens, env, body, sources)
    _shape_tables(tokens)
    tokens = _with_figures(tokens)
    html = parser.renderer.render(tokens, parser.options, {"id_prefix": escapeHtml(id_prefix)})
    charts = tuple(child.meta["chart"] for token in tokens for child in token.children or ()
                   if "chart" in child.meta)
    return MarkdownBody(html=html, paragraphs=_paragraphs(tokens, first_line), links=links,
                        anchors=_anchors(tokens, escapeHtml(id_prefix)),
                        footnotes=_footnotes(tokens, escapeHtml(id_prefix)), charts=charts)


def _anchors(tokens: list[Token], prefix: str) -> tuple[str, ...]:
    """Return the ids the rendered body has: each footnote's and each reference's to it."""
    ids = []
    for token in tokens:
        if token.type == "footnote_open":
            ids.append(_note_id(prefix, token.meta["id"] + 1))
        ids.extend(_reference_id(prefix, child.meta["id"] + 1, child.meta.get("subId", 0))
                   for child in token.children or () if child.type == "footnote_ref")
    return tuple(ids)


def _footnotes(tokens: list[Token], prefix: str) -> tuple[Footnote, ...]:
    numbers = [token.meta["id"] + 1 for token in tokens if token.type == "footnote_open"]
    return tuple(Footnote(number, _note_id(prefix, number), _reference_id(prefix, number)) for number in numbers)


def _note_id(prefix: str, number: int) -> str:
    return f"{prefix}--fn-{number}"


def _reference_id(prefix: str, number: int, later: int = 0) -> str:
    return f"{prefix}--fnref-{number}" + (f"-{later + 1}" if later else "")


def _parser() -> MarkdownIt:
    # Raw HTML is recognised, so it can be reported where it stands, and rendered escaped, so
    # nothing an author typed reaches the renderer as markup. Every link is accepted by the
    # parser, so the check sees exactly the links and images that are rendered.
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    # Inline notes (^[…]) are left out: one way to write a footnote is enough.
    parser.use(footnote_plugin, inline=False)
    parser.core.ruler.before("footnote_tail", "footnote_rows", _record_footnote_rows)
    parser.validateLink = lambda url: True
    for name, rule in _RULES.items():
        parser.add_render_rule(name, rule)
    return parser


def _record_footnote_rows(state: StateCore) -> None:
    """Note where each footnote is defined, before the plugin moves definitions to the end."""
    state.env["footnote_rows"] = [(token.meta["label"], token.map[0]) for token in state.tokens
                                  if token.type == "footnote_reference_open"]


def _escaped(renderer, tokens: list[Token], index: int, options, env) -> str:
    return escapeHtml(tokens[index].content)


def _image(renderer, tokens: list[Token], index: int, options, env) -> str:
    """Render an image from the file the check found: an <img>, or a decorative background."""
    token = tokens[index]
    if "file" in token.meta:
        token.attrSet("src", token.meta["file"].as_uri())
    size = token.meta.get("decorative_size")
    if size is None:
        return renderer.image(tokens, index, options, env)
    # A background is drawn as an artifact, outside the tag tree, as decoration must be; the
    # padding gives the box the image's proportions at up to its natural width.
    width, height = size
    return (f'<span class="decorative" role="presentation" style="width: {width:.0f}px">'
            f'<span style="padding-top: {100 * height / width:.3f}%; background-image: '
            f'url(\'{escapeHtml(token.attrGet("src"))}\')"></span></span>')


def _footnote_ref(renderer, tokens: list[Token], index: int, options, env) -> str:
    number, later = tokens[index].meta["id"] + 1, tokens[index].meta.get("subId", 0)
    return (f'<sup class="footnote-ref"><a href="#{_note_id(env["id_prefix"], number)}" '
            f'id="{_reference_id(env["id_prefix"], number, later)}">{number}</a></sup>')


def _footnote_open(renderer, tokens: list[Token], index: int, options, env) -> str:
    return f'<li id="{_note_id(env["id_prefix"], tokens[index].meta["id"] + 1)}">'


def _footnote_backref(renderer, tokens: list[Token], index: int, options, env) -> str:
    """Link back to the note's first reference; print needs no arrow per later reference."""
    meta = tokens[index].meta
    if meta["subId"]:
        return ""
    return f' <a class="footnote-backref" href="#{_reference_id(env["id_prefix"], meta["id"] + 1)}">↩</a>'


def _heading(renderer, tokens: list[Token], index: int, options, env) -> str:
    """Render `#` as h3: in the layout a section's title is h2 under its chapter's h1."""
    token = tokens[index]
    level = min(int(token.tag[1]) + HEADING_OFFSET, 6)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


_RULES = {
    "heading_open": _heading,
    "heading_close": _heading,
    "html_block": _escaped,
    "html_inline": _escaped,
    "image": _image,
    "footnote_ref": _footnote_ref,
    "footnote_block_open": lambda renderer, *args: '<section class="footnotes">\n<ol>\n',
    "footnote_block_close": lambda renderer, *args: "</ol>\n</section>\n",
    "footnote_open": _footnote_open,
    "footnote_close": lambda renderer, *args: "</li>\n",
    "footnote_anchor": _footnote_backref,
}


def _shape_tables(tokens: list[Token]) -> None:
    """Give header cells their scope and mark cells that hold numbers (the layout aligns them)."""
    rows: list[list[tuple[Token, str]]] = []
    for index, token in enumerate(tokens):
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            rows[-1].append((token, _inline_text(tokens[index + 1]).strip()))
            if token.type == "th_open":
                token.attrSet("scope", "col")
        elif token.type == "table_close":
            _mark_numbers(rows)
            rows = []


def _mark_numbers(rows: list[list[tuple[Token, str]]]) -> None:
    header, *body = rows
    for column, (head, _) in enumerate(header):
        cells = [row[column] for row in body]
        numbers = [_NUMBER.fullmatch(text) is not None for _, text in cells]
        # A column of numbers (gaps written as – allowed) aligns as a whole, its header too.
        whole = any(numbers) and all(number or text in _PLACEHOLDERS
                                     for number, (_, text) in zip(numbers, cells, strict=True))
        marked = [head] if whole else []
        marked += [cell for number, (cell, _) in zip(numbers, cells, strict=True) if number or whole]
        for cell in marked:
            cell.attrJoin("class", "num")


def _with_figures(tokens: list[Token]) -> list[Token]:
    """Return tokens with each paragraph that is one captioned image turned into a figure, each
    that is one decorative image unwrapped (it is a block of its own, not text), and each that is
    one other image marked as a picture."""
    shaped: list[Token] = []
    index = 0
    while index < len(tokens):
        image = _lone_image(tokens[index:index + 3])
        if image is not None and image.attrGet("title"):
            shaped.extend(_figure(tokens[index + 1]))
        elif image is not None and "decorative_size" in image.meta:
            shaped.append(tokens[index + 1])
        else:
            if image is not None:
                # A picture alone in its paragraph: the layout does not indent it past the column.
                tokens[index].attrSet("class", "picture")
            shaped.append(tokens[index])
            index += 1
            continue
        index += 3
    return shaped


def _lone_image(tokens: list[Token]) -> Token | None:
    """Return the image when tokens are a paragraph holding only that image."""
    if [token.type for token in tokens] != ["paragraph_open", "inline", "paragraph_close"]:
        return None
    children = tokens[1].children or []
    return children[0] if len(children) == 1 and children[0].type == "image" else None


def _figure(inline: Token) -> list[Token]:
    image = inline.children[0]
    caption = image.attrGet("title")
    del image.attrs["title"]  # the caption says it in print; a tooltip would repeat it
    text = Token("text", "", 0, content=caption)
    return [Token("figure_open", "figure", 1, block=True), inline,
            Token("figcaption_open", "figcaption", 1, block=True),
            Token("inline", "", 0, map=inline.map, content=caption, children=[text]),
            Token("figcaption_close", "figcaption", -1, block=True),
            Token("figure_close", "figure", -1, block=True)]


def _paragraphs(tokens: list[Token], first_line: int) -> tuple[Paragraph, ...]:
    blocks = (Paragraph(first_line + token.map[0], _inline_text(token))
              for token in tokens if token.type == "inline" and token.map)
    return tuple(block for block in blocks if block.text.strip())


def _inline_text(token: Token) -> str:
    return "".join(_child_text(child) for child in token.children or ())


def _child_text(token: Token) -> str:
    if token.type in ("softbreak", "hardbreak"):
        return " "
    if token.type == "footnote_ref":
        return str(token.meta["id"] + 1)
    return token.content if token.type in ("text", "code_inline") else ""
