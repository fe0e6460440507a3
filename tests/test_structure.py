"""Tagged annexes stay tagged in the bundle; untagged ones become artifacts and withdraw the PDF/UA claim."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from conftest import CORPUS, FIXTURE_ANNEXES, annex_project, run_cli
from pikepdf import Array, Dictionary, Name, NameTree, NumberTree, String
from verapdf import failed_rules

from kcvs_pdf.pdf.structure import append_annex, is_tagged

TAGGED = CORPUS / "tagged-pdf-ua-1.pdf"
SCAN = CORPUS / "scanned-image-only-raster.pdf"


def build_with(root: Path, annexes: list[Path]) -> dict:
    """Build the full edition of a project with these annexes."""
    project = annex_project(root / "p", annexes)
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    return {"pdf": project / "build" / "testverslag-2023.pdf", "output": result.output}


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    if not TAGGED.is_file():
        pytest.skip("tagged-pdf-ua-1.pdf is only in ../shared/annex-corpus/")
    return build_with(tmp_path_factory.mktemp("tagged"), [TAGGED] * 3)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    if not TAGGED.is_file():
        pytest.skip("tagged-pdf-ua-1.pdf is only in ../shared/annex-corpus/")
    # The scan's raster strips each open marked content and never close it.
    return build_with(tmp_path_factory.mktemp("mixed"), [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf", TAGGED, TAGGED,
                                                         SCAN])


def annex_pages(pdf: pikepdf.Pdf, number: int) -> list[int]:
    """Return the indexes of annex `number`'s pages, read from the page labels."""
    labels = [page.label for page in pdf.pages]
    return [index for index, label in enumerate(labels) if label.startswith(f"B{number}-")]


def page_of(element: Dictionary) -> tuple[int, int] | None:
    """Return the page an element's content is on: its own /Pg or its nearest ancestor's."""
    while isinstance(element, Dictionary):
        if "/Pg" in element:
            return element.Pg.objgen
        element = element.get("/P")
    return None


def ancestors(element: Dictionary) -> list[Dictionary]:
    found = []
    while isinstance(element.get("/P"), Dictionary) and element.P.get("/Type") != Name.StructTreeRoot:
        element = element.P
        found.append(element)
    return found


def document_element(pdf: pikepdf.Pdf) -> Dictionary:
    top = pdf.Root.StructTreeRoot.K
    return top[0] if isinstance(top, Array) else top


def annex_section(pdf: pikepdf.Pdf, title: str) -> Dictionary:
    document = document_element(pdf)
    sections = [kid for kid in document.K if kid.get("/T") == title]
    assert len(sections) == 1, title
    return sections[0]


def test_every_page_maps_to_elements_on_that_page(tagged):
    with pikepdf.open(tagged["pdf"]) as pdf:
        parents = NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        for page in pdf.pages:
            if "/StructParents" not in page.obj:
                continue
            elements = [element for element in parents[page.StructParents] if element is not None]
            assert elements, page.label
            assert {page_of(element) for element in elements} == {page.obj.objgen}, page.label
        assert all("/StructParents" in pdf.pages[index] for n in (1, 2, 3) for index in annex_pages(pdf, n))


def test_no_two_pages_or_annotations_share_a_parent_tree_key(tagged):
    with pikepdf.open(tagged["pdf"]) as pdf:
        keys = [page.StructParents for page in pdf.pages if "/StructParents" in page.obj]
        keys += [annotation.StructParent for page in pdf.pages for annotation in page.get("/Annots", ())
                 if "/StructParent" in annotation]
        assert len(keys) == len(set(keys)) > len(pdf.pages)
        tree = pdf.Root.StructTreeRoot
        assert set(keys) <= set(NumberTree(tree.ParentTree)) and tree.ParentTreeNextKey > max(keys)


def test_each_annex_hangs_under_its_own_sect_after_its_divider(tagged):
    with pikepdf.open(tagged["pdf"]) as pdf:
        parents = NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        kids = list(document_element(pdf).K)
        for number in (1, 2, 3):
            section = annex_section(pdf, f"Bijlage {number}: Sectie {number}")
            assert section.S == Name.Sect and str(section.Lang) == "EN-US"
            divider = pdf.pages[annex_pages(pdf, number)[0] - 1].obj.objgen
            before = kids[[kid.objgen for kid in kids].index(section.objgen) - 1]
            assert page_of(before) == divider
            for index in annex_pages(pdf, number):
                for element in parents[pdf.pages[index].StructParents]:
                    assert element is None or section.objgen in [a.objgen for a in ancestors(element)]


def test_annex_links_keep_their_link_element(tagged):
    with pikepdf.open(tagged["pdf"]) as pdf:
        parents = NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        for number in (1, 2, 3):
            section = annex_section(pdf, f"Bijlage {number}: Sectie {number}")
            (link,) = [a for index in annex_pages(pdf, number) for a in pdf.pages[index].Annots]
            element = parents[link.StructParent]
            assert element.S == Name.Link
            assert [kid.Obj.objgen for kid in element.K if isinstance(kid, Dictionary)] == [link.objgen]
            assert section.objgen in [a.objgen for a in ancestors(element)]


def test_a_bundle_of_tagged_annexes_keeps_the_pdf_ua_claim(tagged):
    with pikepdf.open(tagged["pdf"]) as pdf:
        assert pdf.open_metadata()["pdfuaid:part"] == "1"
    assert "claims PDF/UA-1" in tagged["output"] and "carry no tags" not in tagged["output"]


def test_untagged_annex_pages_are_artifacts_and_withdraw_the_claim(mixed):
    assert "5 of 7 annex pages carry no tags: marked as not accessible, so the PDF does not claim " \
        "PDF/UA-1" in mixed["output"]
    assert "claims PDF/UA-1" not in mixed["output"]
    with pikepdf.open(mixed["pdf"]) as pdf:
        assert "pdfuaid:part" not in pdf.open_metadata()
        for index in annex_pages(pdf, 1):
            page = pdf.pages[index]
            contents = page.Contents
            assert contents[0].read_bytes() == b"/Artifact BMC\n" and contents[-1].read_bytes() == b"\nEMC\n"
            assert "/StructParents" not in page.obj
        section = annex_section(pdf, "Bijlage 1: Sectie 1")
        assert section.Alt == "Bijlage 1: Sectie 1 (niet toegankelijk gemaakt)" and "/K" not in section
        (scan,) = annex_pages(pdf, 4)
        assert pdf.pages[scan].Contents[-1].read_bytes() == b"\n" + b"EMC\n" * 416
        assert annex_section(pdf, "Bijlage 2: Sectie 2").S == Name.Sect


def test_a_bundle_of_tagged_annexes_passes_verapdf_and_an_untagged_annex_only_loses_the_claim(tagged, mixed):
    with_tagged, with_untagged = failed_rules(tagged["pdf"], mixed["pdf"])
    assert with_tagged == {}
    assert failed_rules(tagged["pdf"], flavour="wcag") == [{}]
    # Untagged pages are artifacts: no content left unmarked. The one failure is the missing
    # PDF/UA identification: the bundle no longer claims what it is not.
    assert set(with_untagged) == {"5-1"}


def tagged_pdf(page_count: int = 1, roles: dict | None = None, classes: dict | None = None,
               ids: tuple[str, ...] = (), widget: bool = False) -> pikepdf.Pdf:
    """Return a small tagged PDF: a Document with one element per page, optionally a form field."""
    pdf = pikepdf.new()
    tree = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=tree))
    kids, numbers = [], []
    for index in range(page_count):
        pdf.add_blank_page()
        page = pdf.pages[index]
        page.Contents = pdf.make_stream(b"/P <</MCID 0>> BDC 0 0 m 10 10 l S EMC")
        page.StructParents = index
        element = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name("/Heading"), P=document,
                                               Pg=page.obj, K=0, C=Name("/red")))
        kids.append(element)
        numbers += [index, Array([element])]
    if widget:
        field = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("naam"),
                                             Rect=[10, 10, 100, 30], P=pdf.pages[0].obj, StructParent=page_count))
        pdf.pages[0].Annots = Array([field])
        pdf.Root.AcroForm = Dictionary(Fields=Array([field]))
        form = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Form, P=document, K=Array([
            Dictionary(Type=Name.OBJR, Obj=field, Pg=pdf.pages[0].obj)])))
        kids.append(form)
        numbers += [page_count, form]
    document.K = Array(kids)
    tree.K, tree.ParentTree = document, Dictionary(Nums=Array(numbers))
    tree.RoleMap = Dictionary({key: Name(value) for key, value in (roles or {"/Heading": "/H1"}).items()})
    tree.ClassMap = Dictionary(classes or {"/red": Dictionary(O=Name.Layout, Color=Array([1, 0, 0]))})
    tree.IDTree = Dictionary(Names=Array([item for name, element in zip(ids, kids) for item in
                                          (String(name), element)]))
    for name, element in zip(ids, kids):
        element.ID = String(name)
    pdf.Root.StructTreeRoot, pdf.Root.MarkInfo = tree, Dictionary(Marked=True)
    return pdf


def test_marked_content_an_untagged_annex_leaves_open_is_closed_inside_its_artifact():
    report, annex = tagged_pdf(), pikepdf.new()
    annex.add_blank_page()
    annex.pages[0].Contents = annex.make_stream(b"/P <</MCID 0>> BDC 0 0 m 9 9 l S /Span <</MCID 1>> BDC 1 1 m S")
    assert not append_annex(report, annex, report.pages[0], "Bijlage 1: Scan", "niet toegankelijk")
    depths, depth = [], 0
    for _, operator in pikepdf.parse_content_stream(report.pages[1], "BDC BMC EMC"):
        depth += -1 if str(operator) == "EMC" else 1
        depths.append(depth)
    assert depths == [1, 2, 3, 2, 1, 0], "the artifact holds the annex's marks and ends with the page"


def test_clashing_role_names_class_names_and_ids_are_renamed_in_the_annex_only():
    report = tagged_pdf(ids=("intro",))
    annex = tagged_pdf(roles={"/Heading": "/P", "/Sect": "/Div", "/Custom": "/Sect"},
                       classes={"/red": Dictionary(O=Name.Layout, Color=Array([0, 0, 1]))}, ids=("intro",))
    assert append_annex(report, annex, report.pages[0], "Bijlage 1: Test", "niet toegankelijk")
    tree = report.Root.StructTreeRoot
    assert {key: str(value) for key, value in tree.RoleMap.items()} == {
        "/Heading": "/H1", "/Heading.1": "/P", "/Sect.1": "/Div", "/Custom": "/Sect.1"}
    assert list(tree.ClassMap["/red"].Color) == [1, 0, 0] and list(tree.ClassMap["/red.1"].Color) == [0, 0, 1]
    ids = dict(NameTree(tree.IDTree).items())
    assert set(ids) == {"intro", "intro.1"}
    section = annex_section(report, "Bijlage 1: Test")
    (grafted,) = section.K
    assert (grafted.S, grafted.C, grafted.ID, grafted.P.objgen) == (Name("/Heading.1"), Name("/red.1"), "intro.1",
                                                                    section.objgen)
    assert ids["intro.1"].objgen == grafted.objgen
    (own,) = [kid for kid in document_element(report).K if kid.get("/S") == Name("/Heading")]
    assert (own.C, own.ID) == (Name("/red"), "intro")


def test_annex_numbers_follow_the_reports():
    report, annex = tagged_pdf(page_count=2), tagged_pdf(page_count=3, widget=True)
    append_annex(report, annex, report.pages[1], "Bijlage 1: Test", "niet toegankelijk")
    keys = [page.StructParents for page in report.pages]
    assert keys == [0, 1, 2, 3, 4]
    assert report.pages[2].Annots[0].StructParent == 5
    assert report.Root.StructTreeRoot.ParentTreeNextKey == 6
    parents = NumberTree(report.Root.StructTreeRoot.ParentTree)
    assert [page_of(parents[key][0]) for key in keys] == [page.obj.objgen for page in report.pages]


def test_form_fields_keep_their_structure_when_their_names_clash():
    report = tagged_pdf()
    for number in (1, 2):
        append_annex(report, tagged_pdf(widget=True), report.pages[0], f"Bijlage {number}: Formulier",
                     "niet toegankelijk")
    parents = NumberTree(report.Root.StructTreeRoot.ParentTree)
    widgets = [report.pages[index].Annots[0] for index in (1, 2)]
    assert len({str(field.T) for field in report.Root.AcroForm.Fields}) == 2
    for widget, number in zip(widgets, (1, 2), strict=True):
        form = parents[widget.StructParent]
        assert form.S == Name.Form and form.K[0].Obj.objgen == widget.objgen
        assert annex_section(report, f"Bijlage {number}: Formulier").objgen in [a.objgen for a in ancestors(form)]


def test_is_tagged_needs_marks_elements_and_a_parent_tree():
    pdf = tagged_pdf()
    assert is_tagged(pdf)
    pdf.Root.MarkInfo.Marked = False
    assert not is_tagged(pdf)
    assert not is_tagged(pikepdf.open(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"))
