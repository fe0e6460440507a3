"""Section bodies: Markdown becomes safe HTML; nothing an author types becomes markup."""

from __future__ import annotations

from pathlib import Path

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.markdown import render_markdown


def render(source: str, tmp_path: Path):
    sources = tmp_path / "sources"
    (sources / "sections").mkdir(parents=True, exist_ok=True)
    diagnostics = Diagnostics()
    body = render_markdown(source, sources / "sections" / "01-alfa.md", 5, sources, diagnostics,
                           id_prefix="alfa")
    return body, diagnostics


def test_emphasis_links_and_lists_render_as_html(tmp_path):
    body, diagnostics = render("Een **vet** woord en [een link](https://example.org).\n\n- een\n- twee\n",
                               tmp_path)
    assert diagnostics.items == ()
    assert "<strong>vet</strong>" in body.html
    assert '<a href="https://example.org">een link</a>' in body.html
    assert "<ul>" in body.html
    assert body.text == "Een vet woord en een link.\n\neen\n\ntwee"


def test_raw_html_is_reported_and_escaped_never_passed_through(tmp_path):
    body, diagnostics = render("Tekst <script>alert(1)</script> hier.\n", tmp_path)
    assert [d.code for d in diagnostics.errors] == ["markdown.raw-html"]
    assert "<script>" not in body.html and "&lt;script&gt;" in body.html


def test_relative_images_inside_sources_become_file_urls(tmp_path):
    (tmp_path / "sources" / "images").mkdir(parents=True)
    (tmp_path / "sources" / "images" / "kaart.png").write_bytes(b"png")
    body, diagnostics = render("![Kaart van de centrumsteden](../images/kaart.png)\n", tmp_path)
    assert diagnostics.items == ()
    assert (tmp_path / "sources" / "images" / "kaart.png").resolve().as_uri() in body.html
