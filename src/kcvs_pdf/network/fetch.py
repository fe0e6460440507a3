"""Turn the report's annex URLs into checked local files and a lock file."""

from __future__ import annotations

import enum
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import httpx

from .. import __version__
from ..errors import Diagnostics
from ..model import Report
from .lock import LOCK_FILE, LockEntry, matches, read_lock, write_lock

MAX_BYTES = 200_000_000
RETRIES = 3
MAX_REDIRECTS = 10
_PDF_HEADER, _HEADER_WINDOW = b"%PDF-", 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class AnnexLink:
    """An annex URL as the report links it: the file the build expects and where the link stands."""

    url: str
    file: str
    """File name under `sources/annexes/`, as the build looks for it."""
    section: Path
    line: int
    column: int


class Outcome(enum.Enum):
    """What fetching one annex did."""

    DOWNLOADED = "downloaded"
    UNCHANGED = "unchanged"
    """The local file matched the lock: no request was made."""
    REFUSED = "refused"
    """The download failed or was not a PDF; the local file, if any, was left as it was."""


@dataclass(frozen=True)
class Download:
    """The outcome of fetching one annex."""

    annex: AnnexLink
    outcome: Outcome
    entry: LockEntry | None
    """What the lock records for the file now; None when refused with nothing recorded before."""
    seconds: float = 0.0


@dataclass(frozen=True)
class FetchOptions:
    """Limits of one fetch run."""

    max_bytes: int = MAX_BYTES
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    """Seconds to wait for the next bytes of an answer."""
    retries: int = RETRIES
    """Further attempts after a 5xx answer or a timeout."""
    backoff: float = 1.0
    """Seconds before the first retry; each further retry waits twice as long."""
    force: bool = False
    """Download even files that match the lock."""


class Progress(Protocol):
    """Whoever shows a fetch run to a person."""

    def advance(self, annex: AnnexLink, done: int, total: int | None) -> None:
        """Note that `done` bytes of annex arrived, of `total` announced (None when unknown)."""

    def finished(self, download: Download) -> None:
        """Note that one annex is done."""


class Quiet:
    """Progress that shows nothing."""

    def advance(self, annex: AnnexLink, done: int, total: int | None) -> None:
        pass

    def finished(self, download: Download) -> None:
        pass


QUIET = Quiet()


class _Refused(Exception):
    """Raised when a download must not become the annex; `retry` when trying again may help."""

    def __init__(self, code: str, message: str, retry: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.retry = code, message, retry


def linked_annexes(report: Report, diagnostics: Diagnostics) -> tuple[AnnexLink, ...]:
    """Return each annex URL once, located at its first link, as the build bundles them."""
    by_url: dict[str, AnnexLink] = {}
    by_file: dict[str, AnnexLink] = {}
    for section in report.sections:
        for link in section.links:
            if link.annex_file is None or link.url in by_url:
                continue
            annex = AnnexLink(link.url, link.annex_file, section.path, link.line, link.column)
            other = by_file.get(annex.file)
            if other is not None:
                diagnostics.error(annex.section, annex.line, annex.column,
                                  f"{annex.url} would be saved as annexes/{annex.file}, like {other.url} "
                                  f"({other.section.name}:{other.line}): give one of the two links a "
                                  "'file:' of its own", "fetch.same-file")
                continue
            by_url[annex.url] = by_file[annex.file] = annex
    return tuple(by_url.values())


def fetch_annexes(report: Report, annex_dir: Path, options: FetchOptions, diagnostics: Diagnostics,
                  progress: Progress = QUIET) -> tuple[Download, ...]:
    """Download each linked annex that is missing or differs from the lock; keep the lock current.

    Each refusal is recorded as an error at the link; the previous local file stays as it was.
    """
    annexes = linked_annexes(report, diagnostics)
    lock_path = annex_dir.parent / LOCK_FILE
    previous = {entry.url: entry for entry in _lock_to_rewrite(lock_path, diagnostics)}
    # Entries of links that are gone are dropped; the others stay until replaced, so that an
    # interrupted run still leaves a lock that is true for every file in the folder.
    entries = {annex.url: previous[annex.url] for annex in annexes
               if annex.url in previous and previous[annex.url].file == annex.file}
    annex_dir.mkdir(parents=True, exist_ok=True)
    downloads = []
    try:
        with _client(options) as client:
            for annex in annexes:
                download = _fetch_one(client, annex, annex_dir, entries.get(annex.url), options,
                                      diagnostics, progress)
                if download.entry is not None:
                    entries[annex.url] = download.entry
                downloads.append(download)
                progress.finished(download)
    finally:
        write_lock(lock_path, tuple(entries.values()))
    return tuple(downloads)


def check_annexes(report: Report, annex_dir: Path, diagnostics: Diagnostics) -> tuple[AnnexLink, ...]:
    """Compare the annex folder with the links and the lock, without any network; return the links.

    Missing, unrecorded or changed files are errors; lock entries and PDFs that no link needs
    are warnings.
    """
    annexes = linked_annexes(report, diagnostics)
    lock_path = annex_dir.parent / LOCK_FILE
    entries = read_lock(lock_path, diagnostics)
    locked = {entry.url: entry for entry in entries}
    for annex in annexes:
        _check_one(annex, annex_dir / annex.file, locked.get(annex.url), diagnostics)
    linked_urls = {annex.url for annex in annexes}
    for entry in entries:
        if entry.url not in linked_urls:
            diagnostics.warning(lock_path, entry.line, entry.column,
                                f"{LOCK_FILE} records {entry.url} but no section links to it anymore: "
                                "run `kcvs-pdf fetch` to drop it", "fetch.unlinked-entry")
    linked_files = {annex.file for annex in annexes}
    for path in sorted(annex_dir.glob("*")) if annex_dir.is_dir() else ():
        if path.suffix.lower() == ".pdf" and path.name not in linked_files:
            diagnostics.warning(path, 0, 0, "no section links to this PDF, so it is not in the report: "
                                "delete it, or link it from a section", "fetch.unlinked-file")
    return annexes


def _check_one(annex: AnnexLink, path: Path, entry: LockEntry | None, diagnostics: Diagnostics) -> None:
    def error(message: str, code: str) -> None:
        diagnostics.error(annex.section, annex.line, annex.column, message, f"fetch.{code}")

    if not path.is_file():
        error(f"annexes/{annex.file} is missing: run `kcvs-pdf fetch` to download {annex.url}", "missing")
    elif entry is None or entry.file != annex.file:
        error(f"annexes/{annex.file} is not recorded in {LOCK_FILE} for {annex.url}: run `kcvs-pdf "
              "fetch` to download and record it", "not-locked")
    elif not matches(path, entry):
        error(f"annexes/{annex.file} differs from the file downloaded from {annex.url} (its checksum "
              f"is not the one in {LOCK_FILE}): someone replaced it; run `kcvs-pdf fetch` to restore "
              "the published version", "changed")


def _lock_to_rewrite(lock_path: Path, diagnostics: Diagnostics) -> tuple[LockEntry, ...]:
    """Read the lock; a broken one is only a warning here, since this run rewrites it."""
    problems = Diagnostics()
    entries = read_lock(lock_path, problems)
    if problems.errors:
        first = problems.errors[0]
        diagnostics.warning(lock_path, first.line, first.column,
                            f"{LOCK_FILE} could not be read ({first.message}): every annex is "
                            "downloaded again and the lock written anew", "fetch.lock-rewritten")
        return ()
    return entries


def _client(options: FetchOptions) -> httpx.Client:
    timeout = httpx.Timeout(options.read_timeout, connect=options.connect_timeout)
    # Asking for no compression keeps a server from packing a PDF; one that does anyway is unpacked.
    return httpx.Client(timeout=timeout, follow_redirects=False,
                        headers={"User-Agent": f"kcvs-pdf/{__version__}", "Accept-Encoding": "identity"})


def _fetch_one(client: httpx.Client, annex: AnnexLink, annex_dir: Path, locked: LockEntry | None,
               options: FetchOptions, diagnostics: Diagnostics, progress: Progress) -> Download:
    target = annex_dir / annex.file
    if not options.force and locked is not None and matches(target, locked):
        return Download(annex, Outcome.UNCHANGED, locked)
    started = time.monotonic()
    try:
        entry = _download_with_retries(client, annex, target, options, progress)
    except _Refused as refused:
        kept = f"annexes/{annex.file} was kept as it was" if target.is_file() else "nothing was saved"
        diagnostics.error(annex.section, annex.line, annex.column, f"{annex.url} {refused.message}; {kept}",
                          f"fetch.{refused.code}")
        return Download(annex, Outcome.REFUSED, locked, time.monotonic() - started)
    return Download(annex, Outcome.DOWNLOADED, entry, time.monotonic() - started)


def _download_with_retries(client: httpx.Client, annex: AnnexLink, target: Path, options: FetchOptions,
                           progress: Progress) -> LockEntry:
    attempt = 0
    while True:
        try:
            return _download(client, annex, target, options, progress)
        except _Refused as refused:
            if not refused.retry or attempt == options.retries:
                if refused.retry and options.retries:
                    refused.message += f" (tried {options.retries + 1} times)"
                raise
        time.sleep(options.backoff * 2 ** attempt)
        attempt += 1


def _download(client: httpx.Client, annex: AnnexLink, target: Path, options: FetchOptions,
              progress: Progress) -> LockEntry:
    try:
        with _response(client, annex.url) as response, _part_file(target) as (stream, part):
            digest, size = _receive(response, stream, annex, options, progress)
            stream.flush()
            os.fsync(stream.fileno())
            os.replace(part, target)
    except httpx.TimeoutException as exc:
        raise _Refused("timeout", f"did not answer within the time limit ({_describe(exc)})",
                       retry=True) from exc
    except httpx.RemoteProtocolError as exc:
        raise _Refused("truncated", "was cut off before the end: the server closed the connection "
                       f"early ({_describe(exc)})") from exc
    except httpx.HTTPError as exc:
        raise _Refused("unreachable", f"could not be reached ({_describe(exc)})") from exc
    _sync_folder(target.parent)
    headers = response.headers
    return LockEntry(annex.file, annex.url, digest, size, headers.get("ETag"), headers.get("Last-Modified"))


@contextmanager
def _response(client: httpx.Client, url: str) -> Iterator[httpx.Response]:
    """Yield the streamed answer to GET url, following redirects only within the same host."""
    request = client.build_request("GET", url)
    for _ in range(MAX_REDIRECTS + 1):
        response = client.send(request, stream=True)
        try:
            if response.next_request is None:
                _check_status(response)
                yield response
                return
            following = response.next_request
        finally:
            response.close()
        if following.url.host != request.url.host:
            raise _Refused("redirect-host", f"redirects to another website ({following.url}): if that is "
                           "the right document, link to that address instead")
        request = following
    raise _Refused("redirects", f"redirects more than {MAX_REDIRECTS} times")


def _check_status(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise _Refused("http-status", f"answered HTTP {response.status_code} {response.reason_phrase}",
                       retry=response.status_code >= 500)
    if response.status_code != 200:
        raise _Refused("http-status", f"answered HTTP {response.status_code} {response.reason_phrase} "
                       "instead of the document")


@contextmanager
def _part_file(target: Path) -> Iterator[tuple[IO[bytes], Path]]:
    """Yield a temporary file beside target that is removed unless it was renamed to target."""
    part = target.parent / f".{target.name}.{os.getpid()}.part"
    try:
        with open(part, "wb") as stream:
            yield stream, part
    finally:
        part.unlink(missing_ok=True)


def _receive(response: httpx.Response, stream: IO[bytes], annex: AnnexLink, options: FetchOptions,
             progress: Progress) -> tuple[str, int]:
    """Write the body to stream, refusing it as soon as it is too large or not a PDF."""
    announced = _announced_length(response)
    if announced is not None and announced > options.max_bytes:
        raise _Refused("too-large", f"is {size_text(announced)}, more than the limit of "
                       f"{size_text(options.max_bytes)} (raise it with --max-size)")
    digest, size, head = hashlib.sha256(), 0, b""
    for chunk in response.iter_bytes(_CHUNK):
        size += len(chunk)
        if size > options.max_bytes:
            raise _Refused("too-large", f"is larger than the limit of {size_text(options.max_bytes)}; "
                           "stopped reading there (raise it with --max-size)")
        if len(head) < _HEADER_WINDOW:
            head = (head + chunk)[:_HEADER_WINDOW]
            if len(head) == _HEADER_WINDOW:
                _check_header(head, response)
        digest.update(chunk)
        stream.write(chunk)
        progress.advance(annex, size, announced)
    _check_header(head, response)
    # A compressed body announces its compressed length; h11 checks that one itself.
    if announced is not None and size != announced and "Content-Encoding" not in response.headers:
        raise _Refused("truncated", f"was cut off: {size} of the {announced} bytes announced arrived")
    return digest.hexdigest(), size


def _announced_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def _check_header(head: bytes, response: httpx.Response) -> None:
    if _PDF_HEADER in head:
        return
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    start = head.lstrip().lower()
    if "html" in content_type or start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        raise _Refused("html-page", "answered with a web page instead of a PDF (probably an error or "
                       "login page): open the address in a browser to see what it says")
    shown = content_type or "no content type"
    raise _Refused("not-pdf", f"is not a PDF ({shown}; the file does not start with %PDF-)")


def _sync_folder(folder: Path) -> None:
    """Make the rename durable: without this, a power cut can bring the old directory entry back."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _describe(exc: httpx.HTTPError) -> str:
    return str(exc) or type(exc).__name__


def size_text(size: int) -> str:
    """Return a size as people read it: kB below a megabyte, MB with one decimal above."""
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"


