"""Dutch hyphenation: breaks Dutch spelling accepts, none in capitals, no two-letter fragments.

The rules are checked on words, then read back from a built PDF whose narrow title column and
long words make WeasyPrint break many of them.
"""

from __future__ import annotations

import re

import pytest
from conftest import make_project, run_cli
from markupsafe import Markup
from pdfcheck import page_texts
from pypdf import PdfReader

from kcvs_pdf.layout.hyphenate import SOFT_HYPHEN, hyphenate, hyphenate_word

TREMA = "äëïöüÄËÏÖÜ"
# WeasyPrint ends a line broken inside a word with U+2010 HYPHEN.
BROKEN = "\u2010"


def breaks(word: str) -> list[str]:
    return hyphenate_word(word, "nl-BE").split(SOFT_HYPHEN)


@pytest.mark.parametrize("word", ["efficiënter", "oriënterend", "financiële", "coördinatie", "geïnteresseerd",
                                  "ideeën", "reünie", "België"])
def test_a_word_never_breaks_beside_a_trema(word):
    """Dutch drops the trema at a break ("effici-enter"): breaking there would print "effici-ënter"."""
    pieces = breaks(word)
    assert "".join(pieces) == word
    assert not any(piece[0] in TREMA or piece[-1] in TREMA for piece in pieces[1:] + pieces[:-1]
                   if piece), pieces


def test_a_word_still_breaks_where_no_trema_is_near():
    assert breaks("efficiënter") == ["effi", "ciënter"]
    assert breaks("rechtenverkenner") == ["rech", "ten", "ver", "kenner"]


@pytest.mark.parametrize("word", ["RECHTENVERKENNER", "KLIMAATTRANSITIE", "GDPR-werkgroep", "OCMW's"])
def test_words_in_capitals_are_not_broken(word):
    assert breaks(word) == [word]


@pytest.mark.parametrize("word", ["België", "Belgische", "energiedelen", "automatische", "verkiezingsmemorandum",
                                  "datamaturiteit", "gegevensdeling", "klimaatplannen"])
def test_no_break_leaves_two_letters_on_either_line(word):
    pieces = breaks(word)
    assert len(pieces[0]) >= 3 and len(pieces[-1]) >= 4, pieces


def test_only_text_is_hyphenated_never_tags_or_entities():
    html = hyphenate(Markup('<a href="https://example.org/klimaattransitie">klimaattransitie</a> &amp; coördinatie'), "nl-BE")
    assert 'href="https://example.org/klimaattransitie"' in html and "&amp;" in html
    assert f"kli{SOFT_HYPHEN}maat" in html and SOFT_HYPHEN in html.split(">", 2)[1]


LONG_WORDS = ("efficiëntere coördinatie van de oriënterende gesprekken met de Belgische steden over "
              "informatieveiligheid, klimaattransitie, verkiezingsmemorandum en geïnteresseerde "
              "stadsvernieuwingsprojecten in België ")


def test_a_built_report_breaks_lines_only_where_dutch_allows(tmp_path):
    beta = ("---\ntitle: \"Efficiëntere coördinatie van oriënterende stadsvernieuwingsprojecten\"\n"
            "links:\n  - label: \"JE VINDT HIER DE RECHTENVERKENNER EN DE KLIMAATTRANSITIEDOCUMENTEN\"\n"
            "    url: \"https://www.example.org/beta.aspx\"\n---\n\n" + LONG_WORDS * 12 + "\n")
    project = make_project(tmp_path / "p", {"sources/sections/02-beta.md": beta})
    result = run_cli(project, "build", "--edition", "web")
    assert result.exit_code == 0, result.output
    lines = [line.strip() for text in page_texts(PdfReader(project / "build" / "testverslag-2023-web.pdf"))
             for line in text.splitlines()]
    broken = [(line, following) for line, following in zip(lines, lines[1:]) if line.endswith(BROKEN)]
    assert len(broken) >= 10, lines
    for line, following in broken:
        head = re.search(r"(\w+)" + BROKEN + "$", line).group(1)
        tail = re.match(r"\w+", following).group()
        assert len(head) >= 3 and len(tail) >= 4, (line, following)
        assert head[-1] not in TREMA and tail[0] not in TREMA, (line, following)
        assert not (head.isupper() and len(head) > 1), (line, following)
