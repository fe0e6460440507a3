"""End to end: the fixture report in tests/roots/report through the CLI, read back from the PDF."""

from __future__ import annotations

import shutil

import pytest
import reportcheck
from conftest import REPO, ROOTS, run_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> reportcheck.Built:
    project = tmp_path_factory.mktemp("build") / "project"
    shutil.copytree(ROOTS / "report", project)
    shutil.copytree(REPO / "layouts", project / "layouts")
    result = run_cli(project, "build", "--edition", "web", "--strict")
    assert result.exit_code == 0, result.output
    return reportcheck.read_built(project, project / "build" / "proefverslag-2031-web.pdf")


def test_outline_lists_every_chapter_with_its_sections_in_order(built):
    reportcheck.assert_outline_follows_chapters(built)


def test_each_outline_entry_lands_on_the_page_with_its_title(built):
    reportcheck.assert_outline_lands_on_titles(built)


def test_every_source_paragraph_is_on_its_sections_pages(built):
    reportcheck.assert_every_paragraph_is_on_its_pages(built)


def test_toc_links_land_on_openers_and_sections_and_print_their_page_labels(built):
    reportcheck.assert_toc_links_land_and_print_page_labels(built)


def test_calls_to_action_link_to_their_url_from_the_section_page(built):
    reportcheck.assert_calls_to_action_link_from_their_page(built)


def test_metadata_and_language_come_from_report_yaml(built):
    reportcheck.assert_metadata_comes_from_report_yaml(built)


def test_every_font_is_embedded_and_one_of_the_layouts_fonts(built):
    reportcheck.assert_fonts_are_the_layouts_own(built)


def test_page_labels_match_printed_folios(built):
    reportcheck.assert_page_labels_match_folios(built)


def test_colophon_prints_the_publication_month_in_dutch(built):
    assert any("mei 2032" in text for text in built.texts[:3])


def test_links_in_the_text_keep_their_targets(built):
    targets = {link.uri for link in reportcheck.links(built.reader) if link.uri}
    assert "https://www.example.org/stadsmonitor" in targets
    starts = reportcheck.section_pages(built)
    internal = {(link.page, link.target_page) for link in reportcheck.links(built.reader) if link.uri is None}
    assert (starts["Project gegevensdeling tussen centrumsteden en de Vlaamse overheid"],
            starts["Werkgroep Stadsmonitor"]) in internal


def test_pdf_passes_qpdf_check(built):
    assert reportcheck.qpdf_problems(built.path) == []
