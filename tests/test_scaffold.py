"""`kcvs-pdf new YEAR`: next year's report starts beside this year's, which still builds the same."""

from __future__ import annotations

import shutil

import reportcheck
from conftest import REPO, ROOTS, run_cli
from pypdf import PdfReader


def fixture_project(root):
    shutil.copytree(ROOTS / "report", root)
    shutil.copytree(REPO / "layouts", root / "layouts")
    return root


def test_new_year_keeps_chapters_and_stubs_every_section_as_a_concept(tmp_path):
    project = fixture_project(tmp_path / "p")
    before = run_cli(project, "build", "--edition", "web")
    assert before.exit_code == 0, before.output
    first = (project / "build" / "proefverslag-2031-web.pdf").read_bytes()

    result = run_cli(project / "sources" / "sections", "new", "2032")
    assert result.exit_code == 0, result.output
    new = project / "sources-2032"
    assert sorted(p.name for p in (new / "sections").iterdir()) == \
        sorted(p.name for p in (project / "sources" / "sections").iterdir())
    assert (new / "annexes").is_dir() and not any((new / "annexes").iterdir())

    draft = run_cli(project, "build", "--sources", "sources-2032", "--edition", "draft")
    assert draft.exit_code == 0, draft.output
    built = reportcheck.read_built(project, project / "build" / "proefverslag-2032-concept.pdf")
    old = reportcheck.read_built(project, project / "build" / "proefverslag-2031-web.pdf")
    assert [c.title for c in reportcheck.outline(built.reader)][:3] == [c.title for c in old.report.chapters]
    assert "0 van 6 secties goedgekeurd" in built.texts[1]
    assert PdfReader(project / "build" / "proefverslag-2032-concept.pdf").metadata["/Title"] == "Proefverslag 2032 (concept)"

    refused = run_cli(project, "build", "--sources", "sources-2032", "--edition", "web")
    assert refused.exit_code == 1 and refused.output.count("[approval.pending]") == 6

    again = run_cli(project, "build", "--edition", "web", "--no-cache")
    assert again.exit_code == 0
    assert (project / "build" / "proefverslag-2031-web.pdf").read_bytes() == first


def test_new_refuses_to_overwrite_an_existing_folder(tmp_path):
    project = fixture_project(tmp_path / "p")
    (project / "sources-2032").mkdir()
    result = run_cli(project, "new", "2032")
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_every_command_finds_the_project_from_a_subfolder_or_takes_it_explicitly(tmp_path):
    project = fixture_project(tmp_path / "p")
    assert run_cli(project / "sources" / "sections", "check").exit_code == 0
    assert run_cli(tmp_path, "--project", "p", "check").exit_code == 0
    outside = run_cli(tmp_path, "check")
    assert outside.exit_code == 2 and "no project found" in outside.output


def test_inside_next_years_report_a_command_works_on_that_report(tmp_path):
    """In sources-2032/sections, `build` builds 2032, not the report in sources/."""
    project = fixture_project(tmp_path / "p")
    assert run_cli(project, "new", "2032").exit_code == 0
    result = run_cli(project / "sources-2032" / "sections", "build", "--edition", "draft")
    assert result.exit_code == 0, result.output
    assert (project / "build" / "proefverslag-2032-concept.pdf").is_file()
    assert not (project / "build" / "proefverslag-2031-concept.pdf").exists()
    refused = run_cli(project / "sources-2032", "build", "--edition", "web")
    assert refused.exit_code == 1 and refused.output.count("[approval.pending]") == 6
    assert run_cli(project / "layouts", "build", "--edition", "web").exit_code == 0


def test_with_an_explicit_project_its_sources_are_named_inside_it(tmp_path):
    project = fixture_project(tmp_path / "p")
    assert run_cli(project, "new", "2032").exit_code == 0
    result = run_cli(tmp_path, "--project", "p", "check", "--sources", "sources-2032")
    assert result.exit_code == 0 and "6 warning(s)" in result.output, result.output
    assert "[approval.pending]" in result.output


def test_the_year_after_starts_beside_the_new_report_under_its_own_year(tmp_path):
    project = fixture_project(tmp_path / "p")
    assert run_cli(project, "new", "2032").exit_code == 0
    result = run_cli(project, "new", "2033", "--sources", "sources-2032")
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in project.iterdir() if path.name.startswith("sources")) == \
        ["sources", "sources-2032", "sources-2033"]
    assert run_cli(project, "check", "--sources", "sources-2033").exit_code == 0


def test_a_report_published_on_the_29th_of_february_plans_the_next_for_the_28th(tmp_path):
    project = fixture_project(tmp_path / "p")
    report = project / "sources" / "report.yaml"
    report.write_text(report.read_text().replace("published: 2032-05-15", "published: 2032-02-29"))
    result = run_cli(project, "new", "2032")
    assert result.exit_code == 0, result.output
    assert "published: 2033-02-28" in (project / "sources-2032" / "report.yaml").read_text()
