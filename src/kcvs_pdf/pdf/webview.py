"""Turn a PDF into a linearised one ("fast web view"): a browser shows page 1 before the rest arrives."""

from __future__ import annotations

import io
import sys

import pikepdf

from ..errors import OutputError


def save_linearised(document: pikepdf.Pdf) -> bytes:
    """Return document's bytes linearised, once qpdf's own check finds the result sound."""
    output = io.BytesIO()
    # Without object streams: with them, qpdf 12 writes outline hint tables that its own check
    # finds wrong (their offsets point into the object streams). The file grows by about a
    # quarter, the price of hint tables a viewer can trust.
    document.save(output, linearize=True, deterministic_id=True,
                  object_stream_mode=pikepdf.ObjectStreamMode.disable)
    _check(output.getvalue())
    return output.getvalue()


def _check(pdf: bytes) -> None:
    problems, saved = io.StringIO(), sys.stderr
    try:
        with pikepdf.open(io.BytesIO(pdf)) as written:
            sound = written.check_linearization(problems)
            found = [*problems.getvalue().splitlines(), *written.get_warnings()]
    finally:
        # pikepdf 10.18 leaves sys.stderr pointing at the stream it was given: later messages vanish.
        sys.stderr = saved
    if not sound:
        raise OutputError(f"linearising the web edition went wrong: {'; '.join(found) or 'qpdf gives no reason'}")
