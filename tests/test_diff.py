"""`kcvs-pdf diff`: what changed between two builds, section by section, and the change report."""

from __future__ import annotations

import ctypes
import re
import shutil
from pathlib import Path

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from conftest import (
    FIXTURE_ANNEXES,
    REVIEW_CHAPTERS,
    REVIEW_SECTIONS,
    copy_project,
    review_project,
    run_cli,
)
from pdfcheck import embedded_fonts
from pypdf import PdfReader
from verapdf import failed_rules

from kcvs_pdf.pdf.provenance import (
    EmbeddedParagraph,
    EmbeddedReport,
    EmbeddedSection,
    read,
)
from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.review.change_report import change_labels, write_change_report
from kcvs_pdf.review.diff import PILCROW, Mark, Run, compare, mark_words

ALFA, GAMMA = "sources/sections/01-alfa.md", "sources/sections/03-gamma.md"
EPSILON = """\
    ---
    title: "Epsilon traject"
    ---

    Het traject epsilon begeleidt kleinere steden bij hun eerste stappen in datagedreven beleid.
    """


def edited_sources() -> dict[str, str]:
    """Edit alfa and gamma, move beta to chapter 2, add epsilon to chapter 1."""
    alfa = REVIEW_SECTIONS[ALFA].replace("zes keer", "acht keer").replace("een effectief en effectief",
                                                                           "een effectief")
    gamma = REVIEW_SECTIONS[GAMMA].replace("steden een gemiddelde", "steden ook een gemiddelde") \
        .replace("twaalf procent", "veertien procent")
    chapters = REVIEW_CHAPTERS.replace('["alfa", "beta"]', '["alfa", "epsilon"]') \
        .replace('["gamma", "delta"]', '["beta", "gamma", "delta"]')
    return {ALFA: alfa, GAMMA: gamma, "sources/sections/05-epsilon.md": EPSILON, "chapters": chapters}


@pytest.fixture(scope="module")
def compared(review_build, tmp_path_factory):
    """Keep a build of the review project as old.pdf, edit the sources, build again, diff."""
    root = copy_project(review_build, tmp_path_factory.mktemp("diff") / "project")
    shutil.copyfile(root / "build" / "testverslag-2023.pdf", root / "old.pdf")
    edits = edited_sources()
    chapters = edits.pop("chapters")
    report = (root / "sources" / "report.yaml").read_text(encoding="utf-8").replace(REVIEW_CHAPTERS, chapters)
    review_project(root, {**edits, "sources/report.yaml": report})
    assert run_cli(root, "build").exit_code == 0
    result = run_cli(root, "diff", "old.pdf", "build/testverslag-2023.pdf")
    assert result.exit_code == 0, result.output
    return root, result


def test_diff_names_exactly_the_edited_moved_and_added_sections(compared):
    _, result = compared
    assert result.stdout.splitlines() == [
        "gewijzigd: Alfa werkgroep (sources/sections/01-alfa.md)",
        "toegevoegd: Epsilon traject (sources/sections/05-epsilon.md)",
        "verplaatst: Beta project (sources/sections/02-beta.md)",
        "gewijzigd: Gamma netwerk (sources/sections/03-gamma.md)",
        "2 secties gewijzigd, 1 toegevoegd, 0 verwijderd, 1 verplaatst",
        "Wijzigingsrapport: build/testverslag-2023-wijzigingen.pdf",
    ]


def test_the_sections_moved_pages_are_no_change(compared):
    root, _ = compared
    old, new = read(root / "old.pdf"), read(root / "build" / "testverslag-2023.pdf")
    delta_pages = [next(s.page_labels for s in r.sections if s.slug == "delta") for r in (old, new)]
    assert delta_pages[0] != delta_pages[1]
    assert "Delta" not in compared[1].stdout


def changes_pdf(root: Path) -> Path:
    return root / "build" / "testverslag-2023-wijzigingen.pdf"


def page_with(path: Path, text: str) -> int:
    reader = PdfReader(path)
    return next(index for index, page in enumerate(reader.pages) if text in page.extract_text())


def fill_colour(path: Path, page: int, word: str) -> tuple[int, int, int]:
    """Return the fill colour pdfium reads for the first character of word on page."""
    document = pypdfium2.PdfDocument(path)
    try:
        text = document[page].get_textpage()
        found = text.search(word, match_case=True, match_whole_word=True).get_next()
        assert found is not None, word
        rgba = [ctypes.c_uint() for _ in range(4)]
        assert pdfium_c.FPDFText_GetFillColor(text, found[0], *rgba)
        return tuple(channel.value for channel in rgba[:3])
    finally:
        document.close()


def test_the_change_report_marks_deleted_words_red_and_inserted_words_green(compared):
    root, _ = compared
    path = changes_pdf(root)
    alfa_page = page_with(path, "Bron: sources/sections/01-alfa.md")
    gamma_page = page_with(path, "Bron: sources/sections/03-gamma.md")
    for page, deleted, inserted, kept in ((alfa_page, "zes", "acht", "keer"),
                                          (gamma_page, "twaalf", "veertien", "procent")):
        red, green, _ = fill_colour(path, page, deleted)
        assert red > green + 80, deleted
        red, green, _ = fill_colour(path, page, inserted)
        assert green > red + 50, inserted
        assert fill_colour(path, page, kept) == fill_colour(path, page, "Het" if page == gamma_page else "De")
    gamma_text = PdfReader(path).pages[gamma_page].extract_text()
    assert "steden ook een gemiddelde" in " ".join(gamma_text.split())


def structure_elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    found, stack = [], [pdf.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/MCR" and "/S" in kid:
                found.append(kid)
                stack.append(kid)
    return found


def test_the_change_report_is_tagged_with_headings_table_and_described_page_pictures(compared):
    root, _ = compared
    old, new = read(root / "old.pdf"), read(root / "build" / "testverslag-2023.pdf")
    first = {(version, s.slug): s.page_labels[0] for version, r in (("old", old), ("new", new)) for s in r.sections}
    with pikepdf.open(changes_pdf(root)) as pdf:
        assert str(pdf.Root.Lang) == "nl-BE" and bool(pdf.Root.MarkInfo.Marked)
        elements = structure_elements(pdf)
        tags = {str(element.S) for element in elements}
        assert {"/H1", "/H2", "/P", "/Table", "/TH", "/TD", "/Figure"} <= tags
        alts = sorted(str(element.Alt) for element in elements if element.S == "/Figure")
    assert alts == sorted([
        f"Pagina {first['old', 'alfa']} van de vorige versie", f"Pagina {first['new', 'alfa']} van de nieuwe versie",
        f"Pagina {first['new', 'epsilon']} van de nieuwe versie",
        f"Pagina {first['old', 'gamma']} van de vorige versie", f"Pagina {first['new', 'gamma']} van de nieuwe versie",
    ])


@pytest.mark.parametrize("flavour", ["ua1", "wcag"])
def test_the_change_report_passes_verapdf_with_no_failed_rule(compared, flavour):
    root, _ = compared
    assert failed_rules(changes_pdf(root), flavour=flavour) == [{}]


def test_the_overview_links_say_in_words_which_section_they_lead_to(compared):
    root, _ = compared
    with pikepdf.open(changes_pdf(root)) as pdf:
        described = [str(annotation.Contents) for page in pdf.pages for annotation in page.get("/Annots", ())
                     if annotation.get("/Subtype") == pikepdf.Name.Link]
    assert [text.split(", pagina ")[0] for text in described] == [
        "Alfa werkgroep", "Epsilon traject", "Beta project", "Gamma netwerk"]


def test_the_change_report_lists_unchanged_sections_in_one_line_in_the_layouts_fonts(compared):
    root, _ = compared
    reader = PdfReader(changes_pdf(root))
    assert "Ongewijzigd (1): Delta overleg" in " ".join(reader.pages[0].extract_text().split())
    fonts = embedded_fonts(reader)
    assert fonts and all(fonts.values()) and all("Plex" in name for name in fonts)


def test_two_builds_of_the_same_sources_have_no_changes(project_built_twice):
    root, result = project_built_twice
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["geen wijzigingen",
                                          "Wijzigingsrapport: build/testverslag-2023-wijzigingen.pdf"]
    assert "geen wijzigingen" in PdfReader(changes_pdf(root)).pages[0].extract_text()


@pytest.fixture
def project_built_twice(review_build, tmp_path):
    root = copy_project(review_build, tmp_path / "project")
    shutil.copyfile(root / "build" / "testverslag-2023.pdf", root / "old.pdf")
    assert run_cli(root, "build").exit_code == 0
    return root, run_cli(root, "diff", "old.pdf", "build/testverslag-2023.pdf")


def test_a_pdf_without_kcvs_data_exits_1_and_says_so(review_build, tmp_path):
    root = copy_project(review_build, tmp_path / "project")
    shutil.copyfile(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf", root / "ander.pdf")
    result = run_cli(root, "diff", "build/testverslag-2023.pdf", "ander.pdf")
    assert result.exit_code == 1
    assert "ander.pdf carries no KCVS report data: it was not built by kcvs-pdf" in result.stderr
    assert not (root / "ander-wijzigingen.pdf").exists()


def test_diff_needs_two_pdfs(tmp_path):
    root = review_project(tmp_path / "project")
    assert run_cli(root, "diff", "old.pdf").exit_code == 2
    assert run_cli(root, "diff", "missing.pdf", "missing.pdf").exit_code == 2


def section(slug: str, chapter: int, *texts: str, chapter_title: str | None = None) -> EmbeddedSection:
    return EmbeddedSection(slug=slug, title=slug.title(), chapter=chapter,
                           chapter_title=chapter_title or f"Hoofdstuk {chapter}",
                           source=f"sources/sections/{slug}.md", sha256="",
                           paragraphs=tuple(EmbeddedParagraph(5 + 3 * i, t) for i, t in enumerate(texts)),
                           first_page=0, last_page=0, page_labels=("1",))


def report(*sections: EmbeddedSection) -> EmbeddedReport:
    return EmbeddedReport(title="T", year=2023, edition="full", language="nl-BE", published="2024-06-01",
                          sections=sections, annexes=())


def kinds(changes) -> dict[str, set[str]]:
    return {kind: {c.section.slug for c in getattr(changes, kind)}
            for kind in ("edited", "added", "removed", "moved", "unchanged")}


def test_adding_or_removing_a_section_moves_none_of_the_others():
    a, b, c = section("a", 1, "x"), section("b", 1, "y"), section("c", 2, "z")
    changes = compare(report(a, b, c), report(section("n", 1, "new"), a, c))
    assert kinds(changes) == {"edited": set(), "added": {"n"}, "removed": {"b"}, "moved": set(),
                              "unchanged": {"a", "c"}}


def test_a_section_out_of_order_or_in_another_chapter_moved_but_not_when_a_chapter_is_renamed():
    a, b, c = section("a", 1, "x"), section("b", 1, "y"), section("c", 2, "z")
    assert kinds(compare(report(a, b, c), report(b, a, c)))["moved"] in ({"a"}, {"b"})
    assert kinds(compare(report(a, b, c), report(a, section("b", 2, "y"), c)))["moved"] == {"b"}
    renamed = report(a, b, section("c", 2, "z", chapter_title="Nieuwe titel"))
    assert kinds(compare(report(a, b, c), renamed))["moved"] == set()


def test_line_numbers_and_line_breaks_are_no_change():
    old = section("a", 1, "een twee drie", "vier vijf")
    new = EmbeddedSection(**{**old.__dict__, "paragraphs": (EmbeddedParagraph(9, "een  twee\ndrie"),
                                                           EmbeddedParagraph(12, "vier vijf"))})
    assert kinds(compare(report(old), report(new)))["unchanged"] == {"a"}


def para(*texts: str) -> tuple[EmbeddedParagraph, ...]:
    return tuple(EmbeddedParagraph(i, text) for i, text in enumerate(texts))


def test_words_are_marked_within_the_new_paragraphs():
    K, I, D = Mark.KEPT, Mark.INSERTED, Mark.DELETED
    assert mark_words(para("de steden werkten samen"), para("de dertien steden werkten goed samen")) == (
        (Run(K, "de"), Run(I, "dertien"), Run(K, "steden werkten"), Run(I, "goed"), Run(K, "samen")),)
    assert mark_words(para("zes keer"), para("acht keer")) == ((Run(D, "zes"), Run(I, "acht"), Run(K, "keer")),)


def test_split_and_joined_paragraphs_show_a_marked_pilcrow_whole_paragraphs_stand_alone():
    K, I, D = Mark.KEPT, Mark.INSERTED, Mark.DELETED
    assert mark_words(para("een twee drie vier"), para("een twee", "drie vier")) == (
        (Run(K, "een twee"), Run(I, PILCROW)), (Run(K, "drie vier"),))
    assert mark_words(para("een twee", "drie vier"), para("een twee drie vier")) == (
        (Run(K, "een twee"), Run(D, PILCROW), Run(K, "drie vier")),)
    assert mark_words(para("een twee", "weg ermee", "drie vier"), para("een twee", "drie vier")) == (
        (Run(K, "een twee"),), (Run(D, "weg ermee"),), (Run(K, "drie vier"),))
    assert mark_words(para("een twee", "drie vier"), para("een twee", "er bij", "drie vier")) == (
        (Run(K, "een twee"),), (Run(I, "er bij"),), (Run(K, "drie vier"),))


def test_a_section_that_only_moved_follows_the_overview_on_its_page(compared):
    root, _ = compared
    first = PdfReader(changes_pdf(root)).pages[0].extract_text()
    assert "Beta project" in first and "Staat nu in hoofdstuk 2: Tweede hoofdstuk" in first


def test_the_pictures_show_the_page_of_a_long_section_where_it_changed(tmp_path):
    paragraphs = [f"Alinea {n} over de werking van de centrumsteden en hun samenwerking " * 6 for n in range(1, 25)]
    beta = '---\ntitle: "Beta"\n---\n\n{}\n'
    root = review_project(tmp_path / "project", {"sources/sections/02-beta.md": beta.format("\n\n".join(paragraphs))})
    assert run_cli(root, "build", "--edition", "web").exit_code == 0
    shutil.copyfile(root / "build" / "testverslag-2023-web.pdf", root / "old.pdf")
    paragraphs[-1] = paragraphs[-1].replace("Alinea 24 over", "Alinea 24, de laatste, over")
    review_project(root, {"sources/sections/02-beta.md": beta.format("\n\n".join(paragraphs))})
    assert run_cli(root, "build", "--edition", "web").exit_code == 0
    assert run_cli(root, "diff", "old.pdf", "build/testverslag-2023-web.pdf").exit_code == 0
    old, new = (next(s for s in read(path).sections if s.slug == "beta")
                for path in (root / "old.pdf", root / "build" / "testverslag-2023-web.pdf"))
    assert len(old.page_labels) > 1 and len(new.page_labels) > 1
    with pikepdf.open(root / "build" / "testverslag-2023-web-wijzigingen.pdf") as pdf:
        alts = [str(element.Alt) for element in structure_elements(pdf) if element.S == "/Figure"]
    assert sorted(alts) == [f"Pagina {new.page_labels[-1]} van de nieuwe versie",
                            f"Pagina {old.page_labels[-1]} van de vorige versie"]


def test_a_moved_sections_title_and_where_it_moved_stand_on_one_page(review_build, tmp_path):
    # Thirty sections that only moved: their short entries follow each other over pages, so a
    # page break falls inside one of them unless the layout keeps each together.
    old = report(*(section(f"s{n:02d}", 1, "tekst", chapter_title="Oud") for n in range(30)))
    new = report(*(section(f"s{n:02d}", 2, "tekst", chapter_title="Nieuw") for n in range(30)))
    built = shutil.copyfile(review_build / "build" / "testverslag-2023.pdf", tmp_path / "nieuw.pdf")
    layout = review_build / "layouts" / "default"
    target = write_change_report(compare(old, new), built, built, layout, change_labels(layout), Diagnostics())
    texts = [page.extract_text() for page in PdfReader(target).pages]
    titles = [len(re.findall(r"^S\d\d$", text, re.MULTILINE)) for text in texts]
    notes = [text.count("Staat nu in hoofdstuk 2: Nieuw") for text in texts]
    assert sum(titles) == 30 and titles == notes


def test_a_layout_without_the_change_labels_stops_with_the_file_and_label_named(review_build, tmp_path):
    root = copy_project(review_build, tmp_path / "project")
    labels = root / "layouts" / "default" / "labels.yaml"
    labels.write_text(labels.read_text(encoding="utf-8").replace('  legend: "Legende"\n', ""), encoding="utf-8")
    result = run_cli(root, "diff", "build/testverslag-2023.pdf", "build/testverslag-2023.pdf")
    assert result.exit_code == 1
    assert "labels.yaml:0:0: error: label 'changes.legend' is missing from labels.yaml [labels.missing]" in result.stderr
