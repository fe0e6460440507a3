"""The benchmarks' pure helpers: the scaled report, the marked block of BENCHMARKS.md, summaries."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from projects import scaled_chapters, section_slug  # noqa: E402
from stages import median_build  # noqa: E402
from table import BLOCK_END, BLOCK_START, paired_ratio, replace_block  # noqa: E402
from timing import Run, Summary, run_child  # noqa: E402


def test_scaled_chapters_repeat_each_chapter_with_unique_slugs():
    chapters = [{"title": "Een", "sections": ["alfa", "beta"]}, {"title": "Twee", "sections": ["gamma"]}]

    scaled = scaled_chapters(chapters, 3)

    assert scaled == [
        {"title": "Een", "sections": ["alfa", "beta", "alfa-copy-2", "beta-copy-2", "alfa-copy-3", "beta-copy-3"]},
        {"title": "Twee", "sections": ["gamma", "gamma-copy-2", "gamma-copy-3"]},
    ]
    slugs = [slug for chapter in scaled for slug in chapter["sections"]]
    assert len(set(slugs)) == len(slugs)


@pytest.mark.parametrize(("name", "slug"), [("04-gdpr.md", "gdpr"), ("gdpr.md", "gdpr"),
                                            ("05-parkeer-en-toegangsrechtenregister.md",
                                             "parkeer-en-toegangsrechtenregister"),
                                            ("e-mobiliteit.md", "e-mobiliteit"), ("2023.md", "2023")])
def test_section_slug_drops_only_the_number_prefix(name, slug):
    assert section_slug(name) == slug


def test_replace_block_keeps_what_surrounds_the_markers():
    document = f"# Benchmarks\n\nintro\n\n{BLOCK_START}\nold figures\n{BLOCK_END}\n\n## History\n"

    updated = replace_block(document, "new figures")

    assert updated == f"# Benchmarks\n\nintro\n\n{BLOCK_START}\nnew figures\n{BLOCK_END}\n\n## History\n"
    assert replace_block(updated, "new figures") == updated


def test_replace_block_without_markers_says_so():
    with pytest.raises(ValueError, match="no .* block"):
        replace_block("# Benchmarks\n", "figures")


def test_summary_has_median_spread_and_highest_peak():
    summary = Summary.of([Run(3.0, 100), Run(1.0, 120), Run(2.0, 90), Run(10.0, 95)])

    assert (summary.median, summary.low, summary.high, summary.runs, summary.peak_mib) == (2.5, 1.0, 10.0, 4, 120)


def test_paired_ratio_compares_runs_of_the_same_round():
    baseline = [Run(2.0, 0), Run(4.0, 0), Run(3.0, 0)]
    runs = [Run(3.0, 0), Run(6.0, 0), Run(3.0, 0)]

    # Per round 1.5, 1.5 and 1.0; the medians' ratio would be 3.0 / 3.0.
    assert paired_ratio(runs, baseline) == 1.5


def test_median_build_keeps_one_whole_build():
    builds = [{"layout": 3.0, "total": 5.0}, {"layout": 1.0, "total": 9.0}, {"layout": 2.0, "total": 4.0}]

    assert median_build(builds) == {"layout": 3.0, "total": 5.0}


def test_memory_is_measured_for_the_largest_process_and_for_all_processes_together():
    # The child holds 80 MiB while its own child holds 60 MiB more: together they need 140.
    grandchild = "b = bytearray(60 * 2**20); import time; time.sleep(0.5)"
    child = f"import subprocess, sys; b = bytearray(80 * 2**20); subprocess.run([sys.executable, '-c', {grandchild!r}])"

    run = run_child([sys.executable, "-c", child])

    assert 80 <= run.peak_mib < 130
    assert run.tree_mib >= 140
