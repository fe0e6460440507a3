"""Turn composed HTML into a PDF with WeasyPrint, reading only files the report may read."""

from __future__ import annotations

import logging
import mimetypes
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from .compose import ComposedReport
from .errors import Diagnostics, UnsafeResourceError
from .model import RenderedReport


class ConfinedFetcher(weasyprint.URLFetcher):
    """Serve `file:` and `data:` URLs inside the allowed folders; refuse everything else."""

    def __init__(self, allowed: tuple[Path, ...]) -> None:
        super().__init__(allowed_protocols=("file", "data"))
        self.allowed = tuple(path.resolve() for path in allowed)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(url2pathname(unquote(urlsplit(url).path))).resolve()
            if any(path.is_relative_to(root) for root in self.allowed):
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return weasyprint.urls.URLFetcherResponse(
                    url, path.read_bytes(), headers={"Content-Type": content_type})
        self.refused.append(url)
        raise UnsafeResourceError(f"refused to read {url}")


def render_pdf(composed: ComposedReport, allowed: tuple[Path, ...], metadata_path: Path,
               diagnostics: Diagnostics) -> RenderedReport:
    """Render composed HTML to PDF bytes; WeasyPrint's warnings become diagnostics."""
    fetcher = ConfinedFetcher(allowed)
    with _captured_warnings(metadata_path, diagnostics):
        document = weasyprint.HTML(string=composed.html, base_url=composed.base_url,
                                   url_fetcher=fetcher).render(font_config=FontConfiguration())
        pdf = document.write_pdf(pdf_tags=True)
    if fetcher.refused:
        listed = ", ".join(sorted(set(fetcher.refused)))
        raise UnsafeResourceError(f"the report asked for files outside sources/ and layouts/ or on "
                                  f"the network, which is not allowed: {listed}")
    dividers = tuple(index for index, page in enumerate(document.pages)
                     for anchor in page.anchors if anchor.startswith("annex-"))
    return RenderedReport(pdf=pdf, page_count=len(document.pages), divider_pages=dividers)


class _DiagnosticHandler(logging.Handler):
    def __init__(self, path: Path, diagnostics: Diagnostics) -> None:
        super().__init__(logging.WARNING)
        self.path, self.diagnostics = path, diagnostics

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().splitlines()[0]
        if record.levelno >= logging.ERROR:
            self.diagnostics.error(self.path, 0, 0, f"renderer: {message}", "render.error")
        else:
            self.diagnostics.warning(self.path, 0, 0, f"renderer: {message}", "render.warning")


@contextmanager
def _captured_warnings(path: Path, diagnostics: Diagnostics):
    logger = logging.getLogger("weasyprint")
    handler = _DiagnosticHandler(path, diagnostics)
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous
