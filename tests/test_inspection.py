"""Inspection: bombs refused without inflating them, verdicts cached by content and never trusted beyond it."""

from __future__ import annotations

import errno
import json
import os
import shutil
import zlib
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURE_ANNEXES
from hostile import bomb_pdf, image_bomb_pdf, object_stream_bomb_pdf

from kcvs_pdf.annexes import inspection
from kcvs_pdf.annexes.inspection import Verdict, inspect_files, inspect_in_child
from kcvs_pdf.model import InflateLimits

def inspect_file(path, cache, limits=InflateLimits()) -> Verdict:
    return inspect_files([path], cache, limits)[path]


BOMB_PROBLEM = ("is refused: a compressed stream in it would expand to more than 256 MiB (a 'decompression "
                "bomb'); ask for a copy saved without it, e.g. printed to PDF, or, if you trust the file, "
                "raise annex_limits: stream in report.yaml")


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    path = bomb_pdf(tmp_path_factory.mktemp("bomb") / "bomb.pdf")
    assert path.stat().st_size < 8 * 1024
    return path


def test_a_small_file_that_inflates_to_2_gib_is_refused_as_a_bomb(tmp_path, bomb):
    verdict = inspect_in_child(bomb, tmp_path / "out.pdf")
    assert verdict == Verdict(False, BOMB_PROBLEM)
    assert not (tmp_path / "out.pdf").exists()


def test_a_bomb_is_measured_in_less_memory_than_it_inflates_to(tmp_path, bomb):
    # The child may address 192 MiB in all, yet counts 256 MiB of output before refusing:
    # had it held the output, it would have run out of memory instead.
    verdict = inspect_in_child(bomb, tmp_path / "out.pdf", memory=192 * 1024**2)
    assert verdict.problem == BOMB_PROBLEM


def test_limits_are_passed_to_the_child(tmp_path):
    verdict = inspect_in_child(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf", tmp_path / "out.pdf",
                               limits=InflateLimits(per_stream=1024**2, total=4096))
    assert verdict.problem.startswith("is refused: its compressed streams would expand to more than 4 KiB")




@pytest.fixture
def annex(tmp_path):
    path = tmp_path / "annex.pdf"
    shutil.copyfile(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf", path)
    return path


def test_the_same_content_under_two_names_is_inspected_once_and_other_files_in_parallel(tmp_path, annex,
                                                                                        children):
    twin, other = tmp_path / "tweeling.pdf", tmp_path / "ander.pdf"
    shutil.copyfile(annex, twin)
    shutil.copyfile(FIXTURE_ANNEXES / "us-letter-11-pages-with-page-labels.pdf", other)
    verdicts = inspect_files([annex, twin, other], tmp_path / "cache")
    assert len(children) == 2
    assert verdicts[annex] == verdicts[twin] and verdicts[annex].pages == 4 and verdicts[other].pages == 11


def test_the_same_bytes_are_inspected_once(tmp_path, annex, children):
    cache = tmp_path / "cache"
    first = inspect_file(annex, cache)
    second = inspect_file(annex, cache)
    assert len(children) == 1
    assert second == first and first.usable and first.pages == 4
    assert first.path.parent == cache and first.path.read_bytes()[:5] == b"%PDF-"


def test_a_changed_file_is_inspected_again(tmp_path, annex, children):
    cache = tmp_path / "cache"
    first = inspect_file(annex, cache)
    annex.write_bytes(annex.read_bytes() + b"\n")
    second = inspect_file(annex, cache)
    assert len(children) == 2
    assert second.path != first.path and second.path.is_file() and first.path.is_file()


def test_the_cache_is_safe_to_delete(tmp_path, annex, children):
    cache = tmp_path / "cache"
    inspect_file(annex, cache)
    shutil.rmtree(cache)
    verdict = inspect_file(annex, cache)
    assert len(children) == 2 and verdict.usable and verdict.path.is_file()


def test_a_verdict_whose_copy_is_gone_is_not_trusted(tmp_path, annex, children):
    cache = tmp_path / "cache"
    inspect_file(annex, cache).path.unlink()
    verdict = inspect_file(annex, cache)
    assert len(children) == 2 and verdict.path.is_file()


def test_other_limits_are_not_served_from_the_cache(tmp_path, annex, children):
    cache = tmp_path / "cache"
    inspect_file(annex, cache)
    verdict = inspect_file(annex, cache, InflateLimits(per_stream=1024, total=1024))
    assert len(children) == 2 and not verdict.usable


def test_refusals_are_cached_too(tmp_path, children):
    cache = tmp_path / "cache"
    path = FIXTURE_ANNEXES / "not-a-pdf-html-error-page.pdf"
    assert inspect_file(path, cache) == inspect_file(path, cache) == \
        Verdict(False, "is not a PDF (it looks like an HTML page)")
    assert len(children) == 1
    stored = [json.loads(p.read_text()) for p in cache.glob("*.json")]
    assert [entry["usable"] for entry in stored] == [False] and not list(cache.glob("*.pdf"))


def test_a_file_that_changes_while_inspected_is_not_cached(tmp_path, annex, monkeypatch):
    monkeypatch.setattr(inspection, "_verdicts", lambda paths, copies, *rest: [(Verdict(True, pages=1, path=copies[0]),
                                                                                "0" * 64)])
    verdict = inspect_file(annex, tmp_path / "cache")
    assert verdict == Verdict(False, "changed while it was being inspected: build again")
    assert list((tmp_path / "cache").iterdir()) == []


def test_timeouts_are_not_cached(tmp_path, annex, monkeypatch, children):
    monkeypatch.setattr(inspection, "INSPECT_TIMEOUT_SECONDS", 0.001)
    assert not inspect_file(annex, tmp_path / "cache").usable
    monkeypatch.setattr(inspection, "INSPECT_TIMEOUT_SECONDS", 60)
    assert inspect_file(annex, tmp_path / "cache").usable
    assert len(children) == 2


def test_a_cache_entry_of_another_format_is_not_trusted(tmp_path, annex, children):
    cache = tmp_path / "cache"
    inspect_file(annex, cache)
    (entry,) = cache.glob("*.json")
    entry.write_text(json.dumps({"usable": True, "pages": 4, "shape": "old"}))
    assert inspect_file(annex, cache).usable and len(children) == 2


def test_an_image_that_declares_gigabytes_of_pixels_is_refused_as_a_bomb(tmp_path):
    # A viewer decodes it into the bitmap it declares, whatever few bytes of data it holds.
    path = image_bomb_pdf(tmp_path / "image.pdf")
    assert path.stat().st_size < 8 * 1024
    verdict = inspect_in_child(path, tmp_path / "out.pdf")
    assert verdict.problem == ("is refused: an image in it would take more than 256 MiB (a 'decompression "
                               "bomb'); ask for a copy saved without it, e.g. printed to PDF, or, if you "
                               "trust the file, raise annex_limits: stream in report.yaml")


def test_a_bomb_in_an_object_stream_is_refused_before_qpdf_inflates_it(tmp_path):
    # qpdf decodes the object stream while opening the file: held whole, its 512 MiB would not fit
    # in the 256 MiB the child may address, and the file would be called damaged.
    path = object_stream_bomb_pdf(tmp_path / "objects.pdf")
    verdict = inspect_in_child(path, tmp_path / "out.pdf", memory=256 * 1024**2,
                               limits=InflateLimits(per_stream=16 * 1024**2))
    assert verdict.problem.startswith("is refused: a compressed stream in it would expand to more than 16 MiB")


def one_filter_array_pdf(path: Path, data: bytes, encryption: pikepdf.Encryption | None) -> Path:
    """Write a one-page PDF whose content stream holds data with the filter [/FlateDecode]."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].Contents = pdf.make_stream(data, Filter=pikepdf.Array([pikepdf.Name.FlateDecode]))
    pdf.save(path, compress_streams=False, encryption=encryption or False)
    return path


@pytest.mark.parametrize("encryption", [None, pikepdf.Encryption(owner="eigenaar", user="")])
def test_flate_data_behind_a_one_filter_array_is_copied_as_it_is_unless_damaged(tmp_path, encryption):
    data = zlib.compress(b"0 0 m 100 100 l S\n" * 2000, 9)
    whole = one_filter_array_pdf(tmp_path / "whole.pdf", data, encryption)
    verdict = inspect_in_child(whole, tmp_path / "whole.out")
    with pikepdf.open(verdict.path) as copy:
        contents = copy.pages[0].Contents
        assert (contents.Filter, contents.read_raw_bytes()) == (pikepdf.Name.FlateDecode, data)
    assert verdict.repaired == ""
    # Cut short, it is decoded when the copy is saved, as before, and qpdf reports it.
    cut = one_filter_array_pdf(tmp_path / "cut.pdf", data[:-30], encryption)
    verdict = inspect_in_child(cut, tmp_path / "cut.out")
    assert verdict.usable and verdict.repaired.endswith("input stream is complete but output may still be valid")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, a file every write to fails as a full disk")
def test_a_copy_that_cannot_be_written_is_the_machines_failure_not_the_annexs(tmp_path):
    with pytest.raises(OSError) as caught:
        inspect_in_child(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf", Path("/dev/full"))
    assert caught.value.errno == errno.ENOSPC


def test_a_repair_is_told_by_where_the_damage_is_never_by_the_readers_memory(tmp_path):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.add_blank_page()
    pdf.save(tmp_path / "heel.pdf", object_stream_mode=pikepdf.ObjectStreamMode.disable)
    damaged = tmp_path / "beschadigd.pdf"
    damaged.write_bytes((tmp_path / "heel.pdf").read_bytes().replace(b"3 0 obj", b"3 0 xbj", 1))
    verdict = inspect_in_child(damaged, tmp_path / "kopie.pdf")
    assert verdict.usable
    assert verdict.repaired.startswith("object 3 0, offset ") and verdict.repaired.endswith(": expected n n obj")
