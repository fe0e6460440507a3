"""End to end: the real 2023 sources through the CLI, checked by reading the PDF back."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.sources import load_report
from pdfcheck import embedded_fonts, links, outline, page_labels, page_texts, qpdf_problems, squash

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def report():
    return load_report(REPO / "sources", Diagnostics())


@pytest.fixture(scope="module")
def pdf(real_report):
    return PdfReader(real_report)


@pytest.fixture(scope="module")
def texts(pdf):
    return page_texts(pdf)


def section_pages(pdf) -> dict[str, int]:
    """Return each section title's page, from the outline."""
    return {child.title: child.page for chapter in outline(pdf) for child in chapter.children}


def test_all_28_sections_are_in_the_outline_under_their_chapter(pdf, report):
    entries = outline(pdf)
    assert [e.title for e in entries] == [c.title for c in report.chapters]
    for entry, chapter in zip(entries, report.chapters, strict=True):
        assert [c.title for c in entry.children] == [s.title for s in chapter.sections]
    assert sum(len(e.children) for e in entries) == 28


def test_each_outline_entry_lands_on_the_page_with_its_title(pdf, texts):
    for chapter in outline(pdf):
        assert squash(chapter.title) in squash(texts[chapter.page])
        for section in chapter.children:
            assert squash(section.title) in squash(texts[section.page]), section.title


def test_each_section_body_is_on_its_pages(pdf, texts, report):
    starts = section_pages(pdf)
    ordered = sorted(starts.values())
    for section in report.sections:
        first = starts[section.title]
        following = [p for p in ordered if p > first]
        last = following[0] if following else len(texts)
        on_pages = squash("".join(texts[first:last]))
        for paragraph in section.body_text.split("\n\n"):
            assert squash(paragraph) in on_pages, (section.slug, paragraph[:60])


def printed_numbers(toc_text: str, titles: list[str]) -> list[str]:
    """Return the number printed after each title, reading the TOC in order."""
    numbers, cursor = [], 0
    for title in titles:
        words = r"[\s\-]*".join(re.escape(word) for word in title.split())
        found = re.compile(words + r"[\s.…]*?(\d+)\s*$", re.MULTILINE).search(toc_text, cursor)
        numbers.append(found.group(1) if found else None)
        cursor = found.end(1) if found else cursor
    return numbers


def test_toc_entries_link_to_their_section_and_print_its_page_number(pdf, texts, report):
    starts = section_pages(pdf)
    toc_page = next(i for i, t in enumerate(texts) if t.strip().startswith(report.labels["contents"]))
    toc_targets = {link.target_page for link in links(pdf) if link.page == toc_page}
    labels = page_labels(pdf)
    titles = [t for chapter in report.chapters for t in (chapter.title, *(s.title for s in chapter.sections))]
    printed = printed_numbers(texts[toc_page], titles)
    index = 0
    for chapter in report.chapters:
        index += 1
        for section in chapter.sections:
            page = starts[section.title]
            assert page in toc_targets, section.title
            assert printed[index] == labels[page], section.title
            index += 1


def test_toc_links_land_exactly_on_the_chapter_openers_and_section_pages(pdf, texts, report):
    toc_pages = {i for i, t in enumerate(texts) if t.strip().startswith(report.labels["contents"])}
    targets = {link.target_page for link in links(pdf) if link.page in toc_pages and link.uri is None}
    expected = {entry.page for entry in outline(pdf)} | set(section_pages(pdf).values())
    assert targets == expected
    assert len(expected) == len(report.chapters) + len(report.sections)


def test_calls_to_action_link_to_their_url_in_the_section_page(pdf, report):
    starts = section_pages(pdf)
    uris = {(link.page, link.uri) for link in links(pdf) if link.uri}
    for section in report.sections:
        for cta in section.links:
            assert (starts[section.title], cta.url) in uris, (section.slug, cta.url)


def test_metadata_and_language_come_from_report_yaml(pdf, real_report):
    info = pdf.metadata
    assert info["/Title"] == "Jaarverslag 2023"
    assert info["/Author"] == "Kenniscentrum Vlaamse Steden"
    assert info["/Subject"].startswith("Jaarverslag 2023 van het Kenniscentrum")
    assert "centrumsteden" in info["/Keywords"]
    assert info["/CreationDate"].startswith("D:20240601")
    assert pdf.trailer["/Root"]["/Lang"] == "nl-BE"


def test_every_font_is_embedded_and_bundled_plex(pdf):
    fonts = embedded_fonts(pdf)
    assert fonts and all(fonts.values()), fonts
    assert all(re.fullmatch(r"/[A-Z]{6}\+Plex-(Sans|Serif)[\w-]*", name) for name in fonts), fonts


def test_dutch_hyphenation_breaks_words_at_line_ends(texts, report):
    words = set(re.findall(r"\w+", " ".join(s.body_text for s in report.sections)))
    broken = []
    for text in texts:
        lines = text.splitlines()
        for line, following in itertools.pairwise(lines):
            head = re.search(r"(\w+)[-\u2010]$", line)
            tail = re.match(r"(\w+)", following)
            if head and tail and head.group(1) + tail.group(1) in words:
                broken.append(head.group(1) + tail.group(1))
    assert len(broken) >= 5, broken


def test_pdf_passes_qpdf_check(real_report):
    assert qpdf_problems(real_report) == []


def test_page_labels_match_printed_folios(pdf, texts, report):
    labels = page_labels(pdf)
    assert labels == [str(number) for number in range(1, len(texts) + 1)]
    folios = {index: text.strip().splitlines()[-1] for index, text in enumerate(texts) if text.strip()}
    printed = {index: folio for index, folio in folios.items() if folio.isdigit()}
    # Every section page and the table of contents print their folio; cover, colophon and
    # chapter openers print none.
    assert len(printed) >= len(report.sections) + 1
    assert all(folio == labels[index] for index, folio in printed.items())
