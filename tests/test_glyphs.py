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
