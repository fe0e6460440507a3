"""Turn text into text with soft hyphens where the report's language lets a word break.

WeasyPrint's automatic hyphenation can only add a hyphen; Dutch spelling also drops the trema
at a break ("effici-enter", not "effici-ënter") and readers stumble over broken capitals and
two-letter fragments. Choosing the breaks here, as soft hyphens with `hyphens: manual` in the
layout, keeps every break one that Dutch spelling accepts.
"""

from __future__ import annotations

import functools
import re

import pyphen
from markupsafe import Markup, escape

SOFT_HYPHEN = "\u00ad"
MIN_WORD, MIN_HEAD, MIN_TAIL = 7, 3, 4
"""Shortest word to break, and fewest letters before and after a break."""
_TREMA = set("äëïöüÄËÏÖÜ")
# A soft hyphen between these pairs ends up inside an "fl"/"fi" ligature glyph, whose text then
# cannot be copied or read aloud ("leefloon" came out as "leeoon"); these are never broken.
_LIGATURES = {"ff", "fi", "fl", "fj", "ft"}
# Whole words only: not parts of words glued to digits or brackets ("O(mgeving)", "CO2-uitstoot").
_WORD = re.compile(r"&#?\w+;|(?<![\w(])[^\W\d_]+(?:['’][^\W\d_]+)*(?![\w)])")
_TAG = re.compile(r"(<[^>]*>)")


@functools.lru_cache(maxsize=8)
def _dictionary(language: str) -> pyphen.Pyphen | None:
    found = pyphen.language_fallback(language.replace("-", "_"))
    return pyphen.Pyphen(lang=found, left=MIN_HEAD, right=MIN_TAIL) if found else None


@functools.lru_cache(maxsize=65536)
def hyphenate_word(word: str, language: str) -> str:
    """Return word with soft hyphens at the breaks its language allows and the layout accepts."""
    dictionary = _dictionary(language)
    if dictionary is None or len(word) < MIN_WORD or sum(ch.isupper() for ch in word) > 1:
        return word
    breaks = [position for position in dictionary.positions(word)
              if word[position] not in _TREMA and word[position - 1] not in _TREMA
              and word[position - 1:position + 1].lower() not in _LIGATURES]
    pieces, start = [], 0
    for position in breaks:
        pieces.append(word[start:position])
        start = position
    pieces.append(word[start:])
    return SOFT_HYPHEN.join(pieces)


def hyphenate_text(text: str, language: str) -> str:
    """Return plain text with soft hyphens in its long words."""
    return _WORD.sub(lambda m: m.group() if m.group().startswith("&") else
                     hyphenate_word(m.group(), language), text)


def hyphenate(value: str, language: str) -> Markup:
    """Return HTML (or text, escaped) with soft hyphens in the words of its text, never in tags."""
    html = str(value) if isinstance(value, Markup) else str(escape(value))
    parts = _TAG.split(html)
    return Markup("".join(part if part.startswith("<") else hyphenate_text(part, language)
                          for part in parts))
