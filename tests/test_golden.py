"""Golden transcripts in tests/golden/: `make golden` rewrites them, `make test` checks them.

`make golden` runs this module with KCVS_UPDATE_GOLDEN=1: it then collects every test that
compares output with a golden file (they live in their own modules, e.g. test_catalogue.py), and
those tests write their transcript instead of comparing it. In an ordinary run those tests are
collected from their own modules only, and this module just checks that no golden file is stale.
"""

from __future__ import annotations

import pytest
import test_catalogue
import test_catalogue_hostile
import test_catalogue_markdown
import test_catalogue_sources
from golden import GOLDEN, updating

if updating():
    from test_catalogue import (  # noqa: F401  (collected here so that `make golden` runs them)
        test_bad_input_fails_the_build_with_a_located_diagnostic,
        test_problems_in_several_files_are_reported_together_sorted_by_file_and_line,
    )
    from test_catalogue_hostile import (  # noqa: F401
        test_a_huge_page_size_ends_in_a_memory_error_not_an_exhausted_machine,
        test_active_content_is_named_at_the_annexs_link_and_strict_refuses_it,
        test_a_machine_that_refuses_the_write_gets_one_line_saying_what_to_do,
        test_a_malformed_source_date_epoch_is_an_error_not_wrong_fonts,
        test_a_render_that_does_not_end_is_stopped_at_the_timeout,
        test_an_exception_in_a_stage_is_reported_as_a_bug_with_a_report_file,
        test_an_output_over_an_input_is_refused_before_any_work,
        test_hostile_input_fails_the_build_with_a_located_diagnostic,
        test_templates_that_loop_without_end_are_stopped,
    )
    from test_catalogue_markdown import (  # noqa: F401
        test_markdown_that_cannot_print_fails_the_build,
        test_markdown_that_would_print_raw_or_not_at_all_is_a_located_warning,
    )
    from test_catalogue_sources import (  # noqa: F401
        test_bad_source_fails_the_build_with_a_located_diagnostic,
        test_doubtful_source_is_checked_with_a_located_warning,
    )


def expected_golden_files() -> set[str]:
    """Return the golden files the tests write, relative to tests/golden/."""
    cases = (*test_catalogue.CASES, *test_catalogue_sources.CASES, *test_catalogue_markdown.CASES,
             *test_catalogue_hostile.CASES)
    names = {f"catalogue/{case.name}.txt" for case in cases if not case.xfail}
    hostile = (*(case.name for case in test_catalogue_hostile.OUTPUT_CASES), *test_catalogue_hostile.EXTRA_GOLDEN)
    return names | {f"catalogue/{name}.txt" for name in hostile} | {"catalogue/several-files.txt"}


@pytest.mark.skipif(updating(), reason="golden files are being rewritten")
def test_every_golden_file_belongs_to_a_test():
    present = {path.relative_to(GOLDEN).as_posix() for path in GOLDEN.rglob("*.txt")}
    stale = sorted(present - expected_golden_files())
    assert not stale, f"golden files no test writes (delete them, or remove a case's xfail mark): {stale}"
