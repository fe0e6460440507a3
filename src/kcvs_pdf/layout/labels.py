"""Turn the layout's labels.yaml and the report's overrides into the words the layout prints."""

from __future__ import annotations

import difflib
from pathlib import Path

from ..confine import read_layout_text
from ..errors import Diagnostics
from ..model import LabelOverride
from ..sources.yamlsource import Located, load_yaml

LABELS_FILE = "labels.yaml"
LABELS_MAX_BYTES = 256 * 1024

Labels = dict
"""Nested mapping of label names to text, e.g. labels["draft"]["watermark"]."""


def load_labels(layout: Path, overrides: tuple[LabelOverride, ...], diagnostics: Diagnostics) -> Labels:
    """Return the layout's labels with the report's overrides applied; record unknown names."""
    path = layout / LABELS_FILE
    text = read_layout_text(path, layout, LABELS_MAX_BYTES, diagnostics, "layout.missing-labels")
    if text is None:
        return {}
    root = load_yaml(text, path, diagnostics)
    labels = _plain(root, path, diagnostics) if root is not None else {}
    known = sorted(_names(labels))
    for override in overrides:
        if override.name not in known:
            hint = difflib.get_close_matches(override.name, known, n=1)
            suggestion = f": did you mean '{hint[0]}'?" if hint else ""
            diagnostics.warning(override.path, override.line, override.column,
                                f"the layout has no label '{override.name}'{suggestion}", "report.unknown-label")
            continue
        *groups, last = override.name.split(".")
        target = labels
        for group in groups:
            target = target[group]
        target[last] = override.value
    return labels


def _plain(located: Located, path: Path, diagnostics: Diagnostics) -> Labels:
    if located.kind != "mapping":
        diagnostics.error(path, located.line, located.column, "labels must be 'name: \"text\"' lines",
                          "layout.labels")
        return {}
    return {name: _plain(value, path, diagnostics) if value.kind == "mapping" else
            [str(item.value) for item in value.value] if value.kind == "list" else str(value.value)
            for name, value in located.value.items()}


def label_group(layout: Path, group: str, required: tuple[str, ...]) -> dict:
    """Return one group of the layout's labels for a tool that works on built PDFs, not sources.

    Raises SourceError naming every required label that is missing.
    """
    diagnostics = Diagnostics()
    labels = load_labels(layout, (), diagnostics).get(group)
    path = layout / LABELS_FILE
    if not isinstance(labels, dict):
        diagnostics.error(path, 0, 0, f"{LABELS_FILE} in the layout needs a group '{group}:' with "
                          f"the words the tool prints ({', '.join(required)})", "labels.missing")
    else:
        for name in required:
            if name not in labels:
                diagnostics.error(path, 0, 0, f"label '{group}.{name}' is missing from {LABELS_FILE}",
                                  "labels.missing")
    diagnostics.raise_if_errors()
    return labels


def _names(labels: Labels, prefix: str = "") -> list[str]:
    names = []
    for name, value in labels.items():
        full = f"{prefix}{name}"
        names.extend(_names(value, f"{full}.") if isinstance(value, dict) else [full])
    return names
