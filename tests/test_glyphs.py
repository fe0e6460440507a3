"""Fonts are the layout's own: a character none of them has is an error at its file and line."""

from __future__ import annotations

from conftest import make_project, run_cli
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
