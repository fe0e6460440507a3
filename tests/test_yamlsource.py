"""Located YAML: values keep their position, and quoted text always comes back as written."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.sources.fields import FieldReader
from kcvs_pdf.sources.yamlsource import load_yaml

PATH = Path("sources/sections/01-alfa.md")
# Visible characters only: invisible ones are reported (see test_plaintext.py).
printable = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1)


@given(printable.filter(lambda text: text.strip()))
def test_any_double_quoted_text_is_read_back_as_written(text):
    diagnostics = Diagnostics()
    located = load_yaml(f"title: {json.dumps(text, ensure_ascii=False)}\n", PATH, diagnostics, first_line=2)
    # Not as printed text: a word longer than a line is refused there (the catalogue of bad sources), whatever its quotes.
    value = FieldReader(PATH, diagnostics, "section").text(located.value, "title", printed=False)
    assert diagnostics.items == ()
    assert value == " ".join(text.split())


@given(st.sampled_from(["NO", "no", "off", "On", "yes", "012", "0x1F", "12:30", "1.5e+3", "2024-06-01", "~"]))
def test_unquoted_values_yaml_would_retype_are_errors_where_text_is_expected(word):
    diagnostics = Diagnostics()
    located = load_yaml(f"title: {word}\n", PATH, diagnostics, first_line=2)
    assert FieldReader(PATH, diagnostics, "section").text(located.value, "title") is None
    assert [(d.line, d.column) for d in diagnostics.errors] == [(2, 8)]


def test_values_remember_their_file_line_and_column():
    diagnostics = Diagnostics()
    located = load_yaml('title: "A"\nlinks:\n  - label: "B"\n    url: "https://x.org"\n', PATH,
                        diagnostics, first_line=2)
    link = located.value["links"].value[0]
    assert (link.value["url"].line, link.value["url"].column) == (5, 10)
    assert located.key_positions["links"] == (3, 1)
