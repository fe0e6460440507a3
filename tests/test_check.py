"""`check` is the build minus rendering: it never loads the renderer, so it answers quickly."""

from __future__ import annotations

import subprocess
import sys

from conftest import FIXTURE_ANNEXES, annex_project, make_project, run_cli

CHECK_AND_LIST_RENDERERS = """\
import sys
from kcvs_pdf.cli import main
try:
    main(["check"])
except SystemExit as exit:
    print("exit", exit.code)
print("loaded", sorted(name for name in ("weasyprint", "pydyf") if name in sys.modules))
"""


def test_check_never_imports_the_renderer(tmp_path):
    """Importing WeasyPrint alone took 0.55 s of check's second or so."""
    project = make_project(tmp_path / "p")
    run = subprocess.run([sys.executable, "-c", CHECK_AND_LIST_RENDERERS], cwd=project, capture_output=True,
                         text=True, check=True)
    assert run.stdout.splitlines() == ["exit 0", "loaded []"], run.stdout + run.stderr


def test_check_and_build_report_a_refused_annex_and_a_broken_template_together(tmp_path):
    """`check` composes once the annexes are inspected, `build` before: both say everything at once."""
    project = annex_project(tmp_path / "p", [FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"])
    (project / "sources" / "annexes" / "bijlage 1.pdf").write_bytes(b"<!DOCTYPE html><html></html>")
    cover = project / "layouts" / "default" / "cover.html"
    cover.write_text(cover.read_text(encoding="utf-8") + "{{ report.bestaat_niet }}\n", encoding="utf-8")
    for command in ("check", "build"):
        result = run_cli(project, command)
        assert result.exit_code == 1, result.output
        codes = sorted(line.rsplit("[", 1)[1].rstrip("]") for line in result.output.splitlines()
                       if ": error: " in line)
        assert codes == ["annex.unusable", "layout.undefined"], (command, result.output)
