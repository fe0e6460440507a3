"""Compare a transcript with its golden file in tests/golden/, or rewrite it for `make golden`.

`make golden` sets KCVS_UPDATE_GOLDEN=1: then `assert_matches_golden` writes the text instead of
comparing it. Review the changed files with `git diff tests/golden/` before committing them.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"


def updating() -> bool:
    """Return whether this run rewrites golden files instead of comparing with them."""
    return os.environ.get("KCVS_UPDATE_GOLDEN") == "1"


def assert_matches_golden(name: str, text: str) -> None:
    """Check text against tests/golden/<name>.txt (or write it there when updating)."""
    path = GOLDEN / f"{name}.txt"
    shown = path.relative_to(GOLDEN.parent.parent).as_posix()
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"{shown} does not exist: run `make golden` and review the new file")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True),
                                            fromfile=shown, tofile="this run"))
        pytest.fail(f"output differs from {shown} (run `make golden` if the change is intended):\n{diff}",
                    pytrace=False)
