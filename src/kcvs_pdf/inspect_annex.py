"""Turn one annex file into a verdict (usable, repaired or refused), run in a child process.

Run as `python -m kcvs_pdf.inspect_annex IN OUT`: reads IN with pikepdf (qpdf), the library that
bundles it, writes a decrypted and repaired copy to OUT and prints one JSON object. Kept apart
from the build so that a file that hangs or crashes qpdf only takes this process down.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pikepdf

_HEADER_WINDOW = 1024


def inspect(source: Path, normalized: Path) -> dict:
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
    try:
        with pikepdf.open(source, password="") as pdf:
            if len(pdf.pages) == 0:
                return {"ok": False, "problem": "is damaged beyond repair (it has no pages)"}
            if any(float(page.mediabox[2]) <= float(page.mediabox[0]) for page in pdf.pages):
                return {"ok": False, "problem": "is damaged beyond repair (a page has no size)"}
            # Saving reads every object, as the bundle will: damage shows up here, not there.
            pdf.save(normalized, encryption=False, deterministic_id=True)
            pages, repairs = len(pdf.pages), pdf.get_warnings()
    except pikepdf.PasswordError:
        return {"ok": False, "problem": "requires a password to open: ask for a copy without "
                "a password, or remove it (e.g. qpdf --decrypt)"}
    except (pikepdf.PdfError, ValueError, KeyError, OSError) as exc:
        return {"ok": False, "problem": f"is damaged beyond repair ({_without_path(exc, source)})"}
    # qpdf's first warning is often just "file is damaged"; the next one says how.
    detail = next((w for w in repairs if not w.endswith("file is damaged")), repairs[0]) if repairs else ""
    notes = [f"was damaged ({_without_path(detail, source)}) and has been repaired"] if repairs else []
    return {"ok": True, "pages": pages, "path": str(normalized), "warnings": notes}


def _without_path(message: object, source: Path) -> str:
    """Return qpdf's message without the file path it starts with."""
    return str(message).replace(f"{source}: ", "")


if __name__ == "__main__":
    print(json.dumps(inspect(Path(sys.argv[1]), Path(sys.argv[2]))))
