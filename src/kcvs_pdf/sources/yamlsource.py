"""Turn YAML text into values that remember their line and column, refusing YAML's surprises."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import Diagnostics
from .plaintext import check_invisible, invisible_severity, record_written_as
from .yamlerrors import explain, no_space_explanation

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str": "text",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:int": "number",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:null": "empty value",
    "tag:yaml.org,2002:timestamp": "date",
}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass(frozen=True)
class Located:
    """A YAML value with its position in the source file."""

    value: object
    """`str` for every scalar, `dict[str, Located]` for mappings, `tuple[Located, ...]` for lists."""
    line: int
    column: int
    kind: str
    """How YAML 1.1 reads it: `text`, `boolean`, `number`, `empty value`, `date`, `mapping`, `list`,
    or `unreadable` when an error about it was already recorded."""
    quoted: bool = False
    """Whether a scalar was written in quotes (so YAML cannot retype it)."""
    key_positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    """For mappings: line and column of each key."""

    def retyped(self) -> object | None:
        """Return what YAML 1.1 would silently turn this plain scalar into, or None if it stays text."""
        if self.quoted or self.kind in ("text", "mapping", "list", "unreadable", "empty value"):
            return None
        loader = yaml.SafeLoader("")
        tag = loader.resolve(yaml.ScalarNode, self.value, (True, False))
        converted = loader.construct_object(yaml.ScalarNode(tag, self.value))
        if self.kind == "date" or str(converted) != self.value:
            return converted
        return None


MAX_YAML_BYTES = 64 * 1024
"""Front matter is a few fields; this is far beyond it and keeps the parser's work small."""
MAX_DEPTH = 20
"""Deepest nesting of lists and fields accepted; report.yaml needs four levels."""
_SHOWN_REFERENCES = 5
_NO_SPACE = re.compile(r"[A-Za-z_][\w-]*:(?=[^\s/])")
# The escapes of double-quoted YAML that can spell a character the text itself must not hold.
_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0abefvNLP\\])")
_NAMED_ESCAPES = {"0": "\x00", "a": "\x07", "b": "\x08", "e": "\x1b", "f": "\x0c", "v": "\x0b",
                  "N": "\x85", "L": "\u2028", "P": "\u2029", "\\": "\\"}


def load_yaml(text: str, path: Path, diagnostics: Diagnostics, first_line: int = 1,
              max_bytes: int = MAX_YAML_BYTES) -> Located | None:
    """Parse text as one YAML document; record every problem.

    Returns None for an empty document and UNREADABLE when the text is not valid YAML or uses
    anchors and aliases (refused before they are expanded, so an alias bomb costs nothing).

    `first_line` is the file line the text starts on, so front matter reports file lines.
    """
    offset = first_line - 1
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        diagnostics.error(path, first_line, 1, f"these fields take {size // 1024} KB, more than the "
                          f"{max_bytes // 1024} KB allowed: check that nothing was pasted in by mistake "
                          "(a section's long text belongs below its second '---')", "yaml.too-large")
        return UNREADABLE
    # Control characters are reported here and replaced, so neither PyYAML nor a message meets them.
    text = check_invisible(text, path, first_line, diagnostics, fields=True)
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
    except _TooDeep as exc:
        diagnostics.error(path, exc.problem_mark.line + 1 + offset, exc.problem_mark.column + 1,
                          f"the fields are nested more than {MAX_DEPTH} levels deep here: a report "
                          "needs a few levels; check the indentation", "yaml.too-deep")
        return UNREADABLE
    except yaml.MarkedYAMLError as exc:
        found = explain(exc, text, first_line)
        diagnostics.error(path, found.line, found.column, found.message, "yaml.syntax")
        return UNREADABLE
    finally:
        _refuse_references(loader.references, path, diagnostics, offset)
        loader.dispose()
    if loader.references:
        return UNREADABLE
    if node is None:
        return None
    return _Converter(path, diagnostics, offset).convert(node, field_expected=True)


class _TooDeep(yaml.MarkedYAMLError):
    """Raised while composing when lists and fields nest deeper than MAX_DEPTH."""


class _BoundedLoader(yaml.SafeLoader):
    """Compose YAML as SafeLoader does, but never expand an alias and never nest too deep.

    Anchors and aliases are noted (and later refused); an alias becomes an empty value instead
    of a second reference to its anchor's node, so no input can multiply into a huge tree.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.references: list[yaml.Event] = []
        self.depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            self.references.append(event)
        if isinstance(event, yaml.AliasEvent):
            self.get_event()
            return yaml.ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        # Anchors are never looked up, so a name used twice must not stop composing early.
        self.anchors.pop(event.anchor, None)
        if self.depth >= MAX_DEPTH:
            raise _TooDeep(problem="nested too deep", problem_mark=event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _refuse_references(events: list[yaml.Event], path: Path, diagnostics: Diagnostics,
                       offset: int) -> None:
    for event in events[:_SHOWN_REFERENCES]:
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            what = f"'*{event.anchor}' repeats a value marked elsewhere (a YAML alias)"
        else:
            what = f"'&{event.anchor}' marks a value for reuse (a YAML anchor)"
        diagnostics.error(path, mark.line + 1 + offset, mark.column + 1,
                          f"{what}, which reports do not use: write each value out in full, or put "
                          "text that starts with & or * in quotes", "yaml.anchor")
    if len(events) > _SHOWN_REFERENCES:
        mark = events[_SHOWN_REFERENCES].start_mark
        diagnostics.error(path, mark.line + 1 + offset, mark.column + 1,
                          f"{len(events) - _SHOWN_REFERENCES} more YAML anchors or aliases from here "
                          "on: remove them all", "yaml.anchor")


class _Converter:
    """Turn composed YAML nodes of one text into Located values, recording problems."""

    def __init__(self, path: Path, diagnostics: Diagnostics, offset: int) -> None:
        self.path, self.diagnostics, self.offset = path, diagnostics, offset

    def convert(self, node: yaml.Node, field_expected: bool = False) -> Located:
        """Return node as a Located; `field_expected` where 'name: value' lines would be natural."""
        line, column = node.start_mark.line + 1 + self.offset, node.start_mark.column + 1
        if node.tag not in _PLAIN_TAGS and node.tag not in _COLLECTION_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.diagnostics.error(self.path, line, column, f"'{tag}' marks a YAML type, which reports "
                                   "do not use: remove it, or put text that starts with ! in quotes",
                                   "yaml.tag")
            return Located(None, line, column, "unreadable")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, line, column)
        if isinstance(node, yaml.SequenceNode):
            items = tuple(self.convert(item, field_expected=True) for item in node.value)
            return Located(items, line, column, "list")
        quoted = node.style in ("'", '"', "|", ">")
        if field_expected and not quoted and _NO_SPACE.match(node.value):
            # 'title:"Alfa"' alone is valid YAML: one text, where a field was meant.
            key_end = node.value.index(":")
            found = no_space_explanation(line, column + key_end, node.value.split("\n")[0])
            self.diagnostics.error(self.path, found.line, found.column, found.message, "yaml.syntax")
            return Located(None, line, column, "unreadable")
        if node.style == '"':
            self._check_escapes(node)
        kind = "text" if quoted else _PLAIN_TAGS[node.tag]
        return Located(node.value, line, column, kind, quoted)

    def _check_escapes(self, node: yaml.ScalarNode) -> None:
        """Record escapes that spell an invisible character: the text shows none, the value holds it."""
        start, end = node.start_mark, node.end_mark
        written = start.buffer[start.index:end.index]
        for match in _ESCAPE.finditer(written):
            escape = match.group()[1:]
            char = _NAMED_ESCAPES.get(escape) or chr(int(escape[1:], 16))
            severity = invisible_severity(char)
            if severity is None:
                continue
            before = written[:match.start()]
            line = start.line + 1 + self.offset + before.count("\n")
            # On the scalar's first line the escape is after its start; on a later one, after the break.
            column = 1 + (start.column + match.start() if "\n" not in before
                          else match.start() - before.rfind("\n") - 1)
            record_written_as(match.group(), char, severity, self.path, line, column, self.diagnostics)

    def _mapping(self, node: yaml.MappingNode, line: int, column: int) -> Located:
        values: dict[str, Located] = {}
        positions: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            key_line, key_col = key_node.start_mark.line + 1 + self.offset, key_node.start_mark.column + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.diagnostics.error(self.path, key_line, key_col, "a field name must be plain text",
                                       "yaml.key")
                continue
            key = key_node.value
            if key in positions:
                first = positions[key][0]
                self.diagnostics.error(self.path, key_line, key_col, f"duplicate field '{key}' (first "
                                       f"at line {first}): keep one of the two", "yaml.duplicate-key")
                continue
            positions[key] = (key_line, key_col)
            # A value on the lines below its field was meant as more fields or a list.
            below = value_node.start_mark.line > key_node.start_mark.line
            values[key] = self.convert(value_node, field_expected=below)
        return Located(values, line, column, "mapping", key_positions=positions)


UNREADABLE = Located(None, 0, 0, "unreadable")
"""Stands for YAML that could not be parsed; its error is already recorded."""


def as_date(located: Located) -> datetime.date | None:
    """Return the date a scalar spells (`2024-06-01`, quoted or not), or None."""
    try:
        return datetime.date.fromisoformat(str(located.value))
    except ValueError:
        return None
