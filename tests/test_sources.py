"""Loading sources: annex file names, chapters and the report's typed values."""

from __future__ import annotations

import datetime

from conftest import ALFA, REPORT_YAML, make_project

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.sources.load import annex_file_name, load_report


def test_annex_file_name_is_the_percent_decoded_last_part_of_a_pdf_url():
    url = ("https://www.kenniscentrumvlaamsesteden.be/Gedeelde%20%20documenten/2023/jaarverslag%202023/"
           "document%20te%20koppelen%20aan%20Werkgroep%20ORBA%202023.pdf")
    assert annex_file_name(url) == "document te koppelen aan Werkgroep ORBA 2023.pdf"
    assert annex_file_name("https://example.org/Opdracht%20BE%20REEL!.PDF") == "Opdracht BE REEL!.PDF"
    assert annex_file_name("https://www.kenniscentrumvlaamsesteden.be/Paginas/studies_20233.aspx") is None
    assert annex_file_name("https://www.vlaanderen.be/stedenbeleid/smart-flanders") is None


def test_report_values_are_typed_and_sections_follow_the_chapter_order(tmp_path):
    reordered = REPORT_YAML.replace('["alfa", "beta"]', '["beta", "alfa"]')
    project = make_project(tmp_path / "p", files={"sources/report.yaml": reordered})
    diagnostics = Diagnostics()
    report = load_report(project / "sources", diagnostics)
    assert diagnostics.errors == ()
    assert report.published == datetime.date(2024, 6, 1) and report.year == 2023
    assert [s.slug for s in report.sections] == ["beta", "alfa"]
    assert report.output_stem == "testverslag-2023"
    assert [(d.line, d.column, d.code, d.message) for d in diagnostics.warnings] == [
        (11, 16, "section.order-mismatch", "02-beta.md is 1st in report.yaml but its name says 02: "
                                           "renumber the files (or ignore this)"),
        (11, 24, "section.order-mismatch", "01-alfa.md is 2nd in report.yaml but its name says 01: "
                                           "renumber the files (or ignore this)"),
    ]


def test_the_number_prefix_is_optional_and_only_a_wrong_number_is_warned_about(tmp_path):
    project = make_project(tmp_path / "p", files={
        "sources/sections/01-alfa.md": None, "sources/sections/alfa.md": ALFA,
        "sources/report.yaml": REPORT_YAML.replace('["alfa", "beta"]', '["alfa", "gamma", "beta"]'),
        "sources/sections/03-gamma.md": ALFA.replace("Alfa werkgroep", "Gamma")})
    diagnostics = Diagnostics()
    report = load_report(project / "sources", diagnostics)
    assert [(s.slug, s.title) for s in report.sections] == [
        ("alfa", "Alfa werkgroep"), ("gamma", "Gamma"), ("beta", "Beta project")]
    assert [(d.line, d.column, d.code) for d in diagnostics.items] == [
        (11, 24, "section.order-mismatch"), (11, 33, "section.order-mismatch")]
    assert [d.message.split(" is ")[0] for d in diagnostics.items] == ["03-gamma.md", "02-beta.md"]


def test_only_section_files_are_read_and_misnamed_markdown_files_are_named(tmp_path):
    sections = "sources/sections/"
    ignored = {".DS_Store": b"\x00\x01", ".01-alfa.md.swp": b"\x00", "01-alfa.md~": ALFA,
               "#01-alfa.md#": ALFA, "~$01-alfa.md": b"\x00", "01-alfa.md.bak": ALFA, "notities.txt": "tekst",
               "grafiek.png": b"\x89PNG"}
    misnamed = ["01-alfa copy.md", "01-alfa (1).md", "01-alfa kopie.md", "03-Gamma.md", "04-delta.MD"]
    project = make_project(tmp_path / "p", files={**{sections + name: data for name, data in ignored.items()},
                                                  **{sections + name: ALFA for name in misnamed}})
    (project / sections / ".#01-alfa.md").symlink_to("root@host.1234")  # an Emacs lock: a dangling link
    (project / sections / "afbeeldingen").mkdir()
    diagnostics = Diagnostics(project)
    report = load_report(project / "sources", diagnostics)
    assert [s.slug for s in report.sections] == ["alfa", "beta"]
    assert [(d.path, d.line, d.column, d.code) for d in diagnostics.items] == sorted(
        (sections + name, 1, 1, "section.file-name") for name in misnamed)
    assert all(d.severity.value == "warning" for d in diagnostics.items)
    assert diagnostics.items[0].message == (
        "'01-alfa (1).md' is not a section file (names look like '07-smart-flanders.md'), so it is "
        "ignored: rename it or delete it")


def test_a_file_name_given_for_an_annex_overrides_the_url(tmp_path):
    project = make_project(tmp_path / "p", files={"sources/sections/01-alfa.md": """\
        ---
        title: "Alfa werkgroep"
        links:
          - label: "MEER"
            url: "https://www.example.org/download?id=42"
            file: "alfa.pdf"
            title: "Alfa: het overzicht"
        ---

        Tekst.
        """})
    report = load_report(project / "sources", Diagnostics())
    [link] = report.sections[0].links
    assert (link.annex_file, link.title) == ("alfa.pdf", "Alfa: het overzicht")
