"""A catalogue of hostile inputs and machines: a render that would exhaust memory or never end, a
layout that reaches outside its folder, an output that would destroy an input, two builds at once,
a full disk, a read-only folder, a broken setting, and links and pictures that cannot print.

None may end in a traceback, a hang or a silent loss. Error cases work as in test_catalogue.py:
exit 1, one located diagnostic per problem, the previous PDF untouched, a transcript equal to
tests/golden/catalogue/<case>.txt. Usage cases exit 2 before any work and leave the input as it was.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import os
import re
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    FIXTURE_ANNEXES,
    LAST_GOOD,
    REPO,
    build_over_last_good,
    make_project,
    run_cli,
)
from golden import assert_matches_golden
from hostile import (
    EXPECTED_DISGUISED_REMOVAL,
    EXPECTED_REMOVAL,
    active_content_pdf,
    bomb_pdf,
    disguised_active_content_pdf,
    image_bomb_pdf,
    object_stream_bomb_pdf,
)
from test_catalogue import A, markdown, params, transcript
from test_catalogue_sources import SourceCase, assert_reported, make_case, replaced_by

import kcvs_pdf.build
from kcvs_pdf import cache
from kcvs_pdf.annexes import inspection
from kcvs_pdf.cli import common
from kcvs_pdf.layout import compose, render
from kcvs_pdf.model import RenderLimits
from kcvs_pdf.pdf import write

LAYOUT = "layouts/default"
CSS = f"{LAYOUT}/style.css"
REPORT_HTML = f"{LAYOUT}/report.html"
COVER = f"{LAYOUT}/cover.html"
REGULAR = f"{LAYOUT}/fonts/IBMPlexSans-Regular.ttf"
# Where report.html includes the cover: the line such errors are located at.
COVER_INCLUDE_LINE = (REPO / REPORT_HTML).read_text(encoding="utf-8").splitlines().index('{% include "cover.html" %}') + 1
TARGET = "build/testverslag-2023.pdf"


def appended_to(relative: str, text: str):
    """Return a prepare step that adds text at the end of a copied layout file."""
    def prepare(project: Path) -> None:
        path = project / relative
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return prepare


def replaced_in(relative: str, old: str, new: str):
    def prepare(project: Path) -> None:
        path = project / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new), encoding="utf-8")
    return prepare


def link_out(path: Path) -> None:
    """Put a link to a copy outside the project where path was (the copy keeps the same bytes)."""
    project = next(folder for folder in path.parents if (folder / "sources").is_dir())
    outside = project.parent / f"buiten-{path.name}"
    outside.write_bytes(path.read_bytes() if path.exists() else b"<p>GEHEIM</p>\n")
    path.unlink()
    path.symlink_to(outside)


def linked_out(relative: str):
    return lambda project: link_out(project / relative)


def fifo(relative: str):
    return replaced_by(os.mkfifo, relative)


def png(width: int, height: int, pixels: bytes) -> bytes:
    """Return an RGB PNG whose chunks are all intact (right lengths and checksums) around `pixels`."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def annex(make):
    """Return a prepare step that lets make write the annex section alfa links to."""
    def prepare(project: Path) -> None:
        (project / "sources" / "annexes").mkdir(exist_ok=True)
        make(project / "sources" / "annexes" / "alfa bijlage.pdf")
    return prepare


CASES = [
    # --- a render that cannot finish: a located error naming the likely cause, never a traceback ---
    SourceCase("render-font-size-huge", {}, f"{CSS}:1:1", "render.failed", message="ZeroDivisionError",
               prepare=appended_to(CSS, "\np { font-size: 1e9px; }\n")),
    # --- an annex that would inflate beyond the limits in every reader is refused, wherever it hides ---
    SourceCase("annex-decompression-bomb", {}, f"{A}:5:10", "annex.unusable",
               message="a compressed stream in it would expand to more than 256 MiB", prepare=annex(bomb_pdf)),
    SourceCase("annex-image-declares-gigabytes", {}, f"{A}:5:10", "annex.unusable",
               message="an image in it would take more than 256 MiB", prepare=annex(image_bomb_pdf)),
    SourceCase("annex-object-stream-bomb", {}, f"{A}:5:10", "annex.unusable",
               message="a compressed stream in it would expand to more than 256 MiB",
               prepare=annex(object_stream_bomb_pdf)),
    # --- templates are composed in a bounded child too: a sandbox still lets them grow or fail ---
    SourceCase("template-text-repeated-without-end", {}, f"{COVER}:5:1", "layout.memory",
               prepare=replaced_in(COVER, "<h1", '{{ ("x" * 100000000) * 100 }}<h1')),
    SourceCase("template-expression-fails", {}, f"{COVER}:5:1", "layout.error", message="TypeError",
               prepare=replaced_in(COVER, "<h1", "{{ report.title + 1 }}<h1")),
    # --- templates, stylesheet, fonts and labels are read as confined as the sources ---
    SourceCase("template-include-climbs-out", {"secret.html": "<p>GEHEIM</p>\n"},
               f"{REPORT_HTML}:{COVER_INCLUDE_LINE}:1", "layout.outside",
               message="template '../../secret.html' is outside the layout folder",
               prepare=replaced_in(REPORT_HTML, '{% include "cover.html" %}', '{% include "../../secret.html" %}')),
    SourceCase("template-include-ignore-missing-climbs-out", {"secret.html": "<p>GEHEIM</p>\n"},
               f"{REPORT_HTML}:{COVER_INCLUDE_LINE}:1", "layout.outside",
               prepare=replaced_in(REPORT_HTML, '{% include "cover.html" %}',
                                   '{% include "../../secret.html" ignore missing %}')),
    SourceCase("template-reads-a-file-through-a-path", {"secret.html": "<p>GEHEIM</p>\n"}, f"{COVER}:5:1",
               "layout.unsafe", message="access to attribute 'read_text' of 'PosixPath' object is unsafe",
               prepare=replaced_in(COVER, "<h1", '{{ (report.sources / "../secret.html").read_text() }}<h1')),
    SourceCase("template-link-outside", {}, f"{REPORT_HTML}:{COVER_INCLUDE_LINE}:1", "layout.outside-project",
               message="template 'cover.html' was not read because it leads outside layouts/default/",
               prepare=linked_out(COVER)),
    SourceCase("template-first-link-outside", {}, f"{REPORT_HTML}:1:1", "layout.outside-project",
               prepare=linked_out(REPORT_HTML)),
    SourceCase("template-is-a-fifo", {}, f"{REPORT_HTML}:{COVER_INCLUDE_LINE}:1", "layout.not-a-file",
               message="a pipe (FIFO)", prepare=fifo(COVER)),
    SourceCase("stylesheet-link-outside", {}, f"{CSS}:1:1", "layout.outside-project",
               message="'style.css' was not read because it leads outside sources/ or layouts/default/",
               prepare=linked_out(CSS)),
    SourceCase("stylesheet-is-a-fifo", {}, f"{CSS}:1:1", "layout.not-a-file", prepare=fifo(CSS)),
    SourceCase("font-link-outside", {}, f"{REGULAR}:1:1", "layout.outside-project", prepare=linked_out(REGULAR)),
    SourceCase("font-is-a-fifo", {}, f"{REGULAR}:1:1", "layout.not-a-file", prepare=fifo(REGULAR)),
    SourceCase("font-damaged", {REGULAR: b"\x00\x01\x00\x00 but not really a font"}, f"{REGULAR}:1:1",
               "layout.unreadable-font"),
    SourceCase("font-face-file-missing", {}, f"{CSS}:0:0", "render.error", message="Font-face 'Extra' cannot be loaded",
               prepare=appended_to(CSS, '\n@font-face { font-family: "Extra"; src: url(fonts/Ontbreekt.woff); }\n'
                                        'p { font-family: "Extra", "Plex Serif" }\n')),
    SourceCase("labels-link-outside", {}, f"{LAYOUT}/labels.yaml:1:1", "layout.outside-project",
               prepare=linked_out(f"{LAYOUT}/labels.yaml")),
    # --- render problems belong where they were written, not to the stylesheet ---
    SourceCase("markdown-link-to-missing-anchor", {A: markdown("Zie [het project beta](#betta) verderop.\n")},
               f"{A}:5:5", "markdown.missing-anchor", message="did you mean '#beta'?"),
    SourceCase("markdown-image-not-an-image",
               {A: markdown("Tekst.\n\n![Een grafiek](grafiek.png)\n"), "sources/sections/grafiek.png": "geen png"},
               f"{A}:7:1", "markdown.image-unreadable"),
    SourceCase("markdown-image-data-damaged",
               {A: markdown("Tekst.\n\n![Een grafiek](grafiek.png)\n"),
                "sources/sections/grafiek.png": png(20, 20, b"no deflate data at all")},
               f"{A}:7:1", "markdown.image-unreadable", message="or it is damaged"),
    SourceCase("markdown-image-data-cut-short",
               {A: markdown("Tekst.\n\n![Een grafiek](grafiek.png)\n"),
                "sources/sections/grafiek.png": png(200, 200, zlib.compress(bytes(100)))},
               f"{A}:7:1", "markdown.image-unreadable", message="it stops halfway"),
    SourceCase("markdown-svg-shows-a-file-outside",
               {A: markdown("![Een grafiek](grafiek.svg)\n"), "buiten.png": b"",
                "sources/sections/grafiek.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                                                '<image href="../../buiten.png" width="10" height="10"/></svg>'},
               f"{A}:5:1", "markdown.image-outside", message="draws from '../../buiten.png', outside sources/"),
    SourceCase("markdown-svg-not-well-formed",
               {A: markdown("![Een grafiek](grafiek.svg)\n"), "sources/sections/grafiek.svg": "<svg><g></svg>"},
               f"{A}:5:1", "markdown.image-unreadable", message="not a valid SVG file"),
    SourceCase("markdown-image-is-a-fifo", {A: markdown("![Een grafiek](grafiek.png)\n")}, f"{A}:5:1",
               "markdown.image-unreadable", message="a pipe (FIFO)",
               prepare=lambda project: os.mkfifo(project / "sources/sections/grafiek.png")),
    SourceCase("markdown-image-link-to-itself", {A: markdown("![Een grafiek](grafiek.png)\n")}, f"{A}:5:1",
               "markdown.image-missing",
               prepare=lambda project: (project / "sources/sections/grafiek.png").symlink_to("grafiek.png")),
    SourceCase("layout-image-missing", {}, f"{LAYOUT}/achtergrond.png:0:0", "render.error",
               message="Failed to load image", prepare=appended_to(CSS, "\n.cover { background: url(achtergrond.png) }\n")),
]


def test_names_are_unique_across_catalogues():
    import test_catalogue
    import test_catalogue_markdown
    import test_catalogue_sources
    earlier = {case.name for module in (test_catalogue, test_catalogue_markdown, test_catalogue_sources)
               for case in module.CASES}
    names = [case.name for case in CASES] + [case.name for case in OUTPUT_CASES] + EXTRA_GOLDEN
    assert len(names) == len(set(names)) and not set(names) & earlier


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input_fails_the_build_with_a_located_diagnostic(tmp_path, case):
    project = make_case(tmp_path, case)
    result, untouched = build_over_last_good(project)
    output = transcript(result.output, project)

    assert result.exit_code == 1, output
    assert untouched, "the previous PDF was replaced or build/ has new files"
    assert "Traceback" not in output and "GEHEIM" not in output
    assert_reported(output, case, "error")
    assert_matches_golden(f"catalogue/{case.name}", output)


@pytest.mark.parametrize("expression", [
    '{{ (report.sources / "../gemaakt.txt").write_text("x") }}',
    '{% for section in report.sections %}{{ section.path.unlink() }}{% endfor %}',
    '{{ report.sources.parent.joinpath("gemaakt.txt").touch() }}',
])
def test_a_template_cannot_write_or_delete_files_through_the_reports_paths(tmp_path, expression):
    project = make_project(tmp_path / "p")
    replaced_in(COVER, "<h1", expression + "<h1")(project)
    result = run_cli(project, "check")
    assert result.exit_code == 1 and "[layout.unsafe]" in result.output, result.output
    assert not (project / "gemaakt.txt").exists() and (project / A).is_file()


def test_a_link_to_a_place_the_report_has_is_fine(tmp_path):
    body = "Zie [beta](#beta), [het hoofdstuk](#chapter-1), [de inhoud](#toc) en de noot[^1].\n\n" \
           "[Terug naar de noot](#alfa--fnref-1).\n\n[^1]: Een [noot](#alfa--fn-1).\n"
    project = make_project(tmp_path / "p", {A: markdown(body)})
    result = run_cli(project, "check")
    assert result.exit_code == 0 and result.output.splitlines()[-1] == "0 error(s), 0 warning(s)", result.output


@pytest.mark.parametrize("make, removed", [(active_content_pdf, EXPECTED_REMOVAL),
                                           (disguised_active_content_pdf, EXPECTED_DISGUISED_REMOVAL)],
                         ids=["annex-active-content", "annex-active-content-disguised"])
def test_active_content_is_named_at_the_annexs_link_and_strict_refuses_it(tmp_path, make, removed, request):
    project = make_project(tmp_path / "p")
    annex(make)(project)
    result = run_cli(project, "check")
    output = transcript(result.output, project)
    assert result.exit_code == 0, output
    assert (f"{A}:5:10: warning: annex 'annexes/alfa bijlage.pdf': removed {removed} "
            "[annex.active-content]") in output.splitlines()
    assert_matches_golden(f"catalogue/{request.node.callspec.id}", output)

    strict, untouched = build_over_last_good(project, "--strict")
    assert strict.exit_code == 1 and untouched, strict.output


# --- an output that would overwrite an input is a usage error, before any work ---

@dataclass(frozen=True)
class OutputCase:
    name: str
    output: str
    """What is given to -o."""
    destroys: str
    """The input that must come through unchanged."""
    link: bool = False
    """-o names a link (made by the test) to `destroys`."""


OUTPUT_CASES = [
    OutputCase("output-over-section", A, A),
    OutputCase("output-over-stylesheet", CSS, CSS),
    OutputCase("output-over-annex", "sources/annexes/alfa bijlage.pdf", "sources/annexes/alfa bijlage.pdf"),
    OutputCase("output-new-file-in-sources", "sources/verslag.pdf", "sources/report.yaml"),
    OutputCase("output-over-another-layout", "layouts/huisstijl/style.css", "layouts/huisstijl/style.css"),
    OutputCase("output-link-to-report-yaml", "verslag.pdf", "sources/report.yaml", link=True),
    OutputCase("output-in-the-build-cache", "build/.cache/annexes/verslag.pdf", "sources/report.yaml"),
]


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=lambda case: case.name)
def test_an_output_over_an_input_is_refused_before_any_work(tmp_path, case):
    project = make_project(tmp_path / "p", {"layouts/huisstijl/style.css": "body { color: black }\n"},
                           annexes={"alfa bijlage.pdf": FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"})
    if case.link:
        (project / case.output).symlink_to(project / case.destroys)
    before = (project / case.destroys).read_bytes()
    result = run_cli(project, "build", "-o", case.output)
    output = transcript(result.output, project)

    assert result.exit_code == 2, output
    assert "Invalid value for '-o' / '--output'" in output and "[1/6]" not in output
    assert (project / case.destroys).read_bytes() == before
    assert not (project / "build").exists() or case.name == "output-in-the-build-cache"
    assert_matches_golden(f"catalogue/{case.name}", output)


# --- bounded render: memory, time, crashes of the render ---

def test_a_huge_page_size_ends_in_a_memory_error_not_an_exhausted_machine(tmp_path, monkeypatch):
    # The real limit (2 GiB) takes half a minute to reach; the test gives the render less.
    monkeypatch.setattr(common, "RenderLimits", functools.partial(RenderLimits, memory=600 * 1024**2))
    project = make_project(tmp_path / "p")
    replaced_in(CSS, "size: A4;", "size: 100000cm;")(project)
    # A dotted border is drawn dot by dot: round a page this size, more dots than memory holds.
    with (project / CSS).open("a", encoding="utf-8") as css:
        css.write("\n.section-body p { border-bottom: 1mm dotted #0b5563; }\n")
    result, untouched = build_over_last_good(project)
    output = transcript(result.output, project)

    assert result.exit_code == 1 and untouched, output
    assert "Traceback" not in output
    assert f"{CSS}:1:1: error: rendering needed more than 600 MiB of memory" in output
    assert_matches_golden("catalogue/render-page-size-huge", output)


def typeset(*arguments):
    """Stand in for the render, in its child: a layout that never ends."""
    time.sleep(3600)


def test_a_render_that_does_not_end_is_stopped_at_the_timeout(tmp_path, monkeypatch):
    # The render's child imports the module the renderer names, this one: it finds typeset above.
    monkeypatch.setattr(render, "_TYPESET", __name__)
    project = make_project(tmp_path / "p")
    result, untouched = build_over_last_good(project, "--render-timeout", "1")
    output = transcript(result.output, project)

    assert result.exit_code == 1 and untouched, output
    assert f"{CSS}:1:1: error: rendering took more than 1 s" in output and "--render-timeout" in output
    assert_matches_golden("catalogue/render-timeout", output)


def test_templates_that_loop_without_end_are_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(compose, "COMPOSE_LIMITS", RenderLimits(timeout=1))
    loops = "{% for a in range(100000) %}{% for b in range(100000) %}.{% endfor %}{% endfor %}"
    project = make_project(tmp_path / "p")
    replaced_in(COVER, "<h1", loops + "<h1")(project)
    result, untouched = build_over_last_good(project)
    output = transcript(result.output, project)

    assert result.exit_code == 1 and untouched, output
    assert f"{REPORT_HTML}:1:1: error: composing the layout's templates took more than 1 s" in output
    assert_matches_golden("catalogue/template-loops-without-end", output)


# --- every exception escaping a stage is a bug: one line, a report file, exit 70 ---

def broken_stage(*args, **kwargs):
    raise RuntimeError("kapot\nsecond line")


def crash_transcript(output: str, project: Path) -> str:
    return re.sub(r"kcvs-pdf-crash-[0-9a-f]{12}\.txt", "kcvs-pdf-crash-<id>.txt", transcript(output, project))


def test_an_exception_in_a_stage_is_reported_as_a_bug_with_a_report_file(tmp_path, monkeypatch):
    monkeypatch.setattr(kcvs_pdf.build, "bundle", broken_stage)
    project = make_project(tmp_path / "p")
    result, untouched = build_over_last_good(project)
    output = crash_transcript(result.output, project)
    reports = list((project / "build" / ".crash").glob("kcvs-pdf-crash-*.txt"))

    assert result.exit_code == 70, output
    assert output.splitlines()[-1] == ("internal error (a bug in kcvs-pdf, not in your sources): RuntimeError: "
                                       "kapot; details in build/.crash/kcvs-pdf-crash-<id>.txt; please report it")
    assert "Traceback" not in output
    assert len(reports) == 1 and reports[0].name in result.output
    text = reports[0].read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "broken_stage" in text and "kapot" in text
    assert (project / TARGET).read_bytes() == LAST_GOOD
    assert_matches_golden("catalogue/internal-error", output)


def test_the_same_bug_writes_the_same_report_file(tmp_path, monkeypatch):
    monkeypatch.setattr(kcvs_pdf.build, "bundle", broken_stage)
    project = make_project(tmp_path / "p")
    first, second = run_cli(project, "build"), run_cli(project, "build")
    assert first.exit_code == second.exit_code == 70
    assert first.output.splitlines()[-1] == second.output.splitlines()[-1]
    assert len(list((project / "build" / ".crash").iterdir())) == 1


def test_ctrl_c_before_the_build_has_started_exits_130_not_1(tmp_path, monkeypatch):
    def pressed(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(cache, "build_key", pressed)  # the build's first step, before its own handler
    result = run_cli(make_project(tmp_path / "p"), "build")
    assert result.exit_code == 130 and result.output.splitlines()[-1] == "Interrupted.", result.output


def test_help_explains_the_exit_code_of_a_bug(tmp_path):
    assert "70 internal error" in run_cli(make_project(tmp_path / "p"), "--help").output


# --- the machine: a full disk, a read-only folder, a malformed setting ---

def failing_on_parts(real, error: int):
    """Return os.write or os.open that fails with error on the build's temporary file only."""
    def fake(target, *args, **kwargs):
        name = os.readlink(f"/proc/self/fd/{target}") if isinstance(target, int) else os.fspath(target)
        if name.endswith(".part"):
            raise OSError(error, os.strerror(error), name)
        return real(target, *args, **kwargs)
    return fake


@pytest.mark.parametrize("name, function, error", [
    ("disk-full", "write", errno.ENOSPC),
    ("read-only-folder", "open", errno.EROFS),
])
def test_a_machine_that_refuses_the_write_gets_one_line_saying_what_to_do(tmp_path, monkeypatch, name, function,
                                                                           error):
    if function == "write" and not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell the temporary file's descriptor")
    monkeypatch.setattr(write.os, function, failing_on_parts(getattr(os, function), error))
    project = make_project(tmp_path / "p")
    result, untouched = build_over_last_good(project)
    output = transcript(result.output, project)

    assert result.exit_code == 1 and untouched, output
    assert "Traceback" not in output
    assert output.splitlines()[-1].startswith(f"error: cannot write {TARGET}: the ")
    assert_matches_golden(f"catalogue/{name}", output)


def test_a_read_only_output_folder_made_with_chmod(tmp_path):
    project = make_project(tmp_path / "p")
    folder = project / "build"
    folder.mkdir()
    (folder / "testverslag-2023.pdf").write_bytes(LAST_GOOD)
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user may write in a read-only folder (root)")
        result = run_cli(project, "build")
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 1, result.output
    assert "error: cannot write build/testverslag-2023.pdf: the folder is read-only" in result.output
    assert (folder / "testverslag-2023.pdf").read_bytes() == LAST_GOOD


def test_a_full_disk_outside_the_final_write_is_the_machine_not_a_bug(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "p" / "build" / ".cache" / "x"))
    monkeypatch.setattr(kcvs_pdf.build, "downsample_images", full)
    project = make_project(tmp_path / "p")
    result = run_cli(project, "build")
    output = transcript(result.output, project)
    assert result.exit_code == 1, output
    assert output.splitlines()[-1] == "error: build/.cache/x: the disk is full (free some space and build again)"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, a file every write to fails as a full disk")
def test_a_full_disk_while_an_annex_is_inspected_is_the_machine_not_the_annex(tmp_path, monkeypatch):
    real = inspection._verdicts
    monkeypatch.setattr(inspection, "_verdicts",
                        lambda paths, copies, *limits: real(paths, [Path("/dev/full")] * len(copies), *limits))
    project = make_project(tmp_path / "p", annexes={"alfa bijlage.pdf": FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"})
    result, untouched = build_over_last_good(project)
    output = transcript(result.output, project)
    assert result.exit_code == 1 and untouched, output
    assert output.splitlines()[-1] == "error: /dev: the disk is full (free some space and build again)"


def test_a_file_where_a_folder_of_the_build_belongs_is_named_in_one_line(tmp_path):
    project = make_project(tmp_path / "p", annexes={"alfa bijlage.pdf": FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"})
    (project / "build").mkdir()
    (project / "build" / ".cache").write_text("geen map")
    result = run_cli(project, "build")
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1] == ("error: build/.cache/annexes: part of this path is a file where "
                                              "a folder is needed (move that file away)")


def test_a_malformed_source_date_epoch_is_an_error_not_wrong_fonts(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "abc")
    project = make_project(tmp_path / "p")
    result, untouched = build_over_last_good(project)
    output = transcript(result.output, project)
    assert result.exit_code == 1 and untouched, output
    assert ("error: SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not 'abc'"
            in output.splitlines()[-1])
    assert_matches_golden("catalogue/source-date-epoch-malformed", output)


def test_a_well_formed_source_date_epoch_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717200000")
    assert run_cli(make_project(tmp_path / "p"), "build", "--edition", "web").exit_code == 0


# --- two builds of the same output ---

def test_two_builds_of_the_same_output_started_at_once_both_succeed(tmp_path):
    project = make_project(tmp_path / "p")
    builds = [subprocess.Popen([sys.executable, "-m", "kcvs_pdf", "build"], cwd=project,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [build.communicate()[0] for build in builds]
    assert [build.returncode for build in builds] == [0, 0], outputs
    assert "Traceback" not in "".join(outputs)
    assert sorted(p.name for p in (project / "build").iterdir() if p.name != ".cache") == ["testverslag-2023.pdf"]
    assert (project / TARGET).read_bytes().startswith(b"%PDF-")


def test_a_build_waits_for_another_build_writing_the_same_file(tmp_path):
    project = make_project(tmp_path / "p")
    (project / "build").mkdir()
    with open(project / "build" / ".testverslag-2023.pdf.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as another build writing the file would
        build = subprocess.Popen([sys.executable, "-m", "kcvs_pdf", "build"], cwd=project,
                                 stderr=subprocess.PIPE, text=True)
        for line in build.stderr:
            if "waiting" in line:
                assert line.strip() == f"another build is writing {TARGET}; waiting…"
                break
        assert build.poll() is None and not (project / TARGET).exists()
    rest = build.stderr.read()
    assert build.wait() == 0, rest
    assert (project / TARGET).read_bytes().startswith(b"%PDF-")


def test_a_build_that_waits_too_long_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(write, "LOCK_TIMEOUT_SECONDS", 0.0)
    project = make_project(tmp_path / "p")
    (project / "build").mkdir()
    with open(project / "build" / ".testverslag-2023.pdf.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run_cli(project, "build")
    assert result.exit_code == 1, result.output
    assert f"error: another build has been writing {TARGET} for more than 0 seconds" in result.output


def test_only_temporary_files_of_builds_that_are_gone_are_removed(tmp_path):
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    target = tmp_path / "report.pdf"
    kept, stale = (tmp_path / f".report.pdf.{alive.pid}.part", tmp_path / f".report.pdf.{dead.pid}.part")
    try:
        kept.write_bytes(b"being written")
        stale.write_bytes(b"left by a killed build")
        write._remove_stale_parts(target)
        assert kept.exists() and not stale.exists()
    finally:
        alive.kill()
        alive.wait()


EXTRA_GOLDEN = ["annex-active-content", "annex-active-content-disguised", "render-page-size-huge", "render-timeout",
                "template-loops-without-end", "internal-error", "disk-full", "read-only-folder",
                "source-date-epoch-malformed"]
