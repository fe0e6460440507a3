"""Golden transcripts in tests/golden/: `make golden` rewrites them, `make test` checks them.

`make golden` runs this module with KCVS_UPDATE_GOLDEN=1: it then collects every test that
compares output with a golden file (they live in their own modules, e.g. test_catalogue.py), and
those tests write their transcript instead of comparing it. In an ordinary run those tests are
collected from their own modules only, and this module just checks that no golden file is stale.
"""

from __future__ import annotations

import pytest
import test_catalogue
import test_catalogue_markdown
import test_catalogue_sources
from golden import GOLDEN, updating

if updating():
    from test_catalogue import (  # noqa: F401  (collected here so that `make golden` runs them)
        test_bad_input_fails_the_build_with_a_located_diagnostic,
        test_problems_in_several_files_are_reported_together_sorted_by_file_and_line,
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
    cases = (*test_catalogue.CASES, *test_catalogue_sources.CASES, *test_catalogue_markdown.CASES)
    names = {f"catalogue/{case.name}.txt" for case in cases if not case.xfail}
    return names | {"catalogue/several-files.txt"}


@pytest.mark.skipif(updating(), reason="golden files are being rewritten")
def test_every_golden_file_belongs_to_a_test():
    present = {path.relative_to(GOLDEN).as_posix() for path in GOLDEN.rglob("*.txt")}
    stale = sorted(present - expected_golden_files())
    assert not stale, f"golden files no test writes (delete them, or remove a case's xfail mark): {stale}"
