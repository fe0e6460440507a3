"""`kcvs-pdf comments`: reviewers' annotations come back at their source file and paragraph line."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from annotate import Annotator, bounding, find_words
from conftest import FIXTURE_ANNEXES, REPO, ROOTS, copy_project, run_cli
from pypdf import PdfReader

from kcvs_pdf.pdf.provenance import read
from kcvs_pdf.review.annotations import pdf_date, read_comments
from kcvs_pdf.review.comments import locate_comments

ALFA, BETA, GAMMA = (f"sources/sections/{name}.md" for name in ("01-alfa", "02-beta", "03-gamma"))
ANNEX = "sources/annexes/alfa bijlage.pdf"
# Pages of the review project's full edition: cover, colophon, contents, chapter 1, alfa, beta,
# chapter 2, gamma, delta, annex divider, annex.
COVER, ALFA_PAGE, BETA_PAGE, GAMMA_PAGE, ANNEX_PAGE = 0, 4, 5, 7, 10


@pytest.fixture(scope="module")
def reviewed(review_build, tmp_path_factory) -> Path:
    """Comment on a build of the review project as three PDF readers would; return the PDF."""
    root = copy_project(review_build, tmp_path_factory.mktemp("comments") / "project")
    path = root / "build" / "testverslag-2023.pdf"
    boxes = {
        "effectief": find_words(path, ALFA_PAGE, "effectief", occurrence=2),
        "datalab": find_words(path, ALFA_PAGE, "datalab"),
        "fietsenstallingen": find_words(path, BETA_PAGE, "fietsenstallingen"),
        "dertien": find_words(path, GAMMA_PAGE, "dertien"),
        "twaalf": find_words(path, GAMMA_PAGE, "twaalf procent"),
        # Over a line end where the layout breaks the phrase.
        "brachten": find_words(path, BETA_PAGE, "brachten hun parkeerdata"),
    }
    annotator = Annotator(path)
    # Acrobat: highlight with a comment, then a reply in its thread.
    highlight = annotator.text_markup("Highlight", ALFA_PAGE, boxes["effectief"], "is dubbel", "An Peeters",
                                      "D:20240315103000+01'00'", name="5f1e0c2a-acro-0001")
    annotator.reply(highlight, ALFA_PAGE, "Klopt, ik schrap er een.", "Bert Claes", "D:20240316091500+01'00'")
    # Preview: strike-out and underline with /M only, no /NM.
    annotator.text_markup("StrikeOut", BETA_PAGE, boxes["fietsenstallingen"], "", "Chris Maes",
                          "D:20240317140000Z", creation=False)
    annotator.text_markup("Underline", BETA_PAGE, boxes["brachten"], "welke data?", "Chris Maes",
                          "D:20240317140500Z", creation=False)
    # Acrobat sticky note in the right margin beside a word; Okular text box; a drawing round a word.
    annotator.sticky_note(GAMMA_PAGE, (565, boxes["dertien"][0][3] + 4), "Welke steden precies?", "An Peeters",
                          "D:20240315110000+01'00'", name="5f1e0c2a-acro-0002")
    annotator.free_text(GAMMA_PAGE, bounding(boxes["twaalf"]), "bron?", "Dirk Wouters",
                        "D:20240318083000+01'00'", name="okular-{8b1d}")
    datalab = bounding(boxes["datalab"])
    annotator.ink(ALFA_PAGE, [datalab[0] - 4, datalab[1] - 4, datalab[2] + 4, datalab[3] + 4], "", "Dirk Wouters",
                  "D:20240318084500")
    # Pages outside the sections: the cover, and the annex itself.
    annotator.sticky_note(COVER, (300, 700), "Mooie cover!", "Eva Jacobs", "D:20240319")
    annotator.sticky_note(ANNEX_PAGE, (100, 400), "Deze bijlage is verouderd.", "Eva Jacobs",
                          "D:20240319120000+02'00'")
    annotator.save()
    return path


@pytest.fixture(scope="module")
def listed(reviewed):
    result = run_cli(reviewed.parent.parent, "comments", "build/testverslag-2023.pdf")
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_each_comment_is_a_note_at_its_paragraph_with_author_date_and_marked_text(listed):
    assert f'{ALFA}:11:1: note: "effectief" is dubbel [markering van An Peeters, 2024-03-15T10:30:00+01:00]' \
        in listed
    assert f'{BETA}:8:1: note: "fietsenstallingen" [doorhaling van Chris Maes, 2024-03-17T14:00:00+00:00]' in listed
    assert f'{BETA}:5:1: note: "brachten hun parkeerdata" welke data? [onderstreping van Chris Maes, ' \
        '2024-03-17T14:05:00+00:00]' in listed
    assert f"{GAMMA}:5:1: note: Welke steden precies? [opmerking van An Peeters, 2024-03-15T11:00:00+01:00]" in listed
    assert f"{GAMMA}:8:1: note: bron? [tekstvak van Dirk Wouters, 2024-03-18T08:30:00+01:00]" in listed
    assert f"{ALFA}:14:1: note: (zonder tekst) [tekening van Dirk Wouters, 2024-03-18T08:45:00]" in listed


def test_a_reply_follows_its_comment_at_the_same_place(listed):
    first = listed.index(f'{ALFA}:11:1: note: "effectief" is dubbel [markering van An Peeters, '
                         '2024-03-15T10:30:00+01:00]')
    assert listed[first + 1] == f"{ALFA}:11:1: note: Klopt, ik schrap er een. [antwoord van Bert Claes, " \
        "2024-03-16T09:15:00+01:00]"
    assert sum("Klopt" in line for line in listed) == 1


def test_comments_are_in_source_order_then_annex_then_not_placed_then_the_annexes_own(listed):
    groups = [line for line in listed if not line.startswith("sources/") and ":0:0:" not in line]
    assert groups == ["Niet geplaatst (staat niet bij een sectie of bijlage):",
                      "Al in de bijlage (geen opmerking van een lezer):"]
    files = [line.split(":")[0] for line in listed if ": note: " in line]
    assert files == [ALFA] * 3 + [BETA] * 2 + [GAMMA] * 2 + [ANNEX] + ["build/testverslag-2023.pdf"] + [ANNEX] * 3
    lines = [int(line.split(":")[1]) for line in listed if line.startswith(ALFA)]
    assert lines == sorted(lines)


def test_a_comment_on_an_annex_page_names_the_annex_and_its_page_label(listed):
    assert f"{ANNEX}:0:0: note: Bijlage 1, pagina B1-1: Deze bijlage is verouderd. [opmerking van Eva Jacobs, " \
        "2024-03-19T12:00:00+02:00]" in listed


def test_a_comment_outside_sections_and_annexes_is_listed_not_placed_never_dropped(listed):
    heading = listed.index("Niet geplaatst (staat niet bij een sectie of bijlage):")
    assert listed[heading + 1] == "build/testverslag-2023.pdf:0:0: note: pagina 1: Mooie cover! " \
        "[opmerking van Eva Jacobs, 2024-03-19T00:00:00]"


def test_the_annexes_own_annotations_are_apart_and_not_counted(reviewed, listed):
    heading = listed.index("Al in de bijlage (geen opmerking van een lezer):")
    own = listed[heading + 1:]
    assert [line.split("[")[-1].split(" van ")[0] for line in own] == ["opmerking", "markering", "tekening"]
    assert all(line.startswith(f"{ANNEX}:0:0: note: Bijlage 1, pagina B1-1:") for line in own)
    result = run_cli(reviewed.parent.parent, "comments", "build/testverslag-2023.pdf")
    assert result.stderr == "8 opmerkingen, 1 antwoord, 1 niet geplaatst, 3 al in de bijlage\n"


def test_csv_gives_the_meeting_one_row_per_comment(reviewed):
    result = run_cli(reviewed.parent.parent, "comments", "--format", "csv", "build/testverslag-2023.pdf")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 11
    effectief = next(row for row in rows if row["gemarkeerde tekst"] == "effectief")
    assert effectief == {
        "bestand": ALFA, "regel": "11", "sectie": "Alfa werkgroep", "pagina": "5", "soort": "markering",
        "auteur": "An Peeters", "datum": "2024-03-15T10:30:00+01:00", "gemarkeerde tekst": "effectief",
        "opmerking": "is dubbel", "groep": "geplaatst",
        "antwoorden": "antwoord van Bert Claes, 2024-03-16T09:15:00+01:00: Klopt, ik schrap er een."}
    assert [row["groep"] for row in rows].count("al in de bijlage") == 3
    annex = next(row for row in rows if row["opmerking"] == "Deze bijlage is verouderd.")
    assert (annex["bestand"], annex["sectie"], annex["pagina"]) == (ANNEX, "Bijlage 1, pagina B1-1", "B1-1")


def test_markdown_gives_a_table_with_a_row_per_comment(reviewed):
    result = run_cli(reviewed.parent.parent, "comments", "--format", "md", "build/testverslag-2023.pdf")
    rows = result.stdout.splitlines()
    assert rows[0].startswith("| bestand | regel | sectie | pagina | soort |")
    assert set(rows[1]) == {"|", "-"}
    assert len(rows) == 2 + 11
    assert all(row.count(" | ") == 10 for row in rows[2:])


def test_a_pdf_without_kcvs_data_exits_1_with_a_clear_message(tmp_path):
    shutil.copyfile(FIXTURE_ANNEXES / "annotations-text-highlight-ink.pdf", tmp_path / "vreemd.pdf")
    result = run_cli(tmp_path, "comments", "vreemd.pdf", "--layout", str(Path(__file__).parents[1] / "layouts/default"))
    assert result.exit_code == 1
    assert "vreemd.pdf carries no KCVS report data: it was not built by kcvs-pdf" in result.output


@pytest.mark.parametrize(("written", "iso"), [
    ("D:20240315103000+01'00'", "2024-03-15T10:30:00+01:00"),
    ("D:20240315103000+01'00", "2024-03-15T10:30:00+01:00"),
    ("D:20240315103000-05'30'", "2024-03-15T10:30:00-05:30"),
    ("D:20240315103000Z", "2024-03-15T10:30:00+00:00"),
    ("D:20240315103000Z00'00'", "2024-03-15T10:30:00+00:00"),
    ("20240315103000", "2024-03-15T10:30:00"),
    ("D:2024", "2024-01-01T00:00:00"),
    ("D:20241315", None),
    ("gisteren", None),
])
def test_pdf_dates_are_read_in_every_form_readers_write(written, iso):
    assert pdf_date(written) == iso


# The draft is the edition reviewers comment on: its watermark lies over the text of every page.
@pytest.mark.parametrize(("edition", "name"), [("web", "proefverslag-2031-web.pdf"),
                                               ("draft", "proefverslag-2031-concept.pdf")])
def test_a_note_in_the_margin_and_a_highlight_on_every_paragraph_of_a_report_find_its_line(tmp_path, edition, name):
    project = tmp_path / "project"
    shutil.copytree(ROOTS / "report", project)
    shutil.copytree(REPO / "layouts", project / "layouts")
    assert run_cli(project, "build", "--edition", edition).exit_code == 0
    path = project / "build" / name
    expected, quoted, annotator = {}, {}, Annotator(path)
    for section in read(path).sections:
        page_text = PdfReader(path).pages[section.first_page].extract_text()
        for paragraph in section.paragraphs:
            # A word of the paragraph's middle that occurs once on the page, so the test knows where it is.
            words = [w for w in re.findall(r"[A-Za-z]{6,}", paragraph.text) if page_text.count(w) == 1]
            if not words:
                continue
            (left, _, _, top), *_ = boxes = find_words(path, section.first_page, words[len(words) // 2])
            note = annotator.sticky_note(section.first_page, (565, top), f"notitie {len(expected)}", "T",
                                         "D:20240401")
            expected[str(note.Contents)] = (section.source, paragraph.line)
            mark = annotator.text_markup("Highlight", section.first_page, boxes, f"markering {len(expected)}", "T",
                                         "D:20240401")
            expected[str(mark.Contents)] = (section.source, paragraph.line)
            quoted[str(mark.Contents)] = words[len(words) // 2]
            # A text box over the word, as Okular's typewriter puts it: it marks no text of its own.
            box = annotator.free_text(section.first_page, bounding(boxes), f"tekstvak {len(expected)}", "T",
                                      "D:20240401", name=f"tekstvak-{len(expected)}")
            expected[str(box.Contents)] = (section.source, paragraph.line)
    annotator.save()
    located = locate_comments(read_comments(path), read(path), path.name)
    assert len(expected) >= 3 * sum(len(section.paragraphs) for section in read(path).sections) - 6
    assert {item.comment.text: (item.source, item.line) for item in located} == expected
    assert {item.comment.text: item.comment.quoted for item in located if item.comment.text in quoted} == quoted
