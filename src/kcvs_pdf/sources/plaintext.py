"""Turn source text into diagnostics about what cannot be printed as written.

Lines are counted at "\\n" only, as editors do: Python's splitlines() would also break at form
feeds and Unicode line separators, which are themselves among the characters reported here.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

from ..errors import Diagnostics

MAX_WORD = 100
"""Longest run of characters without a space that a line of the page can hold."""
LARGE_SECTION_BYTES = 200_000
LARGE_SECTION_WORDS = 20_000
"""A section beyond either is far larger than any section of a report: likely a pasting mistake."""

# Control characters (C0 except tab, newline and carriage return; DEL; C1), bidirectional
# controls that make text read differently than it shows ("trojan source"), the deprecated
# shaping controls, Unicode line separators, the annotation controls and tag characters that
# hide text, and noncharacters: never wanted in a report, and YAML refuses most of them.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                        "\u2028\u2029\u2066-\u206f\ufff9-\ufffb\ufffe\uffff\U000e0000-\U000e007f]")
# Zero-width characters, invisible operators and a byte-order mark inside the text: invisible,
# but sometimes meant.
_ZERO_WIDTH = re.compile("[\u034f\u180e\u200b-\u200d\u2060-\u2064\ufeff]")
_ANY_INVISIBLE = re.compile(f"{_FORBIDDEN.pattern}|{_ZERO_WIDTH.pattern}")
_CONTROL_NAMES = {0x00: "NULL", 0x07: "BELL", 0x08: "BACKSPACE", 0x0A: "LINE FEED", 0x0B: "LINE TABULATION",
                  0x0C: "FORM FEED", 0x1B: "ESCAPE", 0x7F: "DELETE", 0x85: "NEXT LINE"}
_FIELD = re.compile(r" *(?:-[ ]+)?(?P<key>[A-Za-z_][\w-]*):[ \t]+")
# No-break spaces join words into one that cannot be broken either.
_NO_BREAK = re.compile("[\u00a0\u2007\u202f]")
_LONG_WORD = re.compile(rf"(?:\S|{_NO_BREAK.pattern}){{{MAX_WORD + 1},}}")
_REFERENCE = re.compile(r" {0,3}\[[^\]]+\]:[ \t]*(?P<target>\S+)")
# Markdown turns a character reference into the character it names: `&#x202E;` looks harmless
# in the source and reverses the text in the PDF.
_CHARACTER_REFERENCE = re.compile(r"&(?:#[xX](?P<hex>[0-9A-Fa-f]{1,8})|#(?P<decimal>[0-9]{1,9})"
                                  r"|[A-Za-z][A-Za-z0-9]{1,31});")


def check_invisible(text: str, path: Path, first_line: int, diagnostics: Diagnostics,
                    fields: bool) -> str:
    """Record invisible characters per line; return text with the forbidden ones as U+FFFD.

    `fields` says the text is YAML, so a message names the field of its line. The returned text
    keeps every column, and parsers reading it meet no control character.
    """
    for row, line in enumerate(text.split("\n")):
        field = _FIELD.match(line) if fields else None
        what = field["key"] if field else "this line" if fields else "the text"
        shown = _unquoted(line[field.end():] if field else line)
        for pattern, severity in ((_FORBIDDEN, "error"), (_ZERO_WIDTH, "warning")):
            found = list(pattern.finditer(line))
            if found:
                _record(found, path, first_line + row, what, shown, severity, diagnostics)
    return _FORBIDDEN.sub("\ufffd", text)


def invisible_severity(char: str) -> str | None:
    """Return 'error' for a character never wanted in a report, 'warning' for a zero-width one, else None."""
    if _FORBIDDEN.fullmatch(char):
        return "error"
    return "warning" if _ZERO_WIDTH.fullmatch(char) else None


def check_character_references(text: str, path: Path, first_line: int, diagnostics: Diagnostics) -> None:
    """Record each character reference (`&#x202E;`, `&rlm;`) that stands for an invisible character."""
    for row, line in enumerate(text.split("\n")):
        for match in _CHARACTER_REFERENCE.finditer(line):
            char = _referenced(match)
            severity = invisible_severity(char) if char else None
            if severity is not None:
                record_written_as(match.group(), char, severity, path, first_line + row, match.start() + 1,
                                  diagnostics)


def _referenced(match: re.Match) -> str:
    """Return the character a reference names, NUL for a number that is none ('' for no known name)."""
    number = match["hex"] or match["decimal"]
    if number is None:
        named = html.unescape(match.group())
        return named if named != match.group() and len(named) == 1 else ""
    code = int(number, 16 if match["hex"] else 10)
    # Markdown prints U+FFFD for these, which hides what was written.
    return "\x00" if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF else chr(code)


def record_written_as(written: str, char: str, severity: str, path: Path, line: int, column: int,
                      diagnostics: Diagnostics) -> None:
    """Record an invisible character that the source spells out (`&#x202E;`, `\\u202E`)."""
    fix = "remove it" if severity == "error" else "remove it unless it is meant to be there"
    message = f"'{written}' stands for the invisible character {character_name(char)}; {fix}"
    if severity == "error":
        diagnostics.error(path, line, column, message, "text.invisible")
    else:
        diagnostics.warning(path, line, column, message, "text.zero-width")


def _unquoted(value: str) -> str:
    """Return value without surrounding spaces and quotes: messages put it in quotes themselves."""
    value = value.strip()
    quoted = len(value) > 1 and value[0] == value[-1] and value[0] in "\"'"
    return value[1:-1] if quoted else value


def _record(found: list[re.Match], path: Path, line: int, what: str, shown: str, severity: str,
            diagnostics: Diagnostics) -> None:
    char, column, more = found[0].group(), found[0].start() + 1, len(found) - 1
    kind = "invisible" if severity == "error" else "zero-width"
    fix = "remove it" if severity == "error" else "remove it unless it is meant to be there"
    others = f" ({more} more on this line)" if more else ""
    message = (f"{what} contains the {kind} character {character_name(char)} at column {column}: "
               f"\"{visible(shown)}\"{others}; {fix}")
    if severity == "error":
        diagnostics.error(path, line, column, message, "text.invisible")
    else:
        diagnostics.warning(path, line, column, message, "text.zero-width")


def character_name(char: str) -> str:
    """Return 'U+202E RIGHT-TO-LEFT OVERRIDE' for a character (control characters too)."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(ord(char), "CONTROL CHARACTER")
    return f"U+{ord(char):04X} {name}"


def visible(text: str, width: int = 60) -> str:
    """Return text with every invisible character written as <U+XXXX>, shortened around the first."""
    first = _ANY_INVISIBLE.search(text)
    start = max(0, (first.start() if first else 0) - width // 2)
    part = text[start:start + width]
    shown = _ANY_INVISIBLE.sub(lambda match: f"<U+{ord(match.group()):04X}>", part)
    return ("…" if start else "") + shown + ("…" if start + width < len(text) else "")


def check_long_words(body: str, path: Path, first_line: int, diagnostics: Diagnostics) -> None:
    """Record every word too long for a line of the page; link targets are not printed, so skipped."""
    for row, line in enumerate(body.split("\n")):
        for match in _LONG_WORD.finditer(_without_link_targets(line)):
            word = line[match.start():match.end()]
            if _NO_BREAK.search(word):
                what, fix = "characters joined by no-break spaces", "use ordinary spaces"
            else:
                what = "characters without a space"
                fix = "add spaces, or make a long address a link, [text](address)"
            diagnostics.error(path, first_line + row, match.start() + 1,
                              f"a word of {len(word)} {what} ('{visible(word[:30], 30)}…') cannot be set in "
                              f"a line of the page: {fix}", "markdown.long-word")


def _without_link_targets(line: str) -> str:
    """Return line with the targets of Markdown links and images blanked, columns kept."""
    reference = _REFERENCE.match(line)
    if reference:
        return line[:reference.start("target")] + " " * len(reference["target"])
    chars, index = list(line), line.find("](")
    while index >= 0:
        depth = 0
        for end in range(index + 1, len(line)):
            depth += {"(": 1, ")": -1}.get(line[end], 0)
            if depth == 0:
                chars[index + 2:end] = " " * (end - index - 2)
                break
        index = line.find("](", index + 2)
    return "".join(chars)


def check_size(text: str, path: Path, diagnostics: Diagnostics) -> None:
    """Warn when a section's file is far larger than any section of a report."""
    size, words = len(text.encode("utf-8")), len(text.split())
    if size > LARGE_SECTION_BYTES or words > LARGE_SECTION_WORDS:
        diagnostics.warning(path, 1, 1, f"section '{path.name}' is very large ({size // 1000} KB, "
                            f"{words} words; a section of a report is a few pages): check that no text "
                            "was pasted in by mistake, or split it into sections", "section.very-large")
