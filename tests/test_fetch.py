"""Fetching annexes: hostile answers are refused where the link is written and leave the folder as it was."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import FIXTURE_ANNEXES, REPORT_YAML, make_project, run_cli
from httpserver import LocalServer, Reply
from hypothesis import given
from hypothesis import strategies as st

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.network.fetch import FetchOptions, Outcome, Quiet, fetch_annexes
from kcvs_pdf.network.lock import LockEntry, read_lock, write_lock
from kcvs_pdf.sources.load import load_report
from kcvs_pdf.sources.plaintext import invisible_severity

PDF = (FIXTURE_ANNEXES / "plain-a4-4-pages.pdf").read_bytes()
OLD = b"%PDF-1.4 the copy that was here before\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><h1>Pagina niet gevonden</h1></body></html>"
FAST = FetchOptions(connect_timeout=0.5, read_timeout=0.5, backoff=0.0)
LOCK = "sources/annexes.lock"
URL_AT = "5:10"
"""Where the first link's URL stands in every section file these tests write."""


@pytest.fixture
def server():
    local = LocalServer().start()
    yield local
    local.stop()


def section(number: int, urls: list[str]) -> str:
    links = "".join(f'  - label: "BIJLAGE {index}"\n    url: "{url}"\n' for index, url in enumerate(urls))
    return f'---\ntitle: "Sectie {number}"\nlinks:\n{links}---\n\nTekst van sectie {number}.\n'


def linking_project(root: Path, *urls: str, annexes: dict[str, bytes] | None = None) -> Path:
    """Write a project whose section k links to urls[k-1]; `annexes` are planted in sources/annexes/."""
    files: dict[str, str | bytes | None] = {"sources/sections/01-alfa.md": None,
                                            "sources/sections/02-beta.md": None}
    for number, url in enumerate(urls, start=1):
        files[f"sources/sections/{number:02d}-sectie-{number}.md"] = section(number, [url])
    slugs = ", ".join(f'"sectie-{number}"' for number in range(1, len(urls) + 1))
    files["sources/report.yaml"] = REPORT_YAML.replace('["alfa", "beta"]', f"[{slugs}]")
    files.update({f"sources/annexes/{name}": data for name, data in (annexes or {}).items()})
    return make_project(root, files)


def fetch(project: Path, options: FetchOptions = FAST):
    diagnostics = Diagnostics(project)
    report = load_report(project / "sources", diagnostics)
    assert report is not None, diagnostics.items
    return fetch_annexes(report, project / "sources" / "annexes", options, diagnostics), diagnostics


def folder(project: Path) -> dict[str, bytes]:
    """Return every file in sources/annexes/, hidden ones included, with its bytes."""
    return {path.name: path.read_bytes() for path in (project / "sources" / "annexes").iterdir()}


def test_a_pdf_is_saved_under_the_name_the_build_expects_and_locked(server, tmp_path):
    url = server.route("/docs/bijlage%20een.pdf", Reply(body=PDF, headers=(
        ("Content-Type", "application/pdf"), ("ETag", '"v1"'),
        ("Last-Modified", "Tue, 05 Mar 2024 10:00:00 GMT"))))
    project = linking_project(tmp_path / "p", url)
    downloads, diagnostics = fetch(project)
    assert diagnostics.items == ()
    assert [d.outcome for d in downloads] == [Outcome.DOWNLOADED]
    assert folder(project) == {"bijlage een.pdf": PDF}
    entries = read_lock(project / "sources" / "annexes.lock", Diagnostics())
    assert entries == (LockEntry(file="bijlage een.pdf", url=url, bytes=len(PDF),
                                 sha256="f17a09190ad8a04964d78115d8ba7fc7a298557274fa14932ba58612342b7dec",
                                 etag='"v1"', last_modified="Tue, 05 Mar 2024 10:00:00 GMT"),)


def test_a_second_run_makes_no_request_and_force_downloads_again(server, tmp_path):
    urls = [server.route(f"/{name}.pdf", Reply(body=PDF)) for name in ("zeta", "alfa", "mu")]
    project = linking_project(tmp_path / "p", *urls)
    fetch(project)
    lock = (project / "sources" / "annexes.lock").read_text()
    assert server.count() == 3
    downloads, diagnostics = fetch(project)
    assert diagnostics.items == () and server.count() == 3
    assert [d.outcome for d in downloads] == [Outcome.UNCHANGED] * 3
    assert (project / "sources" / "annexes.lock").read_text() == lock
    files = [line.split('"')[1] for line in lock.splitlines() if "file:" in line]
    assert files == ["alfa.pdf", "mu.pdf", "zeta.pdf"]
    downloads, _ = fetch(project, FetchOptions(force=True, backoff=0.0))
    assert [d.outcome for d in downloads] == [Outcome.DOWNLOADED] * 3 and server.count() == 6


def test_a_500_then_200_is_retried_and_succeeds(server, tmp_path):
    url = server.route("/flaky.pdf", Reply(status=500), Reply(status=503), Reply(body=PDF))
    project = linking_project(tmp_path / "p", url, annexes={"flaky.pdf": OLD})
    downloads, diagnostics = fetch(project)
    assert diagnostics.items == () and downloads[0].outcome is Outcome.DOWNLOADED
    assert server.count("/flaky.pdf") == 3
    assert folder(project) == {"flaky.pdf": PDF}


ALWAYS_500 = ([Reply(status=500, body=b"oops", headers=())], "fetch.http-status", "answered HTTP 500", 4)
HOSTILE = {
    "404": ([Reply(status=404, body=HTML, headers=(("Content-Type", "text/html"),))],
            "fetch.http-status", "answered HTTP 404 Not Found", 1),
    "500 every time": ALWAYS_500,
    "body slower than the read timeout": ([Reply(body=PDF, delay=3.0)], "fetch.timeout",
                                          "did not answer within the time limit", 4),
    "HTML error page served as 200": (
        [Reply(body=HTML, headers=(("Content-Type", "text/html; charset=utf-8"),))],
        "fetch.html-page", "answered with a web page instead of a PDF", 1),
    "HTML page labelled as PDF": ([Reply(body=b"\n  " + HTML)], "fetch.html-page", "web page", 1),
    "not a PDF at all": ([Reply(body=b"PK\x03\x04" + bytes(4000))], "fetch.not-pdf",
                         "is not a PDF (application/pdf; the file does not start with %PDF-)", 1),
    "truncated: Content-Length larger than sent": ([Reply(body=PDF[:10_000], length=len(PDF))],
                                                   "fetch.truncated", "was cut off", 1),
    "announced larger than the cap": ([Reply(body=PDF)], "fetch.too-large",
                                      "is 25 kB, more than the limit of 10 kB", 1),
    "endless body without length": (
        [Reply(body=b"%PDF-1.4\n" + bytes(65_527), endless=True)],
        "fetch.too-large", "is larger than the limit of 10 kB; stopped reading", 1),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_answer_is_refused_at_the_link_and_the_old_file_stays(server, tmp_path, case):
    replies, code, message, requests = HOSTILE[case]
    url = server.route("/jaarverslag/bijlage.pdf", *replies)
    project = linking_project(tmp_path / "p", url, annexes={"bijlage.pdf": OLD})
    cap = 10_000 if code == "fetch.too-large" else 1_000_000
    downloads, diagnostics = fetch(project, FetchOptions(max_bytes=cap, connect_timeout=0.5,
                                                         read_timeout=0.5, backoff=0.0))
    assert [d.outcome for d in downloads] == [Outcome.REFUSED]
    [error] = diagnostics.items
    assert str(error).startswith(f"sources/sections/01-sectie-1.md:{URL_AT}: error: {url} ")
    assert error.code == code and message in error.message
    assert error.message.endswith("annexes/bijlage.pdf was kept as it was")
    assert folder(project) == {"bijlage.pdf": OLD}
    assert server.count() == requests
    assert read_lock(project / "sources" / "annexes.lock", Diagnostics()) == ()


def test_reading_stops_at_the_cap(server, tmp_path):
    url = server.route("/endless.pdf", Reply(body=b"%PDF-1.4\n" + bytes(65_527), endless=True))
    project = linking_project(tmp_path / "p", url)
    _, diagnostics = fetch(project, FetchOptions(max_bytes=1_000_000, read_timeout=5.0, backoff=0.0))
    assert [d.code for d in diagnostics.items] == ["fetch.too-large"]
    # The server writes at most 64 MB; it only sees the connection drop if the client stopped first.
    assert server.endless_stopped.wait(10)
    assert folder(project) == {}


def test_a_redirect_on_the_same_host_is_followed(server, tmp_path):
    server.route("/nieuw/bijlage.pdf", Reply(body=PDF))
    url = server.route("/oud/bijlage.pdf", Reply(status=301, headers=(("Location", "/nieuw/bijlage.pdf"),)))
    project = linking_project(tmp_path / "p", url)
    downloads, diagnostics = fetch(project)
    assert diagnostics.items == () and downloads[0].entry.url == url
    assert server.requests == [("GET", "/oud/bijlage.pdf"), ("GET", "/nieuw/bijlage.pdf")]
    assert folder(project) == {"bijlage.pdf": PDF}


def test_a_redirect_to_another_host_is_refused_without_following(server, tmp_path):
    server.route("/elders.pdf", Reply(body=PDF))
    elsewhere = server.url("/elders.pdf", host="localhost")
    url = server.route("/bijlage.pdf", Reply(status=302, headers=(("Location", elsewhere),)))
    project = linking_project(tmp_path / "p", url, annexes={"bijlage.pdf": OLD})
    _, diagnostics = fetch(project)
    [error] = diagnostics.items
    assert error.code == "fetch.redirect-host"
    assert f"redirects to another website ({elsewhere})" in error.message
    assert server.requests == [("GET", "/bijlage.pdf")]
    assert folder(project) == {"bijlage.pdf": OLD}


def test_a_refused_forced_download_keeps_the_file_and_its_lock_entry(server, tmp_path):
    url = server.route("/bijlage.pdf", Reply(body=PDF), Reply(status=404))
    project = linking_project(tmp_path / "p", url)
    fetch(project)
    lock = (project / "sources" / "annexes.lock").read_text()
    downloads, diagnostics = fetch(project, FetchOptions(force=True, backoff=0.0))
    assert downloads[0].outcome is Outcome.REFUSED and len(diagnostics.errors) == 1
    assert folder(project) == {"bijlage.pdf": PDF}
    assert (project / "sources" / "annexes.lock").read_text() == lock


def test_every_refusal_is_reported_and_the_good_ones_are_still_fetched(server, tmp_path):
    good = server.route("/goed.pdf", Reply(body=PDF))
    gone = server.route("/weg.pdf", Reply(status=404))
    html = server.route("/html.pdf", Reply(body=HTML, headers=(("Content-Type", "text/html"),)))
    project = linking_project(tmp_path / "p", gone, good, html)
    downloads, diagnostics = fetch(project)
    assert [d.outcome for d in downloads] == [Outcome.REFUSED, Outcome.DOWNLOADED, Outcome.REFUSED]
    assert [(d.path, d.code) for d in diagnostics.errors] == [
        ("sources/sections/01-sectie-1.md", "fetch.http-status"),
        ("sources/sections/03-sectie-3.md", "fetch.html-page")]
    assert folder(project) == {"goed.pdf": PDF}
    assert [e.url for e in read_lock(project / "sources" / "annexes.lock", Diagnostics())] == [good]


def test_an_interrupted_run_leaves_no_partial_file_and_a_true_lock(server, tmp_path):
    first = server.route("/een.pdf", Reply(body=PDF))
    second = server.route("/twee.pdf", Reply(body=PDF))
    project = linking_project(tmp_path / "p", first, second, annexes={"twee.pdf": OLD})

    class CtrlC(Quiet):
        def advance(self, annex, done, total):
            if annex.url == second:
                raise KeyboardInterrupt

    diagnostics = Diagnostics(project)
    report = load_report(project / "sources", diagnostics)
    with pytest.raises(KeyboardInterrupt):
        fetch_annexes(report, project / "sources" / "annexes", FAST, diagnostics, CtrlC())
    assert folder(project) == {"een.pdf": PDF, "twee.pdf": OLD}
    assert [e.url for e in read_lock(project / "sources" / "annexes.lock", Diagnostics())] == [first]


def test_two_urls_saved_under_one_file_name_are_an_error(server, tmp_path):
    first = server.route("/2023/verslag.pdf", Reply(body=PDF))
    second = server.route("/2022/verslag.pdf", Reply(body=PDF))
    project = linking_project(tmp_path / "p", first, second)
    _, diagnostics = fetch(project)
    [error] = diagnostics.items
    assert (error.path, error.code) == ("sources/sections/02-sectie-2.md", "fetch.same-file")
    assert server.requests == [("GET", "/2023/verslag.pdf")]


def test_links_no_section_has_anymore_leave_the_lock(server, tmp_path):
    kept = server.route("/blijft.pdf", Reply(body=PDF))
    dropped = server.route("/weg.pdf", Reply(body=PDF))
    project = linking_project(tmp_path / "p", kept, dropped)
    fetch(project)
    linking_project(project, kept)
    (project / "sources" / "sections" / "02-sectie-2.md").unlink()
    fetch(project)
    assert [e.url for e in read_lock(project / "sources" / "annexes.lock", Diagnostics())] == [kept]
    assert server.count() == 2


def test_an_unreadable_lock_is_rewritten_with_a_warning(server, tmp_path):
    url = server.route("/bijlage.pdf", Reply(body=PDF))
    project = linking_project(tmp_path / "p", url)
    (project / "sources" / "annexes.lock").write_text("annexes: [unclosed\n")
    _, diagnostics = fetch(project)
    [warning] = diagnostics.items
    assert (warning.path, warning.severity.value, warning.code) == (
        "sources/annexes.lock", "warning", "fetch.lock-rewritten")
    assert len(read_lock(project / "sources" / "annexes.lock", Diagnostics())) == 1


# Any visible text: the lock is checked like every YAML file, so invisible characters are warned about.
texts = st.text(st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp"))).filter(
    lambda text: text.strip() and not any(invisible_severity(char) for char in text))


@given(entries=st.lists(st.builds(LockEntry, file=texts, url=texts, sha256=st.just("ab" * 32),
                                  bytes=st.integers(1, 10**12), etag=st.none() | texts,
                                  last_modified=st.none() | texts),
                        max_size=4, unique_by=lambda e: e.file))
def test_the_lock_reads_back_what_was_written(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("lock") / "annexes.lock"
    write_lock(path, tuple(entries))
    diagnostics = Diagnostics()
    assert read_lock(path, diagnostics) == tuple(sorted(entries, key=lambda e: (e.file, e.url)))
    assert diagnostics.items == ()


# --check: no network, every difference between links, lock and folder located.

def fetched_project(server, tmp_path) -> tuple[Path, str, str]:
    first = server.route("/een.pdf", Reply(body=PDF))
    second = server.route("/twee.pdf", Reply(body=PDF))
    project = linking_project(tmp_path / "p", first, second)
    fetch(project)
    return project, first, second


def check(project: Path, monkeypatch):
    """Run `fetch --check` with every network connection failing the test."""
    def no_network(*args, **kwargs):
        raise AssertionError("fetch --check used the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    return run_cli(project, "fetch", "--check")


def test_check_passes_on_a_fetched_folder_without_any_request(server, tmp_path, monkeypatch):
    project, _, _ = fetched_project(server, tmp_path)
    result = check(project, monkeypatch)
    assert result.exit_code == 0, result.output
    assert result.output == "2 annex(es) checked against sources/annexes.lock: 0 error(s), 0 warning(s)\n"
    assert server.count() == 2


def test_check_finds_missing_and_replaced_files_as_errors(server, tmp_path, monkeypatch):
    project, first, second = fetched_project(server, tmp_path)
    (project / "sources" / "annexes" / "een.pdf").unlink()
    (project / "sources" / "annexes" / "twee.pdf").write_bytes(PDF.replace(b"%%EOF", b"%%EOF "))
    result = check(project, monkeypatch)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"sources/sections/01-sectie-1.md:{URL_AT}: error: annexes/een.pdf is missing: run `kcvs-pdf fetch` "
        f"to download {first} [fetch.missing]",
        f"sources/sections/02-sectie-2.md:{URL_AT}: error: annexes/twee.pdf differs from the file downloaded "
        f"from {second} (its checksum is not the one in annexes.lock): someone replaced it; run `kcvs-pdf "
        "fetch` to restore the published version [fetch.changed]",
        "2 annex(es) checked against sources/annexes.lock: 2 error(s), 0 warning(s)"]
    assert server.count() == 2


def test_fetch_restores_a_replaced_file(server, tmp_path):
    project, _, _ = fetched_project(server, tmp_path)
    (project / "sources" / "annexes" / "twee.pdf").write_bytes(OLD)
    downloads, diagnostics = fetch(project)
    assert [d.outcome for d in downloads] == [Outcome.UNCHANGED, Outcome.DOWNLOADED]
    assert folder(project) == {"een.pdf": PDF, "twee.pdf": PDF} and diagnostics.items == ()


def test_check_finds_a_file_put_there_by_hand_as_unrecorded(server, tmp_path, monkeypatch):
    project = linking_project(tmp_path / "p", server.url("/een.pdf"), annexes={"een.pdf": PDF})
    result = check(project, monkeypatch)
    assert result.exit_code == 1
    assert "error: annexes/een.pdf is not recorded in annexes.lock" in result.output
    assert "[fetch.not-locked]" in result.output


def test_check_warns_about_unlinked_lock_entries_and_pdfs(server, tmp_path, monkeypatch):
    project, first, second = fetched_project(server, tmp_path)
    (project / "sources" / "sections" / "02-sectie-2.md").unlink()
    linking_project(project, first, annexes={"oud jaarverslag.pdf": OLD, "notities.txt": b"x"})
    lock = (project / "sources" / "annexes.lock").read_text().splitlines()
    entry_line = lock.index('  - file: "twee.pdf"') + 1
    result = check(project, monkeypatch)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"sources/annexes.lock:{entry_line}:5: warning: annexes.lock records {second} but no section links "
        "to it anymore: run `kcvs-pdf fetch` to drop it [fetch.unlinked-entry]",
        "sources/annexes/oud jaarverslag.pdf:0:0: warning: no section links to this PDF, so it is not in the "
        "report: delete it, or link it from a section [fetch.unlinked-file]",
        "sources/annexes/twee.pdf:0:0: warning: no section links to this PDF, so it is not in the report: "
        "delete it, or link it from a section [fetch.unlinked-file]",
        "1 annex(es) checked against sources/annexes.lock: 0 error(s), 3 warning(s)"]


# The command line.

def test_cli_fetch_prints_a_line_per_annex_and_exits_1_on_a_refusal(server, tmp_path):
    good = server.route("/goed.pdf", Reply(body=PDF))
    gone = server.route("/weg.pdf", Reply(status=404))
    project = linking_project(tmp_path / "p", good, gone)
    result = run_cli(project, "fetch", "--timeout", "0.5")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("downloaded goed.pdf (25 kB, ")
    assert lines[1] == "refused    weg.pdf (see below)"
    assert lines[2].startswith(f"sources/sections/02-sectie-2.md:{URL_AT}: error: {gone} answered HTTP 404")
    assert lines[3:] == [f"2 annex(es): 1 downloaded, 0 unchanged, 1 refused; recorded in {LOCK}"]
    server.routes["/weg.pdf"] = [Reply(body=PDF)]
    result = run_cli(project, "fetch")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "unchanged  goed.pdf" and lines[1].startswith("downloaded weg.pdf (25 kB, ")
    assert lines[2:] == [f"2 annex(es): 1 downloaded, 1 unchanged, 0 refused; recorded in {LOCK}"]


def test_cli_max_size_is_in_megabytes(server, tmp_path):
    url = server.route("/bijlage.pdf", Reply(body=PDF))
    project = linking_project(tmp_path / "p", url)
    result = run_cli(project, "fetch", "--max-size", "0.02")
    assert result.exit_code == 1 and "is 25 kB, more than the limit of 20 kB" in result.output
    assert run_cli(project, "fetch", "--max-size", "0.03").exit_code == 0


def test_cli_shows_a_progress_bar_only_for_a_large_file(server, tmp_path):
    large = PDF + bytes(11_000_000)
    small, big = server.route("/klein.pdf", Reply(body=PDF)), server.route("/groot.pdf", Reply(body=large))
    project = linking_project(tmp_path / "p", small, big)
    result = run_cli(project, "fetch")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("downloaded klein.pdf (25 kB, ")
    # Off a terminal, click prints a bar's label once instead of drawing it.
    assert lines[1] == "groot.pdf"
    assert lines[2].startswith("downloaded groot.pdf (11.0 MB, ")


def test_cli_check_and_force_together_is_a_usage_error(tmp_path):
    project = make_project(tmp_path / "p")
    result = run_cli(project, "fetch", "--check", "--force")
    assert result.exit_code == 2 and "--check downloads nothing" in result.output


def test_cli_fetch_stops_before_any_request_when_the_sources_have_errors(server, tmp_path):
    project = linking_project(tmp_path / "p", server.route("/een.pdf", Reply(body=PDF)))
    (project / "sources" / "sections" / "01-sectie-1.md").write_text("geen front matter\n")
    result = run_cli(project, "fetch")
    assert result.exit_code == 1 and "[section.no-front-matter]" in result.output
    assert "Fetch stopped" in result.output and server.count() == 0
