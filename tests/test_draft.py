"""The draft edition: a watermark on every page, a stamp on every report page, an approval sheet."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess

import pikepdf
import pytest
from conftest import FIXTURE_ANNEXES, annex_project, run_cli
from pdfcheck import background, contrast, page_labels, page_texts, text_boxes
from pypdf import PdfReader


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    root = tmp_path_factory.mktemp("draft")
    project = annex_project(root / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf",
                                         FIXTURE_ANNEXES / "rotated-0-90-180-270-pages.pdf"])
    report_yaml = project / "sources" / "report.yaml"
    report_yaml.write_text(report_yaml.read_text().replace('status: "approved"', 'status: "review"'))
    section = project / "sources" / "sections" / "01-sectie-1.md"
    section.write_text(section.read_text().replace('title: "Sectie 1"\n', 'title: "Sectie 1"\nstatus: "approved"\n'))
    result = run_cli(project, "build", "--edition", "draft")
    assert result.exit_code == 0, result.output
    pdf = project / "build" / "testverslag-2023-concept.pdf"
    reader = PdfReader(pdf)
    return {"pdf": pdf, "reader": reader, "texts": page_texts(reader), "labels": page_labels(reader)}


def test_every_page_carries_the_watermark_as_an_artifact(draft):
    with pikepdf.open(draft["pdf"]) as pdf:
        for index, page in enumerate(pdf.pages):
            operators = pikepdf.parse_content_stream(page)
            marks = [(i, operands) for i, (operands, operator) in enumerate(operators) if operator == pikepdf.Operator("BDC")
                     and operands[0] == pikepdf.Name.Artifact and operands[1].get("/Subtype") == pikepdf.Name.Watermark]
            assert marks, f"page {index + 1} has no watermark artifact"
            start, _ = marks[-1]
            drawn = [operands[0] for operands, operator in operators[start:] if operator == pikepdf.Operator("Do")]
            assert drawn and all(str(name).startswith("/KcvsWatermark") for name in drawn)
    assert all("CONCEPT" in text for text in draft["texts"])


def test_the_watermark_draws_nothing_but_its_word(draft):
    with pikepdf.open(draft["pdf"]) as pdf:
        form = next(xobject for name, xobject in pdf.pages[0].Resources.XObject.items()
                    if name.startswith("/KcvsWatermark"))
        shown = [operands for operands, operator in pikepdf.parse_content_stream(form)
                 if operator in (pikepdf.Operator("Tj"), pikepdf.Operator("TJ"))]
    # One run of glyphs: the word. A second was the watermark page's own folio, drawn below every page.
    assert len(shown) == 1


def test_every_report_page_is_stamped_with_revision_date_and_approvals(draft):
    report_pages = [i for i, label in enumerate(draft["labels"]) if not label.startswith("B")]
    for index in report_pages:
        stamp = re.search(r"Versie (\S+) · laatste wijziging (\d+ \w+ \d{4}) · (\d+) van (\d+) secties goedgekeurd",
                          draft["texts"][index])
        assert stamp, f"no stamp on page {index + 1}"
        assert stamp.group(3, 4) == ("1", "2")


def test_the_stamp_stands_inside_every_report_page_and_reads_against_what_it_stands_on(draft):
    # The petrol cover and chapter openers have no margins: a stamp in their margin box fell half
    # off the page, grey on petrol, though every character of it was still in the text.
    report_pages = [i for i, label in enumerate(draft["labels"]) if not label.startswith("B")]
    width, height = (float(v) for v in draft["reader"].pages[0].mediabox[2:])
    for index in report_pages:
        _, colour, boxes = text_boxes(draft["pdf"], index, "Versie ", "secties goedgekeurd")
        left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
        right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
        assert 0 < left < right < width and 0 < bottom < top < height, f"stamp off page {index + 1}"
        behind = background(draft["pdf"], index, (left, bottom, right, top))
        assert contrast(colour, behind) >= 4.5, f"stamp on page {index + 1}: {colour} on {behind}"


def test_the_document_properties_tell_the_draft_from_the_final_edition(draft):
    # Dated by the newest change of its sources (the fixture is no git checkout: files' times).
    project = draft["pdf"].parents[1]
    newest = max(path.stat().st_mtime for folder in ("sources", "layouts")
                 for path in (project / folder).rglob("*") if path.is_file())
    changed = datetime.datetime.fromtimestamp(newest, datetime.UTC).date()
    with pikepdf.open(draft["pdf"]) as pdf:
        assert str(pdf.docinfo.Title) == "Testverslag 2023 (concept)"
        assert pdf.open_metadata()["dc:title"] == "Testverslag 2023 (concept)"
        assert str(pdf.docinfo.CreationDate) == str(pdf.docinfo.ModDate) == f"D:{changed:%Y%m%d}"


def test_the_cover_says_concept_plainly(draft):
    assert re.search(r"(?i)^concept\nOntwerpversie ter goedkeuring", draft["texts"][0], re.MULTILINE)


def test_the_draft_ends_with_the_approval_sheet_after_the_annexes(draft):
    last = draft["texts"][-1]
    assert "Goedkeuring" in last
    assert re.search(r"Sectie 1\s+goedgekeurd\s+Beheerscomité\s+26 maart 2024", last)
    assert re.search(r"Sectie 2\s+ter nazicht", last)
    labels = draft["labels"]
    assert labels[-2].startswith("B2-") and labels[-1] == str(labels.index("B1") + 1)
    # The folio printed in its corner is the label a reader shows, not a count with the dividers.
    assert re.search(r"secties goedgekeurd (\S+)\n", last).group(1) == labels[-1]


def test_the_same_sources_give_the_same_draft_bytes(tmp_path):
    from conftest import make_project
    project = make_project(tmp_path / "p")
    builds = []
    for _ in range(2):
        result = run_cli(project, "build", "--edition", "draft", "--no-cache")
        assert result.exit_code == 0, result.output
        builds.append((project / "build" / "testverslag-2023-concept.pdf").read_bytes())
    assert builds[0] == builds[1]


def git(root, *arguments: str) -> str:
    # Committed on a day that is not today, so that the stamp's date is seen to be the commit's.
    return subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *arguments], cwd=root,
                          check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_COMMITTER_DATE": "2024-03-20T12:00:00+01:00"}).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_in_a_git_checkout_the_stamp_gives_git_describe_and_the_commit_date_and_rebuilds_are_identical(tmp_path):
    from conftest import make_project
    project = make_project(tmp_path / "p")
    (project / ".gitignore").write_text("build/\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "sources")
    pdf = project / "build" / "testverslag-2023-concept.pdf"
    builds = []
    for _ in range(2):
        assert run_cli(project, "build", "--edition", "draft", "--no-cache").exit_code == 0
        builds.append(pdf.read_bytes())
    assert builds[0] == builds[1]
    stamp = f"Versie {git(project, 'describe', '--always', '--dirty', '--abbrev=10')} · laatste wijziging " \
            "20 maart 2024 · "
    assert stamp in page_texts(PdfReader(pdf))[2]
    with pikepdf.open(pdf) as opened:
        assert str(opened.docinfo.CreationDate) == "D:20240320"
    section = project / "sources" / "sections" / "01-alfa.md"
    section.write_text(section.read_text().replace("zes keer", "acht keer"))
    assert run_cli(project, "build", "--edition", "draft").exit_code == 0
    assert re.search(r"Versie [0-9a-f]{10}-dirty · ", page_texts(PdfReader(pdf))[2])
