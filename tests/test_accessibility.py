"""Every edition's report pages pass veraPDF's PDF/UA-1 and WCAG 2.2 machine checks, with
everything an author may write in a section.

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
from pikepdf import NameTree
from PIL import Image
from samples import photo
from verapdf import failed_rules

CHART = """<svg xmlns="http://www.w3.org/2000/svg" width="480" height="300" viewBox="0 0 480 300">
<rect x="80" y="60" width="100" height="200" fill="#0b5563"/><rect x="260" y="130" width="100" height="130" fill="#0b5563"/>
<text x="130" y="290" font-family="Plex Sans" font-size="16" text-anchor="middle">Gent</text></svg>
"""

EDITIONS = {"web": "proefverslag-2031-web.pdf", "full": "proefverslag-2031.pdf",
            "draft": "proefverslag-2031-concept.pdf"}
# Everything an author may write that the tagging has to get right: a figure and a decorative
# picture, a camera-sized photo and an SVG chart, headings, a numbered list with a nested one, a
# loose list (its items hold paragraphs, as a footnote does), a table, a quote with a link and a footnote.
RICH_BODY = """\
Een proefproject in twee steden onderzocht hoe bewoners zonnestroom van het dak kunnen delen.

![decoratief](rand.png)

![Foto van een dak met zonnepanelen](dak.jpg "Het dak van het eerste proefgebouw.")

# Aanpak

De bewoners werkten in twee stappen[^1]:

1. een inventaris van de daken
2. een verdeelsleutel
   - per appartement
   - per gebouw

Wat de steden leerden:

- de netbeheerder vroeg een meter per gebouw

- een vereniging van mede-eigenaars beslist mee

## Resultaat

| Gebouw | Bewoners | Besparing |
|:-------|---------:|----------:|
| Noord  |       24 |      12 % |
| Zuid   |       31 |      15 % |

![Staafdiagram: besparing per gebouw, Noord 12 %, Zuid 15 %](grafiek.svg "Besparing per gebouw in 2031.")

> Wij delen nu de stroom van ons eigen dak, zegt een bewoner op [de projectpagina](https://www.example.org/energiedelen).

[^1]: Volgens het projectplan van 2031.
"""


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, Path]:
    project = tmp_path_factory.mktemp("a11y") / "project"
    shutil.copytree(ROOTS / "report", project)
    shutil.copytree(REPO / "layouts", project / "layouts")
    sections = project / "sources" / "sections"
    rich = sections / "05-energiedelen.md"
    rich.write_text(rich.read_text().split("---\n\n")[0] + "---\n\n" + RICH_BODY)
    photo(sections / "dak.jpg")
    Image.new("RGB", (600, 30), (232, 163, 61)).save(sections / "rand.png")
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
    for edition, path in editions.items():
        with pikepdf.open(path) as pdf:
            metadata = pdf.open_metadata()
            assert metadata["pdfuaid:part"] == "1"
            assert metadata["dc:title"] == "Proefverslag 2031" + (" (concept)" if edition == "draft" else "")
            assert str(pdf.Root.Lang) == "nl-BE"
            assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
            assert pdf.Root.MarkInfo.Marked is True


def test_internal_links_say_where_they_lead_in_words(editions):
    with pikepdf.open(editions["web"]) as pdf:
        described = [str(annotation.Contents) for page in pdf.pages for annotation in page.get("/Annots", ())
                     if annotation.get("/Subtype") == pikepdf.Name.Link and "/Dest" in annotation]
    assert described and all(re.fullmatch(r".+, pagina \d+", text) for text in described), described
    assert "Werkgroep Stadsmonitor, pagina 5" in described and "Hoofdstuk 1: Gegevens en digitalisering, pagina 4" in described


def test_an_internal_link_names_the_page_it_lands_on_and_footnote_links_their_note(editions):
    with pikepdf.open(editions["web"]) as pdf:
        pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        lands_on = {str(name): pages[destination[0].objgen] + 1
                    for name, destination in NameTree(pdf.Root.Names.Dests).items()}
        described = [(str(annotation.Contents), lands_on[str(annotation.Dest)]) for page in pdf.pages
                     for annotation in page.get("/Annots", ()) if "/Dest" in annotation]
    assert [text for text, page in described if not text.endswith(f", pagina {page}")] == []
    notes = sorted(text.rsplit(",", 1)[0] for text, _ in described if "oetnoot" in text)
    assert notes == ["Terug naar de tekst bij voetnoot 1", "Voetnoot 1"]


def test_a_link_in_the_text_is_described_by_its_words_not_its_address(editions):
    with pikepdf.open(editions["web"]) as pdf:
        described = {str(annotation.A.URI): str(annotation.Contents) for page in pdf.pages
                     for annotation in page.get("/Annots", ()) if "/A" in annotation}
    assert described["https://www.example.org/stadsmonitor"] == "de website van het kenniscentrum"
    assert described["https://www.example.org/energiedelen"] == "de projectpagina"
    assert [uri for uri, words in described.items() if words == uri] == []
