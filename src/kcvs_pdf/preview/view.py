"""Turn a snapshot into the HTML the browser shows: a status bar, the problems, the pages."""

from __future__ import annotations

import math
from html import escape

from ..errors import Severity
from .pages import SCREEN_DPI
from .snapshot import Snapshot, Stage

_POINTS_PER_INCH = 72
_STAGE_WORDS = {Stage.BUILDING: "building", Stage.SECTION: "section shown, building the whole draft",
                Stage.DRAFT: "whole draft", Stage.FAILED: "errors"}


def page_html(snapshot: Snapshot, instance: str) -> str:
    """Return the whole preview page; its script keeps the view current (static/preview.js)."""
    title = f"{snapshot.title} · draft preview" if snapshot.title else "Draft preview"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/static/preview.css">
<script src="/static/preview.js" defer></script>
</head>
<body>
<p class="offline" role="alert" hidden>The preview has stopped: start <code>kcvs-pdf preview</code> again \
to see new changes.</p>
{view_html(snapshot, instance)}
</body>
</html>
"""


def view_html(snapshot: Snapshot, instance: str) -> str:
    """Return the part of the page a new snapshot replaces."""
    focus = f' data-focus="page-{snapshot.focus + 1}"' if snapshot.focus is not None else ""
    pages = "\n".join(_page(snapshot, index) for index in range(len(snapshot.pages)))
    return f"""<div id="view" data-instance="{escape(instance)}" data-generation="{snapshot.generation}" \
data-edit="{snapshot.edit}" data-stage="{snapshot.stage.value}"{focus}>
<header class="top">
<div class="bar" role="status">
<p class="title"><strong>{escape(snapshot.title or "Draft preview")}</strong> · draft preview · \
{_STAGE_WORDS[snapshot.stage]}{' · <a href="/draft.pdf">PDF</a>' if snapshot.pages else ""}</p>
<p class="note">{escape(snapshot.note)}</p>
</div>
{banner_html(snapshot)}
</header>
<main class="pages" aria-label="Pages">
{pages}
</main>
</div>"""


def banner_html(snapshot: Snapshot) -> str:
    """Return the list of problems with where they are, or nothing when there are none."""
    lines = [(d.severity, str(d)) for d in snapshot.diagnostics if d.severity is not Severity.NOTE]
    if snapshot.failure:
        lines.append((Severity.ERROR, f"error: {snapshot.failure}"))
    if not lines:
        return ""
    errors = sum(severity is Severity.ERROR for severity, _ in lines)
    warnings = len(lines) - errors
    counts = ", ".join(counted(count, noun) for count, noun in ((errors, "error"), (warnings, "warning")) if count)
    if not errors:
        heading = counts
    elif snapshot.pages:
        heading = f"{counts}: fix and save; the pages below are the last good draft"
    else:
        heading = f"{counts}: fix and save to see the draft"
    items = "\n".join(f'<li class="{severity.value}"><code>{escape(text)}</code></li>' for severity, text in lines)
    return f"""<section class="banner {'errors' if errors else 'warnings'}" role="alert" \
aria-labelledby="banner-heading">
<h2 id="banner-heading">{escape(heading)}</h2>
<ul class="diagnostics">
{items}
</ul>
</section>"""


def counted(number: int, noun: str) -> str:
    """Return `1 error`, `2 errors`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _page(snapshot: Snapshot, index: int) -> str:
    page = snapshot.pages[index]
    # The picture's size in pixels, as PDFium rounds it: the browser keeps its place before it loads.
    width, height = (math.ceil(size * SCREEN_DPI / _POINTS_PER_INCH) for size in (page.text.width, page.text.height))
    section = f' data-section="{escape(page.section)}"' if page.section else ""
    language = f' lang="{escape(snapshot.language)}"' if snapshot.language else ""
    label = escape(page.text.label)
    # The picture is for the eye; the text beside it is what screen readers and searches find.
    return f"""<figure class="page" id="page-{index + 1}" data-label="{label}"{section}>
<img src="/page/{escape(page.document)}/{page.index}.png" width="{width}" height="{height}" loading="lazy" \
decoding="async" alt="">
<figcaption>Page {label}</figcaption>
<div class="page-text"{language}>{escape(page.text.text)}</div>
</figure>"""
