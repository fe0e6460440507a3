"""Checking outgoing links: dead and http:// links located where written; no other command goes online."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import FIXTURE_ANNEXES, make_project, run_cli
from httpserver import LocalServer, Reply

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.network.links import check_links
from kcvs_pdf.sources.load import load_report

OK = Reply(headers=(("Content-Type", "text/html"),))


@pytest.fixture
def server():
    local = LocalServer().start()
    yield local
    local.stop()


def closed_port() -> int:
    """Return a local port nothing listens on, so connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def links_project(root: Path, call_to_action: str, body: str, second_body: str = "Tekst.") -> Path:
    """Write a project whose first section has one call to action and the given Markdown body."""
    return make_project(root, {
        "sources/sections/01-alfa.md": f'---\ntitle: "Alfa"\nlinks:\n  - label: "MEER"\n'
                                       f'    url: "{call_to_action}"\n---\n\n{body}\n',
        "sources/sections/02-beta.md": f'---\ntitle: "Beta"\n---\n\n{second_body}\n'})


def where(path: Path, snippet: str) -> tuple[int, int]:
    """Return the 1-based line and column of snippet in the file."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if snippet in line:
            return number, line.index(snippet) + 1
    raise AssertionError(f"{snippet} not in {path}")


def check(project: Path, strict: bool = False, timeout: float = 0.5):
    diagnostics = Diagnostics(project)
    report = load_report(project / "sources", diagnostics)
    assert report is not None, diagnostics.items
    return check_links(report, diagnostics, strict=strict, timeout=timeout), diagnostics


def test_dead_links_are_located_where_they_are_written(server, tmp_path, monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "bestaat-niet.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    gone, broken = server.route("/weg", Reply(status=404)), server.route("/kapot", Reply(status=500))
    slow = server.route("/traag", Reply(stall=3.0))
    refused = f"https://127.0.0.1:{closed_port()}/dicht"
    body = (f"Zie [weg]({gone}) en [kapot]({broken}).\n\n"
            f"Ook [traag]({slow}),\n[dicht]({refused}) en [onbekend](https://bestaat-niet.example/x).")
    project = links_project(tmp_path / "p", server.route("/ok", OK), body)
    result, diagnostics = check(project)
    dead = [(d.line, d.column, d.message) for d in diagnostics.warnings if d.code == "links.dead"]
    source = project / "sources" / "sections" / "01-alfa.md"
    assert dead == [
        (*where(source, "[weg]"), f"dead link: {gone} answers HTTP 404 Not Found"),
        (*where(source, "[kapot]"), f"dead link: {broken} answers HTTP 500 Internal Server Error"),
        (*where(source, "[traag]"), f"dead link: {slow} did not answer within 0.5 seconds"),
        (*where(source, "[dicht]"), f"dead link: {refused} cannot be reached: the server refused the "
                                    "connection"),
        (*where(source, "[onbekend]"), "dead link: https://bestaat-niet.example/x cannot be reached: the "
                                       "server name does not exist (DNS lookup failed)")]
    assert {d.path for d in diagnostics.items} == {"sources/sections/01-alfa.md"}
    assert diagnostics.errors == () and len(result.dead) == 5 and len(result.checks) == 6


def test_http_links_are_insecure_https_ones_are_not(server, tmp_path):
    secure = f"https://127.0.0.1:{closed_port()}/veilig"
    project = links_project(tmp_path / "p", server.route("/ok", OK), f"Zie [veilig]({secure}).")
    result, diagnostics = check(project)
    insecure = [(d.line, d.column, d.message) for d in diagnostics.items if d.code == "links.insecure"]
    assert insecure == [(5, 10, f"{server.url('/ok')} is not secure (http://): readers' browsers warn "
                                "about it; use https:// if the site offers it")]
    assert result.insecure == (server.url("/ok"),)


def test_head_refused_falls_back_to_get(server, tmp_path):
    no_head = server.route("/geen-head", Reply(status=405), OK)
    not_implemented = server.route("/niet-geimplementeerd", Reply(status=501), OK)
    project = links_project(tmp_path / "p", no_head, f"Zie [dit]({not_implemented}).")
    result, diagnostics = check(project)
    assert result.dead == ()
    assert [d.code for d in diagnostics.items] == ["links.insecure", "links.insecure"]
    assert sorted(server.requests) == [("GET", "/geen-head"), ("GET", "/niet-geimplementeerd"),
                                       ("HEAD", "/geen-head"), ("HEAD", "/niet-geimplementeerd")]


def test_each_url_is_requested_once_and_reported_at_every_use(server, tmp_path):
    gone = server.route("/weg", Reply(status=404))
    project = links_project(tmp_path / "p", gone, f"Zie [hier]({gone}).", f"En [daar]({gone}).")
    result, diagnostics = check(project)
    assert server.requests == [("HEAD", "/weg")]
    assert [(d.path, d.line) for d in diagnostics.items if d.code == "links.dead"] == [
        ("sources/sections/01-alfa.md", 5), ("sources/sections/01-alfa.md", 8),
        ("sources/sections/02-beta.md", 5)]
    assert len(result.uses) == 3 and len(result.checks) == 1


def test_anchors_and_mail_addresses_are_not_requested(server, tmp_path):
    project = links_project(tmp_path / "p", server.route("/ok", OK),
                            "Zie [boven](#alfa) of mail [ons](mailto:info@example.org).")
    result, diagnostics = check(project)
    assert [use.url for use in result.uses] == [server.url("/ok")]
    assert server.requests == [("HEAD", "/ok")]


def test_links_are_checked_a_few_at_a_time(server, tmp_path):
    urls = [server.route(f"/pagina-{n}", Reply(stall=0.3)) for n in range(8)]
    body = "\n\n".join(f"[{n}]({url})" for n, url in enumerate(urls))
    project = links_project(tmp_path / "p", urls[0], body)
    result, _ = check(project, timeout=5.0)
    assert result.dead == () and server.count() == 8
    assert 1 < server.most_at_once <= 4


def test_cli_links_warns_by_default_and_fails_when_strict(server, tmp_path):
    gone = server.route("/weg", Reply(status=404))
    project = links_project(tmp_path / "p", gone, "Tekst.")
    result = run_cli(project, "links", "--timeout", "0.5")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"sources/sections/01-alfa.md:5:10: warning: dead link: {gone} answers HTTP 404 Not Found "
        "[links.dead]",
        f"sources/sections/01-alfa.md:5:10: warning: {gone} is not secure (http://): readers' browsers warn "
        "about it; use https:// if the site offers it [links.insecure]",
        "1 link(s) to 1 address(es) checked: 1 dead, 1 not secure (http://)"]
    result = run_cli(project, "links", "--strict", "--timeout", "0.5")
    assert result.exit_code == 1
    assert result.output.count(": error: ") == 2 and ": warning: " not in result.output


# Only `fetch` and `links` go online: `check` and `build` must work on a machine without network.

@pytest.fixture
def network_attempts(monkeypatch) -> list[tuple]:
    """Make every connection and name lookup fail, and note each attempt."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_check_and_build_make_no_network_request(tmp_path, network_attempts):
    section = ('---\ntitle: "Alfa"\nlinks:\n  - label: "BIJLAGE"\n'
               '    url: "https://www.example.org/docs/bijlage.pdf"\n'
               '  - label: "WEBSITE"\n    url: "http://www.example.org/pagina"\n---\n\n'
               "Zie [de site](https://www.example.org/meer) en [dit](http://example.com/).\n")
    project = make_project(tmp_path / "p", {"sources/sections/01-alfa.md": section},
                           annexes={"bijlage.pdf": FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"})
    for command in (("check", "--strict"), ("build",), ("build", "--edition", "web")):
        result = run_cli(project, *command)
        assert result.exit_code == 0, result.output
    assert network_attempts == []
    # The same guard does catch what the link check does, so the empty list above means something.
    assert run_cli(project, "links").exit_code == 0
    assert network_attempts != []
