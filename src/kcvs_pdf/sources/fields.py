"""Turn located YAML values into typed fields, recording each problem where it is."""

from __future__ import annotations

import datetime
import difflib
import re
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import Diagnostics
from .plaintext import MAX_WORD
from .yamlsource import Located, as_date

_URL_SCHEMES = ("http", "https")


class FieldReader:
    """Read the fields of one file's YAML, recording problems in one Diagnostics."""

    def __init__(self, path: Path, diagnostics: Diagnostics, prefix: str) -> None:
        self.path = path
        self.diagnostics = diagnostics
        self.prefix = prefix
        """Code prefix, e.g. `report` or `section`."""

    def error(self, at: Located | tuple[int, int], message: str, code: str) -> None:
        line, column = (at.line, at.column) if isinstance(at, Located) else at
        self.diagnostics.error(self.path, line, column, message, f"{self.prefix}.{code}")

    def mapping(self, located: Located | None, where: str, required: tuple[str, ...],
                optional: tuple[str, ...] = (), at: tuple[int, int] = (1, 1)) -> dict[str, Located]:
        """Return the fields of a mapping after checking for missing and unknown ones."""
        if located is None:
            self.error(at, f"{where} is empty: expected the fields {', '.join(required)}", "empty")
            return {}
        if located.kind == "unreadable":
            return {}
        if located.kind != "mapping":
            self.error(located, f"{where} must be a set of 'field: value' lines, not a {located.kind}",
                       "wrong-type")
            return {}
        fields: dict[str, Located] = located.value
        known = required + optional
        for name in fields:
            if name not in known:
                hint = difflib.get_close_matches(name, known, n=1)
                suggestion = f": did you mean '{hint[0]}'?" if hint else f" (allowed: {', '.join(known)})"
                self.error(located.key_positions[name], f"unknown field '{name}' in {where}{suggestion}",
                           "unknown-field")
        for name in required:
            if name not in fields:
                self.error(located, f"missing required field '{name}' in {where}", "missing-field")
        return {name: value for name, value in fields.items() if name in known}

    def text(self, fields: dict[str, Located], name: str, default: str | None = None,
             printed: bool = True) -> str | None:
        """Return a non-empty text field, refusing values YAML would retype.

        A `printed` field may hold no word longer than a line of the page: the line would run off it.
        """
        located = fields.get(name)
        if located is None or located.kind == "unreadable":
            return default
        if located.kind in ("mapping", "list"):
            self.error(located, f"'{name}' must be text, not a {located.kind}", "wrong-type")
            return None
        if located.kind == "empty value" or not str(located.value).strip():
            self.error(located, f"'{name}' is empty: write the text after '{name}:'", "empty-field")
            return None
        retyped = located.retyped()
        if retyped is not None:
            self.error(located, f"'{name}: {located.value}' is read by YAML as {_describe(retyped)}, "
                       f"not as text: put it in quotes (\"{located.value}\")", "retyped")
            return None
        words = str(located.value).split()
        longest = max(words, key=len)
        if printed and len(longest) > MAX_WORD:
            self.error(located, f"'{name}' has a word of {len(longest)} characters without a space "
                       f"('{longest[:30]}…'), longer than a line of the page: add spaces", "long-word")
            return None
        return " ".join(words)

    def integer(self, fields: dict[str, Located], name: str) -> int | None:
        """Return a whole-number field."""
        located = fields.get(name)
        if located is None or located.kind == "unreadable":
            return None
        if located.kind != "number" or not re.fullmatch(r"[1-9][0-9]*", str(located.value)):
            self.error(located, f"'{name}' must be a whole number such as 2023, not '{located.value}'",
                       "wrong-type")
            return None
        return int(located.value)

    def date(self, fields: dict[str, Located], name: str) -> datetime.date | None:
        """Return a date field written as YYYY-MM-DD."""
        located = fields.get(name)
        if located is None or located.kind == "unreadable":
            return None
        value = as_date(located) if located.kind in ("date", "text") else None
        if value is None:
            self.error(located, f"'{name}' must be a date written as YYYY-MM-DD, not '{located.value}'",
                       "wrong-type")
        return value

    def url(self, fields: dict[str, Located], name: str) -> str | None:
        """Return an http(s) URL field."""
        value = self.text(fields, name, printed=False)
        if value is None:
            return None
        problem = url_problem(str(fields[name].value))
        if problem:
            self.error(fields[name], f"'{name}' is not a valid web address: {problem}", "invalid-url")
            return None
        return str(fields[name].value).strip()

    def items(self, fields: dict[str, Located], name: str) -> tuple[Located, ...]:
        """Return the items of a list field (an empty tuple when absent or wrong)."""
        located = fields.get(name)
        if located is None or located.kind == "unreadable":
            return ()
        if located.kind != "list":
            self.error(located, f"'{name}' must be a list (lines starting with '- ')", "wrong-type")
            return ()
        return located.value

    def text_items(self, fields: dict[str, Located], name: str) -> tuple[str, ...]:
        """Return a list of text values."""
        values = []
        for index, item in enumerate(self.items(fields, name)):
            value = self.text({f"{name}[{index + 1}]": item}, f"{name}[{index + 1}]")
            if value is not None:
                values.append(value)
        return tuple(values)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the yes/no value {str(value).lower()}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date"
    if value is None:
        return "an empty value"
    return f"the number {value}"


def url_problem(url: str) -> str | None:
    """Return why url is not a usable http(s) address, or None when it is."""
    if any(ch.isspace() for ch in url.strip()):
        return "it contains a space (write %20 instead)"
    parts = urlsplit(url.strip())
    if not parts.scheme:
        return "it must start with https:// or http://"
    if parts.scheme not in _URL_SCHEMES:
        return f"it must start with https:// or http://, not '{parts.scheme}:'"
    if not parts.netloc:
        return "it has no host name after '//'"
    return None
