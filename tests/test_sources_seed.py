"""The shipped sources hold the 2023 report text as written in the seed extract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.sources import load_report

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seed" / "jaarverslag-2023.txt"


def words(text: str) -> list[str]:
    return re.findall(r"[\w’'()./:%\-–]+", text.replace("\u00a0", " "))


@pytest.mark.skipif(not SEED.is_file(), reason="the seed extract is in ../shared/ only")
def test_every_word_of_the_seed_is_in_the_sources_in_order():
    report = load_report(REPO / "sources", Diagnostics())
    seed = SEED.read_text(encoding="utf-8")
    body_words = [w for s in report.sections for w in words(s.body_text)]
    # Rejoin words split at line ends by the extraction before comparing.
    seed_text = re.sub(r"(\w-\)?)[ \t]*\n\s*(\S)", r"\1\2", seed)
    seed_words = set(words(seed_text))
    missing = [w for w in body_words if w not in seed_words]
    assert missing == []
    for section in report.sections:
        for paragraph in section.body_text.split("\n\n"):
            first = " ".join(paragraph.split()[:6])
            assert re.search(r"\s+".join(map(re.escape, first.split())), seed_text), first
    assert len(report.sections) == 28
    urls = set(re.findall(r"^https?://\S+$", seed, re.MULTILINE))
    assert {link.url for s in report.sections for link in s.links} == urls
