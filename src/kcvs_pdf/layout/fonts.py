"""Turn the layout's fonts/ folder into the bytes of its font files, each read as confined as any file."""

from __future__ import annotations

import re
from pathlib import Path

from ..confine import RefusedFile, read_confined
from ..errors import Diagnostics

FONTS_DIR = "fonts"
FONT_SUFFIXES = (".woff", ".woff2", ".ttf", ".otf")
FONT_MAX_BYTES = 64 * 1024**2
_FONT_FACE_FAMILY = re.compile(r"@font-face\s*{[^}]*font-family:\s*[\"']([^\"']+)")


def read_fonts(layout: Path, diagnostics: Diagnostics) -> dict[str, bytes]:
    """Return the bytes of each font file in the layout's fonts/, by name; a refused file is an error.

    Fonts are read here, not by the font library from the folder, so that a link out of the
    layout or a pipe among them is refused (and can never hang the build) like any other file.
    """
    folder = layout / FONTS_DIR
    fonts: dict[str, bytes] = {}
    if not folder.is_dir():
        return fonts
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        try:
            fonts[path.name] = read_confined(path, (layout,), FONT_MAX_BYTES)
        except RefusedFile as refused:
            diagnostics.error(path, 1, 1, f"'{path.name}' was not read because {refused.message}",
                              f"layout.{refused.reason}")
    return fonts


def declared_families(css: str) -> set[str]:
    """Return the font families a stylesheet's @font-face rules declare: the only ones that print."""
    return set(_FONT_FACE_FAMILY.findall(css))
