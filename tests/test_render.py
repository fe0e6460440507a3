"""Rendering reads only sources/ and layouts/, reports what WeasyPrint logs, and is reproducible."""

from __future__ import annotations

import datetime
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, build_over_last_good, make_project, run_cli
from pdfcheck import embedded_fonts
from pypdf import PdfReader

from kcvs_pdf.errors import Diagnostics, UnsafeResourceError
from kcvs_pdf.layout.render import render_pdf
from kcvs_pdf.model import ComposedReport

OUTSIDE = ["file:///etc/passwd", "/etc/passwd", "http://example.org/logo.png",
           "https://example.org/logo.png", "../../outside.png"]


def render(html: str, tmp_path: Path, diagnostics: Diagnostics):
    layout = tmp_path / "layouts" / "default"
    (layout / "fonts").mkdir(parents=True, exist_ok=True)
    (layout / "style.css").write_text("p { color: black }")
    shutil.copyfile(REPO / "layouts" / "default" / "fonts" / "DejaVuSans.ttf", layout / "fonts" / "DejaVuSans.ttf")
    (tmp_path / "outside.png").write_bytes(b"not allowed")
    composed = ComposedReport(html=f'<html lang="nl-BE">{html}</html>', base_url=layout.as_uri() + "/")
    return render_pdf(composed, (tmp_path / "sources", tmp_path / "layouts"), layout / "style.css",
                      datetime.date(2024, 6, 1), diagnostics)


@pytest.mark.parametrize("url", OUTSIDE)
def test_images_outside_the_project_are_refused_even_if_checks_are_bypassed(tmp_path, url):
    with pytest.raises(UnsafeResourceError, match="refused|not allowed"):
        render(f'<p>x</p><img src="{url}" alt="x">', tmp_path, Diagnostics())


@pytest.mark.parametrize("markup", [
    '<style>p {{ background: url("{url}") }}</style><p>x</p>',
    '<link rel="stylesheet" href="{url}"><p>x</p>',
    '<a rel="attachment" href="{url}">bijlage</a>',
    '<link rel="attachment" href="{url}"><p>x</p>',
])
def test_css_urls_stylesheets_and_attachments_outside_are_refused(tmp_path, markup):
    with pytest.raises(UnsafeResourceError) as raised:
        render(markup.format(url="file:///etc/passwd"), tmp_path, Diagnostics())
    assert "file:///etc/passwd" in str(raised.value)


def test_the_build_s_own_process_never_loads_weasyprint(tmp_path):
    # WeasyPrint's memory and import time belong to the render's child, not to the process that
    # bundles and writes: the peak memory of a build is the larger of the two, not their sum.
    project = make_project(tmp_path / "p")
    script = ("import sys; from kcvs_pdf.cli import main\n"
              "if __name__ == '__main__':\n"
              "    try: main(['build'])\n"
              "    except SystemExit as done: print(done.code, 'weasyprint' in sys.modules)\n")
    (tmp_path / "build_here.py").write_text(script)
    ran = subprocess.run([sys.executable, str(tmp_path / "build_here.py")], cwd=project, capture_output=True,
                         text=True, check=True)
    assert ran.stdout.split()[-2:] == ["0", "False"], ran.stdout + ran.stderr
    assert PdfReader(project / "build" / "testverslag-2023.pdf").pages[0].extract_text()


def test_a_layout_that_reaches_outside_fails_the_build_and_keeps_the_previous_pdf(tmp_path):
    project = make_project(tmp_path / "p")
    css = project / "layouts" / "default" / "style.css"
    css.write_text('@import url("file:///etc/passwd");\n' + css.read_text())
    result, untouched = build_over_last_good(project)
    assert result.exit_code == 1
    assert "error: the report asked for files outside sources/ and layouts/" in result.output
    assert "file:///etc/passwd" in result.output
    assert untouched


def test_a_missing_image_is_an_error_not_silence(tmp_path):
    diagnostics = Diagnostics()
    (tmp_path / "sources").mkdir()
    rendered = render(f'<img src="{(tmp_path / "sources" / "gone.png").as_uri()}" alt="x"><p>x</p>',
                      tmp_path, diagnostics)
    assert rendered.page_count == 1
    assert [d.code for d in diagnostics.errors] == ["render.error"]
    assert "Failed to load image" in diagnostics.errors[0].message and "gone.png" in diagnostics.errors[0].message


def machine_fonts(tmp_path: Path, monkeypatch) -> None:
    """Give the machine a font (IBM Plex Sans) that its configuration prefers for every generic
    family and for Arial: a render that looked at the machine's fonts would use it."""
    folder = tmp_path / "machine-fonts"
    folder.mkdir()
    shutil.copy(REPO / "layouts" / "default" / "fonts" / "IBMPlexSans-Regular.ttf", folder / "Machine.ttf")
    preferred = "".join(f"<alias><family>{family}</family><prefer><family>IBM Plex Sans</family></prefer></alias>"
                        for family in ("sans-serif", "serif", "monospace", "Arial"))
    config = tmp_path / "fonts.conf"
    config.write_text(f"<fontconfig><dir>{folder}</dir>{preferred}</fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))


def test_no_font_of_the_machine_is_ever_used(tmp_path, monkeypatch):
    machine_fonts(tmp_path, monkeypatch)
    diagnostics = Diagnostics()
    rendered = render("<p style='font-family: sans-serif'>Tekst</p><p style='font-family: Arial'>Tekst</p>",
                      tmp_path, diagnostics)
    fonts = embedded_fonts(PdfReader(io.BytesIO(rendered.pdf)))
    assert [name.split("+")[1] for name in fonts] == ["DejaVu-Sans"]
    assert [d.code for d in diagnostics.warnings] == ["render.undeclared-font"]


def test_the_pdf_is_the_same_whatever_fonts_the_machine_has(tmp_path, monkeypatch):
    """A machine whose fonts would set the code span (monospace) changes nothing: the render never looks."""
    project = make_project(tmp_path / "p", {"sources/sections/02-beta.md": BETA_WITH_CODE})
    first = run_cli(project, "build", "--edition", "web")
    assert first.exit_code == 0, first.output
    pdf = project / "build" / "testverslag-2023-web.pdf"
    before = pdf.read_bytes()
    machine_fonts(tmp_path, monkeypatch)
    assert run_cli(project, "build", "--edition", "web", "--no-cache").exit_code == 0
    assert pdf.read_bytes() == before


BETA_WITH_CODE = """\
---
title: "Beta project"
---

Het project beta bouwt het verslag met `kcvs-pdf build`.
"""


def test_strict_build_fails_on_renderer_warnings(tmp_path):
    project = make_project(tmp_path / "p", files={"sources/sections/01-alfa.md": """\
        ---
        title: "Alfa werkgroep"
        ---

        De werkgroep alfa.
        """, "sources/sections/02-beta.md": """\
        ---
        title: "Beta project"
        ---

        Het project beta.
        """})
    css = project / "layouts" / "default" / "style.css"
    css.write_text(css.read_text() + "\n.section-title { colour: red; }\n")
    assert run_cli(project, "build").exit_code == 0
    result = run_cli(project, "build", "--strict")
    assert result.exit_code == 1
    assert "unknown property" in result.output and "[render.warning]" in result.output


def build_in_fresh_process(project: Path, *args: str) -> bytes:
    subprocess.run([sys.executable, "-m", "kcvs_pdf", "build", "--no-cache", "-o", "out.pdf", *args], cwd=project,
                   check=True, capture_output=True)
    return (project / "out.pdf").read_bytes()


@pytest.mark.parametrize("edition", ["full", "web"])
def test_two_builds_in_two_processes_are_byte_identical(tmp_path, edition):
    from conftest import FIXTURE_ANNEXES
    project = make_project(tmp_path / "p", annexes={"alfa bijlage.pdf": FIXTURE_ANNEXES / "own-outline-bookmarks.pdf"})
    first = build_in_fresh_process(project, "--edition", edition)
    second = build_in_fresh_process(project, "--edition", edition)
    assert first == second
    assert PdfReader(io.BytesIO(first)).metadata["/CreationDate"].startswith("D:20240601")
