"""Facts every built report must show, derived from its own sources, never from one year's words.

The same checks run on the fixture report in tests/roots/ and on the live sources/, so that an
editor's typo fix, new section, reordered chapter or new date never turns the suite red.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pdfcheck import (
    embedded_fonts,
    links,
    outline,
    page_labels,
    page_texts,
    qpdf_problems,
    squash,
)
from pypdf import PdfReader

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.model import Report
from kcvs_pdf.sources.load import load_report


@dataclass(frozen=True)
class Built:
    """A built PDF, read back, with the sources it was built from."""

    path: Path
    reader: PdfReader
    texts: list[str]
    report: Report


def read_built(project: Path, pdf: Path) -> Built:
    report = load_report(project / "sources", Diagnostics())
    assert report is not None
    reader = PdfReader(pdf)
    return Built(pdf, reader, page_texts(reader), report)


def section_pages(built: Built) -> dict[str, int]:
    """Return each section title's page, from the outline."""
    return {child.title: child.page for chapter in outline(built.reader) for child in chapter.children}


def toc_pages(built: Built) -> set[int]:
    """Return the pages of the table of contents: the pages before the first chapter opener."""
    first_opener = outline(built.reader)[0].page
    internal = {link.page for link in links(built.reader) if link.uri is None}
    return {page for page in internal if page < first_opener}


def assert_outline_follows_chapters(built: Built) -> None:
    entries = outline(built.reader)
    chapters = built.report.chapters
    assert [e.title for e in entries][:len(chapters)] == [c.title for c in chapters]
    for entry, chapter in zip(entries, chapters):
        assert [c.title for c in entry.children] == [s.title for s in chapter.sections]


def assert_outline_lands_on_titles(built: Built) -> None:
    for chapter in outline(built.reader)[:len(built.report.chapters)]:
        assert squash(chapter.title) in squash(built.texts[chapter.page]), chapter.title
        for section in chapter.children:
            assert squash(section.title) in squash(built.texts[section.page]), section.title


def assert_every_paragraph_is_on_its_pages(built: Built) -> None:
    starts = section_pages(built)
    ordered = sorted(starts.values())
    for section in built.report.sections:
        first = starts[section.title]
        following = [page for page in ordered if page > first]
        last = following[0] if following else len(built.texts)
        on_pages = squash("".join(built.texts[first:last]))
        for paragraph in section.paragraphs:
            assert squash(paragraph.text) in on_pages, (section.slug, paragraph.line, paragraph.text[:60])


def assert_toc_links_land_and_print_page_labels(built: Built) -> None:
    starts = section_pages(built)
    labels = page_labels(built.reader)
    pages = toc_pages(built)
    targets = {link.target_page for link in links(built.reader) if link.page in pages and link.uri is None}
    chapter_pages = {entry.page for entry in outline(built.reader)[:len(built.report.chapters)]}
    assert chapter_pages | set(starts.values()) <= targets
    toc_text = "\n".join(built.texts[page] for page in sorted(pages))
    cursor = 0
    # Read the contents in order: a section may share its title with its chapter.
    for chapter in built.report.chapters:
        for title, page in ((chapter.title, None), *((s.title, starts[s.title]) for s in chapter.sections)):
            words = r"[\s\-\u00ad]*".join(re.escape(word) for word in title.split())
            printed = re.compile(words + r"\s*(\S+)\s*$", re.MULTILINE).search(toc_text, cursor)
            assert printed, title
            cursor = printed.end()
            assert page is None or printed.group(1) == labels[page], title


def assert_calls_to_action_link_from_their_page(built: Built, bundled_urls: set[str] = frozenset()) -> None:
    starts = section_pages(built)
    uris = {(link.page, link.uri) for link in links(built.reader) if link.uri}
    for section in built.report.sections:
        for cta in section.links:
            if cta.url not in bundled_urls:
                assert (starts[section.title], cta.url) in uris, (section.slug, cta.url)


def assert_metadata_comes_from_report_yaml(built: Built) -> None:
    info, report = built.reader.metadata, built.report
    assert info["/Title"] == report.title
    assert info["/Author"] == report.organisation
    assert info["/Subject"] == report.subject
    assert info["/Keywords"] == ", ".join(report.keywords)
    assert info["/CreationDate"].startswith("D:" + report.published.strftime("%Y%m%d"))
    assert built.reader.trailer["/Root"]["/Lang"] == report.language


def assert_fonts_are_the_layouts_own(built: Built) -> None:
    fonts = embedded_fonts(built.reader)
    assert fonts and all(fonts.values()), fonts
    assert all(re.fullmatch(r"/[A-Z]{6}\+Plex-(Sans|Serif)[\w-]*", name) for name in fonts), fonts


def assert_page_labels_match_folios(built: Built) -> None:
    labels = page_labels(built.reader)
    report_pages = len(built.texts) if "B1" not in labels else labels.index("B1")
    assert labels[:report_pages] == [str(number) for number in range(1, report_pages + 1)]
    folios = {index: text.strip().splitlines()[-1] for index, text in enumerate(built.texts[:report_pages])
              if text.strip()}
    printed = {index: folio for index, folio in folios.items() if folio.isdigit()}
    assert len(printed) >= len(built.report.sections)
    assert all(folio == labels[index] for index, folio in printed.items())


def assert_sound(built: Built, bundled_urls: set[str] = frozenset()) -> None:
    """Run every check above."""
    assert_outline_follows_chapters(built)
    assert_outline_lands_on_titles(built)
    assert_every_paragraph_is_on_its_pages(built)
    assert_toc_links_land_and_print_page_labels(built)
    assert_calls_to_action_link_from_their_page(built, bundled_urls)
    assert_metadata_comes_from_report_yaml(built)
    assert_fonts_are_the_layouts_own(built)
    assert_page_labels_match_folios(built)
    assert qpdf_problems(built.path) == []
