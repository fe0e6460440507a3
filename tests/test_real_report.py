"""The live sources/: `check` finds nothing wrong and one smoke build reads back soundly.

Nothing here names this year's words or counts: every expectation is derived from the sources,
so editors can change them freely (the last test proves it). `make seed-check` compares the 2023
text with the published original separately.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import reportcheck
from conftest import REPO, run_cli


def copy_live_project(root: Path) -> Path:
    shutil.copytree(REPO / "sources", root / "sources", ignore=shutil.ignore_patterns("*.pdf"))
    shutil.copytree(REPO / "layouts", root / "layouts")
    return root


def build_and_read(project: Path) -> reportcheck.Built:
    result = run_cli(project, "build", "--edition", "web")
    assert result.exit_code == 0, result.output
    [pdf] = (project / "build").glob("*-web.pdf")
    return reportcheck.read_built(project, pdf)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Path:
    return copy_live_project(tmp_path_factory.mktemp("live"))


def test_check_finds_no_errors_in_the_live_sources(live):
    result = run_cli(live, "check")
    assert result.exit_code == 0, result.output
    assert re.search(r"^0 error\(s\)", result.output, re.MULTILINE), result.output


def test_the_live_report_builds_and_reads_back_soundly(live):
    reportcheck.assert_sound(build_and_read(live))


def test_an_editors_changes_keep_these_checks_green(tmp_path):
    project = copy_live_project(tmp_path / "edited")
    sections = sorted((project / "sources" / "sections").glob("*.md"))
    typo = sections[0].read_text(encoding="utf-8")
    sections[0].write_text(typo.replace(" de ", " dde ", 1), encoding="utf-8")
    (project / "sources" / "sections" / "99-nieuw.md").write_text(
        '---\ntitle: "Een nieuwe sectie"\n---\n\nDeze sectie is nieuw en staat achteraan.\n', encoding="utf-8")
    report_yaml = project / "sources" / "report.yaml"
    text = report_yaml.read_text(encoding="utf-8")
    text = re.sub(r"^published: \S+", "published: 2025-01-31", text, flags=re.MULTILINE)
    chapters = re.findall(r"^  - title: .*\n    sections: \[.*\]\n", text, re.MULTILINE)
    text = text.replace(chapters[0], "").replace(chapters[-1], chapters[-1] + chapters[0])
    text = text.replace(chapters[0].rstrip("]\n"), chapters[0].rstrip("]\n") + ', "nieuw"')
    report_yaml.write_text(text, encoding="utf-8")

    assert run_cli(project, "check").exit_code == 0
    built = build_and_read(project)
    reportcheck.assert_sound(built)
    assert built.report.chapters[-1].sections[-1].title == "Een nieuwe sectie"
    assert built.reader.metadata["/CreationDate"].startswith("D:20250131")
