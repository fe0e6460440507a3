"""Debian's Chromium driven by Playwright, for the tests of what people see in a browser.

No browser is downloaded (it cannot be here): Playwright drives /usr/bin/chromium, with the flags
that keep it off the network; tests skip with the reason when either is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    expect = sync_playwright = None
needs_chromium = pytest.mark.skipif(sync_playwright is None or not CHROMIUM.is_file(),
                                    reason="needs the playwright package and Chromium at /usr/bin/chromium")
