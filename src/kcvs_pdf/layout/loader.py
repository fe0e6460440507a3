"""Turn a template name into its source, read only from regular files inside the layout folder."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import jinja2

from ..confine import RefusedFile, read_confined

TEMPLATE_MAX_BYTES = 1024 * 1024


class TemplateRefused(Exception):
    """Raised when a template may not be read: outside the layout folder, a link out of it, a pipe.

    Not a TemplateNotFound, so that `{% include … ignore missing %}` cannot pass over it.
    """

    def __init__(self, name: str, message: str, code: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.code = code


class ConfinedLoader(jinja2.BaseLoader):
    """Load templates as every file of the build is read: `read_confined` inside the layout."""

    def __init__(self, layout: Path) -> None:
        self.layout = layout

    def get_source(self, environment: jinja2.Environment, template: str):
        parts = PurePosixPath(template).parts
        if not parts or template.startswith("/") or ".." in parts or "\\" in template:
            raise TemplateRefused(template, f"template '{template}' is outside the layout folder: a "
                                  "layout can only use templates inside its own folder, named without "
                                  "'..' or a leading '/'", "layout.outside")
        path = self.layout.joinpath(*parts)
        try:
            data = read_confined(path, (self.layout,), TEMPLATE_MAX_BYTES)
        except RefusedFile as refused:
            if refused.reason == "missing" and not os.path.islink(path):
                raise jinja2.TemplateNotFound(template) from None
            raise TemplateRefused(template, f"template '{template}' was not read because "
                                  f"{refused.message}", f"layout.{refused.reason}") from None
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise TemplateRefused(template, f"template '{template}' is not UTF-8 text: save it again "
                                  "as UTF-8", "layout.encoding") from None
        # Each composition makes a new environment, so a loaded template never goes stale.
        return source, str(path), lambda: True
