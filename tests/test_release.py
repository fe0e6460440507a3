"""`kcvs-pdf publish`: the folder to upload, read back file by file, served, and followed link by link."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pikepdf
import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, sync_playwright
from conftest import FIXTURE_ANNEXES, REPORT_YAML, make_project, run_cli
from pdfcheck import links, page_labels
from pypdf import PdfReader
from samples import pdfua_pdf, photo, served

from kcvs_pdf.pdf.placement import find_placements
from kcvs_pdf.sources.revision import draft_stamp

ALFA_ANNEX = "document te koppelen aan Werkgroep Alfa 2023.pdf"
ALFA_URL = ("https://www.example.org/Gedeelde%20%20documenten/2023/jaarverslag%202023/"
            "document%20te%20koppelen%20aan%20Werkgroep%20Alfa%202023.pdf")
ALFA_PATH = f"Gedeelde  documenten/2023/jaarverslag 2023/{ALFA_ANNEX}"
BETA_URL = "https://example.org/docs/beta%20eindrapport.pdf"
SECTIONS = {
    "sources/sections/01-alfa.md": f"""\
        ---
        title: "Alfa werkgroep"
        links:
          - label: "JE VINDT HIER EEN OVERZICHT VAN DE ACTIVITEITEN"
            url: "{ALFA_URL}"
        ---

        De werkgroep alfa vergaderde in 2023 zes keer, zie ook [de stadsmonitor](https://stadsmonitor.example.net/).

        ![Foto van de jaarvergadering](foto.jpg)
        """,
    "sources/sections/02-beta.md": f"""\
        ---
        title: "Beta project"
        links:
          - label: "HET EINDRAPPORT VAN BETA"
            url: "{BETA_URL}"
            title: "Eindrapport van het project beta"
        ---

        Het project beta werkte aan gegevensdeling tussen centrumsteden.
        """,
}
WEB_BUDGET = 1_000_000
EXPECTED_TREE = sorted([
    ALFA_PATH, "docs/beta eindrapport.pdf", "SHA256SUMS", "manifest.json",
    "testverslag-2023/index.html", "testverslag-2023/testverslag-2023.pdf",
    "testverslag-2023/testverslag-2023-web.pdf", "testverslag-2023/testverslag-2023.png",
])
needs_sha256sum = pytest.mark.skipif(shutil.which("sha256sum") is None, reason="sha256sum is not installed")


def _qpdf_major() -> int:
    try:
        shown = subprocess.run(["qpdf", "--version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return 0
    found = re.search(r"qpdf version (\d+)\.", shown)
    return int(found[1]) if found else 0


QPDF_MAJOR = _qpdf_major()


@dataclass(frozen=True)
class Published:
    project: Path
    folder: Path
    output: str

    def pdf(self, name: str) -> Path:
        return self.folder / "testverslag-2023" / name

    @property
    def manifest(self) -> dict:
        return json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))


def publish_project(root: Path, files: dict | None = None) -> Path:
    """Write the fixture report: two annexes on the website, one of them claiming PDF/UA, and a photo."""
    project = make_project(root, {
        "sources/report.yaml": REPORT_YAML.replace('website: "https://www.example.org"\n',
                                                   'website: "https://www.example.org"\nbudget: {web: "1 MB"}\n'),
        **SECTIONS, **(files or {})},
        {ALFA_ANNEX: FIXTURE_ANNEXES / "plain-a4-4-pages.pdf"})
    pdfua_pdf(project / "sources" / "annexes" / "beta eindrapport.pdf", pages=3)
    photo(project / "sources" / "sections" / "foto.jpg")
    return project


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Published:
    project = publish_project(tmp_path_factory.mktemp("publish") / "project")
    result = run_cli(project, "publish")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and "error" not in result.output, result.output
    return Published(project, project / "build" / "publish", result.output)


def tree(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def test_publish_writes_exactly_the_tree_to_upload(published):
    assert tree(published.folder) == EXPECTED_TREE
    assert re.search(r"^Wrote build/publish/: 6 files \(\+ SHA256SUMS, manifest\.json\), [\d.]+ MB, [\d.]+ s$", published.output, re.MULTILINE)
    assert not list((published.project / "build").glob(".publish*")), "no temporary folder is left"


def test_the_web_edition_is_linearised(published):
    web = published.pdf("testverslag-2023-web.pdf")
    data = web.read_bytes()
    # Linearised: the first object is the linearisation dictionary, giving the file's length and
    # page count, so a browser can show page 1 before the rest has arrived.
    first = re.match(rb"%PDF-1\.\d[^\n]*\n(?:%[^\n]*\n)?\d+ 0 obj\s*<<(.*?)>>", data, re.DOTALL)
    assert first and b"/Linearized 1" in first[1]
    assert int(re.search(rb"/L (\d+)", first[1])[1]) == len(data)
    assert int(re.search(rb"/N (\d+)", first[1])[1]) == 6
    problems, saved = io.StringIO(), sys.stderr
    try:
        with pikepdf.open(web) as pdf:
            assert pdf.check_linearization(problems), problems.getvalue()
    finally:
        sys.stderr = saved  # pikepdf 10.18 leaves sys.stderr pointing at the stream it was given


@pytest.mark.skipif(QPDF_MAJOR < 12, reason="qpdf before 12 checks hint tables as its own linearisation wrote them, "
                    "which qpdf 12 (pikepdf's) changed; each version flags the other's files")
def test_qpdf_checks_the_web_editions_linearisation(published):
    checked = subprocess.run(["qpdf", "--check-linearization", str(published.pdf("testverslag-2023-web.pdf"))],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no linearization errors" in checked.stdout


def test_the_web_edition_is_the_report_alone_and_the_full_one_bundles_every_annex(published):
    web, full = (PdfReader(published.pdf(name)) for name in ("testverslag-2023-web.pdf", "testverslag-2023.pdf"))
    assert not any(label.startswith("B") for label in page_labels(web))
    labels = page_labels(full)
    assert [label for label in labels if label.startswith("B1-")] == [f"B1-{n}" for n in range(1, 5)]
    assert [label for label in labels if label.startswith("B2-")] == [f"B2-{n}" for n in range(1, 4)]


def test_annexes_are_copied_untouched_to_their_paths_on_the_website(published):
    annexes = published.project / "sources" / "annexes"
    assert (published.folder / ALFA_PATH).read_bytes() == (annexes / ALFA_ANNEX).read_bytes()
    assert (published.folder / "docs" / "beta eindrapport.pdf").read_bytes() == \
        (annexes / "beta eindrapport.pdf").read_bytes()


@needs_sha256sum
def test_sha256sum_checks_every_file_in_the_folder(published):
    checked = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=published.folder,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert sorted(line.removesuffix(": OK") for line in checked.stdout.splitlines()) == \
        [path for path in EXPECTED_TREE if path != "SHA256SUMS"]


def test_the_manifest_describes_every_file_the_sources_and_the_tools(published):
    manifest = published.manifest
    assert manifest["revision"] == draft_stamp(published.project, (published.project / "sources",
                                                                   published.project / "layouts" / "default")).revision
    assert manifest["tools"] == {name: version(name) for name in
                                 ("kcvs-pdf", "weasyprint", "pikepdf", "pillow", "pypdfium2")}
    assert [entry["path"] for entry in manifest["files"]] == \
        [path for path in EXPECTED_TREE if path not in ("SHA256SUMS", "manifest.json")]
    for entry in manifest["files"]:
        path = published.folder / entry["path"]
        assert entry["bytes"] == path.stat().st_size
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        if path.suffix == ".pdf":
            with pikepdf.open(path) as pdf:
                assert entry["pages"] == len(pdf.pages)
        else:
            assert entry["pages"] is None
    kinds = {entry["path"]: (entry["kind"], entry.get("number"), entry.get("pdfua")) for entry in manifest["files"]}
    assert kinds[ALFA_PATH] == ("annex", 1, None)
    assert kinds["docs/beta eindrapport.pdf"] == ("annex", 2, "1")


def test_publishing_again_gives_the_same_bytes_and_replaces_the_folder(published):
    before = (published.folder / "SHA256SUMS").read_text()
    stray = published.folder / "left over from last year.pdf"
    stray.write_bytes(b"%PDF-1.7")
    result = run_cli(published.project, "publish")
    assert result.exit_code == 0, result.output
    assert (published.folder / "SHA256SUMS").read_text() == before
    assert not stray.exists()


def test_the_web_edition_stays_within_its_budget_with_a_3000_by_2000_photo(published):
    assert (published.project / "sources" / "sections" / "foto.jpg").stat().st_size > WEB_BUDGET
    web = published.pdf("testverslag-2023-web.pdf")
    assert web.stat().st_size <= WEB_BUDGET
    with pikepdf.open(web) as pdf:
        (placement,) = find_placements(pdf)
    assert placement.pixels[0] < 3000 and 300 <= placement.dpi < 301
    assert re.search(r"^testverslag-2023-web\.pdf: 6 pages, 0\.\d MB \(budget 1\.0 MB\), claims PDF/UA-1$",
                     published.output, re.MULTILINE)


def test_publish_says_which_edition_claims_pdf_ua_1_and_why_the_full_one_does_not(published):
    lines = published.output.splitlines()
    # Both annexes are untagged (the second only claims PDF/UA in its metadata): 4 + 3 pages.
    assert "testverslag-2023.pdf: 7 of 7 annex pages carry no tags: marked as not accessible, so the PDF " \
        "does not claim PDF/UA-1" in lines
    summaries = [line for line in lines if re.match(r"testverslag-2023(-web)?\.pdf: \d+ pages", line)]
    assert [line.endswith(", claims PDF/UA-1") for line in summaries] == [False, True]


def landing_document(published: Published):
    html = published.pdf("index.html").read_text(encoding="utf-8")
    # strict: any parse error in the HTML5 sense raises.
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)


def text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_the_landing_page_is_valid_html5_in_dutch_and_loads_nothing_from_elsewhere(published):
    document = landing_document(published)
    assert document.get("lang") == "nl-BE"
    assert document.find(".//meta[@name='viewport']") is not None
    assert text(document.find(".//h1")) == "Testverslag 2023"
    assert text(document.find(".//p[@class='subject']")) == "Een klein testverslag"
    images = document.findall(".//img")
    assert [image.get("alt") for image in images] == ["Voorpagina van Testverslag 2023"]
    assert not document.findall(".//link") and not document.findall(".//script")
    addresses = [element.get(name) for element in document.iter() for name in ("href", "src") if element.get(name)]
    assert addresses and not [address for address in addresses if urlsplit(address).scheme or address.startswith("/")]


def dutch_size(size: int) -> str:
    return f"{round(size / 1000)} kB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB".replace(".", ",")


def test_the_landing_page_lists_each_pdf_with_its_size_pages_and_accessibility(published):
    files = {entry["kind"] if entry["kind"] != "annex" else entry["number"]: entry
             for entry in published.manifest["files"]}
    items = [text(item) for item in landing_document(published).findall(".//li")]
    assert items == [
        f"Jaarverslag PDF, {dutch_size(files['web']['bytes'])}, 6 pagina's Het verslag zonder bijlagen: licht, "
        "snel geopend in de browser. De bijlagen staan hieronder apart. toegankelijke pdf (PDF/UA-1)",
        f"Jaarverslag met alle bijlagen PDF, {dutch_size(files['full']['bytes'])}, {files['full']['pages']} "
        "pagina's Het verslag met elke bijlage erachter, in één bestand om te bewaren of af te drukken. "
        "niet als toegankelijk gemarkeerd",
        f"Bijlage 1 Alfa werkgroep PDF, {dutch_size(files[1]['bytes'])}, 4 pagina's niet als toegankelijk gemarkeerd",
        f"Bijlage 2 Eindrapport van het project beta PDF, {dutch_size(files[2]['bytes'])}, 3 pagina's "
        "toegankelijke pdf (PDF/UA-1)",
    ]


def test_the_cover_picture_is_page_one_of_the_web_edition(published):
    from PIL import Image

    with Image.open(published.pdf("testverslag-2023.png")) as cover:
        assert cover.size == (640, 906)
        # The cover page is the brand's petrol, edge to edge.
        assert cover.convert("RGB").getpixel((5, 5)) == (11, 85, 99)


def test_uploading_the_folder_leaves_no_dead_link_in_the_web_edition(published):
    """Serve the folder as the website's root and follow every link of the web edition to that site."""
    reader = PdfReader(published.pdf("testverslag-2023-web.pdf"))
    uris = {link.uri for link in links(reader) if link.uri}
    on_site = sorted(uri for uri in uris if (urlsplit(uri).hostname or "").removeprefix("www.") == "example.org")
    assert on_site == sorted([ALFA_URL, BETA_URL])
    assert "https://stadsmonitor.example.net/" in uris, "links elsewhere stay as written"
    with served(published.folder) as (base, requests):
        for uri in on_site:
            with urllib.request.urlopen(base + urlsplit(uri).path) as response:
                assert response.status == 200
                local = published.folder / unquote(urlsplit(uri).path).lstrip("/")
                assert response.read() == local.read_bytes()
        assert len(requests) == len(on_site)




@needs_chromium
@pytest.mark.parametrize("width, height", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_the_landing_page_in_chromium_fetches_only_from_the_folder_and_every_link_resolves(
        published, tmp_path, width, height):
    shots = Path(os.environ.get("KCVS_SCREENSHOTS", tmp_path))
    with served(published.folder) as (base, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            response = page.goto(f"{base}/testverslag-2023/index.html", wait_until="load")
            assert response is not None and response.status == 200
            page.screenshot(path=str(shots / f"landing-{width}.png"), full_page=True)
            assert requested and all(urlsplit(url).hostname == "127.0.0.1" for url in requested), requested
            assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"
            assert page.evaluate("document.querySelector('img').naturalWidth") == 640
            targets = page.eval_on_selector_all("a[href], img[src]", "all => all.map(e => e.href || e.src)")
            assert len(targets) == 6  # cover link, cover picture, two editions, two annexes
            for url in targets:
                assert url.startswith(base + "/")
                assert (published.folder / unquote(urlsplit(url).path).lstrip("/")).is_file(), url
                assert page.request.get(url).status == 200
        finally:
            browser.close()


def publish_over_previous(project: Path):
    """Plant a previous publish folder, publish; return the result and whether the old folder is intact."""
    previous = project / "build" / "publish" / "testverslag-2023" / "index.html"
    previous.parent.mkdir(parents=True)
    previous.write_text("vorige versie")
    result = run_cli(project, "publish")
    intact = tree(project / "build" / "publish") == ["testverslag-2023/index.html"] and \
        previous.read_text() == "vorige versie" and not list((project / "build").glob(".publish*"))
    return result, intact


def test_a_missing_annex_stops_publishing_before_rendering(tmp_path):
    project = publish_project(tmp_path)
    (project / "sources" / "annexes" / ALFA_ANNEX).unlink()
    result, intact = publish_over_previous(project)
    assert result.exit_code == 1 and intact
    assert f"sources/sections/01-alfa.md:5:10: error: annex file 'annexes/{ALFA_ANNEX}' is missing: publishing " \
           "needs every annex (put it in sources/annexes/) [publish.annex]" in result.output
    assert "Rendering" not in result.output


def test_an_annex_url_that_would_leave_the_folder_is_refused(tmp_path):
    escaping = "https://www.example.org/docs/%2E%2E/%2E%2E/etc/passwd.pdf"
    project = publish_project(tmp_path, {"sources/sections/01-alfa.md": SECTIONS["sources/sections/01-alfa.md"]
                                         .replace(ALFA_URL, escaping)})
    shutil.copyfile(FIXTURE_ANNEXES / "plain-a4-4-pages.pdf", project / "sources" / "annexes" / "passwd.pdf")
    result, intact = publish_over_previous(project)
    assert result.exit_code == 1 and intact
    assert f"sources/sections/01-alfa.md:5:10: error: the URL path of '{escaping}' leaves the website's root" \
        in result.output


def test_a_landing_stylesheet_that_leads_outside_is_not_published(tmp_path):
    project = publish_project(tmp_path)
    (tmp_path / "geheim.css").write_text("/* GEHEIM */\n")
    stylesheet = project / "layouts" / "default" / "landing.css"
    stylesheet.unlink()
    stylesheet.symlink_to(tmp_path / "geheim.css")
    result, intact = publish_over_previous(project)
    assert result.exit_code == 1 and intact, result.output
    assert ("layouts/default/landing.css:1:1: error: 'landing.css' was not read because it leads outside "
            "layouts/default/ through a link") in result.output
    assert "GEHEIM" not in result.output


def test_an_unapproved_section_stops_publishing(tmp_path):
    beta = SECTIONS["sources/sections/02-beta.md"].replace('title: "Beta project"\n', 'title: "Beta project"\n'
                                                                                       '        status: "review"\n')
    result, intact = publish_over_previous(publish_project(tmp_path, {"sources/sections/02-beta.md": beta}))
    assert result.exit_code == 1 and intact
    assert "error: section 'Beta project' is not approved (status: review)" in result.output


def test_a_failure_after_the_editions_are_built_leaves_the_previous_folder(tmp_path):
    project = publish_project(tmp_path)
    (project / "layouts" / "default" / "landing.html").write_text("<html>\n{% if %}\n</html>\n")
    result, intact = publish_over_previous(project)
    assert result.exit_code == 1 and intact
    assert (project / "build" / "testverslag-2023-web.pdf").is_file(), "the editions were built first"
    assert re.search(r"^layouts/default/landing\.html:2:1: error: template syntax error", result.output, re.MULTILINE)


def test_a_publish_killed_between_its_two_renames_gets_the_previous_folder_back(tmp_path):
    project = publish_project(tmp_path)
    moved_aside = project / "build" / ".publish.old-99999" / "testverslag-2023" / "index.html"
    moved_aside.parent.mkdir(parents=True)
    moved_aside.write_text("vorige versie")
    (project / "build" / ".publish.tmp-99999" / "half").mkdir(parents=True)
    (project / "sources" / "annexes" / ALFA_ANNEX).unlink()  # so this publish stops before rendering
    result = run_cli(project, "publish")
    assert result.exit_code == 1
    assert tree(project / "build" / "publish") == ["testverslag-2023/index.html"]
    assert not list((project / "build").glob(".publish*"))
