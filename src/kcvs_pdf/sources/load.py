"""Turn the `sources/` folder into a validated Report, or every problem found in it."""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

from ..confine import RefusedFile, read_confined
from ..errors import Diagnostics
from ..model import (
    Chapter,
    ColophonLine,
    Edition,
    InflateLimits,
    LabelOverride,
    Link,
    Report,
    Section,
    SizeBudget,
    url_file_name,
)
from ..project import REPORT_FILE
from .approval import (
    APPROVAL_FIELDS,
    approval_fields,
    require_signature,
    resolve_approval,
)
from .fields import FieldReader
from .markdown import render_markdown
from .plaintext import (
    character_name,
    check_character_references,
    check_invisible,
    check_long_words,
    check_size,
)
from .yamlsource import Located, load_yaml

SECTIONS_DIR = "sections"
_SIZE_UNITS = {"b": 1, "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000}
_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(b|kb|mb|gb)", re.IGNORECASE)
ANNEXES_DIR = "annexes"
REPORT_MAX_BYTES = 256 * 1024
SECTION_MAX_BYTES = 4 * 1024 * 1024
"""Sizes beyond which a file is refused unread: far beyond any real report.yaml or section."""
# The number prefix only orders the files for people; report.yaml alone orders the report.
_SECTION_NAME = re.compile(r"(?:(?P<number>\d+)-)?(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md")


def load_report(sources: Path, diagnostics: Diagnostics) -> Report | None:
    """Read and validate every source file; return None when any error was recorded."""
    sections, unreadable, approvals = {}, set(), {}
    for path in _section_files(sources / SECTIONS_DIR, diagnostics):
        loaded = _load_section(path, sources, diagnostics)
        section, approvals[path] = loaded if loaded is not None else (None, {})
        if section is None:
            # report.yaml may name it; its own error suffices, no "unknown section" on top.
            unreadable.add(_slug(path))
            continue
        if section.slug in sections:
            other = sections[section.slug].path.name
            diagnostics.error(path, 1, 1, f"duplicate section slug '{section.slug}' (also {other}): "
                              "rename one of the two files", "section.duplicate-slug")
            continue
        sections[section.slug] = section
    report = _load_report_file(sources, sections, unreadable, approvals, diagnostics)
    return None if diagnostics.errors else report


def _load_report_file(sources: Path, sections: dict[str, Section], unreadable: set[str],
                      approvals: dict[Path, dict], diagnostics: Diagnostics) -> Report | None:
    path = sources / REPORT_FILE
    if not path.exists() and not path.is_symlink():
        diagnostics.error(path, 0, 0, f"{REPORT_FILE} is missing: every report needs one "
                          "(copy the one from the 2023 report and adapt it)", "report.missing-file")
        return None
    reader = FieldReader(path, diagnostics, "report")
    text = _read_text(path, sources, REPORT_MAX_BYTES, diagnostics, "report")
    if text is None:
        return None
    root = load_yaml(text, path, diagnostics, max_bytes=REPORT_MAX_BYTES)
    fields = reader.mapping(root, REPORT_FILE,
                            required=("title", "year", "organisation", "language", "published",
                                      "subject", "chapters"),
                            optional=("subtitle", "keywords", "website", "colophon", "labels",
                                      "budget", "annex_limits", *APPROVAL_FIELDS))
    if not fields:
        return None
    defaults = approval_fields(reader, fields)
    require_signature(reader, defaults)
    sections = {slug: dataclasses.replace(section, approval=resolve_approval(
        FieldReader(section.path, diagnostics, "section"), approvals[section.path], defaults))
        for slug, section in sections.items()}
    chapters = _chapters(reader, fields, sections, unreadable)
    colophon = tuple(_colophon_line(reader, item) for item in reader.items(fields, "colophon"))
    report = Report(
        title=reader.text(fields, "title"),
        subtitle=reader.text(fields, "subtitle", default=""),
        year=reader.integer(fields, "year"),
        organisation=reader.text(fields, "organisation"),
        language=_language(reader, fields),
        published=reader.date(fields, "published"),
        subject=reader.text(fields, "subject"),
        keywords=reader.text_items(fields, "keywords"),
        website=reader.url(fields, "website") if "website" in fields else "",
        chapters=chapters,
        labels=_label_overrides(reader, fields.get("labels")),
        colophon=colophon,
        sources=sources,
        budgets=_budgets(reader, fields["budget"]) if "budget" in fields else (),
        annex_limits=_annex_limits(reader, fields["annex_limits"]) if "annex_limits" in fields
        else InflateLimits(),
    )
    return report


def _language(reader: FieldReader, fields: dict[str, Located]) -> str | None:
    language = reader.text(fields, "language")
    if language is not None and not re.fullmatch(r"[a-z]{2,3}(-[A-Z]{2})?", language):
        reader.error(fields["language"], f"'language' must be a language code such as nl-BE, "
                     f"not '{language}'", "invalid-language")
    return language


def _chapters(reader: FieldReader, fields: dict[str, Located], sections: dict[str, Section],
              unreadable: set[str]) -> tuple[Chapter, ...]:
    chapters, placed, entries = [], {}, []
    for number, item in enumerate(reader.items(fields, "chapters"), start=1):
        chapter = reader.mapping(item, f"chapter {number}", required=("title", "sections"),
                                 at=(item.line, item.column))
        members = []
        for slug_item in reader.items(chapter, "sections"):
            entries.append(slug_item)
            slug = _place(reader, slug_item, number, placed, sections, unreadable)
            if slug in sections:
                members.append(sections[slug])
        chapters.append(Chapter(number, reader.text(chapter, "title") or "", tuple(members)))
    for slug, section in sections.items():
        if slug not in placed:
            reader.diagnostics.error(section.path, 1, 1, f"section '{slug}' is in no chapter: add "
                                     f"it to a chapter's sections in {REPORT_FILE}",
                                     "section.no-chapter")
    _check_order(reader, entries, sections)
    return tuple(chapters)


def _place(reader: FieldReader, slug_item: Located, number: int, placed: dict[str, int],
           sections: dict[str, Section], unreadable: set[str]) -> str | None:
    """Return the slug a chapter's entry places in chapter `number`, or None when it places none."""
    slug = str(slug_item.value)
    if slug in placed:
        reader.error(slug_item, f"section '{slug}' is already in chapter {placed[slug]}: "
                     "list each section in one chapter", "section-twice")
        return None
    if slug not in sections and slug not in unreadable:
        hint = difflib.get_close_matches(slug, sections, n=1)
        suggestion = f": did you mean '{hint[0]}'?" if hint else \
            f" (no file sections/{slug}.md or sections/NN-{slug}.md)"
        reader.error(slug_item, f"chapter {number} names unknown section '{slug}'{suggestion}",
                     "unknown-section")
        return None
    placed[slug] = number
    return slug


def _check_order(reader: FieldReader, entries: list[Located], sections: dict[str, Section]) -> None:
    """Warn where a file's number prefix disagrees with its place in report.yaml."""
    # Every section named takes its place, even one in error, as its author means that order.
    slugs = list(dict.fromkeys(str(entry.value) for entry in entries))
    first_entries = {str(entry.value): entry for entry in reversed(entries)}
    for position, slug in enumerate(slugs, start=1):
        section, entry = sections.get(slug), first_entries[slug]
        number = _SECTION_NAME.fullmatch(section.path.name)["number"] if section else None
        if number is not None and int(number) != position:
            reader.diagnostics.warning(
                reader.path, entry.line, entry.column,
                f"{section.path.name} is {_ordinal(position)} in {REPORT_FILE} but its name says "
                f"{number}: renumber the files (or ignore this)", "section.order-mismatch")


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _budgets(reader: FieldReader, located: Located) -> tuple[SizeBudget, ...]:
    """Return report.yaml's `budget:` (e.g. `{web: "5 MB", full: "40 MB"}`), recording problems."""
    names = (Edition.WEB.value, Edition.FULL.value)
    fields = reader.mapping(located, "budget", required=(), optional=names, at=(located.line, located.column))
    budgets = []
    for name, value in fields.items():
        limit = _size(reader, fields, name, "budget", "invalid-budget")
        if limit is not None:
            budgets.append(SizeBudget(Edition(name), limit, reader.path, value.line, value.column))
    return tuple(budgets)


def _annex_limits(reader: FieldReader, located: Located) -> InflateLimits:
    """Return report.yaml's `annex_limits:` (e.g. `{stream: "512 MB", total: "2 GB"}`) over the defaults."""
    fields = reader.mapping(located, "annex_limits", required=(), optional=("stream", "total"),
                            at=(located.line, located.column))
    sizes = {name: _size(reader, fields, name, "annex_limits", "invalid-limit") for name in fields}
    default = InflateLimits()
    return InflateLimits(per_stream=sizes.get("stream") or default.per_stream,
                         total=sizes.get("total") or default.total)


def _size(reader: FieldReader, fields: dict[str, Located], name: str, parent: str, code: str) -> int | None:
    """Return a size field (`"5 MB"`) in bytes, recording a value that is none."""
    text = reader.text(fields, name)
    size = _SIZE.fullmatch(text.strip()) if text is not None else None
    if text is not None and size is None:
        reader.error(fields[name], f"'{parent}: {name}' must be a size such as \"5 MB\" (B, kB, MB or GB), "
                     f"not '{text}'", code)
    return round(float(size[1].replace(",", ".")) * _SIZE_UNITS[size[2].lower()]) if size else None


def _label_overrides(reader: FieldReader, located: Located | None, prefix: str = "") -> tuple[LabelOverride, ...]:
    """Return report.yaml's `labels:` as dotted names with their text and place."""
    if located is None:
        return ()
    if located.kind != "mapping":
        reader.error(located, "'labels' must be 'name: \"text\"' lines", "wrong-type")
        return ()
    overrides = []
    for name, value in located.value.items():
        if value.kind == "mapping":
            overrides.extend(_label_overrides(reader, value, f"{prefix}{name}."))
            continue
        text = reader.text({name: value}, name)
        if text is not None:
            overrides.append(LabelOverride(f"{prefix}{name}", text, reader.path, *located.key_positions[name]))
    return tuple(overrides)


def _colophon_line(reader: FieldReader, item: Located) -> ColophonLine:
    fields = reader.mapping(item, "colophon line", required=("label", "value"), at=(item.line, item.column))
    return ColophonLine(reader.text(fields, "label") or "", reader.text(fields, "value") or "")


def _section_files(folder: Path, diagnostics: Diagnostics) -> list[Path]:
    """Return the section files in folder, warning about .md files that are named otherwise.

    Hidden files, editor backups (`x.md~`, `#x.md#`, `~$x.md`) and other kinds of files, such as
    images, are skipped in silence: they are there on purpose and never meant as sections.
    """
    if not folder.is_dir():
        return []
    paths = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$", "#")) or not path.name.lower().endswith(".md"):
            continue
        if _SECTION_NAME.fullmatch(path.name):
            paths.append(path)
        else:
            diagnostics.warning(path, 1, 1, f"'{path.name}' is not a section file (names look like "
                                "'07-smart-flanders.md'), so it is ignored: rename it or delete it",
                                "section.file-name")
    return paths


def _slug(path: Path) -> str:
    """Return the slug of a section file named `NN-slug.md` or `slug.md`."""
    return _SECTION_NAME.fullmatch(path.name)["slug"]


def _load_section(path: Path, sources: Path, diagnostics: Diagnostics) -> tuple[Section, dict] | None:
    text = _read_text(path, sources, SECTION_MAX_BYTES, diagnostics, "section")
    if text is None:
        return None
    check_size(text, path, diagnostics)
    split = _split_front_matter(text, path, diagnostics)
    if split is None:
        return None
    front, body, body_line = split
    reader = FieldReader(path, diagnostics, "section")
    fields = reader.mapping(load_yaml(front, path, diagnostics, first_line=2), "the front matter",
                            required=("title",), optional=("links", *APPROVAL_FIELDS))
    links = tuple(_link(reader, item) for item in reader.items(fields, "links"))
    body = check_invisible(body, path, body_line, diagnostics, fields=False)
    check_character_references(body, path, body_line, diagnostics)
    check_long_words(body, path, body_line, diagnostics)
    rendered = render_markdown(body, path, body_line, sources, diagnostics, id_prefix=_slug(path))
    section = Section(slug=_slug(path), title=reader.text(fields, "title") or "",
                      body_html=rendered.html, paragraphs=rendered.paragraphs,
                      links=tuple(link for link in links if link is not None),
                      web_links=rendered.links, path=path, anchors=rendered.anchors,
                      footnotes=rendered.footnotes, charts=rendered.charts)
    return section, approval_fields(reader, fields)


def _read_text(path: Path, sources: Path, max_bytes: int, diagnostics: Diagnostics,
               kind: str) -> str | None:
    """Return the file's text (a UTF-8 byte-order mark is allowed), or None if it cannot be used."""
    try:
        data = read_confined(path, (sources,), max_bytes)
    except RefusedFile as refused:
        diagnostics.error(path, 1, 1, f"'{path.name}' was not read because {refused.message}",
                          f"source.{refused.reason}")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        diagnostics.error(path, line, column, "the file is not UTF-8 text: save it again as UTF-8 "
                          "(in most editors: Save As, encoding UTF-8)", f"{kind}.encoding")
        return None


def _split_front_matter(text: str, path: Path, diagnostics: Diagnostics) -> tuple[str, str, int] | None:
    # Split at "\n" only, as editors count lines (see plaintext).
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        diagnostics.error(path, 1, 1, "missing front matter: the file must start with a line '---', "
                          "then 'title: …', then another '---'", "section.no-front-matter")
        return None
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() == "---":
            return "\n".join(lines[1:index]) + "\n", "\n".join(lines[index + 1:]), index + 2
    diagnostics.error(path, 1, 1, "front matter is not closed: add a line '---' after the last "
                      "field", "section.unclosed-front-matter")
    return None


def _link(reader: FieldReader, item: Located) -> Link | None:
    fields = reader.mapping(item, "link", required=("label", "url"), optional=("title", "file"),
                            at=(item.line, item.column))
    label, url = reader.text(fields, "label"), reader.url(fields, "url")
    file_name = reader.text(fields, "file", printed=False) if "file" in fields else None
    if file_name is not None and (Path(file_name).name != file_name or not file_name.endswith(".pdf")):
        reader.error(fields["file"], f"'file' must be a PDF file name inside sources/{ANNEXES_DIR}/, "
                     f"without folders, not '{file_name}'", "invalid-file")
        file_name = None
    if label is None or url is None:
        return None
    title = reader.text(fields, "title") if "title" in fields else None
    annex_file = file_name or annex_file_name(url)
    # Percent-decoded, the address's last part may hold what no field may: it is shown in messages.
    hidden = next((char for char in annex_file or "" if unicodedata.category(char).startswith("C")), None)
    if hidden is not None:
        reader.error(fields["url"], f"the file name this address ends in holds the invisible character "
                     f"{character_name(hidden)}, written {quote(hidden, safe='')}: remove it from the address",
                     "invalid-url")
        annex_file = None
    return Link(label=label, url=url, annex_file=annex_file, title=title,
                line=fields["url"].line, column=fields["url"].column)


def annex_file_name(url: str) -> str | None:
    """Return the local file name of a PDF annex URL, or None for a web page."""
    name = url_file_name(url)
    return name if name.lower().endswith(".pdf") else None
