"""Validate PDFs with veraPDF, the reference PDF/UA and WCAG validator in ../shared/tools/verapdf/."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from conftest import REPO

VERAPDF = REPO.parent / "shared" / "tools" / "verapdf" / "verapdf"


def failed_rules(*pdfs: Path, flavour: str = "ua1") -> list[dict[str, int]]:
    """Return veraPDF's failed rules of each pdf (PDF/UA-1 or, with flavour "wcag", WCAG 2.2), with
    their failed checks.

    veraPDF takes seconds a file: the files are validated side by side, the same bytes once.
    """
    if not VERAPDF.is_file() or shutil.which("java") is None:
        pytest.skip("veraPDF (../shared/tools/verapdf) or java is not available")
    digests = [hashlib.sha256(pdf.read_bytes()).hexdigest() for pdf in pdfs]
    unique = dict(zip(digests, pdfs, strict=True))
    runs = [subprocess.Popen([str(VERAPDF), str(pdf), flavour], stdout=subprocess.DEVNULL,
                             env={**os.environ, "VERAPDF_REPORT": str(_report(pdf, flavour))})
            for pdf in unique.values()]
    for run in runs:
        run.wait(timeout=300)
    found = []
    for digest in digests:
        rules = ElementTree.parse(_report(unique[digest], flavour)).getroot().iter("rule")
        found.append({f"{rule.get('clause')}-{rule.get('testNumber')}": int(rule.get("failedChecks"))
                      for rule in rules if rule.get("status") == "failed"})
    return found


def _report(pdf: Path, flavour: str) -> Path:
    return pdf.with_suffix(f".verapdf-{flavour}.xml")
