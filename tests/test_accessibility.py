"""Every edition's report pages pass veraPDF's PDF/UA-1 and WCAG 2.2 machine checks.

veraPDF (../shared/tools/verapdf) runs on Java and takes seconds a file, so the editions of the
fixture report are built and validated once for the module; without Java the tests skip.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import REPO, ROOTS, run_cli
from samples import photo
from verapdf import failed_rules

# What a section of a real report holds besides paragraphs: each must be tagged as PDF/UA asks.
RICH_BODY = """
| Stad | Datasets | Opmerking |
|:-----|---------:|-----------|
| Gent | 124 | de meeste datasets, vooral over mobiliteit en wonen |
| Brugge | 81 | nieuw in 2031 |

De telling volgt de inventaris[^1] van het kenniscentrum.

- een losse lijst

- met lege regels ertussen

![Foto van de jaarvergadering in het stadhuis](foto.jpg "De jaarvergadering van 2031.")

![Staafdiagram: datasets per stad, Gent 124, Brugge 81](grafiek.svg "Datasets per stad, eind 2031.")

[^1]: Volgens de telling van 31 december 2031.
"""
CHART = """<svg xmlns="http://www.w3.org/2000/svg" width="480" height="300" viewBox="0 0 480 300">
<rect x="80" y="60" width="100" height="200" fill="#0b5563"/><rect x="260" y="130" width="100" height="130" fill="#0b5563"/>
<text x="130" y="290" font-family="Plex Sans" font-size="16" text-anchor="middle">Gent</text></svg>
"""

EDITIONS = {"web": "proefverslag-2031-web.pdf", "full": "proefverslag-2031.pdf",
            "draft": "proefverslag-2031-concept.pdf"}


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    project = tmp_path_factory.mktemp("a11y") / "project"
    shutil.copytree(ROOTS / "report", project)
    shutil.copytree(REPO / "layouts", project / "layouts")
    sections = project / "sources" / "sections"
    rich = sections / "05-energiedelen.md"
    rich.write_text(rich.read_text() + RICH_BODY)
    photo(sections / "foto.jpg")
    (sections / "grafiek.svg").write_text(CHART)
    for edition in ("web", "full"):
        result = run_cli(project, "build", "--edition", edition)
        assert result.exit_code == 0, result.output
        assert "claims PDF/UA-1" in result.output
    # A section in review gives the draft's stamp and approval sheet something to show.
    section = project / "sources" / "sections" / "03-buurtwerk.md"
    section.write_text(section.read_text().replace("---\n\n", 'status: "review"\n---\n\n', 1))
    result = run_cli(project, "build", "--edition", "draft")
    assert result.exit_code == 0 and "claims PDF/UA-1" in result.output, result.output
    return {edition: project / "build" / name for edition, name in EDITIONS.items()}


@pytest.mark.parametrize("flavour", ["ua1", "wcag"])
def test_every_edition_passes_verapdf_with_no_failed_rule(editions, flavour):
    found = failed_rules(*editions.values(), flavour=flavour)
    assert dict(zip(editions, found, strict=True)) == {edition: {} for edition in editions}


def test_the_pdf_claims_pdf_ua_1_and_names_its_title_and_language(editions):
    for path in editions.values():
        with pikepdf.open(path) as pdf:
            metadata = pdf.open_metadata()
            assert metadata["pdfuaid:part"] == "1"
            assert metadata["dc:title"] == "Proefverslag 2031"
            assert str(pdf.Root.Lang) == "nl-BE"
            assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
            assert pdf.Root.MarkInfo.Marked is True


def test_internal_links_say_where_they_lead_in_words(editions):
    with pikepdf.open(editions["web"]) as pdf:
        described = [str(annotation.Contents) for page in pdf.pages for annotation in page.get("/Annots", ())
                     if annotation.get("/Subtype") == pikepdf.Name.Link and "/Dest" in annotation]
    assert described and all(re.fullmatch(r".+, pagina \d+", text) for text in described), described
    assert "Werkgroep Stadsmonitor, pagina 5" in described and "Hoofdstuk 1: Gegevens en digitalisering, pagina 4" in described
    assert any(text.startswith("Voetnoot 1, pagina ") for text in described)
    assert any(text.startswith("Terug naar de tekst bij voetnoot 1, pagina ") for text in described)
