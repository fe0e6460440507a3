"""The preview's pieces: which section a save belongs to, the problems banner, page pictures and
texts, a section rendered alone, the build thread and the server."""

from __future__ import annotations

import http.client
import io
import re
import time
from contextlib import contextmanager
from pathlib import Path

import pypdfium2
import pytest
from conftest import ALFA, BETA, FIXTURE_ANNEXES, make_project
from PIL import Image, ImageChops

from kcvs_pdf.errors import Diagnostic, Diagnostics, Severity
from kcvs_pdf.pdf.provenance import read as read_embedded
from kcvs_pdf.preview import session as session_module
from kcvs_pdf.preview.changes import classify
from kcvs_pdf.preview.pages import PageText, page_picture, read_pages
from kcvs_pdf.preview.server import PreviewServer
from kcvs_pdf.preview.session import PreviewBusy, Session
from kcvs_pdf.preview.snapshot import Page, Snapshot, Stage, splice
from kcvs_pdf.preview.view import banner_html, view_html
from kcvs_pdf.project import open_project
from kcvs_pdf.sources.load import load_report

PICTURE = "![Staafdiagram: datasets per stad](grafiek.png)"


def picture_project(root: Path, shown_by: tuple[str, ...]) -> Path:
    """Write the small project with grafiek.png shown by the sections named."""
    png = io.BytesIO()
    Image.new("RGB", (40, 20), "teal").save(png, format="PNG")
    files: dict[str, str | bytes] = {"sources/sections/grafiek.png": png.getvalue()}
    for slug, name, text in (("alfa", "01-alfa.md", ALFA), ("beta", "02-beta.md", BETA)):
        if slug in shown_by:
            files[f"sources/sections/{name}"] = f"{text}\n{PICTURE}\n"
    return make_project(root, files)


def loaded(project: Path):
    opened = open_project(project, None, None)
    return opened, load_report(opened.sources, Diagnostics())


# --- which section a save belongs to ---

def test_a_section_file_belongs_to_its_section(project):
    opened, report = loaded(project)
    edit = classify([project / "sources/sections/02-beta.md"], opened, report)
    assert (edit.section, edit.layout) == ("beta", False)


def test_an_editors_temporary_file_beside_the_section_does_not_hide_it(project):
    opened, report = loaded(project)
    saved = [project / "sources/sections/01-alfa.md", project / "sources/sections/4913",
             project / "sources/report.yaml"]
    assert classify(saved, opened, report).section == "alfa"


def test_two_sections_saved_at_once_are_not_one_section(project):
    opened, report = loaded(project)
    saved = [project / "sources/sections/01-alfa.md", project / "sources/sections/02-beta.md"]
    assert classify(saved, opened, report).section is None


def test_a_picture_belongs_to_the_one_section_that_shows_it(tmp_path):
    project = picture_project(tmp_path / "p", shown_by=("beta",))
    opened, report = loaded(project)
    assert classify([project / "sources/sections/grafiek.png"], opened, report).section == "beta"


def test_a_picture_two_sections_show_belongs_to_neither(tmp_path):
    project = picture_project(tmp_path / "p", shown_by=("alfa", "beta"))
    opened, report = loaded(project)
    assert classify([project / "sources/sections/grafiek.png"], opened, report).section is None


def test_a_layout_file_is_a_layout_change_of_no_section(project):
    opened, report = loaded(project)
    edit = classify([project / "layouts/default/style.css"], opened, report)
    assert (edit.section, edit.layout) == (None, True)


def test_without_a_report_no_section_is_known(project):
    opened, _ = loaded(project)
    assert classify([project / "sources/sections/01-alfa.md"], opened, None).section is None


# --- the banner and the view ---

def diagnostic(severity: Severity, message: str = "this quote is never closed: end the text with \"") -> Diagnostic:
    return Diagnostic("sources/sections/01-alfa.md", 2, 8, severity, message, "yaml.syntax")


def page(text: str, label: str = "1", section: str | None = "alfa", index: int = 0) -> Page:
    return Page("abc-1", index, PageText(label=label, text=text, width=595.28, height=841.89), section)


def test_the_banner_lists_each_problem_located_and_escaped():
    snapshot = Snapshot(3, Stage.FAILED, pages=(page("Alfa"),), diagnostics=(diagnostic(Severity.ERROR),))
    banner = banner_html(snapshot)
    assert '<section class="banner errors" role="alert"' in banner
    assert "1 error: fix and save; the pages below are the last good draft" in banner
    assert "<code>sources/sections/01-alfa.md:2:8: error: this quote is never closed: end the text with " \
           "&quot; [yaml.syntax]</code>" in banner


def test_the_banner_says_when_there_is_no_draft_to_show_yet():
    snapshot = Snapshot(1, Stage.FAILED, diagnostics=(diagnostic(Severity.ERROR), diagnostic(Severity.WARNING)))
    assert "1 error, 1 warning: fix and save to see the draft" in banner_html(snapshot)


def test_warnings_alone_make_a_warnings_banner_and_a_failure_is_an_error():
    assert 'class="banner warnings"' in banner_html(Snapshot(1, Stage.DRAFT, diagnostics=(
        diagnostic(Severity.WARNING), diagnostic(Severity.WARNING, "another"))))
    failed = banner_html(Snapshot(1, Stage.FAILED, failure="the annex <x> cannot be read"))
    assert "<code>error: the annex &lt;x&gt; cannot be read</code>" in failed


def test_a_clean_build_has_no_banner():
    assert banner_html(Snapshot(2, Stage.DRAFT, pages=(page("Alfa"),))) == ""


def test_the_view_holds_each_pages_picture_label_and_text_and_the_page_to_scroll_to():
    snapshot = Snapshot(4, Stage.DRAFT, title="Testverslag 2023", language="nl-BE", edit=2, focus=1,
                        pages=(page("Inhoud", "1", None), page("Alfa <werkgroep> & co", "2", "alfa", 1)))
    html = view_html(snapshot, "abc")
    assert 'data-instance="abc" data-generation="4" data-edit="2" data-stage="draft" data-focus="page-2"' in html
    assert '<figure class="page" id="page-2" data-label="2" data-section="alfa">' in html
    assert '<img src="/page/abc-1/1.png" width="993" height="1404" loading="lazy"' in html
    assert '<figcaption>Page 2</figcaption>' in html
    assert '<div class="page-text" lang="nl-BE">Alfa &lt;werkgroep&gt; &amp; co</div>' in html


# --- splicing a section's new pages into the shown ones ---

def test_a_section_that_grows_takes_the_next_page_numbers():
    base = (page("a", "4", "alfa"), page("b", "5", "beta", 1), page("c", "6", "gamma", 2))
    new = (page("b1", "?", "beta"), page("b2", "?", "beta", 1))
    spliced = splice(base, "beta", new)
    assert [(p.text.text, p.text.label) for p in spliced] == [("a", "4"), ("b1", "5"), ("b2", "6"), ("c", "6")]
    assert splice(base, "delta", new) is None


# --- pictures and texts of pages ---

def test_a_page_picture_is_a_png_at_screen_resolution():
    pdf = (FIXTURE_ANNEXES / "rotated-0-90-180-270-pages.pdf").read_bytes()
    upright, turned = (Image.open(io.BytesIO(page_picture(pdf, index))) for index in (3, 0))
    assert (upright.format, upright.size) == ("PNG", (993, 1404))
    assert turned.size == (1404, 993)
    with pytest.raises(IndexError):
        page_picture(pdf, 4)


def test_pages_are_read_with_their_labels_sizes_and_text():
    texts = read_pages((FIXTURE_ANNEXES / "us-letter-11-pages-with-page-labels.pdf").read_bytes())
    document = pypdfium2.PdfDocument(FIXTURE_ANNEXES / "us-letter-11-pages-with-page-labels.pdf")
    assert [t.label for t in texts] == [document.get_page_label(i) for i in range(len(document))]
    assert (round(texts[0].width), round(texts[0].height)) == (612, 792)
    assert all(t.text and "\n" not in t.text for t in texts)


# --- the build thread ---

def wait_for(session: Session, condition, timeout: float = 90) -> Snapshot:
    """Return the first snapshot for which condition holds; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    snapshot = session.snapshot
    while not condition(snapshot):
        assert time.monotonic() < deadline, f"still {snapshot.stage}: {snapshot.note} {snapshot.diagnostics}"
        snapshot = session.wait(snapshot.generation, deadline - time.monotonic())
    return snapshot


def text_of(snapshot: Snapshot, slug: str) -> str:
    return " ".join(p.text.text for p in snapshot.pages if p.section == slug)


@contextmanager
def started(project: Path, log=lambda line: None):
    session = Session(open_project(project, None, None), log)
    session.start()
    try:
        yield session
    finally:
        session.close()


def test_an_edited_section_is_shown_alone_first_then_in_the_whole_draft(project):
    notes = []
    with started(project, notes.append) as session:
        first = wait_for(session, lambda s: s.stage is Stage.DRAFT)
        assert "stadsmonitoring" in text_of(first, "alfa") and first.title == "Testverslag 2023"
        section = project / "sources/sections/01-alfa.md"
        section.write_text(ALFA.replace("zes keer over stadsmonitoring", "negen keer over de buurtmonitor"))
        session.saved({section})
        shown = wait_for(session, lambda s: s.generation > first.generation + 1)
    assert (shown.stage, shown.edit, shown.diagnostics) == (Stage.DRAFT, 1, ())
    assert "negen keer" in text_of(shown, "alfa") and "zes keer" not in text_of(shown, "alfa")
    assert shown.pages[shown.focus].section == "alfa"
    assert notes[1].startswith("“Alfa werkgroep” shown in "), notes
    assert not list((project / "build").glob("*.pdf")), "no edition is written"
    assert sorted(p.name for p in (project / "build/.preview").iterdir()) == ["draft.pdf", "lock"]
    assert "negen keer" in " ".join(p.text for e in [read_embedded(project / "build/.preview/draft.pdf")]
                                    for s in e.sections for p in s.paragraphs)


def test_a_preview_stylesheet_that_leads_outside_is_not_read(project, tmp_path):
    (tmp_path / "buiten.css").write_text('.section-body::after { content: "GEHEIM" }\n')
    stylesheet = project / "layouts/default/preview.css"
    stylesheet.unlink()
    stylesheet.symlink_to(tmp_path / "buiten.css")
    notes = []
    with started(project, notes.append) as session:
        first = wait_for(session, lambda s: s.stage is Stage.DRAFT)
        section = project / "sources/sections/01-alfa.md"
        section.write_text(ALFA.replace("zes keer", "negen keer"))
        session.saved({section})
        shown = wait_for(session, lambda s: s.stage is Stage.DRAFT and s.generation > first.generation)
    assert "negen keer" in text_of(shown, "alfa")
    assert not any(note.startswith("“Alfa werkgroep” shown in ") for note in notes), notes
    assert all("GEHEIM" not in page.text.text for page in shown.pages)


def test_a_section_rendered_alone_looks_as_in_the_whole_draft(project):
    """The page shown first is the page the draft will have: same text, same pixels."""
    with started(project) as session:
        draft = wait_for(session, lambda s: s.stage is Stage.DRAFT)
        section = project / "sources/sections/02-beta.md"
        section.write_text(section.read_text() + "\nEen tweede alinea over **parkeerdata**.\n")
        session.saved({section})
        alone = wait_for(session, lambda s: s.stage is Stage.SECTION)
        alone_pages = [p for p in alone.pages if p.section == "beta"]
        picture_alone = page_picture(session.document(alone_pages[0].document), alone_pages[0].index)
        whole = wait_for(session, lambda s: s.stage is Stage.DRAFT and s.generation > draft.generation)
        whole_pages = [p for p in whole.pages if p.section == "beta"]
        picture_whole = page_picture(session.document(whole_pages[0].document), whole_pages[0].index)
    assert [p.text for p in alone_pages] == [p.text for p in whole_pages]
    assert "parkeerdata" in whole_pages[0].text.text
    difference = ImageChops.difference(*(Image.open(io.BytesIO(p)).convert("RGB")
                                         for p in (picture_alone, picture_whole)))
    assert difference.getbbox() is None


def test_a_broken_save_keeps_the_last_good_pages_under_its_errors_and_the_fix_brings_the_draft_back(project):
    with started(project) as session:
        good = wait_for(session, lambda s: s.stage is Stage.DRAFT)
        section = project / "sources/sections/01-alfa.md"
        section.write_text(ALFA.replace('title: "Alfa werkgroep"', 'title: "Alfa werkgroep'))
        session.saved({section})
        broken = wait_for(session, lambda s: s.stage is Stage.FAILED)
        assert broken.pages == good.pages and broken.pages[broken.focus].section == "alfa"
        assert [str(d) for d in broken.diagnostics] == [
            "sources/sections/01-alfa.md:2:8: error: this quote is never closed: end the text with \" [yaml.syntax]"]
        section.write_text(ALFA)
        session.saved({section})
        fixed = wait_for(session, lambda s: s.stage is Stage.DRAFT and s.generation > broken.generation)
    assert fixed.diagnostics == () and "stadsmonitoring" in text_of(fixed, "alfa")


def test_a_section_shown_alone_that_the_whole_draft_refuses_gives_way_to_the_pages_before_it(project):
    """Only the whole build checks that every character has a font: the section came first."""
    with started(project) as session:
        good = wait_for(session, lambda s: s.stage is Stage.DRAFT)
        section = project / "sources/sections/01-alfa.md"
        section.write_text(ALFA.replace("zes keer", "zes \U00013000 keer"))
        session.saved({section})
        refused = wait_for(session, lambda s: s.stage is Stage.FAILED)
    assert [d.code for d in refused.diagnostics] == ["text.no-glyph"]
    assert refused.pages == good.pages and "zes keer" in text_of(refused, "alfa")


def test_a_save_during_the_whole_draft_abandons_it_before_it_writes_and_is_built_next(project, monkeypatch):
    section = project / "sources/sections/01-alfa.md"
    finished, build_checked = [], session_module.build_checked

    def build_meanwhile_saved(built_project, checked, *arguments, **options):
        if "zeven keer" in checked.report.sections[0].body_html:
            section.write_text(ALFA.replace("zes keer", "acht keer"))
            session.saved({section})
        result = build_checked(built_project, checked, *arguments, **options)
        finished.append(re.search(r"\w+ keer", checked.report.sections[0].body_html)[0])
        return result

    monkeypatch.setattr(session_module, "build_checked", build_meanwhile_saved)
    with started(project) as session:
        first = wait_for(session, lambda s: s.stage is Stage.DRAFT)
        section.write_text(ALFA.replace("zes keer", "zeven keer"))
        session.saved({section})
        last = wait_for(session, lambda s: s.stage is Stage.DRAFT and s.generation > first.generation)
    assert finished == ["zes keer", "acht keer"], "the build of the first save stopped before writing"
    assert "acht keer" in text_of(last, "alfa")
    assert not list((project / "build/.preview").glob(".*.part"))


def test_saves_in_quick_succession_are_built_once_from_the_newest(project):
    with started(project) as session:
        first = wait_for(session, lambda s: s.stage is Stage.DRAFT)
        section = project / "sources/sections/01-alfa.md"
        for count in ("zeven", "acht", "negen"):
            section.write_text(ALFA.replace("zes keer", f"{count} keer"))
            session.saved({section})
        last = wait_for(session, lambda s: s.stage is Stage.DRAFT and "negen keer" in text_of(s, "alfa"))
        assert last.generation > first.generation


def test_a_second_preview_of_the_same_project_is_refused(project):
    with started(project):
        with pytest.raises(PreviewBusy, match="another preview of this project is running"):
            Session(open_project(project, None, None)).start()


# --- the server ---

@contextmanager
def serving(project: Path):
    with started(project) as session:
        server = PreviewServer(session, 0)
        server.start()
        try:
            yield session, server
        finally:
            server.stop()


def get(server: PreviewServer, path: str, host: str | None = None, read: bool = True):
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    connection.request("GET", path, headers={"Host": host or f"127.0.0.1:{server.server_address[1]}"})
    response = connection.getresponse()
    return response, response.read() if read else response


def test_the_server_answers_only_requests_for_this_machine(project):
    with serving(project) as (_, server):
        assert get(server, "/", host="evil.example:80")[0].status == 403
        response, body = get(server, "/", host=f"localhost:{server.server_address[1]}")
    assert response.status == 200 and b'<script src="/static/preview.js" defer></script>' in body
    assert response.getheader("Content-Security-Policy").startswith("default-src 'self'")


def test_the_server_serves_its_script_and_pictures_of_shown_pages_only(project):
    with serving(project) as (session, server):
        snapshot = wait_for(session, lambda s: s.stage is Stage.DRAFT)
        assert get(server, "/static/preview.js")[0].getheader("Content-Type").startswith("text/javascript")
        shown = snapshot.pages[-1]
        response, picture = get(server, f"/page/{shown.document}/{shown.index}.png")
        assert response.status == 200 and Image.open(io.BytesIO(picture)).size == (993, 1404)
        assert get(server, f"/page/{shown.document}/{len(snapshot.pages)}.png")[0].status == 404
        assert get(server, "/page/0-1/0.png")[0].status == 404
        assert get(server, "/static/../session.py")[0].status == 404
        response, pdf = get(server, "/draft.pdf")
        assert pdf == (project / "build/.preview/draft.pdf").read_bytes()


def test_the_event_stream_names_the_newest_snapshot_at_once(project):
    with serving(project) as (session, server):
        response, stream = get(server, "/events", read=False)
        assert response.getheader("Content-Type") == "text/event-stream"
        assert stream.readline() == b"retry: 1000\n" and stream.readline() == b"\n"
        assert stream.readline() == b"event: snapshot\n"
        instance, generation = stream.readline().decode().removeprefix("data: ").split()
        assert instance == session.instance and int(generation) >= 0
        stream.close()


def test_a_layout_save_rebuilds_the_whole_draft_without_a_section_first(project):
    notes = []
    with started(project, notes.append) as session:
        first = wait_for(session, lambda s: s.stage is Stage.DRAFT)
        stylesheet = project / "layouts/default/style.css"
        stylesheet.write_text(stylesheet.read_text().replace("--brand: #0b5563;", "--brand: #0b4f5c;"))
        session.saved({stylesheet})
        wait_for(session, lambda s: s.stage is Stage.DRAFT and s.generation > first.generation)
    assert len(notes) == 2 and notes[1].startswith("Whole draft: "), notes
