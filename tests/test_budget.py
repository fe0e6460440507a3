"""Size budgets: read from report.yaml, printed by every build, and over them the heaviest items named."""

from __future__ import annotations

import re

from conftest import (
    ALFA,
    FIXTURE_ANNEXES,
    REPORT_YAML,
    build_over_last_good,
    make_project,
    run_cli,
)
from samples import photo

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.model import Edition
from kcvs_pdf.sources.load import load_report

WITH_PHOTO = ALFA + "\n![Foto van de jaarvergadering](foto.jpg)\n"


def budget_project(root, budget: str, annexes=None, **files):
    return make_project(root, {"sources/report.yaml": REPORT_YAML.replace(
        'website: "https://www.example.org"\n', f'website: "https://www.example.org"\n{budget}\n'), **files},
        annexes)


def test_budgets_are_read_in_decimal_units_with_a_point_or_a_comma(tmp_path):
    project = budget_project(tmp_path, 'budget: {web: "1,5 MB", full: 40MB}')
    report = load_report(project / "sources", Diagnostics())
    assert {(budget.edition, budget.limit) for budget in report.budgets} == {
        (Edition.WEB, 1_500_000), (Edition.FULL, 40_000_000)}
    assert all(budget.line == 9 for budget in report.budgets)


def test_a_budget_that_is_not_a_size_is_an_error_where_it_is_written(tmp_path):
    project = budget_project(tmp_path, 'budget:\n  web: "veel"\n  print: "5 MB"')
    result = run_cli(project, "check")
    assert result.exit_code == 1
    assert "sources/report.yaml:10:8: error: 'budget: web' must be a size such as \"5 MB\" (B, kB, MB or GB), " \
           "not 'veel' [report.invalid-budget]" in result.output
    assert re.search(r"sources/report\.yaml:11:3: error: unknown field 'print' in budget.*"
                     r"\[report\.unknown-field\]", result.output)


def test_a_build_prints_its_size_against_the_default_budget(tmp_path):
    result = run_cli(make_project(tmp_path), "build", "--edition", "web")
    assert result.exit_code == 0, result.output
    assert re.search(r"^Wrote build/testverslag-2023-web\.pdf: 6 pages, 0\.\d MB \(budget 5\.0 MB\), ",
                     result.output, re.MULTILINE)
    assert "budget.over" not in result.output


def test_over_budget_the_warning_names_the_image_its_pixels_and_its_dpi(tmp_path):
    project = budget_project(tmp_path, 'budget: {web: "100 kB"}', **{"sources/sections/01-alfa.md": WITH_PHOTO})
    photo(project / "sources" / "sections" / "foto.jpg")
    result = run_cli(project, "build", "--edition", "web")
    assert result.exit_code == 0, result.output
    assert re.search(r"^sources/report\.yaml:9:15: warning: the web edition weighs \d+ kB, over its budget of "
                     r"100 kB \('budget: web'\); the heaviest items:$", result.output, re.MULTILINE)
    listed = re.findall(r"^    (.*)$", result.output, re.MULTILINE)
    assert re.fullmatch(r'image sources/sections/foto\.jpg \("Foto van de jaarvergadering", page 5\): \d+ kB, '
                        r"\d+×\d+ px printed at \d+×\d+ mm: 300 dpi \(the file is 3000×2000 px\)", listed[0])
    assert any(line.startswith("font Plex-Serif: ") for line in listed)
    assert "(OVER its budget 0.1 MB)" in result.output


def test_over_budget_with_strict_stops_the_build_and_keeps_the_last_pdf(tmp_path):
    project = budget_project(tmp_path, 'budget: {full: "10 kB"}',
                             {"alfa bijlage.pdf": FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"})
    result, untouched = build_over_last_good(project, "--strict")
    assert result.exit_code == 1
    assert "[budget.over]" in result.output and untouched


def test_the_full_edition_lists_each_annex_among_the_heaviest(tmp_path):
    project = budget_project(tmp_path, 'budget: {full: "10 kB"}',
                             {"alfa bijlage.pdf": FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"})
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    assert re.search(r"^    annex 1 'alfa bijlage\.pdf' \(Alfa werkgroep\): \d+ kB, 4 pages$", result.output,
                     re.MULTILINE)
