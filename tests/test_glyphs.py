"""Fonts are the layout's own: a character none of them has is an error at its file and line."""

from __future__ import annotations

from conftest import ALFA, REPORT_YAML, make_project, run_cli
from pdfcheck import embedded_fonts
from pypdf import PdfReader

BETA = """\
---
title: "Beta project"
---

Het project beta werkte samen met steden in
Japan (日本) en Korea.
"""


def test_a_character_no_layout_font_has_is_a_located_error_in_check_and_build(tmp_path):
    project = make_project(tmp_path / "p", {"sources/sections/02-beta.md": BETA})
    for command in ("check", "build"):
        result = run_cli(project, command)
        assert result.exit_code == 1, result.output
        lines = [line for line in result.output.splitlines() if "[text.no-glyph]" in line]
        assert lines == [
            "sources/sections/02-beta.md:6:8: error: the character '日' (U+65E5 CJK UNIFIED IDEOGRAPH-65E5) is "
            "in none of the layout's fonts, so it cannot be printed: replace it, or add a font that has it to "
            "default/fonts/ and its stylesheet [text.no-glyph]",
            "sources/sections/02-beta.md:6:9: error: the character '本' (U+672C CJK UNIFIED IDEOGRAPH-672C) is "
            "in none of the layout's fonts, so it cannot be printed: replace it, or add a font that has it to "
            "default/fonts/ and its stylesheet [text.no-glyph]"]


def test_symbols_the_text_fonts_lack_come_from_the_layouts_fallback_font(tmp_path):
    project = make_project(tmp_path / "p", {"sources/sections/02-beta.md": BETA.replace("(日本)", "★ ✓")})
    result = run_cli(project, "build", "--edition", "web", "--strict")
    assert result.exit_code == 0, result.output
    fonts = embedded_fonts(PdfReader(project / "build" / "testverslag-2023-web.pdf"))
    assert any(name.endswith("+KCVS-Fallback") for name in fonts), fonts


def test_who_approved_and_an_annexs_file_name_are_checked_too(tmp_path):
    """Both print (on the draft's approval sheet, in the contents) without being section text."""
    report = REPORT_YAML.replace('approved_by: "Beheerscomité"', 'approved_by: "Beheerscomité 日本"')
    alfa = ALFA.replace("alfa%20bijlage.pdf", "alfa%20%E2%9A%BD.pdf")
    project = make_project(tmp_path / "p", {"sources/report.yaml": report, "sources/sections/01-alfa.md": alfa,
                                            "sources/sections/02-beta.md": BETA.replace("(日本)", "")})
    for command in ("check", "build"):
        result = run_cli(project, command, *(("--edition", "draft") if command == "build" else ()))
        assert result.exit_code == 1, result.output
        located = [line.split(": error: the character ")[0] + " " + line.split("'")[1]
                   for line in result.output.splitlines() if line.endswith("[text.no-glyph]")]
        assert located == ["sources/report.yaml:17:29 日", "sources/report.yaml:17:30 本",
                           "sources/sections/01-alfa.md:5:10 ⚽"], result.output


CHART = """<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100">
<style>.label {{ font-family: 'Plex Sans', sans-serif }}</style>
<text x="10" y="40" class="label">Gent</text>
<text x="10" y="80" font-family="{family}" font-size="20">{text}</text></svg>
"""


def test_an_svg_chart_in_fonts_the_layout_lacks_is_warned_about_at_its_line(tmp_path):
    """Its text would silently print in whichever layout font comes first."""
    beta = BETA.replace("Japan (日本) en Korea.", "Korea.\n\n![Staafdiagram per stad](grafiek.svg \"Per stad.\")")
    project = make_project(tmp_path / "p", {"sources/sections/02-beta.md": beta,
                                            "sources/sections/grafiek.svg": CHART.format(family="Arial", text="Brugge")})
    for command in ("check", "build"):
        result = run_cli(project, command)
        assert result.exit_code == 0, result.output
        assert [line for line in result.output.splitlines() if "[text.chart-font]" in line] == [
            "sources/sections/02-beta.md:8:1: warning: 'grafiek.svg' sets text in 'Arial', which the layout does "
            "not have: set it in 'KCVS Fallback', 'Plex Sans' or 'Plex Serif' [text.chart-font]"]


def test_a_character_of_an_svg_chart_no_layout_font_has_is_an_error_at_its_line(tmp_path):
    beta = BETA.replace("Japan (日本) en Korea.", "Korea.\n\n![Staafdiagram per stad](grafiek.svg \"Per stad.\")")
    project = make_project(tmp_path / "p", {"sources/sections/02-beta.md": beta,
                                            "sources/sections/grafiek.svg": CHART.format(family="Plex Sans",
                                                                                         text="Tokio 東")})
    result = run_cli(project, "check")
    assert result.exit_code == 1
    assert [line.split(": error: ")[0] for line in result.output.splitlines() if "[text.no-glyph]" in line] == [
        "sources/sections/02-beta.md:8:1"], result.output
