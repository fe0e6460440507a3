"""Approval in the sources: the final editions refuse unapproved sections, drafts show them."""

from __future__ import annotations

import re

from conftest import ALFA, REPORT_YAML, build_over_last_good, make_project, run_cli

UNAPPROVED = REPORT_YAML.replace('status: "approved"\n', 'status: "review"\n')
BETA_APPROVED = """\
---
title: "Beta project"
status: "approved"
approved_by: "Directeur"
approved_on: 2024-02-01
---

Het project beta.
"""


def test_final_editions_refuse_each_unapproved_section_at_its_status_line(tmp_path):
    alfa = ALFA.replace('title: "Alfa werkgroep"\n', 'title: "Alfa werkgroep"\nstatus: "concept"\n')
    project = make_project(tmp_path / "p", {"sources/report.yaml": UNAPPROVED,
                                            "sources/sections/01-alfa.md": alfa})
    for edition in ("full", "web"):
        result, untouched = build_over_last_good(project, "--edition", edition)
        assert result.exit_code == 1 and untouched
        errors = re.findall(r"^(\S+): error: (.*) \[approval.pending\]$", result.output, re.MULTILINE)
        assert errors == [
            ("sources/sections/01-alfa.md:3:9", "section 'Alfa werkgroep' is not approved (status: concept); "
             "the final editions need every section approved, or build --edition draft"),
            ("sources/sections/02-beta.md:1:1", "section 'Beta project' is not approved (status: review); "
             "the final editions need every section approved, or build --edition draft"),
        ]


def test_a_section_may_override_the_reports_status(tmp_path):
    project = make_project(tmp_path / "p", {"sources/report.yaml": UNAPPROVED,
                                            "sources/sections/02-beta.md": BETA_APPROVED})
    result = run_cli(project, "build", "--edition", "web")
    assert result.exit_code == 1
    assert "01-alfa.md:1:1: error: section 'Alfa werkgroep' is not approved" in result.output
    assert "02-beta.md" not in result.output


def test_check_warns_about_unapproved_sections_and_strict_fails(tmp_path):
    project = make_project(tmp_path / "p", {"sources/report.yaml": UNAPPROVED})
    checked = run_cli(project, "check")
    assert checked.exit_code == 0
    assert checked.output.count("warning: section") == 2 and "[approval.pending]" in checked.output
    assert run_cli(project, "check", "--strict").exit_code == 1


def test_the_draft_builds_while_sections_are_unapproved(tmp_path):
    project = make_project(tmp_path / "p", {"sources/report.yaml": UNAPPROVED})
    result = run_cli(project, "build", "--edition", "draft")
    assert result.exit_code == 0, result.output
    assert (project / "build" / "testverslag-2023-concept.pdf").is_file()


def test_approved_needs_who_and_when(tmp_path):
    beta = BETA_APPROVED.replace('approved_by: "Directeur"\n', "")
    without_defaults = re.sub(r"^(status|approved_by|approved_on):.*\n", "", REPORT_YAML, flags=re.MULTILINE)
    project = make_project(tmp_path / "p", {"sources/sections/02-beta.md": beta,
                                            "sources/report.yaml": without_defaults})
    result = run_cli(project, "check")
    assert result.exit_code == 1
    assert ("sources/sections/02-beta.md:3:9: error: 'status: approved' also needs 'approved_by:'"
            in result.output)


def test_an_unknown_status_is_an_error_naming_the_choices(tmp_path):
    project = make_project(tmp_path / "p", {"sources/report.yaml": REPORT_YAML.replace(
        'status: "approved"', 'status: "klaar"')})
    result = run_cli(project, "check")
    assert result.exit_code == 1
    assert "sources/report.yaml:16:9: error: 'status' must be one of concept, review, approved, not 'klaar'" \
        in result.output
