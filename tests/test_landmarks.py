"""Each landmark is written once, in the grammar, and every consumer reads it from there.

Each test below makes one of the changes a maintainer makes -- a heading renamed, a credentials
form added, a layout added -- in a scratch copy of the grammar, and checks what every consumer
(the record, `validate`, the error messages, `debug`) does with it; and that a partial edit fails
loudly instead of degrading in silence."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, LETTERS, ROOT, corpus_files

import imrparse
from imrparse.grammar import loader
from imrparse.grammar.landmarks import HEADINGS, ITEM_LABELS, LandmarkError, Landmarks, landmarks, phrase_of
from imrparse.read import layouts, readers, wording
from imrparse.read.builder import HEADER_FIELDS
from imrparse.text.normalize import normalize
from imrparse.views import debug

GRAMMAR = loader.default_grammar_path().read_text(encoding="utf-8")
SEED = LETTERS / "seed_000_3ff69cc2fa494158.txt"

# The terminals Python names by their words, each with what must follow it for its look-ahead.
NAMED = [*HEADINGS, *ITEM_LABELS, *HEADER_FIELDS, "UPHELD", "OVERTURNED", "CREDENTIAL_SUBJECT", "_SUMMARY_INTRO", "_DECISIONS_INTRO",
         "_CREDENTIALS_INTRO", "_LICENSURE_LABEL", "_SPECIALTY_LABEL", "_MAXIMUS_OPENING", "_MPR_OPENING", "DETERMINATION_OPENING",
         *(terminal for layout in layouts.layouts().values() for part in layout.required for terminal in part)]
FOLLOWS = {"CREDENTIAL_OPENING": " Board Certified in X."}


def _scratch(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """A copy of the grammar with each (old, new) edit made; each old text must be there."""
    text = GRAMMAR
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "imr_letter.lark"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("terminal", sorted(set(NAMED)))
def test_every_named_landmark_phrase_is_what_its_terminal_matches(terminal: str) -> None:
    lm = landmarks()
    phrase = lm.phrase(terminal)
    match = lm.regex(terminal).match(phrase + FOLLOWS.get(terminal, "\n"))
    assert phrase and match is not None and match.group() == phrase


def test_every_terminal_the_parser_can_expect_has_a_description() -> None:
    used = {symbol.name for rule in loader.get_parser().rules for symbol in rule.expansion if symbol.is_term}
    lm = landmarks()
    assert {name for name in used if lm.description(name) == name} == set()


@pytest.mark.parametrize(("pattern", "phrase"), [
    (r"HOW\s+THE\s+IMR", "HOW THE IMR"),
    (r"State\(s\)\s+of\s+Licensure:", "State(s) of Licensure:"),
    (r"Application\s+Received:|Application", "Application Received:"),
    (r"(?:is\s*)?:", ":"),
    (r"(?:[Uu]pheld|UPHELD)(?![A-Za-z])", "Upheld"),
    (r"The\s+(?:[eE]xpert|[pP]hysician)\s+[rR]eviewer\s+is\b(?=[^.]{0,200}?\bBoard)", "The expert reviewer is"),
    (r"\d{1,2}\)\s+MAXIMUS", "1) MAXIMUS"),
])
def test_a_phrase_is_the_first_alternative_without_optional_parts(pattern: str, phrase: str) -> None:
    assert phrase_of(pattern) == phrase


@pytest.mark.parametrize("pattern", [r"[^:]+", r"\S+Number:", r"Case.Number"])
def test_an_expression_with_no_one_phrase_is_refused(pattern: str) -> None:
    with pytest.raises(LandmarkError, match="CASE_NUMBER_LABEL"):
        phrase_of(pattern, "CASE_NUMBER_LABEL")


def test_a_landmark_with_no_phrase_fails_loudly_where_it_is_named(tmp_path: Path) -> None:
    """A partial edit: a label made free text. Its consumers do not fall back to anything."""
    path = _scratch(tmp_path, ("_RATIONALE_LABEL.60: /Decision\\s+rationale:/", "_RATIONALE_LABEL.60: /Decision\\s+\\S+:/"))
    with pytest.raises(LandmarkError, match="_RATIONALE_LABEL"):
        Landmarks(landmarks(path).patterns).phrase("_RATIONALE_LABEL")


# -- (c) a heading or label renamed: the grammar alone -------------------------------------------


def test_a_label_renamed_in_the_grammar_alone_reaches_every_consumer(tmp_path: Path) -> None:
    path = _scratch(tmp_path, ("_RATIONALE_LABEL.60: /Decision\\s+rationale:/", "_RATIONALE_LABEL.60: /Reason\\s+for\\s+the\\s+decision:/"))
    text = SEED.read_text(encoding="utf-8")
    renamed = text.replace("Decision rationale:", "Reason for the decision:")
    assert renamed != text
    before, after = imrparse.parse(text), imrparse.parse(renamed, grammar=path)
    assert [d["rationale"] for d in after["decisions"]] == [d["rationale"] for d in before["decisions"]]
    assert imrparse.validate(renamed, grammar=path) == imrparse.validate(text)
    # a letter missing the label is told the grammar's words
    missing = renamed.replace("Reason for the decision:", "", 1)
    with pytest.raises(imrparse.ParseError, match="'Reason for the decision:' paragraph"):
        imrparse.parse(missing, grammar=path)
    parser = loader.load_grammar(path)
    assert "'Reason for the decision:' paragraph" in debug.explain(normalize(missing), parser)
    assert any("'Reason for the decision:'" in label for label in debug.known_errors(landmarks(path)))
    outline = debug.outline(debug.tokens(normalize(renamed), parser)[0], landmarks(path))
    assert any(line.endswith("    Reason for the decision") for line in outline)


def test_a_2013_heading_renamed_in_the_grammar_alone_keeps_its_section(tmp_path: Path) -> None:
    old = ("MPR_RATIONALE_HEADING.60: /RATIONALE\\s+FOR\\s+WHY\\s+THE\\s+REQUESTED\\s+TREATMENT\\/SERVICE\\s+IS\\/WAS\\s+NOT\\s+"
           "MEDICALLY\\s+NECESSARY:/")
    path = _scratch(tmp_path, (old, "MPR_RATIONALE_HEADING.60: /WHY\\s+THE\\s+REQUEST\\s+WAS\\s+DECIDED\\s+SO:/"))
    letter = LETTERS / "layout_2013_mpr.layout.txt"
    text = letter.read_text(encoding="utf-8")
    renamed = re.sub(r"RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT\s+MEDICALLY NECESSARY:",
                     "WHY THE REQUEST WAS DECIDED SO:", text)
    assert renamed != text
    before, after = imrparse.parse(text), imrparse.parse(renamed, grammar=path)
    assert [(d["outcome"], d["rationale"]) for d in after["decisions"]] == [(d["outcome"], d["rationale"]) for d in before["decisions"]]
    assert after["decisions"][0]["outcome"] == "upheld"
    assert imrparse.validate(renamed, grammar=path) == []
    gone = renamed.replace("WHY THE REQUEST WAS DECIDED SO:", "")
    assert "no 'WHY THE REQUEST WAS DECIDED SO:'" in " ".join(f["message"] for f in imrparse.validate(gone, grammar=path))


# -- (b) a credentials form: a grammar edit and a row ----------------------------------------------

HOLDS = ("CREDENTIAL_OPENING: CREDENTIAL_SUBJECT /\\s+is\\b(?=[^.]{0,200}?\\b(?:[Bb]oard[\\s-]+[Cc]ertified|[Ll]icensed)\\b)/",
         "CREDENTIAL_OPENING: CREDENTIAL_SUBJECT /\\s+(?:is|holds)\\b"
         "(?=[^.]{0,200}?\\b(?:[Bb]oard[\\s-]+[Cc]ertifi(?:ed|cation)|[Ll]icensed)\\b)/")
HOLDS_ROW = wording.Wording("holds-board-certification", "specialties",
                            r"(?:holds\s+)?[Bb]oard\s+[Cc]ertification\s+in\s+(?P<names>[\s\S]+)",
                            "holds board certification in Family Medicine", board_certified=True)


@pytest.fixture
def holds_row(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(wording, "CREDENTIAL_CLAUSES", (*wording.CREDENTIAL_CLAUSES, HOLDS_ROW))
    importlib.reload(readers)
    yield
    monkeypatch.undo()
    importlib.reload(readers)


def _holds_letter() -> str:
    text = (LETTERS / "layout_21_items_board_sentence.txt").read_text(encoding="utf-8")
    changed = text.replace("reviewer is Board Certified in Orthopaedic Surgery, Sports Medicine and is licensed to practice\n"
                           "in California, Nevada.",
                           "reviewer holds board certification in Orthopaedic Surgery, Sports Medicine and is licensed to practice\n"
                           "in California, Nevada.")
    assert changed != text
    return changed


def test_a_credentials_form_is_a_grammar_edit_and_a_row(tmp_path: Path, holds_row: None) -> None:
    reviewer = imrparse.parse(_holds_letter(), grammar=_scratch(tmp_path, HOLDS))["reviewer"]
    assert (reviewer["specialties"], reviewer["licensure"], reviewer["board_certified"], reviewer["unrecognized"]) == (
        ["Orthopaedic Surgery", "Sports Medicine"], ["California", "Nevada"], True, [])


def test_a_credentials_form_in_the_grammar_without_its_row_is_reported(tmp_path: Path) -> None:
    path = _scratch(tmp_path, HOLDS)
    reviewer = imrparse.parse(_holds_letter(), grammar=path)["reviewer"]
    assert reviewer["licensure"] == ["California", "Nevada"] and reviewer["specialties"] == []
    assert [piece["text"] for piece in reviewer["unrecognized"]] == ["holds board certification in Orthopaedic Surgery, Sports Medicine"]
    assert {f["code"] for f in imrparse.validate(_holds_letter(), grammar=path)} >= {"R303", "R302"}


def test_a_credentials_row_without_its_grammar_edit_is_an_error(holds_row: None) -> None:
    assert {f["code"] for f in imrparse.validate(_holds_letter()) if f["severity"] == "error"} == {"R301", "R302"}


# -- (d) a layout: a grammar alternative and a module ---------------------------------------------


def _readme_block(marker: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- layout:{marker} -->\n(?:<!--[^\n]*-->\n)?```\w+\n(.*?)```", readme, re.S)
    assert found, marker
    return found.group(1)


def _layout_grammar(tmp_path: Path) -> Path:
    lines = _readme_block("grammar").splitlines()
    return _scratch(tmp_path, ("start: fdl_2014 | maximus_2013 | mpr_2013\n", "\n".join(lines) + "\n"))


IRO_LETTER = "INDEPENDENT REVIEW ORGANIZATION DETERMINATION\nCase Number: CM99-0000001\nThe injured worker is a 52 year old female.\n"


def test_the_readme_layout_is_a_grammar_alternative_and_a_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    namespace: dict[str, Any] = {}
    exec(_readme_block("module"), namespace)
    layout = namespace["LAYOUT"]
    known = layouts.layouts()
    monkeypatch.setattr(layouts, "layouts", lambda: {**known, layout.rule: layout})
    path = _layout_grammar(tmp_path)
    record = imrparse.parse(IRO_LETTER, grammar=path)
    assert (record["layout"], record["case"]["case_number"], record["summary"]["text"]) == (
        "iro-2099", "CM99-0000001", "The injured worker is a 52 year old female.")
    assert record["summary"]["age"] == 52 and record["summary"]["sex"] == "female"  # the narrative facts, read as for every layout
    with pytest.raises(imrparse.ParseError) as refused:
        imrparse.parse("A LETTER OF SOME OTHER KIND\n", grammar=path)
    assert "'INDEPENDENT REVIEW ORGANIZATION DETERMINATION' (2099)" in refused.value.message
    assert {f["code"] for f in imrparse.validate(IRO_LETTER, grammar=path)} <= {"R301", "R302"}  # no header or outcome rules


def test_a_layout_in_the_grammar_without_its_module_names_the_file_to_add(tmp_path: Path) -> None:
    with pytest.raises(imrparse.ParseError, match=r"LayoutError: .* add imrparse/read/layouts/iro_2099\.py"):
        imrparse.parse(IRO_LETTER, grammar=_layout_grammar(tmp_path))


@pytest.mark.parametrize(("written", "label"), [("IMR Case Number:", "Case Number:"), ("Case No.:", "Case Number:"),
                                                ("Date of Injury/DOI:", "Date of Injury:"), ("DOI:", "Date of Injury:")])
def test_a_header_label_under_another_name_reads_the_same_field(written: str, label: str) -> None:
    """Variants are alternatives of the label's terminal: the conforming form, first, is what
    messages quote, and a letter written with a variant gives the same case."""
    text = (corpus_files("text")[0]).read_text(encoding="utf-8")
    varied = text.replace(label, written, 1)
    assert varied != text
    assert imrparse.parse(varied)["case"] == imrparse.parse(text)["case"] | {"span": imrparse.parse(varied)["case"]["span"],
                                                                              "spans": imrparse.parse(varied)["case"]["spans"]}
    assert landmarks().phrase("CASE_NUMBER_LABEL") == "Case Number:" and landmarks().phrase("DATE_OF_INJURY_LABEL") == "Date of Injury:"


@pytest.mark.parametrize(("written", "read"), [
    ("IMR Case Number: CM13-0025561 | Date of Injury: 08/28/2001\n", "cells of a table row"),
    ("Case Number: CM13-0025561 Date of Injury: 08/28/ 2001\n", "a date split after a slash (flattened text)"),
], ids=["table-row", "split-date"])
def test_a_2013_header_as_a_table_row_or_flattened_reads_every_field(written: str, read: str) -> None:
    """A table row's cell border is part of the header, not the end of it (it used to end the
    2013 header there, and the date of injury after it was lost without a word)."""
    text = (FIXTURES / "letters" / "layout_2013_maximus.pdftotext.txt").read_text(encoding="utf-8")
    varied = text.replace("Case Number: CM13-0025561\nDate of Injury: 08/28/2001\n", written, 1)
    assert varied != text, read
    case, posted = imrparse.parse(varied)["case"], imrparse.parse(text)["case"]
    assert (case["case_number"], case["date_of_injury"]) == (posted["case_number"], posted["date_of_injury"]) == (
        "CM13-0025561", "2001-08-28")
    start, end = case["spans"]["date_of_injury"]
    assert varied[start:end].replace(" ", "") == "08/28/2001"
