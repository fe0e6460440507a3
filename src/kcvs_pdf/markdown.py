"""Turn a section's Markdown body into safe HTML and plain text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from .errors import Diagnostics

_LINK_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True)
class Paragraph:
    """One block of body text (paragraph, list item, heading) with the file line it starts on."""

    line: int
    text: str


@dataclass(frozen=True)
class BodyLink:
    """A link written in the body text, where it stands in the file."""

    url: str
    line: int
    column: int


@dataclass(frozen=True)
class MarkdownBody:
    """A body rendered for the layout and for checking the PDF."""

    html: str
    paragraphs: tuple[Paragraph, ...]
    links: tuple[BodyLink, ...]

    @property
    def text(self) -> str:
        """Return the body as plain text, one blank line between blocks."""
        return "\n\n".join(paragraph.text for paragraph in self.paragraphs)


def render_markdown(source: str, path: Path, first_line: int, sources: Path,
                    diagnostics: Diagnostics) -> MarkdownBody:
    """Render source (which starts on file line `first_line`), recording unsafe constructs."""
    # Raw HTML is recognised, so it can be reported where it stands, and rendered escaped, so
    # nothing an author typed reaches the renderer as markup. Every link is accepted by the
    # parser, so the check sees exactly the links and images that are rendered.
    parser = MarkdownIt("commonmark", {"html": True})
    parser.validateLink = lambda url: True
    for rule in ("html_block", "html_inline"):
        parser.add_render_rule(rule, _escaped)
    tokens = parser.parse(source)
    links: list[BodyLink] = []
    _check(tokens, source.splitlines(), path, first_line, sources, diagnostics, links)
    _absolutise_images(tokens, path)
    html = parser.renderer.render(tokens, parser.options, {})
    return MarkdownBody(html=html, paragraphs=_paragraphs(tokens, first_line), links=tuple(links))


def _escaped(renderer, tokens: list[Token], index: int, options, env) -> str:
    return escapeHtml(tokens[index].content)


def _check(tokens: list[Token], lines: list[str], path: Path, first_line: int, sources: Path,
           diagnostics: Diagnostics, links: list[BodyLink]) -> None:
    for token in tokens:
        if token.type == "html_block":
            _report_html(token.content, path, first_line + token.map[0], 1, diagnostics)
        if not token.children:
            continue
        row = token.map[0] if token.map else 0
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                row += 1
                continue
            if child.type == "html_inline" and not child.content.startswith("</"):
                _report_html(child.content, path, first_line + row,
                             _column(lines, row, child.content), diagnostics)
            elif child.type == "image":
                src = child.attrGet("src") or ""
                _check_image(child, path, first_line + row, _column(lines, row, "](" + src, "!["),
                             sources, diagnostics)
            elif child.type == "link_open":
                href = child.attrGet("href") or ""
                column = _column(lines, row, "](" + href, "[")
                _check_link(href, path, first_line + row, column, diagnostics)
                links.append(BodyLink(href, first_line + row, column))


def _column(lines: list[str], row: int, snippet: str, opener: str = "") -> int:
    """Return the 1-based column of snippet on line row (or of the opener before it), else 1."""
    line = lines[row] if row < len(lines) else ""
    found = line.find(snippet)
    if found < 0:
        return 1
    if opener:
        found = max(line.rfind(opener, 0, found), 0)
    return found + 1


def _report_html(content: str, path: Path, line: int, column: int, diagnostics: Diagnostics) -> None:
    snippet = content.strip().splitlines()[0][:40]
    diagnostics.error(path, line, column, f"raw HTML '{snippet}' is not allowed: use Markdown instead "
                      "(**bold**, *italic*, [link](https://…))", "markdown.raw-html")


def _check_link(href: str, path: Path, line: int, column: int, diagnostics: Diagnostics) -> None:
    scheme = urlsplit(href).scheme.lower()
    if href.startswith("#") or scheme in _LINK_SCHEMES:
        return
    diagnostics.error(path, line, column, f"link to '{href}' is not allowed: links must start with "
                      "https://, http://, mailto: or # (a place in this report)", "markdown.link")


def _check_image(token: Token, path: Path, line: int, column: int, sources: Path,
                 diagnostics: Diagnostics) -> None:
    src = token.attrGet("src") or ""
    if not token.content.strip():
        diagnostics.error(path, line, column, f"image '{src}' has no alt text: describe it between "
                          "the brackets, ![like this](image.png)", "markdown.image-alt")
    if urlsplit(src).scheme or src.startswith("/"):
        diagnostics.error(path, line, column, f"image '{src}' must be a file inside sources/, given "
                          "as a path relative to this file", "markdown.image-outside")
        return
    target = (path.parent / unquote(src)).resolve()
    if not target.is_relative_to(sources.resolve()):
        diagnostics.error(path, line, column, f"image '{src}' is outside sources/: copy it into "
                          "sources/ and link to the copy", "markdown.image-outside")
    elif not target.is_file():
        shown = target.relative_to(sources.resolve().parent).as_posix()
        diagnostics.error(path, line, column, f"image '{src}' does not exist (looked for {shown})",
                          "markdown.image-missing")


def _absolutise_images(tokens: list[Token], path: Path) -> None:
    for token in tokens:
        for child in token.children or ():
            src = child.attrGet("src") if child.type == "image" else None
            if src and not urlsplit(src).scheme:
                child.attrSet("src", (path.parent / unquote(src)).resolve().as_uri())


def _paragraphs(tokens: list[Token], first_line: int) -> tuple[Paragraph, ...]:
    return tuple(Paragraph(first_line + (token.map[0] if token.map else 0),
                           "".join(_child_text(c) for c in token.children or ()))
                 for token in tokens if token.type == "inline")


def _child_text(token: Token) -> str:
    if token.type in ("softbreak", "hardbreak"):
        return " "
    return token.content if token.type in ("text", "code_inline") else ""
