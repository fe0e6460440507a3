"""Shared fixtures: small projects built in tmp_path and one build of the real 2023 report."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from kcvs_pdf.cli import main

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "annex-corpus"
FIXTURE_ANNEXES = Path(__file__).resolve().parent / "annexes"
ROOTS = Path(__file__).resolve().parent / "roots"

REPORT_YAML = """\
title: "Testverslag 2023"
year: 2023
organisation: "Kenniscentrum Vlaamse Steden"
language: "nl-BE"
published: 2024-06-01
subject: "Een klein testverslag"
keywords: ["test"]
website: "https://www.example.org"
chapters:
  - title: "Eerste hoofdstuk"
    sections: ["alfa", "beta"]
labels:
  contents: "Inhoud"
  chapter: "Hoofdstuk"
  annexes: "Bijlagen"
status: "approved"
approved_by: "Beheerscomité"
approved_on: 2024-03-26
colophon:
  - label: "Uitgave"
    value: "Kenniscentrum Vlaamse Steden"
"""

ALFA = """\
---
title: "Alfa werkgroep"
links:
  - label: "JE VINDT HIER MEER INFORMATIE"
    url: "https://www.example.org/docs/alfa%20bijlage.pdf"
---

De werkgroep alfa vergaderde in 2023 zes keer over stadsmonitoring.
"""

BETA = """\
---
title: "Beta project"
links:
  - label: "MEER OVER BETA"
    url: "https://www.example.org/beta.aspx"
---

Het project beta werkte aan gegevensdeling tussen centrumsteden.
"""


def make_project(root: Path, files: dict[str, str | bytes | None] | None = None,
                 annexes: dict[str, Path] | None = None) -> Path:
    """Write a small valid project under root; `files` override or add files (None deletes)."""
    shutil.copytree(REPO / "layouts", root / "layouts", dirs_exist_ok=True)
    contents = {"sources/report.yaml": REPORT_YAML, "sources/sections/01-alfa.md": ALFA,
                "sources/sections/02-beta.md": BETA, **(files or {})}
    for relative, text in contents.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            path.unlink(missing_ok=True)
        elif isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
    for name, source in (annexes or {}).items():
        (root / "sources" / "annexes").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / "sources" / "annexes" / name)
    return root


def run_cli(project: Path, *args: str):
    """Run kcvs-pdf with project as working directory; return click's Result."""
    previous = os.getcwd()
    os.chdir(project)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)


LAST_GOOD = b"%PDF-1.7 last good build"


def build_over_last_good(project: Path, *args: str):
    """Plant a 'last good' PDF, build; return the result and whether build/ holds it unchanged."""
    target = project / "build" / "testverslag-2023.pdf"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(LAST_GOOD)
    result = run_cli(project, "build", *args)
    # build/.cache keeps inspected annexes between builds, whatever the build's outcome.
    left = [p.name for p in target.parent.iterdir() if p.name != ".cache"]
    untouched = target.read_bytes() == LAST_GOOD and left == [target.name]
    return result, untouched


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def annex_project(root: Path, annex_files: list[Path], titles: dict[int, str] | None = None) -> Path:
    """Write a project whose section k links to `bijlage k.pdf`, a copy of annex_files[k-1]."""
    files: dict[str, str | None] = {"sources/sections/01-alfa.md": None, "sources/sections/02-beta.md": None}
    slugs = []
    for number, _ in enumerate(annex_files, start=1):
        title = f'\n    title: "{titles[number]}"' if titles and number in titles else ""
        files[f"sources/sections/{number:02d}-sectie-{number}.md"] = (
            f'---\ntitle: "Sectie {number}"\nlinks:\n  - label: "DE BIJLAGE {number}"\n'
            f'    url: "https://www.example.org/docs/bijlage%20{number}.pdf"{title}\n---\n\n'
            f"Tekst van sectie {number} over de werking van de centrumsteden.\n")
        slugs.append(f'"sectie-{number}"')
    files["sources/report.yaml"] = REPORT_YAML.replace('["alfa", "beta"]', f"[{', '.join(slugs)}]")
    annexes = {f"bijlage {number}.pdf": path for number, path in enumerate(annex_files, start=1)}
    return make_project(root, files, annexes)


def inherited_rotation_pdf(path: Path) -> Path:
    """Write a 2-page PDF whose /Rotate 90 is set on the page tree, not on the pages."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(300, 400))
    pdf.add_blank_page(page_size=(300, 400))
    pdf.Root.Pages.Rotate = 90
    pdf.save(path)
    return path


# A report to review: four sections of several paragraphs over two chapters, so that tests can
# edit, move and add sections and place comments on known paragraphs.
REVIEW_SECTIONS = {
    "sources/sections/01-alfa.md": """\
        ---
        title: "Alfa werkgroep"
        links:
          - label: "JE VINDT HIER MEER INFORMATIE"
            url: "https://www.example.org/docs/alfa%20bijlage.pdf"
        ---

        De werkgroep alfa vergaderde in 2023 zes keer over stadsmonitoring. De steden wisselden
        ervaringen uit over het meten van leefbaarheid en over de buurtmonitor.

        In het voorjaar schreef de werkgroep een effectief en effectief draaiboek voor de
        gemeenteraadsverkiezingen: welke gegevens nodig zijn, wie ze aanlevert en wie ze controleert.

        Tot slot bezocht de werkgroep het datalab van Gent, waar een nieuwe aanpak voor open data
        werd voorgesteld aan alle centrumsteden.
        """,
    "sources/sections/02-beta.md": """\
        ---
        title: "Beta project"
        ---

        Het project beta werkte aan gegevensdeling tussen centrumsteden. Vijf steden tekenden een
        samenwerkingsovereenkomst en brachten hun parkeerdata samen in een gedeeld register.

        Het register wordt in 2024 uitgebreid met laadpalen voor elektrische wagens en met de
        bezettingsgraad van fietsenstallingen rond de stations.
        """,
    "sources/sections/03-gamma.md": """\
        ---
        title: "Gamma netwerk"
        ---

        Het netwerk gamma brengt de klimaatambtenaren van de dertien centrumsteden samen. In 2023
        stond de renovatie van het eigen patrimonium centraal.

        Een gezamenlijke aankoop van zonnepanelen leverde de deelnemende steden een gemiddelde
        besparing van twaalf procent op.
        """,
    "sources/sections/04-delta.md": """\
        ---
        title: "Delta overleg"
        ---

        Het overleg delta volgde de hervorming van het Gemeentefonds op de voet en bezorgde de
        minister een gezamenlijk standpunt van de steden.
        """,
}
REVIEW_CHAPTERS = """\
chapters:
  - title: "Eerste hoofdstuk"
    sections: ["alfa", "beta"]
  - title: "Tweede hoofdstuk"
    sections: ["gamma", "delta"]
"""


def review_project(root: Path, files: dict[str, str | bytes | None] | None = None,
                   annexes: dict[str, Path] | None = None) -> Path:
    """Write the four-section review project under root; `files` override or add files."""
    report = REPORT_YAML.replace('chapters:\n  - title: "Eerste hoofdstuk"\n    sections: ["alfa", "beta"]\n',
                                 REVIEW_CHAPTERS)
    return make_project(root, {"sources/report.yaml": report, **REVIEW_SECTIONS, **(files or {})}, annexes)


@pytest.fixture(scope="session")
def review_build(tmp_path_factory) -> Path:
    """Build the review project, with an annex that has its own annotations, once.

    Returns the project folder; tests that change it work on a copy (`copy_project`).
    """
    root = review_project(tmp_path_factory.mktemp("review") / "project",
                          annexes={"alfa bijlage.pdf": FIXTURE_ANNEXES / "annotations-text-highlight-ink.pdf"})
    result = run_cli(root, "build")
    assert result.exit_code == 0, result.output
    return root


def copy_project(project: Path, target: Path) -> Path:
    """Copy a project folder, its build included, so that a test can change it."""
    shutil.copytree(project, target)
    return target


@pytest.fixture
def children(monkeypatch):
    """Count the inspections started in a child process."""
    started = []
    from kcvs_pdf.annexes import inspection
    run = inspection.run_all_bounded

    def spy(works, *args, **kwargs):
        started.extend(works)
        return run(works, *args, **kwargs)

    monkeypatch.setattr(inspection, "run_all_bounded", spy)
    return started


def as_in_a_terminal() -> None:
    """Give a child process Ctrl-C as a terminal would: a background shell may have it ignored."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
