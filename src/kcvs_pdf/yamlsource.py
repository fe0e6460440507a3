"""Turn YAML text into values that remember their line and column, refusing YAML's surprises."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import Diagnostics

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


def load_yaml(text: str, path: Path, diagnostics: Diagnostics, first_line: int = 1) -> Located | None:
    """Parse text as one YAML document; record every problem.

    Returns None for an empty document and UNREADABLE when the text is not valid YAML.

    `first_line` is the file line the text starts on, so front matter reports file lines.
    """
    offset = first_line - 1
    loader = _AnchorRecordingLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        line, column, problem = _locate_syntax_error(exc, text)
        diagnostics.error(path, line + offset, column, f"YAML syntax error: {problem}", "yaml.syntax")
        return UNREADABLE
    finally:
        _refuse_anchors(loader.anchor_events, path, diagnostics, offset)
        loader.dispose()
    if node is None:
        return None
    return _convert(node, path, diagnostics, offset)


def _locate_syntax_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """Return the 1-based line and column a person should look at, and what is wrong there."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"') % 2 == 1 and not line.lstrip().startswith("#"):
            return number, line.index('"') + 1, "this quote is never closed: end the text with \""
    context = exc.context or ""
    use_context = exc.context_mark is not None and (
        "quoted scalar" in context or "flow" in context or exc.problem_mark is None)
    mark = exc.context_mark if use_context else exc.problem_mark
    problem = f"{context}: {exc.problem}" if context and exc.problem else exc.problem or context
    if "flow sequence" in context:
        problem = "this list is never closed: end it with ]"
    elif "flow mapping" in context:
        problem = "this {…} is never closed: end it with }"
    return mark.line + 1, mark.column + 1, problem or "invalid YAML"


class _AnchorRecordingLoader(yaml.SafeLoader):
    """Compose YAML as SafeLoader does, noting every anchor and alias on the way."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.anchor_events: list[yaml.Event] = []

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            self.anchor_events.append(event)
        return super().compose_node(parent, index)


def _refuse_anchors(events: list[yaml.Event], path: Path, diagnostics: Diagnostics, offset: int) -> None:
    for event in events:
        mark = event.start_mark
        diagnostics.error(path, mark.line + 1 + offset, mark.column + 1,
                          f"YAML anchors and aliases ('&{event.anchor}', '*{event.anchor}') are not "
                          "allowed: write the value out in full", "yaml.anchor")


def _convert(node: yaml.Node, path: Path, diagnostics: Diagnostics, offset: int) -> Located:
    line, column = node.start_mark.line + 1 + offset, node.start_mark.column + 1
    if node.tag not in _PLAIN_TAGS and node.tag not in _COLLECTION_TAGS:
        diagnostics.error(path, line, column,
                          f"YAML tag '{node.tag.replace('tag:yaml.org,2002:', '!!')}' is not allowed: "
                          "remove it and write plain text", "yaml.tag")
        return Located(None, line, column, "unreadable")
    if isinstance(node, yaml.MappingNode):
        values: dict[str, Located] = {}
        positions: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            key_line, key_col = key_node.start_mark.line + 1 + offset, key_node.start_mark.column + 1
            if not isinstance(key_node, yaml.ScalarNode):
                diagnostics.error(path, key_line, key_col, "a field name must be plain text", "yaml.key")
                continue
            key = key_node.value
            if key in positions:
                first = positions[key][0]
                diagnostics.error(path, key_line, key_col,
                                  f"duplicate field '{key}' (first at line {first}): keep one of the two",
                                  "yaml.duplicate-key")
                continue
            positions[key] = (key_line, key_col)
            values[key] = _convert(value_node, path, diagnostics, offset)
        return Located(values, line, column, "mapping", key_positions=positions)
    if isinstance(node, yaml.SequenceNode):
        items = tuple(_convert(item, path, diagnostics, offset) for item in node.value)
        return Located(items, line, column, "list")
    quoted = node.style in ("'", '"', "|", ">")
    kind = "text" if quoted else _PLAIN_TAGS[node.tag]
    return Located(node.value, line, column, kind, quoted)


UNREADABLE = Located(None, 0, 0, "unreadable")
"""Stands for YAML that could not be parsed; its error is already recorded."""


def as_date(located: Located) -> datetime.date | None:
    """Return the date a scalar spells (`2024-06-01`, quoted or not), or None."""
    try:
        return datetime.date.fromisoformat(str(located.value))
    except ValueError:
        return None
