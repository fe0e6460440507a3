"""A catalogue of bad inputs: each fails the build with exit 1, one located diagnostic per problem,
the previous PDF untouched, and a transcript equal to tests/golden/catalogue/<case>.txt.

Each case overrides a few files of the small valid project of conftest.make_project. A case the
current code gets wrong states the correct expectation and is marked xfail(strict=True) with
what goes wrong; once fixed, remove the mark and run `make golden` to write its transcript.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import ALFA, REPORT_YAML, build_over_last_good, make_project, run_cli
from golden import assert_matches_golden
from PIL import Image

DIAGNOSTIC = re.compile(r"^(?P<location>.+?:\d+:\d+): (?P<severity>error|warning): (?P<message>.*) "
                        r"\[(?P<code>[a-z0-9.-]+)\]$")


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str | bytes | None]
    """Files to write over the valid project (None deletes)."""
    expect_location: str
    """`path:line:column` of the diagnostic the case is about."""
    expect_code: str
    message: str = ""
    """A phrase that diagnostic's message must contain."""
    also: tuple[tuple[str, str], ...] = field(default=())
    """Other (location, code) diagnostics the transcript rightly has; any diagnostic not declared fails."""
    xfail: str = ""
    """Why the current code gets this case wrong (the case then runs as a strict xfail)."""


def section(*front: str, body: str = "De werkgroep alfa vergaderde in 2023 zes keer.\n") -> str:
    """A section file: '---', the front-matter lines (the first is file line 2), '---', a blank line,
    then the body, whose first line is file line len(front) + 4."""
    return "---\n" + "".join(f"{line}\n" for line in front) + "---\n\n" + body


def markdown(body: str) -> str:
    """A section file with a one-line front matter: the body starts on file line 5."""
    return section('title: "Alfa werkgroep"', body=body)


def with_link(*lines: str) -> str:
    """A section file with one link: `lines` start on file line 4 (after title and 'links:')."""
    return section('title: "Alfa werkgroep"', "links:", *lines)


def report(old: str, new: str) -> str:
    """conftest.REPORT_YAML with one change. Its lines: 1 title, 2 year, 3 organisation,
    4 language, 5 published, 6 subject, 7 keywords, 8 website, 9 chapters, 10-11 the chapter,
    12-15 labels, 16-18 approval, 19-21 colophon."""
    assert old in REPORT_YAML, old
    return REPORT_YAML.replace(old, new, 1)


def tiny_png() -> bytes:
    """A real 2 × 2 PNG: images are decoded while the sources are checked."""
    data = io.BytesIO()
    Image.new("RGB", (2, 2), (11, 85, 99)).save(data, "PNG")
    return data.getvalue()


A = "sources/sections/01-alfa.md"
B = "sources/sections/02-beta.md"
R = "sources/report.yaml"
COVER = "layouts/default/cover.html"
LABEL = '  - label: "MEER INFORMATIE"'
URL = '    url: "https://www.example.org/alfa.pdf"'

CASES = [
    # --- YAML in a section's front matter (the front matter starts on file line 2) ---
    Case("yaml-unclosed-quote", {A: section('title: "Alfa werkgroep')}, f"{A}:2:8", "yaml.syntax"),
    Case("yaml-unclosed-quote-before-links", {A: section('title: "Alfa werkgroep', "links:", LABEL, URL)},
         f"{A}:2:8", "yaml.syntax"),
    Case("yaml-bad-indentation", {A: with_link(LABEL, '   url: "https://www.example.org/alfa.pdf"')},
         f"{A}:5:4", "yaml.syntax"),
    Case("yaml-tab-indentation", {A: with_link('\t- label: "MEER INFORMATIE"', URL)},
         f"{A}:4:1", "yaml.syntax", message="indented with a tab"),
    Case("yaml-duplicate-key", {A: section('title: "Alfa werkgroep"', 'title: "Alfa"')},
         f"{A}:3:1", "yaml.duplicate-key", message="duplicate field 'title' (first at line 2)"),
    Case("yaml-python-object-tag", {A: section('title: !!python/object/apply:os.system ["echo hallo"]')},
         f"{A}:2:8", "yaml.tag"),
    Case("yaml-anchor-and-alias",
         {A: section('title: &naam "Alfa werkgroep"', "links:", "  - label: *naam", URL)},
         f"{A}:2:8", "yaml.anchor", also=((f"{A}:4:12", "yaml.anchor"),)),
    # --- values YAML 1.1 retypes where text is expected ---
    Case("title-no", {A: section("title: NO")}, f"{A}:2:8", "section.retyped", message='("NO")'),
    Case("title-on", {A: section("title: on")}, f"{A}:2:8", "section.retyped", message="yes/no value true"),
    Case("title-012", {A: section("title: 012")}, f"{A}:2:8", "section.retyped", message="number 10"),
    Case("title-12-30", {A: section("title: 12:30")}, f"{A}:2:8", "section.retyped", message="number 750"),
    Case("title-unquoted-date", {A: section("title: 2024-06-01")}, f"{A}:2:8", "section.retyped",
         message='put it in quotes ("2024-06-01")'),
    Case("link-label-yes", {A: with_link("  - label: yes", URL)}, f"{A}:4:12", "section.retyped"),
    # --- section fields ---
    Case("no-front-matter", {A: 'title: "Alfa werkgroep"\n\nTekst.\n'}, f"{A}:1:1",
         "section.no-front-matter"),
    Case("unclosed-front-matter", {A: '---\ntitle: "Alfa werkgroep"\n\nTekst.\n'}, f"{A}:1:1",
         "section.unclosed-front-matter"),
    Case("empty-front-matter", {A: "---\n---\n\nTekst.\n"}, f"{A}:1:1", "section.empty"),
    Case("title-empty", {A: section("title:")}, f"{A}:2:7", "section.empty-field"),
    Case("title-empty-quotes", {A: section('title: ""')}, f"{A}:2:8", "section.empty-field"),
    Case("title-missing", {A: section("links:", LABEL, URL)}, f"{A}:2:1", "section.missing-field",
         message="'title'"),
    Case("title-misspelt-titel", {A: section('titel: "Alfa werkgroep"')}, f"{A}:2:1", "section.unknown-field",
         message="did you mean 'title'?", also=((f"{A}:2:1", "section.missing-field"),)),
    Case("title-a-list", {A: section('title: ["Alfa", "werkgroep"]')}, f"{A}:2:8", "section.wrong-type"),
    Case("links-not-a-list", {A: section('title: "Alfa werkgroep"', 'links: "https://www.example.org/a.pdf"')},
         f"{A}:3:8", "section.wrong-type", message="must be a list"),
    Case("link-without-url", {A: with_link(LABEL)}, f"{A}:4:5", "section.missing-field", message="'url'"),
    Case("link-without-label", {A: with_link('  - url: "https://www.example.org/alfa.pdf"')},
         f"{A}:4:5", "section.missing-field", message="'label'"),
    Case("link-url-ftp", {A: with_link(LABEL, '    url: "ftp://www.example.org/alfa.pdf"')},
         f"{A}:5:10", "section.invalid-url", message="not 'ftp:'"),
    Case("link-url-with-space", {A: with_link(LABEL, '    url: "https://www.example.org/alfa bijlage.pdf"')},
         f"{A}:5:10", "section.invalid-url", message="%20"),
    Case("link-url-javascript", {A: with_link(LABEL, '    url: "javascript:alert(1)"')},
         f"{A}:5:10", "section.invalid-url"),
    Case("link-file-with-folder", {A: with_link(LABEL, URL, '    file: "../../geheim.pdf"')},
         f"{A}:6:11", "section.invalid-file"),
    # --- report.yaml ---
    Case("report-yaml-bad-indentation", {R: report('  chapter: "Hoofdstuk"', '   chapter: "Hoofdstuk"')},
         f"{R}:14:4", "yaml.syntax"),
    Case("report-yaml-unclosed-list", {R: report('["alfa", "beta"]', '["alfa", "beta"')},
         f"{R}:11:15", "yaml.syntax"),
    Case("report-yaml-duplicate-key", {R: REPORT_YAML + "year: 2024\n"}, f"{R}:22:1", "yaml.duplicate-key",
         message="first at line 2"),
    Case("report-yaml-missing", {R: None}, f"{R}:0:0", "report.missing-file"),
    Case("report-missing-published", {R: report("published: 2024-06-01\n", "")}, f"{R}:1:1",
         "report.missing-field", message="'published'"),
    Case("report-unknown-field", {R: REPORT_YAML + 'subtitel: "Jaarverslag"\n'}, f"{R}:22:1",
         "report.unknown-field", message="did you mean 'subtitle'?"),
    Case("report-year-twenty", {R: report("year: 2023", "year: twenty")}, f"{R}:2:7", "report.wrong-type"),
    Case("report-published-impossible-date", {R: report("published: 2024-06-01", "published: 2024-13-45")},
         f"{R}:5:12", "report.wrong-type", message="YYYY-MM-DD"),
    Case("report-language-dutch", {R: report('language: "nl-BE"', 'language: "dutch"')}, f"{R}:4:11",
         "report.invalid-language"),
    Case("report-website-without-scheme",
         {R: report('website: "https://www.example.org"', "website: www.example.org")},
         f"{R}:8:10", "report.invalid-url", message="https://"),
    Case("report-keywords-not-a-list", {R: report('keywords: ["test"]', 'keywords: "test"')}, f"{R}:7:11",
         "report.wrong-type"),
    Case("report-chapter-names-unknown-section", {R: report('["alfa", "beta"]', '["alfa", "betta"]')},
         f"{R}:11:24", "report.unknown-section", message="did you mean 'beta'?",
         also=((f"{B}:1:1", "section.no-chapter"),)),
    Case("report-section-in-no-chapter", {R: report('["alfa", "beta"]', '["alfa"]')}, f"{B}:1:1",
         "section.no-chapter"),
    Case("report-section-twice",
         {R: report('    sections: ["alfa", "beta"]\n',
                    '    sections: ["alfa", "beta"]\n  - title: "Tweede hoofdstuk"\n    sections: ["alfa"]\n')},
         f"{R}:13:16", "report.section-twice", message="already in chapter 1"),
    Case("report-colophon-line-without-value", {R: report('    value: "Kenniscentrum Vlaamse Steden"\n', "")},
         f"{R}:20:5", "report.missing-field", message="'value'"),
    # --- section files ---
    Case("duplicate-slug", {"sources/sections/03-alfa.md": ALFA}, "sources/sections/03-alfa.md:1:1",
         "section.duplicate-slug", message="also 01-alfa.md"),
    Case("section-not-utf8", {A: b'---\ntitle: "Caf\xe9 Alfa"\n---\n\nTekst.\n'}, f"{A}:2:12",
         "section.encoding"),
    # --- Markdown bodies (the body starts on file line 5) ---
    Case("markdown-raw-html-script", {A: markdown("<script>alert(1)</script>\n")}, f"{A}:5:1",
         "markdown.raw-html"),
    Case("markdown-raw-html-div", {A: markdown('Eerste alinea.\n\n<div class="kader">In een kader.</div>\n')},
         f"{A}:7:1", "markdown.raw-html"),
    Case("markdown-raw-html-inline-second-line",
         {A: markdown("Eerste regel van de alinea,\ntweede regel met <b>vet</b>.\n")}, f"{A}:6:18",
         "markdown.raw-html"),
    Case("markdown-image-without-alt", {A: markdown("![](beeld.png)\n"), "sources/sections/beeld.png": tiny_png()},
         f"{A}:5:1", "markdown.image-alt"),
    Case("markdown-image-absolute-path", {A: markdown("![x](/etc/passwd)\n")}, f"{A}:5:1",
         "markdown.image-outside"),
    Case("markdown-image-outside-sources", {A: markdown("![x](../../outside.png)\n"), "outside.png": "png"},
         f"{A}:5:1", "markdown.image-outside"),
    Case("markdown-image-missing", {A: markdown("![Een grafiek](grafiek.png)\n")}, f"{A}:5:1",
         "markdown.image-missing"),
    Case("markdown-image-file-url", {A: markdown("![x](file:///etc/passwd)\n")}, f"{A}:5:1",
         "markdown.image-outside"),
    Case("markdown-image-http-url", {A: markdown("![x](http://example.org/x.png)\n")}, f"{A}:5:1",
         "markdown.image-outside"),
    Case("markdown-link-javascript", {A: markdown("[klik hier](javascript:alert(1))\n")}, f"{A}:5:1",
         "markdown.link"),
    Case("markdown-link-file-url", {A: markdown("[het bestand](file:///etc/passwd)\n")}, f"{A}:5:1",
         "markdown.link"),
    Case("markdown-link-second-line", {A: markdown("Lees meer\nin [het verslag](verslag.pdf).\n")},
         f"{A}:6:4", "markdown.link"),
    # --- layout templates (written over the copied layouts/default/) ---
    Case("layout-undefined-field",
         {COVER: '<section class="cover">\n  <h1>{{ report.title }}</h1>\n{{ report.nonexistent }}\n</section>\n'},
         f"{COVER}:3:1", "layout.undefined", message="nonexistent"),
    Case("layout-syntax-error",
         {COVER: '<section class="cover">\n  <h1>{{ report.title }}</h1>\n{% endif %}\n</section>\n'},
         f"{COVER}:3:1", "layout.syntax", message="endif"),
]


def transcript(output: str, project: Path) -> str:
    """Return output with the project folder shown as <project> and the build time removed."""
    for shown in {str(project.resolve()), str(project)}:
        output = output.replace(shown, "<project>")
    return re.sub(r"(?m)^(Wrote .*), \d+(\.\d+)? s$", r"\1", output)


def diagnostic_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if DIAGNOSTIC.match(line)]


def declared(case: Case) -> list[tuple[str, str]]:
    return sorted([(case.expect_location, case.expect_code), *case.also])


def found(output: str) -> list[tuple[str, str]]:
    return sorted((m["location"], m["code"]) for m in map(DIAGNOSTIC.match, diagnostic_lines(output)))


def params(cases):
    return [pytest.param(case, id=case.name,
                         marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [])
            for case in cases]


def test_catalogue_names_are_unique():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)) and len(names) >= 45


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input_fails_the_build_with_a_located_diagnostic(tmp_path, case):
    project = make_project(tmp_path / "p", case.files)
    result, untouched = build_over_last_good(project)
    output = transcript(result.output, project)

    assert result.exit_code == 1, output
    assert untouched, "the previous PDF was replaced or build/ has new files"
    lines = [line for line in diagnostic_lines(output)
             if line.startswith(f"{case.expect_location}: error: ") and line.endswith(f"[{case.expect_code}]")]
    assert lines, f"no error at {case.expect_location} [{case.expect_code}] in:\n{output}"
    assert any(case.message in line for line in lines), f"no message with {case.message!r} in:\n{output}"
    assert found(output) == declared(case), f"other diagnostics than declared in:\n{output}"
    if case.xfail:
        return  # the transcript gets its golden file once the case passes and the mark is removed
    assert_matches_golden(f"catalogue/{case.name}", output)


CHECKED = ("title-misspelt-titel", "report-year-twenty", "report-chapter-names-unknown-section",
           "markdown-raw-html-script", "layout-undefined-field")


@pytest.mark.parametrize("case", params(c for c in CASES if c.name in CHECKED))
def test_check_command_reports_the_same_problems(tmp_path, case):
    project = make_project(tmp_path / "p", case.files)
    checked = run_cli(project, "check")
    output = transcript(checked.output, project)
    assert not (project / "build").exists(), "check wrote to build/"
    built = run_cli(project, "build")

    assert checked.exit_code == 1, output
    lines = diagnostic_lines(output)
    assert (case.expect_location, case.expect_code) in found(output), output
    assert lines == diagnostic_lines(transcript(built.output, project))
    errors = sum(1 for line in lines if ": error: " in line)
    warnings = len(lines) - errors
    assert output.splitlines()[-1] == f"{errors} error(s), {warnings} warning(s)"


def test_problems_in_several_files_are_reported_together_sorted_by_file_and_line(tmp_path):
    project = make_project(tmp_path / "p", {
        R: report("year: 2023", "year: twenty"),
        A: section('titel: "Alfa werkgroep"'),
        B: with_link('  - label: "MEER OVER BETA"', '    url: "ftp://www.example.org/beta.pdf"',
                     '    file: "beta/bijlage.pdf"'),
    })
    result, untouched = build_over_last_good(project)
    output = transcript(result.output, project)

    assert result.exit_code == 1, output
    assert untouched
    assert [(m["location"], m["code"]) for m in map(DIAGNOSTIC.match, diagnostic_lines(output))] == [
        (f"{R}:2:7", "report.wrong-type"),
        (f"{A}:2:1", "section.unknown-field"),
        (f"{A}:2:1", "section.missing-field"),
        (f"{B}:5:10", "section.invalid-url"),
        (f"{B}:6:11", "section.invalid-file"),
    ]
    assert "Build stopped: 5 error(s), 0 warning(s)." in output
    assert_matches_golden("catalogue/several-files", output)
