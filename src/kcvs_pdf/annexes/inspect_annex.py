"""Turn one annex file into a verdict (usable, repaired or refused), in a bounded child process.

Reads the file with pikepdf (qpdf), the library that bundles it, and writes a decrypted,
repaired copy without active content. Run only in a child (inspection.py), so that a file that
hangs or crashes qpdf only takes that child down.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pikepdf
import pikepdf.settings

from ..errors import Diagnostics
from ..model import InflateLimits
from .inflate import find_bomb, find_bomb_in_bytes, inflates_whole
from .sanitize import remove_active_content

_HEADER_WINDOW = 1024
_FLATE = (pikepdf.Name.FlateDecode, pikepdf.Name.Fl)
_MESSAGE_LENGTH = 300
# What a file that is not a PDF most often is, told by how it starts; the bytes themselves
# are never shown, since they are not ours to print.
_LOOKS_LIKE = (
    (rb"\s*<!doctype html|\s*<html|\s*<head|\s*<body", "an HTML page"),
    (rb"\s*<\?xml|\s*<", "an XML or HTML file"),
    (rb"PK\x03\x04", "a ZIP archive, such as a Word, Excel or PowerPoint file"),
    (rb"\xd0\xcf\x11\xe0", "an old Word, Excel or PowerPoint file"),
    (rb"\xff\xd8\xff|\x89PNG|GIF8|II\*\x00|MM\x00\*", "an image"),
    (rb"\{\\rtf", "an RTF document"),
    (rb"\s*[{\[]", "a JSON file"),
)


def inspect_bounded(source: Path, normalized: Path, limits: InflateLimits, diagnostics: Diagnostics) -> dict:
    """Return inspect's answer; the form of work a bounded child runs (there is nothing to diagnose)."""
    limit_qpdf(limits)
    return inspect(source, normalized, limits)


def inspect(source: Path, normalized: Path, limits: InflateLimits = InflateLimits()) -> dict:
    """Return {'ok': True, 'pages', 'repaired', 'removed', 'sha256'}, {'ok': False, 'problem', 'sha256'},
    or {'ok': False, 'errno', 'sha256'} when the copy could not be written."""
    # Read once: the bytes inspected are the bytes hashed, whatever happens to the file meanwhile.
    data = source.read_bytes()
    found = _inspect_bytes(data, normalized, limits)
    return {**found, "sha256": hashlib.sha256(data).hexdigest()}


def _inspect_bytes(data: bytes, normalized: Path, limits: InflateLimits) -> dict:
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        return {"ok": False, "problem": _not_a_pdf(data)}
    if b"%%EOF" not in data:
        return {"ok": False, "problem": "is truncated: it has no end-of-file marker (%%EOF), so part "
                "of it is missing (an interrupted download?); download it again"}
    stream = io.BytesIO(data)
    try:
        with pikepdf.open(stream, password="") as pdf:
            if len(pdf.pages) == 0:
                return {"ok": False, "problem": "is damaged beyond repair (it has no pages)"}
            if any(float(page.mediabox[2]) <= float(page.mediabox[0]) for page in pdf.pages):
                return {"ok": False, "problem": "is damaged beyond repair (a page has no size)"}
            bomb = find_bomb(pdf, limits)
            if bomb:
                return {"ok": False, "problem": bomb}
            removed = remove_active_content(pdf)
            _name_lone_flate(pdf)
            # Saving reads every object, as the bundle will: damage shows up here, not there.
            # Saved in memory: qpdf writing to a full disk aborts the process instead of raising.
            saved = io.BytesIO()
            pdf.save(saved, encryption=False, deterministic_id=True)
            pages, repairs = len(pdf.pages), pdf.get_warnings()
            # qpdf reports a stream it had no memory to decode as damage it went on without:
            # that is the child's memory limit, not a repair.
            if any("bad_alloc" in warning for warning in repairs):
                raise MemoryError("qpdf ran out of memory")
    except pikepdf.PasswordError:
        return {"ok": False, "problem": "requires a password to open: ask for a copy without "
                "a password, or remove it (e.g. qpdf --decrypt)"}
    except (pikepdf.PdfError, ValueError, KeyError, OSError) as exc:
        bomb = find_bomb_in_bytes(data, limits)
        return {"ok": False, "problem": bomb or f"is damaged beyond repair ({_without_source(exc, stream)})"}
    try:
        normalized.write_bytes(saved.getbuffer())
    except OSError as error:
        return {"ok": False, "errno": error.errno}  # the machine's failure, not the file's
    # qpdf's first warning is often just "file is damaged"; the next one says how.
    detail = next((w for w in repairs if not w.endswith("file is damaged")), repairs[0]) if repairs else ""
    return {"ok": True, "pages": pages, "repaired": _without_source(detail, stream), "removed": removed}


def _name_lone_flate(pdf: pikepdf.Pdf) -> None:
    """Write the filter [/FlateDecode] as the name /FlateDecode, for data that inflates whole.

    qpdf copies Flate data as it is, but inflates and deflates it again when its one filter is
    written as an array, which takes most of the time saving the copy takes. Damaged data keeps
    its array, so that qpdf decodes it and reports the damage as before.
    """
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream) or "/DecodeParms" in obj:
            continue
        filters = obj.get("/Filter")
        if not (isinstance(filters, pikepdf.Array) and len(filters) == 1 and filters[0] in _FLATE):
            continue
        try:
            whole = inflates_whole(obj.read_raw_bytes())
        except pikepdf.PdfError:
            continue  # qpdf finds and reports this when it saves
        if whole:
            obj.Filter = filters[0]


def _not_a_pdf(data: bytes) -> str:
    start = data[:_HEADER_WINDOW].lstrip(b"\xef\xbb\xbf")
    if not start.strip():
        return "is not a PDF (the file is empty)"
    kind = next((kind for pattern, kind in _LOOKS_LIKE if re.match(pattern, start, re.IGNORECASE)), "")
    return f"is not a PDF (it looks like {kind})" if kind else "is not a PDF"


def _without_source(message: object, stream: io.BytesIO) -> str:
    """Return qpdf's message without the name of the input it starts with, safe to print.

    qpdf names the file read, here an object in memory whose address changes at every run;
    where in the file the damage is ("object 3 0, offset 129") is worth keeping.
    """
    source = f"stream {stream}"
    text = re.sub(rf"{re.escape(source)} \(([^)]*)\): ", r"\1: ", str(message)).replace(f"{source}: ", "")
    # qpdf may quote a few bytes of the file: never let them act on the terminal.
    return "".join(char if char.isprintable() else "?" for char in text)[:_MESSAGE_LENGTH]


def limit_qpdf(limits: InflateLimits) -> None:
    """Make qpdf stop decoding a stream at the limit, for this whole process.

    qpdf decodes object and cross-reference streams while it opens the file, before find_bomb
    can measure them: without this, a bomb there is inflated in memory until the child dies.
    """
    size = min(limits.per_stream, 2**32 - 1)  # qpdf's limits are 32-bit numbers
    pikepdf.settings.set_qpdf_limits(flate_max_memory=size, run_length_max_memory=size, png_max_memory=size,
                                     tiff_max_memory=size)

