"""Turn one group of the layout's labels.yaml into the fixed words a tool prints."""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import Diagnostics

LABELS_FILE = "labels.yaml"


def load_labels(layout: Path, group: str, required: tuple[str, ...]) -> dict:
    """Return the labels of group; raise SourceError naming every required label that is missing."""
    path = layout / LABELS_FILE
    diagnostics = Diagnostics()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        diagnostics.error(path, _line(exc), 1, f"{LABELS_FILE} cannot be read: {exc}",
                          "labels.syntax")
        diagnostics.raise_if_errors()
    labels = document.get(group) if isinstance(document, dict) else None
    if not isinstance(labels, dict):
        diagnostics.error(path, 0, 0, f"{LABELS_FILE} in the layout needs a group '{group}:' with "
                          f"the words the tool prints ({', '.join(required)})", "labels.missing")
        diagnostics.raise_if_errors()
    for name in required:
        if name not in labels:
            diagnostics.error(path, 0, 0, f"label '{group}.{name}' is missing from {LABELS_FILE}",
                              "labels.missing")
    diagnostics.raise_if_errors()
    return labels


def _line(exc: Exception) -> int:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else 0
