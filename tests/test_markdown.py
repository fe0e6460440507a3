"""Section bodies: Markdown becomes safe HTML and, through the layout, a PDF that prints all of it.

The first tests read the HTML of one body; the rest build a small project with tables, footnotes,
figures, deep lists and quotes, and read the PDF back: its tag tree, where its images and its
text are drawn, and that every block of the source is printed.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pikepdf
import pytest
from conftest import make_project, run_cli
from pdfcheck import links, outline, page_texts, squash
from pdfdraw import drawn
from PIL import Image
from pypdf import PdfReader
from samples import photo
from test_catalogue import tiny_png

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.model import Paragraph
from kcvs_pdf.sources.load import load_report
from kcvs_pdf.sources.markdown import render_markdown


def render(source: str, tmp_path: Path, prefix: str = "alfa"):
    sources = tmp_path / "sources"
    (sources / "sections").mkdir(parents=True, exist_ok=True)
    diagnostics = Diagnostics()
    body = render_markdown(source, sources / "sections" / "01-alfa.md", 5, sources, diagnostics,
                           id_prefix=prefix)
    return body, diagnostics


def image_bytes(width: int, height: int, kind: str = "PNG") -> bytes:
    image = Image.new("RGB", (width, height), (11, 85, 99))
    data = io.BytesIO()
    image.save(data, kind)
    return data.getvalue()


# --- the HTML of one body ---

def test_emphasis_links_and_lists_render_as_html(tmp_path):
    body, diagnostics = render("Een **vet** woord en [een link](https://example.org).\n\n- een\n- twee\n",
                               tmp_path)
    assert diagnostics.items == ()
    assert "<strong>vet</strong>" in body.html
    assert '<a href="https://example.org">een link</a>' in body.html
    assert "<ul>" in body.html
    assert body.text == "Een vet woord en een link.\n\neen\n\ntwee"


def test_raw_html_is_reported_and_escaped_never_passed_through(tmp_path):
    body, diagnostics = render("Tekst <script>alert(1)</script> hier.\n", tmp_path)
    assert [d.code for d in diagnostics.errors] == ["markdown.raw-html"]
    assert "<script>" not in body.html and "&lt;script&gt;" in body.html


def test_relative_images_inside_sources_become_file_urls(tmp_path):
    (tmp_path / "sources" / "images").mkdir(parents=True)
    (tmp_path / "sources" / "images" / "kaart.png").write_bytes(tiny_png())
    body, diagnostics = render("![Kaart van de centrumsteden](../images/kaart.png)\n", tmp_path)
    assert diagnostics.items == ()
    assert (tmp_path / "sources" / "images" / "kaart.png").resolve().as_uri() in body.html


TABLE = """\
| Stad | Datasets | Budget | Opmerking |
|:-----|----------|:------:|-----------|
| Gent | 124 | € 1.383.572,80 | grootste |
| Brugge | – | € 3.500 | 12 % |
"""


def test_a_pipe_table_has_a_header_row_with_column_scope_and_numbers_marked_for_right_alignment(tmp_path):
    body, diagnostics = render(TABLE, tmp_path)
    assert diagnostics.items == ()
    assert re.search(r"<table>\s*<thead>\s*<tr>\s*<th ", body.html)
    assert body.html.count('scope="col"') == 4
    # Datasets: numbers (the dash is a gap), so the column and its header align right as a whole.
    assert '<th scope="col" class="num">Datasets</th>' in body.html
    assert '<td class="num">124</td>' in body.html and '<td class="num">–</td>' in body.html
    # Budget keeps its own (centred) alignment; a number in a text column is still marked.
    assert '<td style="text-align:center" class="num">€ 1.383.572,80</td>' in body.html
    assert '<td class="num">12 %</td>' in body.html and "<td>grootste</td>" in body.html
    assert '<th style="text-align:left" scope="col">Stad</th>' in body.html


def test_table_cells_are_body_blocks_with_their_file_lines(tmp_path):
    body, _ = render("Inleiding.\n\n" + TABLE, tmp_path)
    assert Paragraph(7, "Stad") in body.paragraphs and Paragraph(9, "€ 1.383.572,80") in body.paragraphs
    assert Paragraph(10, "12 %") in body.paragraphs


def test_footnotes_are_numbered_per_body_with_ids_that_start_with_the_prefix(tmp_path):
    source = "Eerst[^a], dan[^b] en weer[^a].\n\n[^b]: Tweede noot.\n[^a]: Eerste noot.\n"
    body, diagnostics = render(source, tmp_path)
    other, _ = render(source, tmp_path, prefix="beta")
    assert diagnostics.items == ()
    assert '<sup class="footnote-ref"><a href="#alfa--fn-1" id="alfa--fnref-1">1</a></sup>' in body.html
    assert '<a href="#alfa--fn-1" id="alfa--fnref-1-2">1</a>' in body.html
    assert '<li id="alfa--fn-2"><p>Tweede noot. <a class="footnote-backref" href="#alfa--fnref-2">' in body.html
    assert body.html.rstrip().endswith("</ol>\n</section>")
    assert 'id="beta--fn-1"' in other.html and "alfa--" not in other.html
    assert body.paragraphs == (Paragraph(5, "Eerst1, dan2 en weer1."), Paragraph(8, "Eerste noot."),
                               Paragraph(7, "Tweede noot."))


def test_an_image_with_a_title_alone_in_its_paragraph_becomes_a_figure_with_a_caption(tmp_path):
    (tmp_path / "sources" / "sections").mkdir(parents=True)
    (tmp_path / "sources" / "sections" / "kaart.png").write_bytes(image_bytes(20, 10))
    body, diagnostics = render('Tekst.\n\n![Kaart van Gent](kaart.png "De kaart, 2023.")\n\n'
                               'Een ![icoon](kaart.png "Titel") in de tekst.\n', tmp_path)
    assert diagnostics.items == ()
    assert re.search(r'<figure><img src="file://[^"]+/kaart.png" alt="Kaart van Gent" />'
                     r"<figcaption>De kaart, 2023.</figcaption>\s*</figure>", body.html)
    assert re.search(r'<p>Een <img src="[^"]+" alt="icoon" title="Titel" /> in de tekst.</p>', body.html)
    assert Paragraph(7, "De kaart, 2023.") in body.paragraphs


def test_a_decorative_image_is_a_background_in_a_box_of_its_proportions_not_an_img(tmp_path):
    (tmp_path / "sources" / "sections").mkdir(parents=True)
    (tmp_path / "sources" / "sections" / "rand.png").write_bytes(image_bytes(400, 100))
    (tmp_path / "sources" / "sections" / "lijn.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="30mm" viewBox="0 0 300 20"/>')
    body, diagnostics = render("![Decoratief](rand.png)\n\nTekst ![decoratief](lijn.svg).\n", tmp_path)
    assert diagnostics.items == ()
    assert "<img" not in body.html
    assert re.search(r'^<span class="decorative" role="presentation" style="width: 400px"><span style="'
                     r"padding-top: 25.000%; background-image: url\('file://[^']+/rand.png'\)\"></span></span>",
                     body.html)
    assert 'style="width: 113px"><span style="padding-top: 6.667%' in body.html


def test_markdown_written_with_backslashes_or_in_code_prints_as_meant_without_warnings(tmp_path):
    body, diagnostics = render("Noot \\[^1] en \\![foto] en [tekst\\](https://x.be).\n\n"
                               "Schrijf `| a | b |` of `[tekst](url)`.\n", tmp_path)
    assert diagnostics.items == ()
    assert "[^1]" in body.text and "| a | b |" in body.text


def test_six_levels_of_lists_and_quotes_render_every_block(tmp_path):
    source = "- 1\n  - 2\n    > 3\n    > - 4\n    >   > 5\n    >   > - 6 diep\n\nDaarna.\n"
    body, diagnostics = render(source, tmp_path)
    assert diagnostics.items == ()
    assert [p.text for p in body.paragraphs] == ["1", "2", "3", "4", "5", "6 diep", "Daarna."]
    assert "6 diep" in body.html and "Daarna." in body.html


def test_links_in_table_cells_and_footnotes_are_checked_where_they_stand(tmp_path):
    body, diagnostics = render("Tekst[^1].\n\n| a | b |\n|---|---|\n| x | [hier](ftp://x.be) |\n\n"
                               "[^1]: Zie [bron](https://bron.be).\n", tmp_path)
    assert [(d.line, d.column, d.code) for d in diagnostics.items] == [(9, 7, "markdown.link")]
    assert [(link.url, link.line, link.column) for link in body.links] == [
        ("ftp://x.be", 9, 7), ("https://bron.be", 11, 11)]


# --- reading the built PDF back ---

SVG_CHART = """\
<svg xmlns="http://www.w3.org/2000/svg" width="480" height="300" viewBox="0 0 480 300">
  <rect x="80" y="80" width="60" height="180" fill="#0b5563"/>
  <rect x="180" y="140" width="60" height="120" fill="#e8a33d"/>
  <text x="60" y="40" font-family="Plex Sans" font-size="16">Datasets per stad</text>
</svg>
"""

ALFA = """\
---
title: "Open data in de centrumsteden"
---

![Luchtfoto van het centrum van Gent](luchtfoto.jpg "Het Gentse centrum vanuit de lucht, 2023.")

In 2023 publiceerden de centrumsteden meer open data dan ooit[^1]. De tabel toont per stad het
aantal datasets en het budget.

| Stad | Datasets | Budget | Groei |
|:-----|---------:|-------:|------:|
| Gent | 124 | € 1.383.572,80 | 12 % |
| Brugge | 81 | € 612.000,00 | 8 % |
| Sint-Niklaas en Lokeren samen | 46 | € 212.450,10 | 31 % |

![Staafdiagram van het aantal datasets per stad](grafiek.svg "Datasets per stad, eind 2023.")

| Stad | Datasets | Opmerking |
|:-----|---------:|-----------|
| Brugge | 81 | de stad publiceerde dit jaar vooral gegevens over mobiliteit, parkeren en afval |
| Leuven | 12 | nieuw |

![decoratief](rand.png)

- Eerste niveau
  - Tweede niveau
    - Derde niveau
      - Vierde niveau
        - Vijfde niveau
          - Zesde niveau, het diepste dat drukt

> Een citaat
> > in een citaat
> > > in een citaat
> > > > in een citaat
> > > > > in een citaat
> > > > > > zes diep

De alinea na de lijst en het citaat[^2].

[^1]: Volgens de telling van het kenniscentrum op 31 december 2023.
[^2]: Een tweede noot met [een link](https://www.example.org/bron).
"""

WIDE = "| " + " | ".join(["Gemeenschapsvoorzieningen", "Stadsvernieuwingsprojecten", "Bedrag", "Aandeel",
                          "Verantwoordelijkebeleidsdomein", "Opmerkingen", "Datum", "Code"]) + " |\n"
WIDE += "|" + "---|" * 8 + "\n"
WIDE += "| " + " | ".join(["Buurtwerking", "Herinrichting", "€ 1.383.572,80", "12,5 %",
                          "Welzijnenzorgvoorzieningen", "https://www.example.org/een/lang/adres",
                          "31-12-2023", "KCVS-2023-0042"]) + " |\n"

BETA = f"""\
---
title: "Beta project"
---

![Staande foto van het belfort](belfort.jpg "Het belfort, van onder naar boven.")

Een brede tabel moet binnen de kolom blijven, net als een logo ![Logo van het kenniscentrum](logo.png)
in de tekst.

![Kaart van de centrumsteden](kaart.png)

{WIDE}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Build a project whose sections use every Markdown feature; return its folder."""
    root = make_project(tmp_path_factory.mktemp("markdown") / "p", {
        "sources/sections/01-alfa.md": ALFA, "sources/sections/02-beta.md": BETA,
        "sources/sections/luchtfoto.jpg": image_bytes(3000, 2000, "JPEG"),
        "sources/sections/belfort.jpg": image_bytes(1500, 6000, "JPEG"),
        "sources/sections/logo.png": image_bytes(2000, 400),
        "sources/sections/kaart.png": image_bytes(2400, 800),
        "sources/sections/grafiek.svg": SVG_CHART,
        "sources/sections/rand.png": image_bytes(1200, 60)})
    result = run_cli(root, "build")
    assert result.exit_code == 0, result.output
    assert not re.search(r": (error|warning): ", result.output), result.output
    return root


@pytest.fixture(scope="module")
def pdf_path(built) -> Path:
    return built / "build" / "testverslag-2023.pdf"


@pytest.fixture(scope="module")
def section_pages(pdf_path) -> dict[str, range]:
    """Return the pages of each section (by title), from the outline."""
    reader = PdfReader(pdf_path)
    starts = [(entry.title, entry.page) for chapter in outline(reader) for entry in chapter.children]
    ends = [page for _, page in starts[1:]] + [len(reader.pages)]
    return {title: range(start, end) for (title, start), end in zip(starts, ends, strict=True)}


def missing_paragraphs(pdf_path: Path, pages: range, paragraphs) -> list[Paragraph]:
    """Return the body blocks whose text is not on the given pages of the PDF."""
    texts = page_texts(PdfReader(pdf_path))
    printed = squash("".join(texts[page] for page in pages))
    return [paragraph for paragraph in paragraphs if squash(paragraph.text) not in printed]


def test_every_block_of_every_section_is_printed_on_its_pages(built, pdf_path, section_pages):
    report = load_report(built / "sources", Diagnostics())
    for section in report.sections:
        assert len(section.paragraphs) > 5
        assert missing_paragraphs(pdf_path, section_pages[section.title], section.paragraphs) == []


def test_the_printed_check_finds_a_block_that_is_not_printed(pdf_path, section_pages):
    lost = Paragraph(30, "Zevende niveau dat markdown-it liet vallen")
    kept = Paragraph(29, "Zesde niveau, het diepste dat drukt")
    assert missing_paragraphs(pdf_path, section_pages["Open data in de centrumsteden"], [kept, lost]) == [lost]


def struct_elements(pdf_path: Path) -> list[tuple[str, str | None]]:
    """Return (type, alternate text) of every element of the PDF's tag tree, in reading order."""
    found = []

    def walk(element) -> None:
        found.append((str(element.S), str(element.Alt) if "/Alt" in element else None))
        kids = element.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
                walk(kid)

    with pikepdf.open(pdf_path) as pdf:
        walk(pdf.Root.StructTreeRoot.K[0])
    return found


def test_tables_are_tagged_as_tables_and_every_figure_has_its_alt_text(pdf_path):
    elements = struct_elements(pdf_path)
    kinds = [kind for kind, _ in elements]
    assert {"/Table", "/TR", "/TH", "/TD", "/Caption"} <= set(kinds)
    assert kinds.count("/TH") == 4 + 3 + 8 and kinds.count("/TD") == 3 * 4 + 2 * 3 + 8
    # Five images carry information; the decorative one is no Figure at all.
    assert [alt for kind, alt in elements if kind == "/Figure"] == [
        "Luchtfoto van het centrum van Gent", "Staafdiagram van het aantal datasets per stad",
        "Staande foto van het belfort", "Logo van het kenniscentrum", "Kaart van de centrumsteden"]


MM = 72 / 25.4
# The text area of layouts/default/style.css: @page { margin: 24mm 20mm 22mm 20mm }.
AREA = (20 * MM, 22 * MM, 595.28 - 20 * MM, 841.89 - 24 * MM)
# The text column beside the title column: 170 mm less 62 mm (.section-body margin-left).
COLUMN = 108 * MM + 0.5


def same_picture(size: tuple[int, int], pixels: tuple[int, int]) -> bool:
    """Tell whether an image drawn at `size` pixels is the source picture of `pixels`, downsampled or not."""
    return size[0] <= pixels[0] and abs(size[0] / size[1] - pixels[0] / pixels[1]) < 0.01 * pixels[0] / pixels[1]


def inside(box, area=AREA, tolerance: float = 0.5) -> bool:
    return (box[0] >= area[0] - tolerance and box[1] >= area[1] - tolerance
            and box[2] <= area[2] + tolerance and box[3] <= area[3] + tolerance)


@pytest.mark.parametrize("title, pixels, caption", [
    ("Open data in de centrumsteden", (3000, 2000), "Het Gentse centrum vanuit de lucht"),
    ("Beta project", (1500, 6000), "Het belfort, van onder naar boven"),
])
def test_a_large_photo_first_under_its_title_shrinks_onto_the_title_page_with_its_caption(
        pdf_path, section_pages, title, pixels, caption):
    page = section_pages[title][0]
    [(box, marks)] = [(box, marks) for kind, box, marks, size in drawn(pdf_path, page)
                      if kind == "image" and same_picture(size, pixels)]
    assert inside(box) and marks == ("/Figure",)
    width, height = box[2] - box[0], box[3] - box[1]
    assert width / height == pytest.approx(pixels[0] / pixels[1], rel=0.01)
    assert width <= COLUMN and height <= 170 * MM + 0.5
    assert squash(caption) in squash(page_texts(PdfReader(pdf_path))[page])


def test_an_image_inside_a_sentence_stays_an_image_no_wider_than_the_column(pdf_path, section_pages):
    page = section_pages["Beta project"][0]
    [box] = [box for kind, box, _, size in drawn(pdf_path, page) if kind == "image" and same_picture(size, (2000, 400))]
    assert inside(box) and box[2] - box[0] <= COLUMN


def test_a_picture_alone_in_a_later_paragraph_is_not_indented_past_the_column(pdf_path, section_pages):
    """Later paragraphs start indented; a picture there would stick out by the indent."""
    pages = section_pages["Beta project"]
    [box] = [box for page in pages for kind, box, _, size in drawn(pdf_path, page)
             if kind == "image" and same_picture(size, (2400, 800))]
    assert inside(box) and box[2] - box[0] == pytest.approx(COLUMN - 0.5, abs=0.6)
    assert box[2] <= AREA[2] + 0.5


def test_a_svg_chart_is_drawn_with_its_text_and_a_decorative_image_as_an_artifact(pdf_path, section_pages):
    pages = section_pages["Open data in de centrumsteden"]
    [(box, marks)] = [(box, marks) for page in pages for kind, box, marks, size in drawn(pdf_path, page)
                      if kind == "image" and same_picture(size, (1200, 60))]
    assert marks == ("/Artifact",) and inside(box)
    texts = page_texts(PdfReader(pdf_path))
    assert any("Datasetsperstad" in squash(texts[page]) for page in pages)


def test_a_table_keeps_its_short_words_and_amounts_whole_beside_a_long_text_column(pdf_path, section_pages):
    """The long column wraps between words; "Brugge" never becomes "Brug" + "ge"."""
    pages = section_pages["Open data in de centrumsteden"]
    lines = [line.strip() for page in pages for line in page_texts(PdfReader(pdf_path))[page].splitlines()]
    words = {word for line in lines for word in line.split()}
    assert {"Brugge", "Leuven", "Gent", "Sint-Niklaas"} <= words
    assert any("€ 1.383.572,80" in line for line in lines) and any("€ 612.000,00" in line for line in lines)


def test_no_text_of_a_wide_table_runs_past_the_margins(pdf_path, section_pages):
    """Its words, kept whole, would be wider than the column: this table alone breaks them anywhere."""
    pages = section_pages["Beta project"]
    runs = [box for page in pages for kind, box, marks, _ in drawn(pdf_path, page) if kind == "text"]
    assert len(runs) > 20
    assert [box for box in runs if not inside(box, (AREA[0], 0, AREA[2], 841.89))] == []
    texts = squash("".join(page_texts(PdfReader(pdf_path))[page] for page in pages))
    assert squash("https://www.example.org/een/lang/adres") in texts


def test_footnote_references_and_notes_link_to_each_other(pdf_path, section_pages):
    reader = PdfReader(pdf_path)
    names = reader.named_destinations
    assert {"alfa--fn-1", "alfa--fnref-1", "alfa--fn-2", "alfa--fnref-2"} <= set(names)
    pages = section_pages["Open data in de centrumsteden"]
    internal = [link for link in links(reader) if link.page in pages and link.target_page is not None]
    assert len(internal) >= 4 and all(link.target_page in pages for link in internal)


def test_headings_sit_under_the_section_title_and_may_not_skip_a_level(tmp_path):
    body, diagnostics = render("# Aanpak\n\nTekst.\n\n### Details\n\nMeer.\n\n## Resultaat\n", tmp_path)
    assert "<h3>Aanpak</h3>" in body.html and "<h5>Details</h5>" in body.html and "<h4>Resultaat</h4>" in body.html
    assert [(d.line, d.code) for d in diagnostics.errors] == [(9, "markdown.heading-skip")]
    assert "after '#' comes '##'" in diagnostics.errors[0].message


def test_a_link_whose_text_is_its_address_is_a_located_warning(tmp_path):
    body, diagnostics = render("Zie [https://www.example.org/](https://www.example.org) of <https://example.org/a>,\n"
                               "niet [het verslag](https://www.example.org/verslag).\n", tmp_path)
    assert [(d.line, d.column, d.code) for d in diagnostics.warnings] == [
        (5, 5, "markdown.link-text"), (5, 60, "markdown.link-text")]


def test_a_photo_that_stops_halfway_is_an_error_at_its_line(tmp_path):
    """Pillow's verify() reads a JPEG's headers only; printed, the rest would be a grey box."""
    (tmp_path / "sources" / "sections").mkdir(parents=True)
    whole = photo(tmp_path / "whole.jpg", (600, 400)).read_bytes()
    (tmp_path / "sources" / "sections" / "foto.jpg").write_bytes(whole[:len(whole) // 2])
    _, diagnostics = render("Tekst.\n\n![Foto van de vergadering](foto.jpg)\n", tmp_path)
    assert [(d.line, d.column, d.code) for d in diagnostics.errors] == [(7, 1, "markdown.image-unreadable")]
    assert "stops halfway" in diagnostics.errors[0].message


SVG_DRAWING_FROM = """\
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="300" height="100">
  <defs><linearGradient id="verloop"><stop offset="0" stop-color="#0b5563"/></linearGradient></defs>
  <style>.achtergrond {{ fill: url(#verloop) }}</style>
  <rect class="achtergrond" width="300" height="100" style="fill: url(#verloop)"/>
  <image href="data:image/png;base64,{embedded}" width="1" height="1"/>
  <use href="#verloop"/>
  <image {attribute}="{reference}" width="10" height="10"/>
</svg>
"""


EMBEDDED = base64.b64encode(tiny_png()).decode()


@pytest.mark.parametrize("attribute, reference, code", [
    ("href", "file:///etc/passwd", "markdown.image-outside"),
    ("xlink:href", "https://example.org/logo.png", "markdown.image-outside"),
    ("href", "../../buiten.png", "markdown.image-outside"),
    ("href", "logo.png", "markdown.image-missing"),
])
def test_what_an_svg_draws_from_is_checked_like_an_image(tmp_path, attribute, reference, code):
    """The render would refuse it, blaming the stylesheet: check names the line of the picture."""
    (tmp_path / "sources" / "sections").mkdir(parents=True)
    (tmp_path / "sources" / "sections" / "grafiek.svg").write_text(
        SVG_DRAWING_FROM.format(attribute=attribute, reference=reference, embedded=EMBEDDED))
    _, diagnostics = render("![Grafiek van de datasets](grafiek.svg \"Datasets.\")\n", tmp_path)
    assert [(d.line, d.column, d.code) for d in diagnostics.errors] == [(5, 1, code)]
    assert f"draws from '{reference}'" in diagnostics.errors[0].message


def test_an_svg_drawing_from_a_picture_beside_it_in_sources_builds(tmp_path):
    svg = SVG_DRAWING_FROM.format(attribute="href", reference="logo.png", embedded=EMBEDDED)
    project = make_project(tmp_path / "p", {
        "sources/sections/grafiek.svg": svg, "sources/sections/logo.png": image_bytes(40, 40),
        "sources/sections/01-alfa.md": "---\ntitle: \"Alfa werkgroep\"\n---\n\n![Grafiek](grafiek.svg \"Datasets.\")\n"})
    result = run_cli(project, "build", "--edition", "web", "--strict")
    assert result.exit_code == 0, result.output
