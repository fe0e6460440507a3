"""Composing HTML: the edition decides where calls to action point; templates fail loudly."""

from __future__ import annotations

from pathlib import Path

from conftest import make_project
from kcvs_pdf.compose import compose_html, template_context
from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.model import NO_ANNEXES, Annex, AnnexPlan, AnnexStatus, Edition
from kcvs_pdf.sources import load_report


def load(project: Path):
    return load_report(project / "sources", Diagnostics())


def annex(report, status: AnnexStatus, number: int = 1) -> Annex:
    section = report.sections[0]
    return Annex(number=number, title=section.title, url=section.links[0].url, section=section,
                 status=status, path=None, page_count=3 if status is AnnexStatus.BUNDLED else 0)


def test_a_bundled_annex_is_linked_internally_and_an_online_one_by_url(project):
    report = load(project)
    url = report.sections[0].links[0].url
    bundled = template_context(report, AnnexPlan((annex(report, AnnexStatus.BUNDLED),), ()), Edition.FULL)
    assert bundled["link_targets"][url] == "#annex-1"
    online = template_context(report, AnnexPlan((annex(report, AnnexStatus.ONLINE, 0),), ()), Edition.WEB)
    assert online["link_targets"][url] == url
    assert online["link_targets"]["https://www.example.org/beta.aspx"] == "https://www.example.org/beta.aspx"


def test_html_carries_language_metadata_and_escapes_text(tmp_path):
    project = make_project(tmp_path / "p", files={"sources/sections/02-beta.md": """\
        ---
        title: "Beta <project> & co"
        ---

        Tekst.
        """})
    diagnostics = Diagnostics()
    composed = compose_html(load(project), NO_ANNEXES, project / "layouts" / "default", Edition.WEB, diagnostics)
    assert diagnostics.items == ()
    assert '<html lang="nl-BE">' in composed.html
    assert '<meta name="dcterms.created" content="2024-06-01">' in composed.html
    assert "Beta &lt;project&gt; &amp; co" in composed.html


def test_a_template_field_that_does_not_exist_names_the_template_and_line(project):
    template = project / "layouts" / "default" / "colophon.html"
    template.write_text("<section>\n{{ report.editor }}\n</section>\n")
    diagnostics = Diagnostics()
    assert compose_html(load(project), NO_ANNEXES, project / "layouts" / "default", Edition.FULL,
                        diagnostics) is None
    [error] = diagnostics.errors
    assert (Path(error.path).name, error.line, error.code) == ("colophon.html", 2, "layout.undefined")
    assert "editor" in error.message
