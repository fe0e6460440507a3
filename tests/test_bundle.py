"""The full edition: annexes bundled behind the report, read back page by page."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURE_ANNEXES, annex_project, inherited_rotation_pdf, run_cli
from pdfcheck import links, outline, page_labels, page_texts, qpdf_problems, squash
from pypdf import PdfReader

USABLE = ["own-outline-bookmarks.pdf", "rotated-0-90-180-270-pages.pdf", "acroform-fields.pdf",
          "encrypted-empty-user-password.pdf", "landscape-and-portrait-pages-with-boxes.pdf",
          "us-letter-11-pages-with-page-labels.pdf", "annotations-text-highlight-ink.pdf"]


def source_reader(path: Path) -> PdfReader:
    reader = PdfReader(path)
    if reader.is_encrypted:
        reader.decrypt("")
    return reader


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundle")
    sources = [FIXTURE_ANNEXES / name for name in USABLE]
    sources.append(inherited_rotation_pdf(root / "inherited-rotation.pdf"))
    project = annex_project(root / "project", sources, titles={3: "Formulier met velden"})
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    web = run_cli(project, "build", "--edition", "web")
    assert web.exit_code == 0, web.output
    pdf = project / "build" / "testverslag-2023.pdf"
    return {"pdf": pdf, "reader": PdfReader(pdf), "sources": sources, "output": result.output,
            "web": PdfReader(project / "build" / "testverslag-2023-web.pdf")}


def annex_starts(reader: PdfReader, count: int) -> list[int]:
    labels = page_labels(reader)
    return [labels.index(f"B{number}-1") for number in range(1, count + 1)]


def test_total_pages_and_labels_are_report_then_divider_and_pages_per_annex(bundled):
    reader, sources = bundled["reader"], bundled["sources"]
    counts = [len(source_reader(path).pages) for path in sources]
    report_pages = sum(1 for label in page_labels(reader) if label.isdigit())
    assert len(reader.pages) == report_pages + len(counts) + sum(counts)
    expected = [str(n) for n in range(1, report_pages + 1)]
    for number, count in enumerate(counts, start=1):
        expected += [f"B{number}"] + [f"B{number}-{page}" for page in range(1, count + 1)]
    assert page_labels(reader) == expected


def test_each_annex_keeps_its_pages_in_order_with_sizes_and_rotations(bundled):
    reader, sources = bundled["reader"], bundled["sources"]
    for start, path in zip(annex_starts(reader, len(sources)), sources, strict=True):
        original = source_reader(path)
        for offset, page in enumerate(original.pages):
            copy = reader.pages[start + offset]
            assert list(copy.mediabox) == pytest.approx(list(page.mediabox), abs=1e-3), (path.name, offset)
            assert copy.rotation == page.rotation, (path.name, offset)
            assert squash(copy.extract_text() or "") == squash(page.extract_text() or ""), (path.name, offset)


def test_inherited_rotation_survives(bundled):
    reader, sources = bundled["reader"], bundled["sources"]
    start = annex_starts(reader, len(sources))[-1]
    assert [reader.pages[start + i].rotation for i in range(2)] == [90, 90]


def test_toc_and_calls_to_action_land_on_each_annex_first_page(bundled):
    reader, sources = bundled["reader"], bundled["sources"]
    texts = page_texts(reader)
    starts = annex_starts(reader, len(sources))
    section_pages = {entry.title: entry.page for chapter in outline(reader)[:-1] for entry in chapter.children}
    toc_pages = [i for i, text in enumerate(texts) if "Inhoud" in text or "Bijlagen" in text][:2]
    for number, start in enumerate(starts, start=1):
        toc_targets = {l.target_page for l in links(reader) if l.page in toc_pages}
        assert start in toc_targets, number
        cta = [l for l in links(reader) if l.page == section_pages[f"Sectie {number}"]
               and l.target_page == start]
        assert cta, f"call to action of section {number} does not land on B{number}-1"
    toc_text = "".join(texts[p] for p in toc_pages)
    assert "Bijlage 3: Formulier met velden" in toc_text
    assert all(f"B{number}-1" in toc_text for number in range(1, len(starts) + 1))


def test_outline_nests_annexes_and_their_own_outline_under_bijlagen(bundled):
    reader, sources = bundled["reader"], bundled["sources"]
    starts = annex_starts(reader, len(sources))
    top = outline(reader)
    assert [e.title for e in top] == ["Eerste hoofdstuk", "Bijlagen"]
    annexes = top[-1].children
    assert [a.title for a in annexes][:3] == ["Bijlage 1: Sectie 1", "Bijlage 2: Sectie 2",
                                               "Bijlage 3: Formulier met velden"]
    assert [a.page for a in annexes] == starts
    for annex, start, path in zip(annexes, starts, sources, strict=True):
        original = source_reader(path)
        assert flatten(annex.children, start) == flatten_reader(original), path.name


def flatten(entries, start, depth=0):
    """Return (depth, title, page within the annex) for every entry, depth first."""
    result = []
    for entry in entries:
        result.append((depth, entry.title, entry.page - start))
        result.extend(flatten(entry.children, start, depth + 1))
    return result


def flatten_reader(reader: PdfReader):
    def walk(items, depth=0):
        result = []
        for item in items:
            if isinstance(item, list):
                result.extend(walk(item, depth + 1))
            else:
                result.append((depth, str(item.title), reader.get_destination_page_number(item)))
        return result
    return walk(reader.outline)


def test_links_inside_an_annex_still_land_on_its_own_pages(bundled):
    reader, sources = bundled["reader"], bundled["sources"]
    start = annex_starts(reader, len(sources))[0]
    original = source_reader(sources[0])
    expected = sorted((l.page, l.target_page) for l in links(original))
    count = len(original.pages)
    bundled_links = sorted((l.page - start, l.target_page - start) for l in links(reader)
                           if start <= l.page < start + count and l.target_page is not None)
    assert len(expected) == 9
    assert bundled_links == expected


def test_form_fields_and_markup_annotations_are_kept(bundled):
    reader = bundled["reader"]
    fields = reader.get_fields()
    assert len(fields) == len(source_reader(FIXTURE_ANNEXES / "acroform-fields.pdf").get_fields())
    subtypes = {str(a.get_object()["/Subtype"]) for page in reader.pages for a in page.get("/Annots", ()) or ()}
    assert {"/Highlight", "/Ink", "/Text", "/Widget"} <= subtypes


def test_bundle_passes_qpdf_check(bundled):
    assert qpdf_problems(bundled["pdf"]) == []


def test_web_edition_has_no_annex_pages_and_links_to_urls(bundled):
    web = bundled["web"]
    assert all(label.isdigit() for label in page_labels(web))
    uris = {l.uri for l in links(web) if l.uri}
    assert {f"https://www.example.org/docs/bijlage%20{n}.pdf" for n in range(1, 9)} <= uris
    assert "Bijlagen" not in [e.title for e in outline(web)]



def test_bundle_keeps_the_reports_structure_tree_metadata_and_language(bundled):
    reader = bundled["reader"]
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "nl-BE"
    assert reader.metadata["/Title"] == "Testverslag 2023"
    assert reader.metadata["/CreationDate"].startswith("D:20240601")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Bundle an annex with every kind of active content, the corpus attachment, a form twice and
    an annex whose active content is disguised."""
    from conftest import CORPUS
    from hostile import active_content_pdf, disguised_active_content_pdf
    root = tmp_path_factory.mktemp("hostile")
    attachment = CORPUS / "embedded-file-attachment.pdf"
    if not attachment.is_file():
        pytest.skip("embedded-file-attachment.pdf is only in ../shared/annex-corpus/")
    form = FIXTURE_ANNEXES / "acroform-fields.pdf"
    project = annex_project(root / "p", [active_content_pdf(root / "hostile.pdf"), attachment, form, form,
                                         disguised_active_content_pdf(root / "disguised.pdf")])
    return project, run_cli(project, "build"), run_cli(project, "build", "--strict")


def test_active_content_is_named_per_annex_at_its_link(hostile):
    from hostile import EXPECTED_DISGUISED_REMOVAL, EXPECTED_REMOVAL
    _, result, strict = hostile
    assert result.exit_code == 0, result.output
    assert (f"sources/sections/01-sectie-1.md:5:10: warning: annex 'annexes/bijlage 1.pdf': removed "
            f"{EXPECTED_REMOVAL} [annex.active-content]") in result.output
    assert ("sources/sections/02-sectie-2.md:5:10: warning: annex 'annexes/bijlage 2.pdf': removed the "
            "embedded file 'image.png' [annex.active-content]") in result.output
    assert (f"sources/sections/05-sectie-5.md:5:10: warning: annex 'annexes/bijlage 5.pdf': removed "
            f"{EXPECTED_DISGUISED_REMOVAL} [annex.active-content]") in result.output
    assert result.output.count("[annex.active-content]") == 3
    assert strict.exit_code == 1 and "Build stopped: 0 error(s), 3 warning(s)" in strict.output


def test_no_active_content_is_left_anywhere_in_the_bundle(hostile):
    import pikepdf
    from hostile import forbidden_names
    project, _, _ = hostile
    with pikepdf.open(project / "build" / "testverslag-2023.pdf") as pdf:
        assert forbidden_names(pdf) == set()
        assert len(pdf.attachments) == 0


def test_plain_links_outline_and_clashing_form_fields_survive_the_cleaning(hostile):
    project, _, _ = hostile
    reader = PdfReader(project / "build" / "testverslag-2023.pdf")
    start = annex_starts(reader, 5)[0]
    annex_links = [l for l in links(reader) if l.page == start]
    assert [l.uri for l in annex_links if l.uri] == ["https://www.example.org/"] * 2
    assert [l.target_page for l in annex_links if l.target_page is not None] == [start + 1]
    hostile_outline = outline(reader)[-1].children[0]
    # The item whose script was removed stays, leading nowhere, like any item without a target.
    assert [(e.title, e.page) for e in hostile_outline.children] == [("Tweede pagina", start + 1),
                                                                     ("Script", None)]
    form = source_reader(FIXTURE_ANNEXES / "acroform-fields.pdf").get_fields()
    # The hostile annexes' fields "naam" and "bedrag" stay.
    assert len(reader.get_fields()) == 2 * len(form) + 2
