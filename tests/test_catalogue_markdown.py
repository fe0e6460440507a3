"""Catalogue of Markdown that would not print as written: tables, footnotes, figures, links, nesting.

Errors fail the build like the cases of test_catalogue.py (and are checked by its test). Warnings
leave `check` at exit 0 and fail a `--strict` build, keeping the previous PDF; the strict build's
transcript is the golden file (it has no page count or size, which change with the layout).
"""

from __future__ import annotations

import io

import pytest
import test_catalogue
from conftest import build_over_last_good, make_project, run_cli
from golden import assert_matches_golden
from PIL import Image
from test_catalogue import (
    DIAGNOSTIC,
    A,
    Case,
    declared,
    diagnostic_lines,
    found,
    markdown,
    params,
    transcript,
)


def png(width: int = 40, height: int = 8) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (width, height), (232, 163, 61)).save(data, "PNG")
    return data.getvalue()


RAND = "sources/sections/rand.png"
DEEP_LIST = "".join(f"{'  ' * level}- niveau {level + 1}\n" for level in range(10)) + "\nDaarna.\n"

ERRORS = [
    # The 7th level is on file line 5 + 6; its marker is indented 12 spaces.
    Case("markdown-list-too-deep", {A: markdown(DEEP_LIST)}, f"{A}:11:13", "markdown.too-deep",
         message="at most 6 levels"),
    Case("markdown-quote-too-deep", {A: markdown(">" * 20 + " diep\n\nDaarna.\n")}, f"{A}:5:7",
         "markdown.too-deep"),
    Case("markdown-quote-in-lists-too-deep",
         {A: markdown("- a\n  - b\n    - c\n      > d\n      > - e\n      >   > f\n      >   > > g\n")},
         f"{A}:11:13", "markdown.too-deep"),
    Case("markdown-decorative-image-with-caption",
         {A: markdown('![decoratief](rand.png "Een rand")\n'), RAND: png()}, f"{A}:5:1", "markdown.image-alt",
         message="marked decorative but has a caption"),
    Case("markdown-decorative-image-unreadable", {A: markdown("![decoratief](rand.png)\n"), RAND: "geen png"},
         f"{A}:5:1", "markdown.image-unreadable"),
]

WARNINGS = [
    Case("markdown-table-without-delimiter-row", {A: markdown("| Stad | Datasets |\n| Gent | 124 |\n")},
         f"{A}:5:1", "markdown.raw-table"),
    Case("markdown-table-delimiter-row-too-short",
         {A: markdown("Inleiding.\n\n| Stad | Datasets |\n| --- |\n| Gent | 124 |\n")}, f"{A}:7:1",
         "markdown.raw-table"),
    Case("markdown-table-row-with-extra-cells",
         {A: markdown("| Stad | Datasets |\n| --- | ---: |\n| Gent | 124 | 2023 |\n")}, f"{A}:7:16",
         "markdown.table-cells", message="'2023' is not printed"),
    Case("markdown-footnote-undefined", {A: markdown("Tekst[^1] en meer[^2].\n\n[^1]: Een noot.\n")},
         f"{A}:5:18", "markdown.footnote-undefined"),
    Case("markdown-footnote-without-any-definition", {A: markdown("Tekst met een noot[^bron].\n")},
         f"{A}:5:19", "markdown.footnote-undefined", message="[^bron]"),
    Case("markdown-footnote-never-referenced", {A: markdown("Tekst.\n\n[^1]: Een vergeten noot.\n")},
         f"{A}:7:1", "markdown.footnote-unused"),
    Case("markdown-footnote-defined-twice",
         {A: markdown("Tekst[^1].\n\n[^1]: Eerste.\n[^1]: Tweede.\n")}, f"{A}:8:1",
         "markdown.footnote-duplicate", message="first at line 7"),
    Case("markdown-link-space-in-url", {A: markdown("Zie [de site](https://voorbeeld .be/x).\n")},
         f"{A}:5:5", "markdown.link-malformed"),
    Case("markdown-link-space-before-parenthesis",
         {A: markdown("Eerst tekst,\nzie [de site] (https://www.example.org).\n")}, f"{A}:6:5",
         "markdown.link-malformed"),
    Case("markdown-link-unclosed", {A: markdown("Zie [de site](https://www.example.org voor meer.\n")},
         f"{A}:5:5", "markdown.link-malformed"),
    Case("markdown-link-reference-undefined", {A: markdown("Zie [de site][kcvs] voor meer.\n")},
         f"{A}:5:5", "markdown.link-malformed"),
    Case("markdown-line-read-as-link-target", {A: markdown("Tekst.\n\n[Bijlage]: verslag.pdf\n")},
         f"{A}:7:1", "markdown.unused-reference"),
    Case("markdown-image-space-before-parenthesis", {A: markdown("![Een kaart] (kaart.png)\n")},
         f"{A}:5:1", "markdown.image-malformed"),
]

CASES = ERRORS + WARNINGS


def test_case_names_are_unique_and_new():
    names = [case.name for case in CASES]
    assert len(set(names)) == len(names)
    assert not set(names) & {case.name for case in test_catalogue.CASES}


@pytest.mark.parametrize("case", params(ERRORS))
def test_markdown_that_cannot_print_fails_the_build(tmp_path, case):
    test_catalogue.test_bad_input_fails_the_build_with_a_located_diagnostic(tmp_path, case)


@pytest.mark.parametrize("case", params(WARNINGS))
def test_markdown_that_would_print_raw_or_not_at_all_is_a_located_warning(tmp_path, case):
    project = make_project(tmp_path / "p", case.files)
    checked = run_cli(project, "check")
    result, untouched = build_over_last_good(project, "--strict")
    output = transcript(result.output, project)

    assert checked.exit_code == 0, checked.output
    assert diagnostic_lines(transcript(checked.output, project)) == diagnostic_lines(output)
    assert result.exit_code == 1 and untouched, output
    lines = [match.group() for match in map(DIAGNOSTIC.match, diagnostic_lines(output))
             if match and match["location"] == case.expect_location and match["severity"] == "warning"
             and match["code"] == case.expect_code]
    assert any(case.message in line for line in lines), f"no warning at {case.expect_location} in:\n{output}"
    assert found(output) == declared(case), f"other diagnostics than declared in:\n{output}"
    assert_matches_golden(f"catalogue/{case.name}", output)
