"""A catalogue of bad sources: YAML mistakes in plain words, the files in sources/sections/, the
order of report.yaml, bounded YAML, confinement of the files read, invisible characters and
words too long to print.

Error cases work as in test_catalogue.py: the build exits 1 with one located diagnostic per
problem, leaves the previous PDF untouched, and prints a transcript equal to
tests/golden/catalogue/<case>.txt. Warning cases stop nothing: `kcvs-pdf check` exits 0 and its
transcript is the golden file (no render, so it does not change with the layout); one test builds
a project with every kind of warning. A case whose input is not file text (a folder, a link, a
FIFO) sets it up with `prepare`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ALFA, BETA, LAST_GOOD, build_over_last_good, make_project, run_cli
from golden import assert_matches_golden
from test_catalogue import CASES as FIRST_CATALOGUE
from test_catalogue import (
    DIAGNOSTIC,
    LABEL,
    URL,
    A,
    B,
    Case,
    R,
    declared,
    diagnostic_lines,
    found,
    markdown,
    params,
    report,
    section,
    transcript,
    with_link,
)

C = "sources/sections/03-gamma.md"


@dataclass(frozen=True)
class SourceCase(Case):
    prepare: Callable[[Path], None] | None = None
    """Changes the project after its files are written (folders, links, FIFOs)."""
    warning: bool = False
    """The diagnostic is a warning: check exits 0 and the build would go on."""


def replaced_by(make: Callable[[Path], None], relative: str) -> Callable[[Path], None]:
    """Return a prepare step that removes the file at relative and calls make on its path."""
    def prepare(project: Path) -> None:
        path = project / relative
        path.unlink(missing_ok=True)
        make(path)
    return prepare


def link_outside(path: Path) -> None:
    project = next(folder for folder in path.parents if (folder / "sources").is_dir())
    outside = project.parent / f"buiten-{path.name}"
    outside.write_text(ALFA, encoding="utf-8")
    path.symlink_to(outside)


def dangling_link(path: Path) -> None:
    path.symlink_to(path.with_name("verdwenen.md"))


def link_to_itself(path: Path) -> None:
    path.symlink_to(path.name)


def alias_bomb() -> list[str]:
    """Front-matter lines whose last list would expand to 9**9 values."""
    rows = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    names = "abcdefghi"
    return rows + [f"{name}: &{name} [{', '.join([f'*{names[n]}'] * 9)}]" for n, name in enumerate(names[1:])]


REPORT_ENTRIES = '    sections: ["alfa", "beta"]'
MANY_WORDS = "Woorden " * 20_500 + "\n"

CASES = [
    # --- YAML mistakes, in plain words at the line and column of the mistake ---
    SourceCase("yaml-no-space-after-colon", {A: section('title:"Alfa werkgroep"', "links:", LABEL, URL)},
               f"{A}:2:6", "yaml.syntax", message="write 'title: \"Alfa werkgroep\"'"),
    SourceCase("yaml-no-space-after-colon-alone", {A: section('title:"Alfa werkgroep"')}, f"{A}:2:6",
               "yaml.syntax", message="no space after the colon"),
    SourceCase("yaml-no-space-after-colon-in-link", {A: with_link('  - label:"MEER INFORMATIE"', URL)},
               f"{A}:4:10", "yaml.syntax", message="no space after the colon in 'label:"),
    SourceCase("report-yaml-no-space-after-colon", {R: report("year: 2023", "year:2023")}, f"{R}:2:5",
               "yaml.syntax", message="write 'year: 2023'"),
    SourceCase("report-yaml-tab-indentation", {R: report('  contents: "Inhoud"', '\tcontents: "Inhoud"')},
               f"{R}:13:1", "yaml.syntax", message="indented with a tab"),
    SourceCase("yaml-tab-before-value", {A: section('title:\t"Alfa werkgroep"')}, f"{A}:2:7",
               "yaml.syntax", message="there is a tab here"),
    SourceCase("report-yaml-indented-one-space-less",
               {R: report('  chapter: "Hoofdstuk"', ' chapter: "Hoofdstuk"')}, f"{R}:14:2", "yaml.syntax",
               message="'chapter' is indented by 1 space, but 'contents' on line 13 by 2"),
    SourceCase("yaml-field-indented-under-title",
               {A: section('title: "Alfa werkgroep"', "  links:", LABEL, URL)}, f"{A}:3:3", "yaml.syntax",
               message="'links' is indented by 2 spaces, but 'title' on line 2 by 0"),
    SourceCase("yaml-colon-in-value", {A: section("title: Werkgroep: data")}, f"{A}:2:8", "yaml.syntax",
               message='put the text in quotes: title: "Werkgroep: data"'),
    SourceCase("report-yaml-colon-in-value",
               {R: report('subject: "Een klein testverslag"', "subject: Verslag: een kleine test")},
               f"{R}:6:10", "yaml.syntax", message='subject: "Verslag: een kleine test"'),
    SourceCase("yaml-stray-list-item",
               {A: section('title: "Alfa werkgroep"', '- label: "MEER INFORMATIE"', URL)}, f"{A}:3:1",
               "yaml.syntax", message="a list item ('- …') stands where a field"),
    SourceCase("yaml-list-on-the-fields-line",
               {A: section('title: "Alfa werkgroep"', 'links: - label: "MEER"')}, f"{A}:3:8",
               "yaml.syntax", message="a list cannot start on the same line as 'links:'"),
    SourceCase("yaml-field-without-colon", {A: section('title "Alfa werkgroep"', "links:", LABEL, URL)},
               f"{A}:2:1", "yaml.syntax", message="has no ':' after the field name"),
    SourceCase("yaml-quote-inside-quotes", {A: section('title: "Het "alfa" project"')}, f"{A}:2:13",
               "yaml.syntax", message="goes on after its closing quote"),
    SourceCase("yaml-backslash-in-double-quotes", {A: section('title: "Map C:\\data"')}, f"{A}:2:15",
               "yaml.syntax", message="write a backslash as \\\\"),
    SourceCase("yaml-value-starts-with-at", {A: section("title: @alfa werkgroep")}, f"{A}:2:8", "yaml.syntax",
               message="text cannot start with '@'"),
    SourceCase("yaml-value-looks-like-emphasis", {A: section("title: *nieuw* project")}, f"{A}:2:8",
               "yaml.syntax", message="text cannot start with '*'"),
    SourceCase("yaml-unclosed-single-quote", {A: section("title: 'Alfa werkgroep", "links:", LABEL, URL)},
               f"{A}:2:8", "yaml.syntax", message="end the text with '"),
    SourceCase("report-yaml-list-without-commas", {R: report('["alfa", "beta"]', '["alfa" "beta"]')},
               f"{R}:11:23", "yaml.syntax", message="separated by commas"),
    SourceCase("report-yaml-unclosed-braces", {R: report('keywords: ["test"]', 'keywords: {"test"')},
               f"{R}:7:11", "yaml.syntax", message="this {…} is never closed: end it with }"),
    SourceCase("report-yaml-second-document", {R: report("labels:\n", "---\nlabels:\n")}, f"{R}:12:1",
               "yaml.syntax", message="the line '---' ends the fields here"),
    SourceCase("report-yaml-unrecognised-mistake", {R: report('keywords: ["test"]', 'keywords: ["test"]&')},
               f"{R}:7:20", "yaml.syntax", message="this line is not valid YAML: "),
    # --- files in sources/sections/ that are not section files ---
    SourceCase("section-copy-duplicate", {"sources/sections/01-alfa copy.md": ALFA},
               "sources/sections/01-alfa copy.md:1:1", "section.file-name", warning=True,
               message="'01-alfa copy.md' is not a section file (names look like '07-smart-flanders.md'), "
                       "so it is ignored: rename it or delete it"),
    SourceCase("section-numbered-copy", {"sources/sections/01-alfa (1).md": ALFA},
               "sources/sections/01-alfa (1).md:1:1", "section.file-name", warning=True),
    SourceCase("section-dutch-copy", {"sources/sections/01-alfa kopie.md": ALFA},
               "sources/sections/01-alfa kopie.md:1:1", "section.file-name", warning=True),
    SourceCase("section-capitals-in-name", {"sources/sections/03-Gamma.md": ALFA},
               "sources/sections/03-Gamma.md:1:1", "section.file-name", warning=True),
    SourceCase("section-misnamed-and-listed", {A: None, "sources/sections/01 alfa.md": ALFA},
               f"{R}:11:16", "report.unknown-section",
               message="(no file sections/alfa.md or sections/NN-alfa.md)",
               also=(("sources/sections/01 alfa.md:1:1", "section.file-name"),)),
    # --- order: report.yaml alone orders the report; file numbers that disagree are pointed out ---
    SourceCase("report-order-differs-from-file-numbers", {R: report('["alfa", "beta"]', '["beta", "alfa"]')},
               f"{R}:11:16", "section.order-mismatch", warning=True,
               message="02-beta.md is 1st in report.yaml but its name says 02: renumber the files "
                       "(or ignore this)",
               also=((f"{R}:11:24", "section.order-mismatch"),)),
    SourceCase("report-order-unnumbered-file",
               {B: None, "sources/sections/beta.md": BETA, R: report('["alfa", "beta"]', '["beta", "alfa"]')},
               f"{R}:11:24", "section.order-mismatch", warning=True, message="01-alfa.md is 2nd"),
    # --- bounded YAML and sizes ---
    SourceCase("yaml-alias-bomb", {A: section('title: "Alfa werkgroep"', *alias_bomb())}, f"{A}:3:4",
               "yaml.anchor", message="'&a' marks a value for reuse",
               also=tuple((f"{A}:{line}:{column}", "yaml.anchor")
                          for line, column in ((4, 4), (4, 8), (4, 12), (4, 16), (4, 20)))),
    SourceCase("yaml-nested-too-deep", {A: section("title: " + "[" * 40 + "]" * 40)}, f"{A}:2:27",
               "yaml.too-deep"),
    SourceCase("yaml-front-matter-too-large",
               {A: section('title: "Alfa werkgroep"', "notes: |", *["  " + "x" * 99] * 700)}, f"{A}:2:1",
               "yaml.too-large", message="more than the 64 KB allowed"),
    SourceCase("report-yaml-too-large", {R: report("labels:", "# " + "x" * 300_000 + "\nlabels:")},
               f"{R}:1:1", "source.too-large", message="larger than 256 KB"),
    SourceCase("section-very-large", {A: markdown(MANY_WORDS)}, f"{A}:1:1", "section.very-large",
               warning=True, message="'01-alfa.md' is very large (164 KB, 20505 words"),
    SourceCase("markdown-word-too-long", {A: markdown("Tekst " + "a" * 200 + " einde.\n")}, f"{A}:5:7",
               "markdown.long-word", message="a word of 200 characters without a space"),
    SourceCase("markdown-words-joined-by-no-break-spaces", {A: markdown("woord\u00a0" * 30 + "einde.\n")},
               f"{A}:5:1", "markdown.long-word", message="a word of 186 characters joined by no-break spaces"),
    SourceCase("title-word-too-long", {A: section('title: "' + "x" * 150 + '"')}, f"{A}:2:8",
               "section.long-word", message="'title' has a word of 150 characters without a space"),
    SourceCase("report-colophon-word-too-long",
               {R: report('value: "Kenniscentrum Vlaamse Steden"', 'value: "' + "z" * 120 + '"')}, f"{R}:21:12",
               "report.long-word", message="'value' has a word of 120 characters"),
    SourceCase("markdown-long-address-as-text",
               {A: markdown("Zie https://www.example.org/" + "map/" * 25 + "bijlage.pdf voor meer.\n")},
               f"{A}:5:5", "markdown.long-word", message="make a long address a link"),
    # --- confinement: every file read is a regular file inside sources/ ---
    SourceCase("section-is-a-folder", {A: None}, f"{A}:1:1", "source.not-a-file",
               message="'01-alfa.md' was not read because it is a folder, not a file",
               prepare=replaced_by(Path.mkdir, A)),
    SourceCase("section-is-a-fifo", {A: None}, f"{A}:1:1", "source.not-a-file", message="a pipe (FIFO)",
               prepare=replaced_by(os.mkfifo, A)),
    SourceCase("section-dangling-link", {A: None}, f"{A}:1:1", "source.missing",
               message="it is a link to a file that does not exist", prepare=replaced_by(dangling_link, A)),
    SourceCase("section-link-outside-sources", {A: None}, f"{A}:1:1", "source.outside-project",
               message="it leads outside sources/ through a link", prepare=replaced_by(link_outside, A)),
    SourceCase("section-link-to-itself", {A: None}, f"{A}:1:1", "source.unreadable",
               message="it is a link that leads back to itself", prepare=replaced_by(link_to_itself, A)),
    SourceCase("report-yaml-is-a-folder", {R: None}, f"{R}:1:1", "source.not-a-file",
               prepare=replaced_by(Path.mkdir, R)),
    SourceCase("report-yaml-link-outside-sources", {R: None}, f"{R}:1:1", "source.outside-project",
               prepare=replaced_by(link_outside, R)),
    # --- invisible characters ---
    SourceCase("text-right-to-left-override-in-title", {A: section('title: "Werkgroep \u202eRPDG"')},
               f"{A}:2:19", "text.invisible",
               message='title contains the invisible character U+202E RIGHT-TO-LEFT OVERRIDE at column 19: '
                       '"Werkgroep <U+202E>RPDG"; remove it'),
    SourceCase("text-bidi-isolates-in-body", {A: markdown("Tekst met \u2066verborgen\u2069 richting.\n")},
               f"{A}:5:11", "text.invisible", message="(1 more on this line)"),
    SourceCase("text-left-to-right-mark-in-link-label",
               {A: with_link('  - label: "MEER\u200e INFORMATIE"', URL)},
               f"{A}:4:17", "text.invisible", message="label contains the invisible character U+200E"),
    SourceCase("text-null-in-title", {A: section('title: "Alfa\x00werkgroep"')}, f"{A}:2:13",
               "text.invisible", message="U+0000 NULL"),
    SourceCase("text-escape-sequence-in-report",
               {R: report('subject: "Een klein testverslag"', 'subject: "Een klein \x1b[31mtestverslag"')},
               f"{R}:6:21", "text.invisible", message="U+001B ESCAPE"),
    SourceCase("text-c1-control-in-body", {A: markdown("Tekst met\x85een C1-teken.\n")}, f"{A}:5:10",
               "text.invisible", message="U+0085 NEXT LINE"),
    SourceCase("text-form-feed-keeps-line-numbers", {A: markdown("Tekst\x0c.\n\n<div>kader</div>\n")},
               f"{A}:5:6", "text.invisible", message="U+000C FORM FEED",
               also=((f"{A}:7:1", "markdown.raw-html"),)),
    # --- invisible characters the source spells out: a YAML escape, an HTML reference, an address ---
    SourceCase("text-escaped-right-to-left-override-in-title", {A: section('title: "Werkgroep \\u202ERPDG"')},
               f"{A}:2:19", "text.invisible",
               message="'\\u202E' stands for the invisible character U+202E RIGHT-TO-LEFT OVERRIDE; remove it"),
    SourceCase("text-escaped-null-in-link-label", {A: with_link('  - label: "MEER\\0 INFORMATIE"', URL)},
               f"{A}:4:17", "text.invisible", message="'\\0' stands for the invisible character U+0000 NULL"),
    SourceCase("text-escaped-escape-in-report",
               {R: report('subject: "Een klein testverslag"', 'subject: "Een klein \\e[31mtestverslag"')},
               f"{R}:6:21", "text.invisible", message="U+001B ESCAPE"),
    SourceCase("text-character-reference-in-body", {A: markdown("Tekst met &#x202e;gnirdlek.\n")}, f"{A}:5:11",
               "text.invisible", message="'&#x202e;' stands for the invisible character U+202E"),
    SourceCase("text-named-reference-in-body", {A: markdown("Tekst&rlm; met een richtingsteken.\n")},
               f"{A}:5:6", "text.invisible", message="'&rlm;' stands for the invisible character U+200F"),
    SourceCase("text-tag-characters-in-title", {A: section('title: "Alfa\U000e0041\U000e0042 werkgroep"')},
               f"{A}:2:13", "text.invisible", message="U+E0041 TAG LATIN CAPITAL LETTER A"),
    SourceCase("annex-address-with-hidden-character",
               {A: with_link(LABEL, '    url: "https://www.example.org/rapport%E2%80%AEfdp.exe.pdf"')}, f"{A}:5:10",
               "section.invalid-url", message="U+202E RIGHT-TO-LEFT OVERRIDE, written %E2%80%AE"),
    SourceCase("text-zero-width-space-in-title", {A: section('title: "Alfa\u200bwerkgroep"')}, f"{A}:2:13",
               "text.zero-width", warning=True, message="title contains the zero-width character U+200B"),
    SourceCase("text-byte-order-mark-in-body", {A: markdown("Tekst\ufeff met een BOM.\n")}, f"{A}:5:6",
               "text.zero-width", warning=True, message="U+FEFF ZERO WIDTH NO-BREAK SPACE"),
]


def test_catalogue_names_are_unique_across_catalogues():
    names = [case.name for case in (*FIRST_CATALOGUE, *CASES)]
    assert len(names) == len(set(names))


def make_case(tmp_path: Path, case: SourceCase) -> Path:
    project = make_project(tmp_path / "p", case.files)
    if case.prepare is not None:
        case.prepare(project)
    return project


def assert_reported(output: str, case: SourceCase, severity: str) -> None:
    """Check that output has the case's diagnostic with its severity and message, and no other."""
    start, end = f"{case.expect_location}: {severity}: ", f"[{case.expect_code}]"
    lines = [line for line in diagnostic_lines(output) if line.startswith(start) and line.endswith(end)]
    assert lines, f"no {severity} at {case.expect_location} [{case.expect_code}] in:\n{output}"
    assert any(case.message in line for line in lines), f"no message with {case.message!r} in:\n{output}"
    assert found(output) == declared(case), f"other diagnostics than declared in:\n{output}"


@pytest.mark.parametrize("case", params(c for c in CASES if not c.warning))
def test_bad_source_fails_the_build_with_a_located_diagnostic(tmp_path, case):
    project = make_case(tmp_path, case)
    result, untouched = build_over_last_good(project)
    output = transcript(result.output, project)

    assert result.exit_code == 1, output
    assert untouched, "the previous PDF was replaced or build/ has new files"
    assert_reported(output, case, "error")
    assert "Traceback" not in output
    assert_matches_golden(f"catalogue/{case.name}", output)


@pytest.mark.parametrize("case", params(c for c in CASES if c.warning))
def test_doubtful_source_is_checked_with_a_located_warning(tmp_path, case):
    project = make_case(tmp_path, case)
    result = run_cli(project, "check")
    output = transcript(result.output, project)

    assert result.exit_code == 0, output
    assert_reported(output, case, "warning")
    assert not any(DIAGNOSTIC.match(line)["severity"] == "error" for line in diagnostic_lines(output))
    assert_matches_golden(f"catalogue/{case.name}", output)


def test_warnings_do_not_stop_the_build_and_strict_makes_them_errors(tmp_path):
    project = make_project(tmp_path / "p", {
        "sources/sections/01-alfa copy.md": ALFA, R: report('["alfa", "beta"]', '["beta", "alfa"]'),
        A: section('title: "Alfa\u200bwerkgroep"')})
    strict, untouched = build_over_last_good(project, "--strict")
    assert strict.exit_code == 1 and untouched, strict.output

    result, untouched = build_over_last_good(project)
    warnings = [line for line in diagnostic_lines(result.output) if ": warning: " in line]
    assert result.exit_code == 0, result.output
    assert not untouched and (project / "build" / "testverslag-2023.pdf").read_bytes() != LAST_GOOD
    assert len(warnings) == len(diagnostic_lines(result.output)) == 4, result.output


def test_hidden_files_backups_and_other_files_are_ignored_in_silence(tmp_path):
    sections = "sources/sections/"
    project = make_project(tmp_path / "p", {
        sections + ".DS_Store": b"\x00\x00\x00\x01Bud1", sections + ".01-alfa.md.swp": b"b0VIM 8.2\x00",
        sections + "01-alfa.md~": ALFA, sections + "#01-alfa.md#": ALFA, sections + "~$01-alfa.md": b"\x00",
        sections + "grafiek.png": b"\x89PNG\r\n\x1a\n"})
    (project / sections / ".#01-alfa.md").symlink_to("editor@host.4242")
    result = run_cli(project, "check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "0 error(s), 0 warning(s)"
