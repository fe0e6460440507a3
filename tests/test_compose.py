"""Composing HTML: the edition decides where calls to action point; templates fail loudly."""

from __future__ import annotations

from pathlib import Path

from conftest import make_project

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.layout.compose import compose_html, template_context
from kcvs_pdf.layout.labels import load_labels
from kcvs_pdf.model import NO_ANNEXES, Annex, AnnexPlan, AnnexStatus, Edition
from kcvs_pdf.sources.load import load_report


def load(project: Path):
    return load_report(project / "sources", Diagnostics())


def compose(project: Path, edition: Edition, diagnostics: Diagnostics, annexes=NO_ANNEXES):
    report = load(project)
    labels = load_labels(project / "layouts" / "default", report.labels, diagnostics)
    return compose_html(report, annexes, project / "layouts" / "default", edition, labels, diagnostics)


def context(project: Path, annexes: AnnexPlan, edition: Edition) -> dict:
    report = load(project)
    return template_context(report, annexes, edition, load_labels(project / "layouts" / "default",
                                                                  report.labels, Diagnostics()))


def annex(report, status: AnnexStatus, number: int = 1) -> Annex:
    section = report.sections[0]
    return Annex(number=number, title=section.title, url=section.links[0].url, section=section,
                 status=status, path=None, page_count=3 if status is AnnexStatus.BUNDLED else 0)


def test_a_bundled_annex_is_linked_internally_and_an_online_one_by_url(project):
    report = load(project)
    url = report.sections[0].links[0].url
    bundled = context(project, AnnexPlan((annex(report, AnnexStatus.BUNDLED),), ()), Edition.FULL)
    assert bundled["link_targets"][url] == "#annex-1"
    online = context(project, AnnexPlan((annex(report, AnnexStatus.ONLINE, 0),), ()), Edition.WEB)
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
    composed = compose(project, Edition.WEB, diagnostics)
    assert diagnostics.items == ()
    assert '<html lang="nl-BE">' in composed.html
    assert '<meta name="dcterms.created" content="2024-06-01">' in composed.html
    assert "Beta &lt;project&gt; &amp; co" in composed.html


def test_a_template_field_that_does_not_exist_names_the_template_and_line(project):
    template = project / "layouts" / "default" / "colophon.html"
    template.write_text("<section>\n{{ report.editor }}\n</section>\n")
    diagnostics = Diagnostics()
    assert compose(project, Edition.FULL, diagnostics) is None
    [error] = diagnostics.errors
    assert (Path(error.path).name, error.line, error.code) == ("colophon.html", 2, "layout.undefined")
    assert "editor" in error.message


def test_numbers_amounts_and_dates_are_formatted_the_belgian_way(project):
    template = project / "layouts" / "default" / "colophon.html"
    template.write_text("<p>{{ 1383572.8 | amount }} euro, {{ 12500 | number }} inwoners, "
                        "{{ report.published | month_year }}, {{ report.published | long_date }}</p>\n")
    diagnostics = Diagnostics()
    composed = compose(project, Edition.FULL, diagnostics)
    assert diagnostics.items == ()
    assert "<p>1.383.572,80 euro, 12.500 inwoners, juni 2024, 1 juni 2024</p>" in composed.html


def test_a_template_cannot_run_python(project):
    template = project / "layouts" / "default" / "colophon.html"
    template.write_text("<p>{{ report.__class__.__init__.__globals__['os'].system('echo pwned') }}</p>\n")
    diagnostics = Diagnostics()
    assert compose(project, Edition.FULL, diagnostics) is None
    [error] = diagnostics.errors
    assert (Path(error.path).name, error.code) == ("colophon.html", "layout.unsafe")


def test_a_label_the_layout_does_not_have_is_a_located_warning(tmp_path):
    from conftest import REPORT_YAML
    project = make_project(tmp_path / "p", files={"sources/report.yaml": REPORT_YAML.replace(
        '  annexes: "Bijlagen"', '  anexes: "Bijlagen"')})
    diagnostics = Diagnostics()
    assert compose(project, Edition.FULL, diagnostics) is not None
    [warning] = diagnostics.warnings
    assert (warning.line, warning.column, warning.code) == (15, 3, "report.unknown-label")
    assert "did you mean 'annexes'?" in warning.message
