"""Every build carries its sources' section data under the catalog's /KCVSReport, read back here."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zlib
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURE_ANNEXES, REVIEW_SECTIONS, copy_project, review_project, run_cli
from pdfcheck import outline, page_labels
from pypdf import PdfReader

from kcvs_pdf.errors import Diagnostics, NotBuiltError
from kcvs_pdf.pdf.provenance import read
from kcvs_pdf.sources.load import load_report


@pytest.fixture(scope="module")
def built(review_build) -> Path:
    return review_build / "build" / "testverslag-2023.pdf"


def test_sections_are_embedded_in_reading_order_with_chapter_source_hash_and_paragraphs(review_build, built):
    embedded = read(built)
    report = load_report(review_build / "sources", Diagnostics())
    assert (embedded.title, embedded.year, embedded.edition, embedded.language, embedded.published) == \
        ("Testverslag 2023", 2023, "full", "nl-BE", "2024-06-01")
    assert [(s.slug, s.chapter, s.chapter_title) for s in embedded.sections] == [
        ("alfa", 1, "Eerste hoofdstuk"), ("beta", 1, "Eerste hoofdstuk"),
        ("gamma", 2, "Tweede hoofdstuk"), ("delta", 2, "Tweede hoofdstuk")]
    for section, source in zip(embedded.sections, report.sections, strict=True):
        assert section.source == source.path.relative_to(review_build).as_posix()
        assert section.sha256 == hashlib.sha256(source.path.read_bytes()).hexdigest()
        assert [(p.line, p.text) for p in section.paragraphs] == [(p.line, p.text) for p in source.paragraphs]
    lines = REVIEW_SECTIONS["sources/sections/01-alfa.md"].splitlines()
    assert lines[embedded.sections[0].paragraphs[1].line - 1].strip().startswith("In het voorjaar")


def test_each_sections_pages_run_from_its_outline_entry_to_the_page_before_the_next_start(built):
    embedded = read(built)
    reader = PdfReader(built)
    labels = page_labels(reader)
    chapters = outline(reader)
    starts = sorted({entry.page for chapter in chapters for entry in (chapter, *chapter.children)} |
                    {embedded.annexes[0].first_page - 1})
    entries = {child.title: child.page for chapter in chapters for child in chapter.children}
    for section in embedded.sections:
        assert section.first_page == entries[section.title]
        assert section.last_page == next(p for p in starts if p > section.first_page) - 1
        assert section.page_labels == tuple(labels[section.first_page:section.last_page + 1])


def test_a_section_longer_than_a_page_spans_its_pages_up_to_the_next_chapter(tmp_path):
    long_text = "\n\n".join(f"Alinea {n} over de werking van de centrumsteden en hun samenwerking " * 6
                            for n in range(1, 25))
    root = review_project(tmp_path / "project", {"sources/sections/02-beta.md": f'---\ntitle: "Beta"\n---\n\n{long_text}\n'})
    assert run_cli(root, "build", "--edition", "web").exit_code == 0
    path = root / "build" / "testverslag-2023-web.pdf"
    beta, gamma = read(path).sections[1:3]
    assert beta.last_page > beta.first_page
    assert beta.last_page == gamma.first_page - 2  # the chapter 2 opener lies between them
    assert read(path).edition == "web" and read(path).annexes == ()


def test_bundled_annexes_are_embedded_with_pages_labels_and_their_own_annotations(built):
    (annex,) = read(built).annexes
    reader = PdfReader(built)
    assert (annex.number, annex.title, annex.source) == (1, "Alfa werkgroep", "sources/annexes/alfa bijlage.pdf")
    assert (annex.first_page, annex.last_page) == (len(reader.pages) - 1, len(reader.pages) - 1)
    assert annex.page_labels == ("B1-1",)
    corpus = PdfReader(FIXTURE_ANNEXES / "annotations-text-highlight-ink.pdf")
    assert [a.subtype for a in annex.annotations] == [str(a.get_object()["/Subtype"])[1:]
                                                      for a in corpus.pages[0]["/Annots"]]
    assert {a.page for a in annex.annotations} == {annex.first_page}


def test_the_data_is_a_flate_json_stream_in_the_catalog_not_an_attachment(built):
    with pikepdf.open(built) as pdf:
        stream = pdf.Root.KCVSReport
        assert (stream.Type, stream.Version, stream.Filter) == ("/KCVSReport", 1, "/FlateDecode")
        raw = zlib.decompress(stream.read_raw_bytes())
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
    data = json.loads(raw.decode("utf-8"))
    assert raw == json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert "revision" not in data  # the fixture project is no git checkout
    assert set(data["sections"][0]) == {"slug", "title", "chapter", "chapter_title", "source", "sha256",
                                        "paragraphs", "first_page", "last_page", "page_labels", "status",
                                        "approved_by", "approved_on"}


def test_each_sections_approval_is_embedded_as_its_sources_give_it(review_build, tmp_path):
    root = copy_project(review_build, tmp_path / "project")
    beta = root / "sources" / "sections" / "02-beta.md"
    beta.write_text(beta.read_text().replace("---\n\n", 'status: "review"\n---\n\n', 1))
    assert run_cli(root, "build", "--edition", "draft").exit_code == 0
    embedded = read(root / "build" / "testverslag-2023-concept.pdf")
    assert [(s.slug, s.status, s.approved_by, s.approved_on) for s in embedded.sections] == [
        ("alfa", "approved", "Beheerscomité", "2024-03-26"), ("beta", "review", None, None),
        ("gamma", "approved", "Beheerscomité", "2024-03-26"), ("delta", "approved", "Beheerscomité", "2024-03-26")]


def git(root: Path, *arguments: str) -> str:
    return subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *arguments], cwd=root,
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_revision_is_the_last_commit_of_the_sources_and_absent_after_an_edit(review_build, tmp_path):
    root = copy_project(review_build, tmp_path / "project")
    (root / ".gitignore").write_text("build/\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "sources")
    commit = git(root, "rev-parse", "HEAD")
    assert run_cli(root, "build").exit_code == 0
    assert read(root / "build" / "testverslag-2023.pdf").revision == commit
    delta = root / "sources" / "sections" / "04-delta.md"
    delta.write_text(delta.read_text().replace("overleg delta", "overleg Delta"))
    assert run_cli(root, "build").exit_code == 0
    assert read(root / "build" / "testverslag-2023.pdf").revision is None


def test_a_pdf_not_built_by_kcvs_pdf_or_by_a_newer_format_is_refused_with_a_reason(built, tmp_path):
    with pytest.raises(NotBuiltError, match="carries no KCVS report data: it was not built by kcvs-pdf"):
        read(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf")
    newer = tmp_path / "nieuwer.pdf"
    with pikepdf.open(built) as pdf:
        pdf.Root.KCVSReport.Version = 2
        pdf.save(newer)
    with pytest.raises(NotBuiltError, match="format 2; this kcvs-pdf reads format 1"):
        read(newer)
    with pytest.raises(NotBuiltError, match="cannot be read as a PDF"):
        read(FIXTURE_ANNEXES / "not-a-pdf-html-error-page.pdf")


def test_a_drafts_approval_sheet_belongs_to_no_section(project):
    """Without annexes the sheet follows the last section: comments on it are no comments on that section."""
    assert run_cli(project, "build", "--edition", "draft").exit_code == 0
    embedded = read(project / "build" / "testverslag-2023-concept.pdf")
    sheet = len(PdfReader(project / "build" / "testverslag-2023-concept.pdf").pages) - 1
    assert embedded.sections[-1].last_page == sheet - 1
    assert embedded.section_at(sheet) is None
