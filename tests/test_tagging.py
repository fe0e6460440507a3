"""The structure tree after tagging: links under Link elements, no meaningless Spans, every mark claimed."""

from __future__ import annotations

import re
import shutil

import pikepdf
import pytest
from conftest import REPO, ROOTS, run_cli
from pikepdf import Array, Dictionary, Name, NumberTree

from kcvs_pdf.pdf.tagging import is_element, kids, make_accessible


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    project = tmp_path_factory.mktemp("tagging") / "project"
    shutil.copytree(ROOTS / "report", project)
    shutil.copytree(REPO / "layouts", project / "layouts")
    # Footnotes and loose lists put paragraphs in list items, which WeasyPrint tags under the LI.
    section = project / "sources" / "sections" / "05-energiedelen.md"
    section.write_text(section.read_text() + "\n\nZie de noot[^1].\n\n- een losse lijst\n\n- met lege regels\n\n"
                                              "[^1]: Een voetnoot.\n")
    assert run_cli(project, "build", "--edition", "web").exit_code == 0
    with pikepdf.open(project / "build" / "proefverslag-2031-web.pdf") as document:
        yield document


def elements(document: pikepdf.Pdf):
    stack = [document.Root.StructTreeRoot]
    while stack:
        element = stack.pop()
        found = [kid for kid in kids(element) if is_element(kid)]
        yield from found
        stack.extend(found)


def test_every_link_annotation_belongs_to_a_link_element(pdf):
    parents = NumberTree(pdf.Root.StructTreeRoot.ParentTree)
    annotations = [a for page in pdf.pages for a in page.get("/Annots", ()) if a.Subtype == Name.Link]
    assert annotations
    for annotation in annotations:
        assert parents[annotation.StructParent].S == Name.Link


def test_no_span_without_meaning_and_no_link_inside_a_link(pdf):
    for element in elements(pdf):
        if element.S == Name.Span:
            assert any(key in element for key in ("/A", "/Lang", "/ActualText", "/Alt")), element
        if element.S == Name.Link:
            assert element.P.S != Name.Link


def test_every_marked_content_is_claimed_by_an_element_or_an_artifact(pdf):
    parents = NumberTree(pdf.Root.StructTreeRoot.ParentTree)
    for page in pdf.pages:
        content = page.Contents.read_bytes() if isinstance(page.Contents, pikepdf.Stream) else \
            b"".join(stream.read_bytes() for stream in page.Contents)
        marked = {int(mcid) for mcid in re.findall(rb"<<\s*/MCID\s+(\d+)\s*>>\s*BDC", content)}
        claimed = parents[page.StructParents] if "/StructParents" in page.obj else []
        assert all(mcid < len(claimed) and isinstance(claimed[mcid], Dictionary) for mcid in marked)


def test_a_list_item_holds_only_its_label_and_body(pdf):
    """PDF/UA: an LI holds Lbl and LBody, whatever the item's content (here a note's paragraph)."""
    items = [element for element in elements(pdf) if element.S == "/LI"]
    assert len(items) >= 4
    for item in items:
        assert [str(kid.S) if is_element(kid) else kid for kid in kids(item)] in (["/Lbl", "/LBody"], ["/LBody"])
        for body in kids(item):
            assert all(kid.P.objgen == body.objgen for kid in kids(body) if is_element(kid))


def test_a_reference_to_an_annotation_that_is_gone_is_dropped():
    document = pikepdf.new()
    document.add_blank_page()
    tree = document.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    paragraph = document.make_indirect(Dictionary(Type=Name.StructElem, S=Name.P, P=tree, Pg=document.pages[0].obj,
                                                  K=Array([Dictionary(Type=Name.OBJR, Pg=document.pages[0].obj)])))
    tree.K = Array([paragraph])
    document.Root.StructTreeRoot = tree
    make_accessible(document, {})
    assert list(kids(paragraph)) == []


def test_a_list_items_paragraphs_go_into_its_body_beside_its_label():
    document = pikepdf.new()
    document.add_blank_page()
    page = document.pages[0].obj
    tree = document.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    item = document.make_indirect(Dictionary(Type=Name.StructElem, S=Name.LI, P=tree, Pg=page))
    label = document.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Lbl, P=item, Pg=page, K=Array([0])))
    first, second = (document.make_indirect(Dictionary(Type=Name.StructElem, S=Name.P, P=item, Pg=page, K=Array([n])))
                     for n in (1, 2))
    item.K = Array([label, first, 3, second])
    tree.K = Array([item])
    document.Root.StructTreeRoot = tree
    make_accessible(document, {})
    assert [kid.S for kid in kids(item)] == [Name.Lbl, Name.LBody]
    body = kids(item)[1]
    assert [kid.objgen if is_element(kid) else kid for kid in kids(body)] == [first.objgen, 3, second.objgen]
    assert body.P.objgen == item.objgen and first.P.objgen == second.P.objgen == body.objgen
    assert body.Pg.objgen == page.objgen
    parents = NumberTree(tree.ParentTree)[document.pages[0].StructParents]
    assert [element.objgen for element in parents] == [label.objgen, first.objgen, second.objgen, body.objgen]
