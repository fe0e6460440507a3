"""Loading sources: annex file names, chapters and the report's typed values."""

from __future__ import annotations

import datetime

from conftest import REPORT_YAML, make_project
from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.sources import annex_file_name, load_report


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
