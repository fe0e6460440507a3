"""Check that sources/ still holds the 2023 report as published: `make seed-check`.

Compares the section texts with the text extract of the published report in
../shared/seed/jaarverslag-2023.txt: every body word appears in the extract, every paragraph
starts as in the extract, and the links are the extract's URLs. This pins one year's words, so it
is not part of `make test` (editors fix typos); run it when the 2023 text must match the original.
Exit 0 when it matches, 1 with a list of differences.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.sources.load import load_report

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seed" / "jaarverslag-2023.txt"


def words(text: str) -> list[str]:
    return re.findall(r"[\w’'()./:%\-–]+", text.replace("\u00a0", " "))


def differences(sources: Path, seed: Path) -> list[str]:
    """Return how the sources differ from the seed extract, one line per difference."""
    report = load_report(sources, Diagnostics())
    if report is None:
        return ["the sources do not load: run `kcvs-pdf check`"]
    seed_text = seed.read_text(encoding="utf-8")
    # Rejoin words split at line ends by the extraction before comparing.
    joined = re.sub(r"(\w-\)?)[ \t]*\n\s*(\S)", r"\1\2", seed_text)
    seed_words = set(words(joined))
    found = []
    for section in report.sections:
        for paragraph in section.paragraphs:
            missing = [word for word in words(paragraph.text) if word not in seed_words]
            if missing:
                found.append(f"{section.path.name}:{paragraph.line}: words not in the seed: {missing}")
            first = paragraph.text.split()[:6]
            if not re.search(r"\s+".join(map(re.escape, first)), joined):
                found.append(f"{section.path.name}:{paragraph.line}: paragraph start not in the seed: "
                             f"{' '.join(first)}")
    urls = set(re.findall(r"^https?://\S+$", seed_text, re.MULTILINE))
    linked = {link.url for s in report.sections for link in s.links}
    found += [f"URL in the seed, linked by no section: {url}" for url in sorted(urls - linked)]
    found += [f"URL linked by a section, not in the seed: {url}" for url in sorted(linked - urls)]
    return found


if __name__ == "__main__":
    if not SEED.is_file():
        sys.exit(f"the seed extract {SEED} is not here (it lives beside the repository in shared/)")
    problems = differences(REPO / "sources", SEED)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} difference(s) from {SEED.name}")
    sys.exit(1 if problems else 0)
