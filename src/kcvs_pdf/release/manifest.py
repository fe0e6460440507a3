"""Turn the files of a publish folder into their inventory: SHA256SUMS and manifest.json."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path, PurePosixPath

import pikepdf

CHECKSUMS = "SHA256SUMS"
MANIFEST = "manifest.json"
# The libraries whose versions decide the bytes of what is published.
TOOLS = ("kcvs-pdf", "weasyprint", "pikepdf", "pillow", "pypdfium2")


class FileKind(enum.Enum):
    """What a published file is, for the manifest and the landing page."""

    WEB = "web"
    """The web edition: the report alone, linearised."""
    FULL = "full"
    """The full edition: the report with every annex bundled."""
    ANNEX = "annex"
    """An annex, at the path its URL has on the website."""
    COVER = "cover"
    """The landing page's picture of the cover."""
    LANDING = "landing"
    """The landing page."""
    MANIFEST = "manifest"


@dataclass(frozen=True)
class PublishedFile:
    """One file of the publish folder, as the manifest describes it."""

    path: PurePosixPath
    """Path inside the folder: the path on the website when the folder is uploaded at its root."""
    kind: FileKind
    size: int
    """Bytes."""
    sha256: str
    pages: int | None = None
    """Pages of a PDF; None for other files."""
    pdfua: str | None = None
    """PDF/UA part a PDF claims conformance to in its XMP metadata (`pdfuaid:part`), if any."""
    title: str = ""
    """An annex's title, as the report's table of contents gives it."""
    number: int = 0
    """An annex's number in the full edition, 0 for other files."""


def describe(folder: Path, path: PurePosixPath, kind: FileKind, title: str = "", number: int = 0
             ) -> PublishedFile:
    """Return what the manifest says about the file at path inside folder."""
    location = folder / path
    digest = hashlib.sha256()
    with open(location, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    pages, pdfua = _pdf_facts(location) if location.suffix.lower() == ".pdf" else (None, None)
    return PublishedFile(path, kind, location.stat().st_size, digest.hexdigest(), pages, pdfua, title, number)


def _pdf_facts(path: Path) -> tuple[int | None, str | None]:
    """Return a PDF's page count and claimed PDF/UA part; an annex we cannot read claims nothing."""
    try:
        with pikepdf.open(path) as pdf:
            claimed = pdf.open_metadata().get("pdfuaid:part")
            return len(pdf.pages), str(claimed).strip() if claimed else None
    except pikepdf.PdfError:
        return None, None


def write_inventory(folder: Path, files: tuple[PublishedFile, ...], revision: str, report: dict) -> None:
    """Write manifest.json (what was published, from which sources, with which tools) and SHA256SUMS.

    Nothing in either depends on the clock, so publishing the same sources twice gives the same
    bytes. SHA256SUMS covers manifest.json too, so `sha256sum -c SHA256SUMS` checks everything.
    """
    listed = sorted(files, key=lambda file: file.path.as_posix())
    manifest = {
        "report": report,
        "revision": revision,
        "tools": {name: version(name) for name in TOOLS},
        "files": [_entry(file) for file in listed],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    summed = sorted((*listed, describe(folder, PurePosixPath(MANIFEST), FileKind.MANIFEST)),
                    key=lambda file: file.path.as_posix())
    # Two spaces between sum and name: the format `sha256sum` writes and `sha256sum -c` reads.
    (folder / CHECKSUMS).write_text("".join(f"{file.sha256}  {file.path.as_posix()}\n" for file in summed),
                                    encoding="utf-8")


def _entry(file: PublishedFile) -> dict:
    entry = {"path": file.path.as_posix(), "kind": file.kind.value, "bytes": file.size,
             "pages": file.pages, "sha256": file.sha256}
    if file.kind in (FileKind.WEB, FileKind.FULL, FileKind.ANNEX):
        entry["pdfua"] = file.pdfua
    if file.kind is FileKind.ANNEX:
        entry.update(number=file.number, title=file.title)
    return entry
