"""Annexes: every corpus file is bundled or refused with a message naming section, file and cause."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pikepdf
import pytest
from conftest import (
    CORPUS,
    FIXTURE_ANNEXES,
    annex_project,
    build_over_last_good,
    make_project,
    run_cli,
)
from pdfcheck import page_labels, page_texts
from pypdf import PdfReader

from kcvs_pdf.annexes.inspection import inspect_in_child
from kcvs_pdf.annexes.plan import collect_annexes, expected_annexes
from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.model import AnnexStatus, Edition
from kcvs_pdf.project import open_project
from kcvs_pdf.sources.load import load_report

REFUSED = {
    "not-a-pdf-html-error-page.pdf": "is not a PDF (it looks like an HTML page)",
    "truncated-download-60-percent.pdf": "is truncated: it has no end-of-file marker",
    "encrypted-user-password-required.pdf": "requires a password",
    "corrupt-page-tree.pdf": "is damaged beyond repair",
}
REPAIRED = {"broken-xref-repairable.pdf", "scan-with-junk-after-eof.pdf"}


def fixture_or_corpus(name: str) -> Path:
    path = FIXTURE_ANNEXES / name
    if path.is_file():
        return path
    if not (CORPUS / name).is_file():
        pytest.skip(f"{name} is only in ../shared/annex-corpus/")
    return CORPUS / name


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unusable_annex_fails_the_build_naming_section_file_and_cause(tmp_path, name):
    project = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf", fixture_or_corpus(name)])
    result, kept = build_over_last_good(project)
    assert result.exit_code == 1
    assert f"sources/sections/02-sectie-2.md:5:10: error: annex 'annexes/bijlage 2.pdf' {REFUSED[name]}" \
        in result.output
    assert "[annex.unusable]" in result.output
    assert kept, "the previous PDF was replaced or a temporary file was left behind"


def test_a_file_that_is_not_a_pdf_is_described_never_quoted(tmp_path):
    project = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"])
    (project / "sources" / "annexes" / "bijlage 1.pdf").write_bytes(b"\x1b]0;pwned\x07 <script>")
    result = run_cli(project, "build")
    assert "error: annex 'annexes/bijlage 1.pdf' is not a PDF [annex.unusable]" in result.output
    assert "pwned" not in result.output and "script" not in result.output




def replace_annex(project: Path, make) -> None:
    """Put what make(path) creates in place of the project's first annex."""
    annex = project / "sources" / "annexes" / "bijlage 1.pdf"
    annex.unlink()
    make(annex)


OUT_OF_PLACE = {
    "link-outside": (lambda path: path.symlink_to(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"),
                     "leads outside the project through a symbolic link, so it is not read: put the PDF "
                     "itself in the annexes folder"),
    "dangling-link": (lambda path: path.symlink_to(path.parent / "weg.pdf"),
                      "is a symbolic link to a file that does not exist: put the PDF itself in its place"),
    "folder": (lambda path: path.mkdir(), "is a folder, not a PDF file"),
    "pipe": (os.mkfifo, "is not a regular file (it is a pipe, socket or device), so it is not read"),
}


@pytest.mark.parametrize("case", sorted(OUT_OF_PLACE))
def test_an_annex_that_is_no_regular_file_in_the_project_is_refused_unopened(tmp_path, case, children):
    make, problem = OUT_OF_PLACE[case]
    project = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"])
    replace_annex(project, make)
    result, kept = build_over_last_good(project)
    assert result.exit_code == 1
    assert f"sources/sections/01-sectie-1.md:5:10: error: annex 'annexes/bijlage 1.pdf' {problem} " \
        "[annex.unusable]" in result.output
    assert kept and children == []


def test_a_link_to_a_pdf_elsewhere_in_the_project_is_bundled(tmp_path):
    project = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"])
    shutil.copyfile(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf", project / "gedeeld.pdf")
    replace_annex(project, lambda path: path.symlink_to(project / "gedeeld.pdf"))
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    assert page_labels(PdfReader(project / "build" / "testverslag-2023.pdf"))[-1] == "B1-4"


def test_check_inspects_annexes_once_for_the_same_bytes(tmp_path, children):
    project = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf",
                                             fixture_or_corpus("truncated-download-60-percent.pdf")])
    first = run_cli(project, "check")
    second = run_cli(project, "check")
    assert first.exit_code == second.exit_code == 1
    assert "sources/sections/02-sectie-2.md:5:10: error: annex 'annexes/bijlage 2.pdf' is truncated" \
        in second.output
    assert first.output == second.output and len(children) == 2
    assert len(list((project / "build" / ".cache" / "annexes").glob("*.json"))) == 2


@pytest.mark.parametrize("name", sorted(REPAIRED))
def test_damaged_but_repairable_annex_is_bundled_with_a_warning(tmp_path, name):
    project = annex_project(tmp_path / "p", [fixture_or_corpus(name)])
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    assert "warning: annex 'annexes/bijlage 1.pdf' was damaged" in result.output
    reader = PdfReader(project / "build" / "testverslag-2023.pdf")
    assert "B1-1" in page_labels(reader)
    result = run_cli(project, "build", "--strict")
    assert result.exit_code == 1


def test_encrypted_annex_with_empty_password_is_decrypted_and_bundled(tmp_path):
    project = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "encrypted-empty-user-password.pdf"])
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    reader = PdfReader(project / "build" / "testverslag-2023.pdf")
    assert not reader.is_encrypted
    assert page_labels(reader)[-1] == "B1-30"


def test_missing_annexes_are_listed_as_online_in_one_summary_line(tmp_path):
    project = make_project(tmp_path / "p")
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    assert "1 annex file(s) not found in sources/annexes/: listed as online" in result.output
    reader = PdfReader(project / "build" / "testverslag-2023.pdf")
    toc = reader.pages[2].extract_text()
    assert "Alfa werkgroep" in toc and "online beschikbaar" in toc


def test_missing_annex_with_strict_is_an_error(tmp_path):
    project = make_project(tmp_path / "p")
    result, kept = build_over_last_good(project, "--strict")
    assert result.exit_code == 1
    assert "sources/sections/01-alfa.md:5:10: error: annex file 'annexes/alfa bijlage.pdf' is missing" \
        in result.output
    assert kept


def test_a_web_page_link_is_never_an_annex(tmp_path):
    project = make_project(tmp_path / "p")
    result = run_cli(project, "build", "--strict")
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith("sources/sections/01-alfa.md:")


def test_an_annex_that_hangs_the_reader_is_refused_after_the_time_limit(tmp_path):
    verdict = inspect_in_child(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf", tmp_path / "out.pdf", timeout=0.001)
    assert not verdict.usable
    assert verdict.problem == ("could not be read within 0.001 seconds (the PDF library hangs on it): "
                               "re-save it from a PDF viewer")


def test_an_annex_that_exhausts_memory_is_refused(tmp_path):
    heavy = pikepdf.new()
    heavy.add_blank_page()
    heavy.pages[0].Contents = heavy.make_stream(b" " * 16 * 1024**2)
    heavy.save(tmp_path / "zwaar.pdf", compress_streams=False)
    verdict = inspect_in_child(tmp_path / "zwaar.pdf", tmp_path / "out.pdf", memory=4 * 1024**2)
    assert not verdict.usable
    assert verdict.problem.startswith("makes the PDF reader fail")


def corpus_files():
    return sorted(CORPUS.glob("*.pdf")) if CORPUS.is_dir() else sorted(FIXTURE_ANNEXES.glob("*.pdf"))


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_corpus_file_is_usable_or_refused_with_a_reason(tmp_path, path):
    verdict = inspect_in_child(path, tmp_path / "repaired.pdf")
    if path.name in REFUSED:
        assert not verdict.usable and verdict.problem.startswith(REFUSED[path.name])
    else:
        assert verdict.usable, verdict
        reader = PdfReader(verdict.path)
        assert not reader.is_encrypted
        assert len(reader.pages) == verdict.pages > 0


def test_report_yaml_sets_the_limits_annexes_are_inspected_with(tmp_path):
    root = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"])
    assert run_cli(root, "check").exit_code == 0
    report = root / "sources" / "report.yaml"
    report.write_text(report.read_text() + 'annex_limits: {stream: "1 kB", total: "1 MB"}\n')
    result = run_cli(root, "check")
    assert result.exit_code == 1 and "more than 1000 bytes (a 'decompression bomb')" in result.output, result.output
    report.write_text(report.read_text().replace('"1 kB"', '"1 MB"').replace('total: "1 MB"', 'total: "vol"'))
    result = run_cli(root, "check")
    assert "sources/report.yaml:22:39: error: 'annex_limits: total' must be a size such as \"5 MB\"" in result.output


def test_a_layout_that_prints_what_inspection_finds_gets_the_inspected_values(tmp_path, children):
    """The pages render while annexes are inspected, from HTML composed before their page counts
    are known: a layout that prints one gets the real count, on the first build as on later ones."""
    project = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"])
    dividers = project / "layouts" / "default" / "annexes.html"
    dividers.write_text(dividers.read_text(encoding="utf-8").replace(
        '<h1 class="annex-title">', '<p class="annex-source">Bladzijden: {{ annex.page_count }}</p>\n'
                                    '<h1 class="annex-title">'), encoding="utf-8")
    for build in ("first", "with the inspection cached"):
        result = run_cli(project, "build", "--no-cache")
        assert result.exit_code == 0, (build, result.output)
        reader = PdfReader(project / "build" / "testverslag-2023.pdf")
        divider = page_labels(reader).index("B1")
        assert "Bladzijden: 4" in page_texts(reader)[divider], build
    assert len(children) == 1


def test_the_expected_plan_is_the_inspected_one_but_for_what_inspection_finds(tmp_path):
    project_root = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf",
                                                  FIXTURE_ANNEXES / "encrypted-empty-user-password.pdf"])
    (project_root / "sources" / "annexes" / "bijlage 1.pdf").unlink()
    project = open_project(project_root, None, None)
    diagnostics = Diagnostics(project.root)
    report = load_report(project.sources, diagnostics)
    expected = expected_annexes(report, project, Edition.FULL, project.annex_cache)
    inspected = collect_annexes(report, project, Edition.FULL, project.annex_cache, diagnostics)
    shape = [(a.number, a.title, a.url, a.status) for a in inspected.annexes]
    assert [(a.number, a.title, a.url, a.status) for a in expected.annexes] == shape
    assert shape[1][0] == 1 and shape[0][3] is AnnexStatus.ONLINE
    assert expected.missing == inspected.missing
    assert [a.page_count for a in expected.bundled] == [0] and [a.page_count for a in inspected.bundled] == [30]
    # Once inspected, the cache knows everything: the plan expected is the plan.
    assert expected_annexes(report, project, Edition.FULL, project.annex_cache) == inspected
    assert diagnostics.items == ()
