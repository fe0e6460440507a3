"""Turn the report's outgoing links into located warnings about dead and insecure ones."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from .. import __version__
from ..errors import Diagnostics
from ..model import Report

WORKERS = 4
_HEAD_REFUSED = (405, 501)


@dataclass(frozen=True)
class LinkUse:
    """A place in the sources that links to a URL."""

    url: str
    path: Path
    line: int
    column: int


@dataclass(frozen=True)
class LinkCheck:
    """What requesting one URL found."""

    url: str
    problem: str | None
    """Why the link is dead, phrased to follow the URL; None when it answered."""


@dataclass(frozen=True)
class LinkReport:
    """The outcome of checking every outgoing link, for the summary."""

    uses: tuple[LinkUse, ...]
    checks: tuple[LinkCheck, ...]
    """One per distinct URL, in the order first used."""

    @property
    def dead(self) -> tuple[LinkCheck, ...]:
        return tuple(check for check in self.checks if check.problem is not None)

    @property
    def insecure(self) -> tuple[str, ...]:
        return tuple(check.url for check in self.checks if check.url.lower().startswith("http://"))


def outgoing_links(report: Report) -> tuple[LinkUse, ...]:
    """Return every web link of the report, calls to action first within each section."""
    uses = []
    for section in report.sections:
        uses.extend(LinkUse(link.url, section.path, link.line, link.column) for link in section.links)
        uses.extend(LinkUse(link.url, section.path, link.line, link.column) for link in section.web_links
                    if link.url.lower().startswith(("http://", "https://")))
    return tuple(uses)


def check_links(report: Report, diagnostics: Diagnostics, strict: bool = False,
                timeout: float = 10.0, workers: int = WORKERS) -> LinkReport:
    """Request each distinct URL once; record dead and plain-http links at every place they are used.

    They are warnings, or errors when strict.
    """
    uses = outgoing_links(report)
    urls = tuple(dict.fromkeys(use.url for use in uses))
    with _client(timeout) as client, ThreadPoolExecutor(max_workers=workers) as pool:
        checks = tuple(pool.map(lambda url: LinkCheck(url, probe(client, url)), urls))
    problems = {check.url: check.problem for check in checks}
    record = diagnostics.error if strict else diagnostics.warning
    for use in uses:
        if problems[use.url] is not None:
            record(use.path, use.line, use.column, f"dead link: {use.url} {problems[use.url]}",
                   "links.dead")
        if use.url.lower().startswith("http://"):
            record(use.path, use.line, use.column, f"{use.url} is not secure (http://): readers' "
                   "browsers warn about it; use https:// if the site offers it", "links.insecure")
    return LinkReport(uses, checks)


def _client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True,
                        headers={"User-Agent": f"kcvs-pdf/{__version__} (link check)"})


def probe(client: httpx.Client, url: str) -> str | None:
    """Return why url is dead, or None when it answers; ask with HEAD, then GET if HEAD is refused."""
    try:
        response = client.head(url)
        if response.status_code in _HEAD_REFUSED:
            # Only the status matters: the body is never read.
            with client.stream("GET", url) as response:
                pass
    except httpx.TimeoutException:
        return f"did not answer within {client.timeout.read:g} seconds"
    except httpx.ConnectError as exc:
        return f"cannot be reached: {_connect_problem(exc)}"
    except httpx.TooManyRedirects:
        return "redirects endlessly"
    except httpx.HTTPError as exc:
        return f"failed: {exc or type(exc).__name__}"
    if response.status_code >= 400:
        return f"answers HTTP {response.status_code} {response.reason_phrase}".rstrip()
    return None


def _connect_problem(exc: httpx.ConnectError) -> str:
    text = str(exc)
    lowered = text.lower()
    if "name or service not known" in lowered or "nodename nor servname" in lowered \
            or "getaddrinfo" in lowered or "name resolution" in lowered:
        return "the server name does not exist (DNS lookup failed)"
    if "refused" in lowered:
        return "the server refused the connection"
    return text or "connection failed"
