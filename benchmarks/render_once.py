"""Turn composed HTML into laid-out pages once, with a layout folder's stylesheet and fonts: what
layoutcost.py counts the instructions of, in a process of its own under callgrind.

Run: `python benchmarks/render_once.py HTML LAYOUT [--setup-only]`; with --setup-only it stops
before the render, so that what comes before it (Python, imports, fonts) can be subtracted.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import weasyprint

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.layout.typeset import hermetic_fonts


def main() -> None:
    html, layout = Path(sys.argv[1]), Path(sys.argv[2]).resolve()
    with tempfile.TemporaryDirectory(prefix="kcvs-bench-once-") as folder:
        fonts = hermetic_fonts(layout, Path(folder), Diagnostics())
        text = html.read_text(encoding="utf-8")
        if "--setup-only" not in sys.argv:
            weasyprint.HTML(string=text, base_url=layout.as_uri() + "/").render(font_config=fonts)


if __name__ == "__main__":
    main()
