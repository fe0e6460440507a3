"""Turn the repository's report into temporary benchmark projects: with annexes, scaled, edited."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "annex-corpus"
REPORT_FILE = "report.yaml"
# Twenty corpus files the build accepts, in the order the report first links its annexes: each
# one once, except broken-xref-repairable.pdf (the password-protected, truncated, corrupt and
# not-a-PDF files the build refuses), then four again, the 117-page one among them so that its
# named destinations collide. 340 pages in all.
BENCH_ANNEXES = (
    "large-117-pages-internal-and-uri-links.pdf", "plain-a4-4-pages.pdf",
    "us-letter-11-pages-with-page-labels.pdf", "landscape-and-portrait-pages-with-boxes.pdf",
    "rotated-0-90-180-270-pages.pdf", "mixed-page-sizes-with-images.pdf", "own-outline-bookmarks.pdf",
    "acroform-fields.pdf", "encrypted-empty-user-password.pdf", "incremental-update-filled-form.pdf",
    "pdfa-1b-us-letter.pdf", "tagged-pdf-ua-1.pdf", "scanned-image-only-raster.pdf",
    "scan-with-junk-after-eof.pdf", "annotations-text-highlight-ink.pdf", "embedded-file-attachment.pdf",
    "large-117-pages-internal-and-uri-links.pdf", "plain-a4-4-pages.pdf",
    "us-letter-11-pages-with-page-labels.pdf", "mixed-page-sizes-with-images.pdf",
)
EDITED_MARK = "Meting"
"""First word of the paragraph an edit adds, so every edit changes the printed text."""


def copy_project(destination: Path) -> Path:
    """Copy the report's sources (without annex PDFs) and layouts into destination; return it."""
    shutil.copytree(REPO / "sources", destination / "sources",
                    ignore=shutil.ignore_patterns("*.pdf", "annexes.lock"))
    shutil.copytree(REPO / "layouts", destination / "layouts")
    return destination


def annex_names(project: Path) -> tuple[str, ...]:
    """Return the annex file names the report links to, in the order they are first linked."""
    from kcvs_pdf.errors import Diagnostics
    from kcvs_pdf.sources.load import load_report

    report = load_report(project / "sources", Diagnostics())
    names = (link.annex_file for section in report.sections for link in section.links if link.annex_file)
    return tuple(dict.fromkeys(names))


def install_annexes(project: Path) -> tuple[Path, ...]:
    """Put a corpus file under each linked annex name; return the annex paths in bundle order."""
    if not CORPUS.is_dir():
        raise FileNotFoundError(f"the annex corpus is not at {CORPUS}: the benchmarks need it beside the repository")
    names = annex_names(project)
    if len(names) != len(BENCH_ANNEXES):
        raise ValueError(f"the report links {len(names)} annexes; the benchmark has {len(BENCH_ANNEXES)}")
    folder = project / "sources" / "annexes"
    folder.mkdir(parents=True, exist_ok=True)
    paths = tuple(folder / name for name in names)
    for path, corpus_file in zip(paths, BENCH_ANNEXES, strict=True):
        shutil.copyfile(CORPUS / corpus_file, path)
    return paths


def copy_slug(slug: str, copy: int) -> str:
    """Return the slug of the copy-th copy of a section (copy 1 is the section itself)."""
    return slug if copy == 1 else f"{slug}-copy-{copy}"


def scaled_chapters(chapters: list[dict], factor: int) -> list[dict]:
    """Return report.yaml's chapters with each chapter's sections listed factor times."""
    return [{**chapter, "sections": [copy_slug(slug, copy) for copy in range(1, factor + 1)
                                     for slug in chapter["sections"]]}
            for chapter in chapters]


def scale_project(project: Path, factor: int) -> None:
    """Repeat every section factor times in project's sources.

    Files lose their number prefixes, so that no file's number disagrees with its new place.
    """
    sources = project / "sources"
    report = yaml.safe_load((sources / REPORT_FILE).read_text(encoding="utf-8"))
    report["chapters"] = scaled_chapters(report["chapters"], factor)
    (sources / REPORT_FILE).write_text(yaml.safe_dump(report, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    sections = sources / "sections"
    for path in sorted(sections.glob("*.md")):
        slug = section_slug(path.name)
        text = path.read_text(encoding="utf-8")
        path.unlink()
        for copy in range(1, factor + 1):
            (sections / f"{copy_slug(slug, copy)}.md").write_text(text, encoding="utf-8")


def section_slug(file_name: str) -> str:
    """Return the slug of a section file named `NN-slug.md` or `slug.md`."""
    number, _, rest = file_name.removesuffix(".md").partition("-")
    return rest if number.isdigit() and rest else file_name.removesuffix(".md")


def edited_section(project: Path) -> Path:
    """Return the section file the benchmarks edit: the first in name order."""
    return sorted((project / "sources" / "sections").glob("*.md"))[0]


class SectionEditor:
    """Change one section's printed text, differently each time, as an author saving an edit."""

    def __init__(self, project: Path) -> None:
        self.path = edited_section(project)
        self.original = self.path.read_text(encoding="utf-8")
        self.edits = 0

    def edit(self) -> None:
        """Write the original text plus a paragraph that numbers this edit."""
        self.edits += 1
        self.path.write_text(f"{self.original.rstrip()}\n\n{EDITED_MARK} {self.edits}.\n", encoding="utf-8")
