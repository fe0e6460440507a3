"""Confinement: only regular files inside an allowed folder are read, and nothing else is opened."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import make_project, run_cli

from kcvs_pdf import confine
from kcvs_pdf.confine import RefusedFile, digest_confined, read_confined


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def refusal(path: Path, root: Path, max_bytes: int = 1000) -> RefusedFile:
    with pytest.raises(RefusedFile) as caught:
        read_confined(path, (root,), max_bytes)
    return caught.value


def test_a_regular_file_inside_is_read_whole(root):
    (root / "a.md").write_bytes(b"tekst\n")
    assert read_confined(root / "a.md", (root,), 1000) == b"tekst\n"


def test_a_link_to_a_file_inside_is_read(root):
    (root / "a.md").write_bytes(b"tekst\n")
    (root / "b.md").symlink_to("a.md")
    assert read_confined(root / "b.md", (root,), 1000) == b"tekst\n"


def test_a_link_to_a_file_outside_is_refused_without_quoting_it(root):
    secret = root.parent / "geheim.txt"
    secret.write_bytes(b"wachtwoord")
    (root / "a.md").symlink_to(secret)
    refused = refusal(root / "a.md", root)
    assert refused.reason == "outside-project"
    assert "wachtwoord" not in refused.message and str(secret) not in refused.message


def test_a_folder_is_not_a_file(root):
    (root / "a.md").mkdir()
    refused = refusal(root / "a.md", root)
    assert (refused.reason, "a folder" in refused.message) == ("not-a-file", True)


def test_a_fifo_is_refused_without_waiting_for_a_writer(root):
    os.mkfifo(root / "a.md")
    refused = refusal(root / "a.md", root)
    assert (refused.reason, "pipe" in refused.message) == ("not-a-file", True)


def test_a_fifo_that_replaces_the_file_after_the_check_is_refused_too(root, monkeypatch):
    os.mkfifo(root / "a.md")
    (root / "real.md").write_bytes(b"tekst\n")
    regular = os.stat(root / "real.md")
    # os.stat sees a regular file; what is opened is the FIFO, as if swapped in between.
    monkeypatch.setattr(confine.os, "stat", lambda path: regular)
    refused = refusal(root / "a.md", root)
    assert refused.reason == "not-a-file"


def test_a_dangling_link_is_missing(root):
    (root / "a.md").symlink_to("weg.md")
    refused = refusal(root / "a.md", root)
    assert (refused.reason, "link" in refused.message) == ("missing", True)


def test_a_file_over_the_limit_is_refused(root):
    (root / "a.md").write_bytes(b"x" * 1001)
    assert refusal(root / "a.md", root).reason == "too-large"
    (root / "b.md").write_bytes(b"x" * 1000)
    assert read_confined(root / "b.md", (root,), 1000) == b"x" * 1000


def test_a_file_outside_through_dot_dot_is_refused(root):
    (root.parent / "buiten.md").write_bytes(b"x")
    assert refusal(root / ".." / "buiten.md", root).reason == "outside-project"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_refused(root):
    (root / "a.md").write_bytes(b"x")
    (root / "a.md").chmod(0)
    assert refusal(root / "a.md", root).reason == "unreadable"


def test_a_digest_reads_a_file_inside_and_only_the_link_of_one_outside(root, tmp_path):
    outside = tmp_path / "buiten.txt"
    outside.write_text("GEHEIM")
    link = root / "notities.txt"
    link.symlink_to(outside)
    inside = root / "report.yaml"
    inside.write_text("title: een\n")
    before = digest_confined(link, (root,))[0], digest_confined(inside, (root,))[0]
    outside.write_text("ANDERS")
    inside.write_text("title: twee\n")
    after = digest_confined(link, (root,))[0], digest_confined(inside, (root,))[0]
    assert before[0] == after[0] and before[1] != after[1]


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs a file that fails when read (Linux /proc)")
def test_a_link_to_a_file_that_fails_when_read_is_never_read_by_a_build(tmp_path):
    # /proc/self/mem fails with EIO when read, and /proc/kmsg would wait for the kernel forever.
    project = make_project(tmp_path / "p")
    (project / "sources" / "sections" / "geheugen.png").symlink_to("/proc/self/mem")
    (project / "layouts" / "default" / "geheugen.txt").symlink_to("/proc/self/mem")
    for edition in ("full", "draft"):
        result = run_cli(project, "build", "--edition", edition)
        assert result.exit_code == 0, result.output
