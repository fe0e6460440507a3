"""Invisible characters, unprintable words and oversized sections are reported where they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.sources.plaintext import (
    LARGE_SECTION_WORDS,
    MAX_WORD,
    character_name,
    check_invisible,
    check_long_words,
    check_size,
    visible,
)
from kcvs_pdf.sources.yamlsource import load_yaml

PATH = Path("sources/sections/01-alfa.md")
FORBIDDEN = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f",
             "\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
             "\u2066", "\u2067", "\u2068", "\u2069", "\u2028", "\u2029"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda char: f"U+{ord(char):04X}")
def test_each_forbidden_character_in_a_field_is_an_error_at_its_column(char):
    diagnostics = Diagnostics()
    located = load_yaml(f'title: "Werkgroep {char}RPDG"\nlinks: []\n', PATH, diagnostics, first_line=2)
    [diagnostic] = diagnostics.items
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (2, 19, "text.invisible")
    assert diagnostic.message.startswith(f"title contains the invisible character {character_name(char)} "
                                         "at column 19: ")
    assert f'"Werkgroep <U+{ord(char):04X}>RPDG"; remove it' in diagnostic.message
    assert char not in diagnostic.message
    assert located.key_positions["links"] == (3, 1), "the lines after it keep their numbers"


@pytest.mark.parametrize("char", ZERO_WIDTH, ids=lambda char: f"U+{ord(char):04X}")
def test_each_zero_width_character_in_the_body_is_a_warning(char):
    diagnostics = Diagnostics()
    check_invisible(f"Eerste regel.\nTweede{char}regel.\n", PATH, 5, diagnostics, fields=False)
    [diagnostic] = diagnostics.items
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (6, 7, "text.zero-width")
    assert diagnostic.severity.value == "warning"
    assert diagnostic.message.startswith("the text contains the zero-width character")


def test_lines_are_counted_at_newlines_only():
    diagnostics = Diagnostics()
    check_invisible("een\x0ctwee\u2028drie\nvier\u202e\n", PATH, 1, diagnostics, fields=False)
    assert [(d.line, d.column) for d in diagnostics.items] == [(1, 4), (2, 5)]
    assert "(1 more on this line)" in diagnostics.items[0].message


def test_forbidden_characters_are_replaced_so_parsers_keep_every_column():
    text = "title: \"a\x00b\u202ec\u200bd\"\n"
    cleaned = check_invisible(text, PATH, 1, Diagnostics(), fields=True)
    assert cleaned == "title: \"a\ufffdb\ufffdc\u200bd\"\n"


@given(st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), max_size=40),
       st.sampled_from(FORBIDDEN), st.integers(min_value=0, max_value=40), st.integers(1, 30))
def test_a_forbidden_character_anywhere_in_the_body_is_found_where_it_is(text, char, at, first_line):
    at = min(at, len(text))
    diagnostics = Diagnostics()
    body = "Inleiding.\n" + text[:at] + char + text[at:] + "\n"
    check_invisible(body, PATH, first_line, diagnostics, fields=False)
    [diagnostic] = diagnostics.errors
    assert (diagnostic.line, diagnostic.column) == (first_line + 1, at + 1)


def test_visible_shows_every_invisible_character_and_shortens_long_text():
    assert visible("a\u200bb\u202ec") == "a<U+200B>b<U+202E>c"
    shown = visible("x" * 100 + "\u202e" + "y" * 100)
    assert "<U+202E>" in shown and shown.startswith("…") and shown.endswith("…")


def test_a_word_too_long_for_a_line_is_an_error_at_its_start():
    diagnostics = Diagnostics()
    check_long_words("Eerste regel.\nTekst " + "a" * (MAX_WORD + 1) + " einde.\n", PATH, 5, diagnostics)
    [diagnostic] = diagnostics.items
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (6, 7, "markdown.long-word")
    assert f"a word of {MAX_WORD + 1} characters" in diagnostic.message


def test_a_word_of_the_longest_printable_length_is_accepted():
    diagnostics = Diagnostics()
    check_long_words("Tekst " + "a" * MAX_WORD + " einde.\n", PATH, 5, diagnostics)
    assert diagnostics.items == ()


def test_link_and_image_targets_are_not_printed_so_may_be_long():
    url = "https://www.example.org/" + "map/" * 60 + "(versie)/bijlage.pdf"
    diagnostics = Diagnostics()
    check_long_words(f"Lees [het verslag]({url}) en ![grafiek]({url} \"titel\").\n\n[ref]: {url}\n",
                     PATH, 5, diagnostics)
    assert diagnostics.items == ()


def test_a_long_address_printed_as_text_is_an_error():
    diagnostics = Diagnostics()
    url = "https://www.example.org/" + "map/" * 30
    check_long_words(f"Zie [{url}]({url}).\n", PATH, 5, diagnostics)
    assert [(d.line, d.column) for d in diagnostics.items] == [(5, 5)]


def test_a_section_far_larger_than_any_report_section_is_a_warning():
    diagnostics = Diagnostics()
    check_size("woord " * LARGE_SECTION_WORDS, PATH, diagnostics)
    assert diagnostics.items == ()
    check_size("woord " * (LARGE_SECTION_WORDS + 1), PATH, diagnostics)
    [diagnostic] = diagnostics.items
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (1, 1, "section.very-large")
    assert "'01-alfa.md' is very large" in diagnostic.message
    check_size("x" * 250_000, PATH, diagnostics)
    assert len(diagnostics.warnings) == 2
