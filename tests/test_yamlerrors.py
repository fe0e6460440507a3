"""YAML mistakes are explained in plain words where they are, whatever line PyYAML stumbles on."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.sources.yamlerrors import explain
from kcvs_pdf.sources.yamlsource import MAX_DEPTH, UNREADABLE, load_yaml

PATH = Path("sources/sections/01-alfa.md")
LINK = 'links:\n  - label: "MEER"\n    url: "https://example.org/a.pdf"\n'

# (name, YAML text starting on file line 1, expected line, column, phrase in the message)
MISTAKES = [
    ("no space after colon, then more fields", 'title:"Alfa"\n' + LINK, 1, 6, "no space after the colon"),
    ("no space after colon, alone", 'title:"Alfa"\n', 1, 6, "write 'title: \"Alfa\"'"),
    ("no space after colon in a link", 'title: "A"\nlinks:\n  - label:"MEER"\n', 3, 10, "'label: \"MEER\"'"),
    ("no space after colon, last line", 'title: "A"\nlinks:\n  - label: "x"\n    url:"y"\n', 4, 8,
     "no space after the colon"),
    ("no space after colon, value below", "subject:\n  Werkgroep:data\n", 2, 12, "no space after the colon"),
    ("tab indentation", 'title: "A"\nlinks:\n\t- label: "x"\n', 3, 1, "indented with a tab"),
    ("tab after spaces", 'title: "A"\nlinks:\n  - label: "x"\n  \t url: "y"\n', 4, 3, "indented with a tab"),
    ("tab before a value", 'title: "A"\nkeywords: \t["a"]\n', 2, 11, "there is a tab here"),
    ("one space too many", 'title: "A"\nlinks:\n  - label: "x"\n   url: "y"\n', 4, 4,
     "'url' is indented by 3 spaces, but 'label' on line 3 by 4"),
    ("one space too few", 'labels:\n  contents: "x"\n chapter: "y"\n', 3, 2,
     "'chapter' is indented by 1 space, but 'contents' on line 2 by 2"),
    ("field indented under a text", 'title: Alfa\n  links: x\n', 2, 3, "'links' is indented by 2 spaces"),
    ("field indented under a quoted text", 'title: "Alfa"\n  links: x\n', 2, 3, "but 'title' on line 1 by 0"),
    ("colon inside a value", "title: Werkgroep: data\n", 1, 8,
     'put the text in quotes: title: "Werkgroep: data"'),
    ("colon inside a link label", 'title: "A"\nlinks:\n  - label: MEER: info\n', 3, 12,
     'label: "MEER: info"'),
    ("stray list item", 'title: "Alfa"\n- "iets"\n', 2, 1, "a list item ('- …') stands where a field"),
    ("stray list item in a link", 'title: "A"\nlinks:\n  - label: "x"\n    url: "y"\n    - file: "z"\n', 5, 5,
     "a list item"),
    ("list on the field's line", 'links: - label: "x"\n', 1, 8,
     "a list cannot start on the same line as 'links:'"),
    ("field without colon", 'title "Alfa"\nlinks: []\n', 1, 1, "'title \"Alfa\"' has no ':'"),
    ("field without colon, last", 'title: "A"\nlinks "x"\n', 2, 1, "'links \"x\"' has no ':'"),
    ("field name broken over two lines", 'title: "A"\nli\nnks: []\n', 2, 1, "'li' has no ':'"),
    ("text after the closing quote", 'title: "Alfa" werkgroep\n', 1, 13, "goes on after its closing quote"),
    ("quote inside quotes", 'title: "Het "grote" plan"\n', 1, 13, 'write a quote as \\"'),
    ("text after a closing bracket", 'keywords: ["a"]website: "x"\n', 1, 16, "goes on after the closing ]"),
    ("value starting with @", "title: @Alfa\n", 1, 8,
     "text cannot start with '@' in YAML: put it in quotes (\"@Alfa\")"),
    ("value starting with a backtick", "title: `Alfa`\n", 1, 8, "cannot start with '`'"),
    ("value starting with %", "title: %Alfa\n", 1, 8, "cannot start with '%'"),
    ("value looking like emphasis", "title: *nieuw* project\n", 1, 8, "cannot start with '*'"),
    ("value starting with |", "title: |x\n", 1, 8, "cannot start with '|'"),
    ("backslash in double quotes", 'title: "C:\\data"\n', 1, 11, "write a backslash as \\\\"),
    ("unclosed double quote", 'title: "Alfa\n' + LINK, 1, 8,
     'this quote is never closed: end the text with "'),
    ("unclosed single quote", "title: 'Alfa\nlinks: []\n", 1, 8, "end the text with '"),
    ("one quote too many", 'title: "A"\nsubject: "B""\n', 2, 13, "this quote is never closed"),
    ("unclosed list", 'title: ["a", "b"\nlinks: []\n', 1, 8, "this list is never closed: end it with ]"),
    ("unclosed braces", "title: {a: 1\nlinks: []\n", 1, 8, "this {…} is never closed: end it with }"),
    ("list without commas", 'sections: ["alfa" "beta"]\n', 1, 19, "separated by commas"),
    ("second document", 'title: "a"\n---\nyear: 1\n', 2, 1, "the line '---' ends the fields here"),
    ("missing field name", ': "Alfa"\n', 1, 1, "a field name is missing before the ':'"),
    ("missing field name in a list", 'links:\n  - : x\n', 2, 5, "a field name is missing"),
    ("list item with a stray '?'", "a:\n  - b\n  ? c\n", 3, 3, "text cannot start with '?'"),
]


@pytest.mark.parametrize("text, line, column, phrase",
                         [pytest.param(*case[1:], id=case[0]) for case in MISTAKES])
def test_each_mistake_is_explained_where_it_is(text, line, column, phrase):
    diagnostics = Diagnostics()
    load_yaml(text, PATH, diagnostics)
    [diagnostic] = diagnostics.items
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (line, column, "yaml.syntax")
    assert phrase in diagnostic.message
    assert "<block" not in diagnostic.message and "while parsing" not in diagnostic.message


def test_front_matter_mistakes_are_reported_at_file_lines():
    diagnostics = Diagnostics()
    load_yaml('title: "A"\nlinks:\n  - label: "x"\n   url: "y"\n', PATH, diagnostics, first_line=2)
    [diagnostic] = diagnostics.items
    assert (diagnostic.line, diagnostic.column) == (5, 4)
    assert "but 'label' on line 4 by 4" in diagnostic.message


def test_an_unrecognised_mistake_still_names_its_line_in_plain_words():
    text = 'keywords: ["a"]&\n'
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.safe_load(text)
    found = explain(caught.value, text)
    assert found.message.startswith("this line is not valid YAML: ")
    assert found.message.endswith("a letter or digit, but found the end of the line")
    assert (found.line, found.column) == (caught.value.problem_mark.line + 1,
                                          caught.value.problem_mark.column + 1)


def test_an_alias_bomb_is_refused_without_expanding_it():
    # Nine anchors, each a list of nine aliases of the one before: 9**9 values once expanded.
    rows = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    rows += [f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]" for before, name in pairwise("abcdefghi")]
    diagnostics = Diagnostics()
    assert load_yaml("\n".join(rows) + "\n", PATH, diagnostics) is UNREADABLE
    assert {d.code for d in diagnostics.items} == {"yaml.anchor"}
    assert [(d.line, d.column) for d in diagnostics.items][:2] == [(1, 4), (2, 4)]
    assert "more YAML anchors or aliases from here on" in diagnostics.items[-1].message
    assert len(diagnostics.items) == 6


def test_an_alias_where_text_was_meant_is_refused():
    diagnostics = Diagnostics()
    assert load_yaml("title: *nieuw\n", PATH, diagnostics) is UNREADABLE
    [diagnostic] = diagnostics.items
    assert diagnostic.code == "yaml.anchor"
    assert "put text that starts with & or * in quotes" in diagnostic.message


def test_nesting_deeper_than_the_limit_is_refused_where_it_gets_too_deep():
    diagnostics = Diagnostics()
    text = "title: " + "[" * 5000 + "]" * 5000 + "\n"
    assert load_yaml(text, PATH, diagnostics) is UNREADABLE
    [diagnostic] = diagnostics.items
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (1, 8 + MAX_DEPTH - 1, "yaml.too-deep")
    deepest = "title: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert load_yaml(deepest, PATH, Diagnostics()).kind == "mapping"


def test_text_over_the_size_limit_is_refused_before_parsing():
    diagnostics = Diagnostics()
    text = 'title: "' + "x" * 2000 + '"\n'
    assert load_yaml(text, PATH, diagnostics, first_line=2, max_bytes=1024) is UNREADABLE
    [diagnostic] = diagnostics.items
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (2, 1, "yaml.too-large")


def test_a_message_quoting_the_text_never_carries_its_control_characters():
    diagnostics = Diagnostics()
    load_yaml('title "Alfa\x1b[2J"\nlinks: []\n', PATH, diagnostics)
    assert [(d.line, d.column, d.code) for d in diagnostics.items] == [
        (1, 1, "yaml.syntax"), (1, 12, "text.invisible")]
    assert not any("\x1b" in d.message for d in diagnostics.items)
