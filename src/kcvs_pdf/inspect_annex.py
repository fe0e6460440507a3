"""Turn one annex file into a verdict (usable, repaired or refused), run in a child process.

Run as `python -m kcvs_pdf.inspect_annex IN OUT`: reads IN, writes a decrypted or repaired copy
to OUT when one is needed, and prints one JSON object. Kept apart from the build so that a file
that hangs or crashes a PDF library only takes this process down.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

_HEADER_WINDOW = 1024


def inspect(source: Path, repaired: Path) -> dict:
    """Return {'ok': True, 'pages', 'path', 'warnings'} or {'ok': False, 'problem'}."""
    data = source.read_bytes()
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        start = data[:_HEADER_WINDOW].strip().split(maxsplit=1)
        shown = start[0][:20].decode("latin-1") if start else ""
        return {"ok": False, "problem": f"is not a PDF (it starts with '{shown}')" if shown
                else "is not a PDF (the file is empty)"}
    if b"%%EOF" not in data:
        return {"ok": False, "problem": "is truncated: it has no end-of-file marker (%%EOF), so part "
                "of it is missing (an interrupted download?); download it again"}
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught, _pypdf_log() as logged:
        warnings.simplefilter("always")
        verdict = _open_with_pypdf(source)
        if verdict.get("password"):
            return {"ok": False, "problem": "requires a password to open: ask for a copy without "
                    "a password, or remove it (e.g. qpdf --decrypt)"}
        damage = _damage(data, logged)
        if verdict["ok"] and damage:
            verdict = {"ok": False, "problem": damage}
        if verdict.get("encrypted") or not verdict["ok"]:
            repair = _rewrite_with_qpdf(source, repaired)
            if not repair["ok"]:
                reason = verdict.get("problem") or repair["problem"]
                return {"ok": False, "problem": f"is damaged beyond repair ({reason})"}
            if not verdict.get("encrypted"):
                notes.append(f"was damaged ({verdict['problem']}) and has been repaired")
            verdict = _open_with_pypdf(repaired)
            if not verdict["ok"]:
                return {"ok": False, "problem": f"is damaged beyond repair ({verdict['problem']})"}
            verdict["path"] = str(repaired)
    notes += [str(w.message) for w in caught]
    return {"ok": True, "pages": verdict["pages"], "path": verdict.get("path", str(source)),
            "warnings": notes}


def _damage(data: bytes, logged: list[str]) -> str | None:
    """Return a description of damage pypdf read past, or None."""
    if data[data.rfind(b"%%EOF") + 5:].strip():
        return "it has unexpected data after its end-of-file marker"
    return logged[0] if logged else None


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _pypdf_log():
    """Collect what pypdf logs while reading: its warnings are its damage reports."""
    handler = _Collect()
    logging.getLogger("pypdf").addHandler(handler)
    try:
        yield handler.messages
    finally:
        logging.getLogger("pypdf").removeHandler(handler)


def _open_with_pypdf(path: Path) -> dict:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            if not reader.decrypt(""):
                return {"ok": False, "password": True}
            return {"ok": False, "encrypted": True}
        pages = len(reader.pages)
        if pages == 0:
            return {"ok": False, "problem": "it has no pages"}
        # Reading every page's box makes a broken page tree fail here, not in the bundle.
        if any(page.mediabox.width <= 0 for page in reader.pages):
            return {"ok": False, "problem": "a page has no size"}
        return {"ok": True, "pages": pages}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        return {"ok": False, "problem": f"{type(exc).__name__}: {exc}"}


def _rewrite_with_qpdf(source: Path, target: Path) -> dict:
    import pikepdf

    try:
        with pikepdf.open(source, password="") as pdf:
            if len(pdf.pages) == 0:
                return {"ok": False, "problem": "it has no pages"}
            if any(float(page.mediabox[2]) <= float(page.mediabox[0]) for page in pdf.pages):
                return {"ok": False, "problem": "a page has no size"}
            pdf.save(target, encryption=False, deterministic_id=True)
        return {"ok": True}
    except pikepdf.PasswordError:
        return {"ok": False, "problem": "it requires a password"}
    except (pikepdf.PdfError, ValueError, KeyError, OSError) as exc:
        return {"ok": False, "problem": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    print(json.dumps(inspect(Path(sys.argv[1]), Path(sys.argv[2]))))
