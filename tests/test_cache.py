"""A rebuild with nothing changed gives the same PDF without rendering; any change is rebuilt."""

from __future__ import annotations

import errno
import os
import shutil

import pytest
from conftest import FIXTURE_ANNEXES, make_project, run_cli

from kcvs_pdf import build as build_module
from kcvs_pdf import cache

PDF = "build/testverslag-2023.pdf"


@pytest.fixture
def built(tmp_path):
    project = make_project(tmp_path / "p", annexes={"alfa bijlage.pdf": FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"})
    first = run_cli(project, "build")
    assert first.exit_code == 0, first.output
    return project, (project / PDF).read_bytes()


@pytest.fixture
def no_rendering(monkeypatch):
    """Make any real build fail loudly, so a test proves the cache answered."""
    def refuse(*args, **kwargs):
        raise AssertionError("the build ran although nothing changed")
    monkeypatch.setattr(build_module, "build", refuse)


def test_an_unchanged_rebuild_answers_from_the_cache_with_the_same_bytes(built, no_rendering):
    project, first = built
    again = run_cli(project, "build")
    assert again.exit_code == 0, again.output
    assert "unchanged since the last build" in again.output and "[1/6]" not in again.output
    assert (project / PDF).read_bytes() == first


def test_a_deleted_or_edited_pdf_is_restored_byte_for_byte(built, no_rendering):
    project, first = built
    (project / PDF).unlink()
    assert run_cli(project, "build").exit_code == 0
    assert (project / PDF).read_bytes() == first
    (project / PDF).write_bytes(b"%PDF-1.7 edited by hand")
    assert run_cli(project, "build").exit_code == 0
    assert (project / PDF).read_bytes() == first


@pytest.mark.parametrize("change", ["section", "stylesheet", "annex", "report", "environment"])
def test_any_changed_input_is_built_again(built, monkeypatch, change):
    project, first = built
    if change == "section":
        section = project / "sources" / "sections" / "02-beta.md"
        section.write_text(section.read_text().replace("gegevensdeling", "gegevensuitwisseling"))
    elif change == "stylesheet":
        with (project / "layouts" / "default" / "style.css").open("a") as css:
            css.write("\n.section-title { color: #073c46; }\n")
    elif change == "annex":
        shutil.copyfile(FIXTURE_ANNEXES / "own-outline-bookmarks.pdf", project / "sources" / "annexes" / "alfa bijlage.pdf")
    elif change == "report":
        report = project / "sources" / "report.yaml"
        report.write_text(report.read_text().replace("2024-06-01", "2024-06-02"))
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717200000")
    again = run_cli(project, "build")
    assert again.exit_code == 0, again.output
    assert "[3/6] Rendering" in again.output and "unchanged since" not in again.output
    if change != "environment":
        assert (project / PDF).read_bytes() != first


def test_no_cache_builds_anyway_and_gives_the_same_bytes(built):
    project, first = built
    forced = run_cli(project, "build", "--no-cache")
    assert "[3/6] Rendering" in forced.output and (project / PDF).read_bytes() == first


def test_another_edition_or_option_is_its_own_build(built):
    project, _ = built
    web = run_cli(project, "build", "--edition", "web")
    assert "[3/6] Rendering" in web.output
    strict = run_cli(project, "build", "--strict")
    assert "[3/6] Rendering" in strict.output


def test_the_cache_is_safe_to_delete_and_never_trusted_when_damaged(built):
    project, first = built
    shutil.rmtree(project / "build" / ".cache")
    assert "[3/6] Rendering" in run_cli(project, "build").output
    [entry] = (project / "build" / ".cache" / "builds").glob("*.json")
    entry.write_text("{not json")
    rebuilt = run_cli(project, "build")
    assert "[3/6] Rendering" in rebuilt.output and (project / PDF).read_bytes() == first


def test_a_layout_outside_the_project_is_fingerprinted_too(tmp_path):
    project = make_project(tmp_path / "p")
    shutil.copytree(project / "layouts" / "default", tmp_path / "huisstijl")
    for _ in range(2):
        result = run_cli(project, "build", "--layout", str(tmp_path / "huisstijl"))
        assert result.exit_code == 0, result.output
    assert "unchanged since the last build" in result.output


class FullDisk:
    """The os module, as seen by a cache whose disk filled up after the PDF was written."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def replace(*args):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_the_cache_keeps_the_pdf_leaves_the_build_a_success(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "os", FullDisk())
    project = make_project(tmp_path / "p")
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    assert (project / PDF).read_bytes().startswith(b"%PDF-")
    assert not any((project / "build" / ".cache" / "builds").iterdir())
