"""The command line: help that teaches, exit codes scripts can trust, a line per stage."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner
from conftest import REPO, ROOTS, make_project, run_cli
from pypdf import PdfReader

from kcvs_pdf.cli import main


def test_help_lists_commands_examples_and_exit_codes():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "kcvs-pdf build --edition web" in result.output
    assert "Exit codes: 0 success, 1 problems" in result.output
    for command in ("build", "check"):
        help_text = CliRunner().invoke(main, [command, "--help"]).output
        assert "--sources" in help_text and "--strict" in help_text


def test_wrong_usage_exits_2(tmp_path):
    assert CliRunner().invoke(main, ["build", "--edition", "print"]).exit_code == 2
    assert run_cli(tmp_path, "build", "--sources", "nowhere").exit_code == 2
    assert CliRunner().invoke(main, ["bild"]).exit_code == 2


def test_check_and_build_give_the_same_verdict_under_strict(tmp_path):
    """A missing annex file is an error for both under --strict, and for neither without it."""
    shutil.copytree(ROOTS / "report", tmp_path / "p")
    shutil.copytree(REPO / "layouts", tmp_path / "p" / "layouts")
    checked = run_cli(tmp_path / "p", "check", "--strict")
    built = run_cli(tmp_path / "p", "build", "--strict")
    missing = [line for line in checked.output.splitlines() if line.endswith("[annex.missing]")]
    assert checked.exit_code == built.exit_code == 1 and len(missing) == 3
    assert missing == [line for line in built.output.splitlines() if line.endswith("[annex.missing]")]
    relaxed = run_cli(tmp_path / "p", "check")
    assert relaxed.exit_code == 0 and relaxed.output == (
        "3 annex file(s) not found in sources/annexes/: listed as online in the table of contents (--strict "
        "makes this an error)\n0 error(s), 0 warning(s)\n")
    built = run_cli(tmp_path / "p", "build")
    assert built.exit_code == 0 and relaxed.output.splitlines()[0] in built.output.splitlines()


def test_build_prints_a_line_per_stage_and_a_summary(project: Path):
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    stages = re.findall(r"^\[(\d)/6\] ", result.output, re.MULTILINE)
    assert stages == ["1", "2", "3", "4", "5", "6"]
    assert re.search(r"^Wrote build/testverslag-2023\.pdf: \d+ pages, [\d.]+ MB \(budget 60\.0 MB\), "
                     r"0 annex\(es\) bundled, (claims PDF/UA-1, )?[\d.]+ s$", result.output, re.MULTILINE)


def test_output_option_writes_where_asked(project: Path):
    result = run_cli(project, "build", "-o", "elders/verslag.pdf")
    assert result.exit_code == 0, result.output
    reader = PdfReader(project / "elders" / "verslag.pdf")
    assert reader.metadata["/Title"] == "Testverslag 2023"
    assert "Alfa werkgroep" in "".join(page.extract_text() for page in reader.pages)
    assert [path.name for path in (project / "build").iterdir()] == [".cache"]


def test_a_clean_build_logs_nothing_but_progress_and_summary(tmp_path):
    project = make_project(tmp_path / "p", files={"sources/sections/01-alfa.md": """\
        ---
        title: "Alfa werkgroep"
        ---

        De werkgroep alfa.
        """})
    result = run_cli(project, "build", "--strict")
    assert result.exit_code == 0, result.output
    lines = [l for l in result.output.splitlines() if not re.match(r"\[\d/6\] ", l)]
    assert len(lines) == 1 and lines[0].startswith("Wrote ")
