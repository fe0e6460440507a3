"""`check` is the build minus rendering: it never loads the renderer, so it answers quickly."""

from __future__ import annotations

import subprocess
import sys

from conftest import make_project

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
