"""Turn a YAML syntax error into the place an editor should look and a plain message with a fix.

PyYAML says what its parser expected, often a line after the mistake. Each recogniser below
looks at the source lines around the error for one mistake people make, and the first that
recognises its mistake explains it; PyYAML's own words only reach the generic fallback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

_KEY_LINE = re.compile(r"(?P<indent> *)(?P<dash>-[ ]+)?(?P<key>[A-Za-z_][\w-]*):(?:[ \t]+|$)")
_NO_SPACE = re.compile(r" *(?:-[ ]+)?(?P<key>[A-Za-z_][\w-]*):(?=[^\s/])")
_NAME = re.compile(r" *(?:-[ ]+)?[A-Za-z_]")
_WITHOUT_COLON = re.compile(r" *(?:-[ ]+)?[A-Za-z_][\w-]*[ \t]+\S")
_VALUE_START = re.compile(r" *(?:-[ ]+)?(?:[A-Za-z_][\w-]*:[ \t]+)?")
_VALUE_QUOTE = re.compile(r" *(?:-[ ]+)?(?:[A-Za-z_][\w-]*:[ \t]+)?(?P<quote>[\"'])")
_TOKENS = {"<block end>": "the end of the block", "<block mapping start>": "a new field",
           "<block sequence start>": "a list", "<scalar>": "text", "<stream end>": "the end",
           "<document start>": "'---'", "<document end>": "'...'", "<block entry>": "'-'",
           "'\\n'": "the end of the line", "the node content": "a value",
           "alphabetic or numeric character": "a letter or digit"}


@dataclass(frozen=True)
class Explanation:
    """Where a YAML text goes wrong (1-based, within the text) and what to do about it."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class _Problem:
    """The parser's error, with the lines of the text it was reading (0-based positions)."""

    lines: tuple[str, ...]
    line: int
    column: int
    context_line: int | None
    context_column: int | None
    problem: str
    offset: int
    """File line of the text's first line, minus one: messages name file lines."""

    def file_line(self, row: int) -> int:
        return row + 1 + self.offset

    def text(self, row: int | None) -> str:
        return self.lines[row] if row is not None and 0 <= row < len(self.lines) else ""

    @property
    def here(self) -> str:
        return self.text(self.line)

    @property
    def previous(self) -> int | None:
        """Return the row of the last line with content before the error's line."""
        return next((row for row in range(self.line - 1, -1, -1)
                     if self.lines[row].strip() and not self.lines[row].lstrip().startswith("#")), None)


def explain(error: yaml.MarkedYAMLError, text: str, first_line: int = 1) -> Explanation:
    """Return where a person should look for the mistake PyYAML stumbled on, and the fix.

    `first_line` is the file line the text starts on; the explanation gives file lines.
    """
    mark = error.problem_mark or error.context_mark
    context = error.context_mark
    problem = _Problem(tuple(text.split("\n")), mark.line if mark else 0, mark.column if mark else 0,
                       context.line if context else None, context.column if context else None,
                       error.problem or error.context or "", first_line - 1)
    return next(found for found in (recognise(problem) for recognise in _RECOGNISERS) if found)


def _tab(p: _Problem) -> Explanation | None:
    indent = p.here[:len(p.here) - len(p.here.lstrip(" \t"))]
    if "\t" in indent:
        return Explanation(p.file_line(p.line), indent.index("\t") + 1, "this line is indented with "
                           "a tab: YAML only accepts spaces, so replace the tab by spaces (two per level)")
    if p.here[p.column:p.column + 1] == "\t":
        return Explanation(p.file_line(p.line), p.column + 1, "there is a tab here: YAML only accepts "
                           "spaces between a field and its value, so replace the tab by a space")
    return None


def _backslash(p: _Problem) -> Explanation | None:
    opener = p.text(p.context_line)[p.context_column or 0:(p.context_column or 0) + 1]
    if p.column == 0 or p.here[p.column - 1] != "\\" or opener != '"':
        return None
    return Explanation(p.file_line(p.line), p.column, "inside double quotes a backslash starts a "
                       "code such as \\n: write a backslash as \\\\, or put the text in single quotes "
                       "instead")


def _unclosed_quote(p: _Problem) -> Explanation | None:
    # A quote left open swallows the lines after it, so the parser fails lines later.
    for row in range(0, p.line + 1):
        column = _open_quote(p.text(row))
        if column is not None:
            quote = p.text(row)[column]
            return Explanation(p.file_line(row), column + 1, f"this quote is never closed: end the "
                               f"text with {quote}")
    opener = p.text(p.context_line)[p.context_column or 0:(p.context_column or 0) + 1]
    if opener in ("\"", "'") and p.context_line <= p.line:
        return Explanation(p.file_line(p.context_line), p.context_column + 1, "this quote is never "
                           f"closed: end the text with {opener}, or remove it")
    return None


def _open_quote(line: str) -> int | None:
    """Return the column of a value's opening quote that the line does not close, else None."""
    match = _VALUE_QUOTE.match(line)
    if match is None:
        return None
    start, quote = match.start("quote"), match["quote"]
    index = start + 1
    while index < len(line):
        if quote == '"' and line[index] == "\\":
            index += 2
            continue
        if line[index] == quote:
            if quote == "'" and line[index + 1:index + 2] == "'":
                index += 2
                continue
            return None
        index += 1
    return start


def _no_space_after_colon(p: _Problem) -> Explanation | None:
    # The parser only notices on the line after 'title:"Alfa"', or where that key's line ends.
    for row in sorted({row for row in (p.context_line, p.previous, p.line) if row is not None}):
        match = _NO_SPACE.match(p.text(row))
        if match:
            return no_space_explanation(p.file_line(row), match.end("key") + 1,
                                        p.text(row)[match.start("key"):].strip())
    return None


def no_space_explanation(line: int, column: int, written: str) -> Explanation:
    """Explain a 'name:value' line that lacks the space after its colon."""
    shown = written if len(written) <= 40 else written[:39] + "…"
    fixed = re.sub(r":(?=\S)", ": ", shown, count=1)
    return Explanation(line, column, f"there is no space after the colon in '{shown}': write "
                       f"'{fixed}' (YAML needs a space after the ':' of a field)")


def _flow(p: _Problem) -> Explanation | None:
    opened = p.text(p.context_line)
    opener = opened[p.context_column:p.context_column + 1] if p.context_column is not None else ""
    if opener not in ("[", "{") or not opener:
        return None
    closer = "]" if opener == "[" else "}"
    if not _closes(opened, p.context_column):
        what = "list" if opener == "[" else "{…}"
        return Explanation(p.file_line(p.context_line), p.context_column + 1,
                           f"this {what} is never closed: end it with {closer}")
    return Explanation(p.file_line(p.line), p.column + 1, f"the items between {opener} and {closer} are "
                       "separated by commas: add a ',' before this item")


def _closes(line: str, start: int) -> bool:
    """Return whether the bracket at start is closed on its line (quotes skipped)."""
    depth, quote = 0, ""
    for char in line[start:]:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return True
    return False


def _list_item(p: _Problem) -> Explanation | None:
    if p.here[p.column:p.column + 2] not in ("- ", "-"):
        return None
    before = p.here[:p.column].rstrip()
    if not before:
        return Explanation(p.file_line(p.line), p.column + 1, "a list item ('- …') stands where a field "
                           "('name: value') is expected: remove the '-', or indent the item under "
                           "the field it belongs to (such as 'links:')")
    if before.endswith(":"):
        return Explanation(p.file_line(p.line), p.column + 1, f"a list cannot start on the same line as "
                           f"'{before.strip()}': put each item ('- …') on its own line below it, "
                           "indented by two more spaces")
    return None


def _indentation(p: _Problem) -> Explanation | None:
    match = _KEY_LINE.match(p.here)
    if match is None or match["dash"]:
        return None
    indent = len(match["indent"])
    levels = _open_levels(p.lines, p.line)
    if not levels or indent in {column for column, _, _ in levels}:
        return None
    column, key, row = min(levels, key=lambda level: (abs(level[0] - indent), -level[0]))
    return Explanation(p.file_line(p.line), indent + 1, f"'{match['key']}' is indented by {_spaces(indent)}, "
                       f"but '{key}' on line {p.file_line(row)} by {column}: start the fields of one block "
                       "in the same column")


def _open_levels(lines: tuple[str, ...], row: int) -> list[tuple[int, str, int]]:
    """Return (column, name, row) of the field of each block still open above row, innermost first."""
    levels: list[tuple[int, str, int]] = []
    limit = float("inf")
    for above in range(row - 1, -1, -1):
        match = _KEY_LINE.match(lines[above])
        if match and match.start("key") < limit:
            limit = match.start("key")
            levels.append((limit, match["key"], above))
    return levels


def _spaces(count: int) -> str:
    return "1 space" if count == 1 else f"{count} spaces"


def _colon_in_value(p: _Problem) -> Explanation | None:
    match = _KEY_LINE.match(p.here)
    if p.here[p.column:p.column + 1] != ":" or match is None or match.end() > p.column:
        return None
    value = p.here[match.end():].rstrip()
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return Explanation(p.file_line(p.line), match.end() + 1, f"the text after '{match['key']}:' contains "
                       "': ', which YAML reads as the start of another field: put the text in "
                       f"quotes: {match['key']}: {quoted}")


def _missing_colon(p: _Problem) -> Explanation | None:
    # 'title "Alfa"' is read as the start of a long field name; the parser fails where that
    # name should end with ':', at the next line's colon or the line after it.
    named = p.text(p.context_line)[p.context_column or 0:(p.context_column or 0) + 1].isalpha()
    rows = [(p.context_line, _NAME)] if named and p.context_line != p.line else []
    rows += [(p.previous, _WITHOUT_COLON)] if p.here[p.column:p.column + 1] == ":" else []
    for row, shape in rows:
        line = p.text(row).split("#")[0]
        if shape.match(line) and ":" not in line:
            return Explanation(p.file_line(row), len(line) - len(line.lstrip()) + 1,
                               f"'{line.strip()[:40]}' has no ':' after the field name: write it "
                               "as 'name: value'")
    return None


def _after_closing(p: _Problem) -> Explanation | None:
    before = p.here[:p.column].rstrip()
    if before.endswith(("]", "}")):
        return Explanation(p.file_line(p.line), p.column + 1, f"the line goes on after the closing "
                           f"{before[-1]}: put what follows on a line of its own, or remove it")
    if not before.endswith(('"', "'")) or _open_quote(p.here) is not None:
        return None
    return Explanation(p.file_line(p.line), len(before), "the text goes on after its closing quote: put "
                       "all of it inside one pair of quotes (inside \"…\", write a quote as \\\")")


def _reserved_start(p: _Problem) -> Explanation | None:
    start = _VALUE_START.match(p.here).end()
    char = p.here[start:start + 1]
    if not char or char not in "@`%*&|>!]},?" or p.column < start:
        return None
    value = p.here[start:].rstrip().replace('"', '\\"')
    return Explanation(p.file_line(p.line), start + 1, f"text cannot start with '{char}' in YAML: "
                       f"put it in quotes (\"{value}\")")


def _second_document(p: _Problem) -> Explanation | None:
    if p.here.strip() not in ("---", "..."):
        return None
    return Explanation(p.file_line(p.line), 1, f"the line '{p.here.strip()}' ends the fields here: remove it")


def _missing_name(p: _Problem) -> Explanation | None:
    if p.here[p.column:p.column + 1] != ":" or p.here[:p.column].strip() not in ("", "-"):
        return None
    return Explanation(p.file_line(p.line), p.column + 1, "a field name is missing before the ':': "
                       "write it as 'name: value'")


def _fallback(p: _Problem) -> Explanation:
    problem = p.problem
    for token, words in _TOKENS.items():
        problem = problem.replace(f"'{token}'", words).replace(token, words)
    if "could not find expected ':'" in problem:
        problem = "a field name must be followed by ':' and a space"
    elif "mapping values are not allowed" in problem:
        problem = "a ':' here would start a field where none can start (put text with ': ' in quotes)"
    elif "that cannot start any token" in problem:
        problem = "text cannot start with this character (put the text in quotes)"
    elif "end of stream" in problem:
        problem = "the text ends before something opened above it is closed"
    else:
        problem = f"YAML {problem}" if problem.startswith("expected") else problem
    return Explanation(p.file_line(p.line), p.column + 1, f"this line is not valid YAML: {problem}")


_RECOGNISERS: tuple[Callable[[_Problem], Explanation | None], ...] = (
    _tab, _backslash, _unclosed_quote, _no_space_after_colon, _flow, _list_item, _indentation,
    _colon_in_value, _missing_colon, _after_closing, _reserved_start, _second_document,
    _missing_name, _fallback)
