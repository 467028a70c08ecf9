"""The requested treatment read into its parts by grammar/treatment.lark (imrparse/read/treatment.py)."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import LETTERS, ROOT, corpus_dir
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark

import imrparse
from imrparse.grammar import files
from imrparse.read import treatment

TEXT = corpus_dir() / "text"


def _parts(line: str) -> dict[str, Any]:
    return {part.field: (part.value, line[part.start:part.end]) for part in treatment.read_treatment(line)}


# The issue's examples from real letters, and the corpus' harder lines: (line, {field: (value, text at the span)}).
EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("Norco 10/325mg #90", {"name": ("Norco", "Norco"), "strength": ("10/325mg", "10/325mg"), "quantity": (90, "#90")}),
    ("Cyclobenzaprine 7.5mg #90",
     {"name": ("Cyclobenzaprine", "Cyclobenzaprine"), "strength": ("7.5mg", "7.5mg"), "quantity": (90, "#90")}),
    ("Physical therapy 2 times a week for 6 weeks for the lumbar spine",
     {"name": ("Physical therapy", "Physical therapy"), "frequency": ("2 times a week", "2 times a week"),
      "duration": ("for 6 weeks", "for 6 weeks"), "body_part": ("lumbar spine", "lumbar spine")}),
    ("Retrospective request for urine drug screen (DOS: 01/14/2014)",
     {"name": ("urine drug screen", "urine drug screen"), "retrospective": (True, "Retrospective request for"),
      "service_date": ("2014-01-14", "(DOS: 01/14/2014)")}),
    ("MRI of the right shoulder without contrast",
     {"name": ("MRI", "MRI"), "body_part": ("shoulder", "shoulder"), "laterality": ("right", "right")}),
    ("1 knee scooter", {"name": ("knee scooter", "knee scooter"), "quantity": (1, "1"), "body_part": ("knee", "knee")}),
    ("Norco 5/325mg oral tablet, one tablet twice daily 14 days #40",
     {"name": ("Norco", "Norco"), "strength": ("5/325mg", "5/325mg"), "form": ("tablet", "oral tablet"), "quantity": (40, "#40"),
      "frequency": ("twice daily", "twice daily"), "duration": ("14 days", "14 days")}),
    ("Retrospective Cyclobenzaprine 5mg tab #30 DOS: 11/14/16",
     {"name": ("Cyclobenzaprine", "Cyclobenzaprine"), "strength": ("5mg", "5mg"), "form": ("tablet", "tab"), "quantity": (30, "#30"),
      "retrospective": (True, "Retrospective"), "service_date": ("2016-11-14", "DOS: 11/14/16")}),
    ("Twelve sessions of physical therapy for the right shoulder, right wrist and right hand, three times a week for four weeks",
     {"name": ("physical therapy", "physical therapy"), "sessions": (12, "Twelve sessions"),
      "frequency": ("three times a week", "three times a week"), "duration": ("for four weeks", "for four weeks"),
      "body_part": ("right shoulder, right wrist and right hand", "right shoulder, right wrist and right hand"),
      "laterality": ("right", "right shoulder, right wrist and right")}),
    ("Eight (8) physical therapy sessions",
     {"name": ("physical therapy sessions", "physical therapy sessions"), "sessions": (8, "Eight (8)")}),
    ("EMG/NCV of the bilateral lower extremities",
     {"name": ("EMG/NCV", "EMG/NCV"), "body_part": ("lower extremities", "lower extremities"), "laterality": ("bilateral", "bilateral")}),
    ("PT/OT 18 sessions left hand, right lower leg",
     {"name": ("PT/OT", "PT/OT"), "sessions": (18, "18 sessions"),
      "body_part": ("left hand, right lower leg", "left hand, right lower leg"),
      "laterality": ("left and right", "left hand, right")}),
    ("Soma 350mg #60 with 2 refills",
     {"name": ("Soma", "Soma"), "strength": ("350mg", "350mg"), "quantity": (60, "#60"), "refills": (2, "with 2 refills")}),
    ("Tylenol #3 #60", {"name": ("Tylenol #3", "Tylenol #3"), "quantity": (60, "#60")}),
    ("Gym membership", {"name": ("Gym membership", "Gym membership")}),
]


@pytest.mark.parametrize(("line", "expected"), EXAMPLES, ids=[line for line, _ in EXAMPLES])
def test_treatment_parts(line: str, expected: dict[str, Any]) -> None:
    assert _parts(line) == expected


@pytest.mark.parametrize("line", ["", "   ", "#", "((((", "§§§ ☃", "Retrospective", "times", "x", "0", "DOS: 99/99/9999", "and, of the"])
def test_any_line_is_read_and_keeps_a_name(line: str) -> None:
    parts = treatment.read_treatment(line)
    assert parts[0].field == "name"
    assert parts[0].value == " ".join(line.split()) or all(p.field != "name" or p.value for p in parts[1:])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_reading_never_fails_and_every_part_is_inside_the_line(line: str) -> None:
    parts = treatment.read_treatment(line)
    assert [p.field for p in parts] == [f for f in treatment.FIELDS if f in {p.field for p in parts}]
    assert parts[0].field == "name"
    for part in parts:
        assert 0 <= part.start <= part.end <= len(line)


def _corpus_titles() -> list[str]:
    lines = []
    for path in [*sorted(TEXT.glob("*.txt")), *sorted(LETTERS.glob("*.txt"))]:
        record = imrparse.parse_file(path)
        lines += [d["treatment"] for d in record["decisions"]]
    with (ROOT / "tests" / "data" / "treatment_labels.csv").open(newline="") as f:
        lines += [row["treatment"] for row in csv.DictReader(f)]
    return sorted(set(lines))


def test_the_scan_is_the_grammars_parse() -> None:
    """The reader scans with the grammar's terminals in Lark's order; Lark's own parse of every
    corpus and label line gives the same pieces."""
    lark = treatment.parser()
    for line in _corpus_titles():
        parsed = [(t.type, t.start_pos, t.end_pos) for t in lark.parse(line).children]
        assert [tuple(p) for p in treatment.pieces(line)] == parsed, line


def test_the_grammar_builds_conflict_free() -> None:
    Lark(treatment.default_grammar_path().read_text(encoding="utf-8"), parser="lalr", lexer="basic", strict=True)


def test_record_parts_point_at_their_text_in_every_corpus_letter() -> None:
    """In all three extractions: each part's span holds its text (wrapped lines and the
    extractor's hyphens aside), partial-authorization titles included."""
    def squash(s: str) -> str:
        return re.sub(r"\s+", "", re.sub("[\ufffe\u00ad\u2010\u2011]", "-", s))

    paths = sorted(TEXT.glob("*.txt"))
    assert len(paths) == 147
    for path in paths:
        original = imrparse.decode(Path(path).read_bytes())
        for decision in imrparse.parse(original)["decisions"]:
            for field, part in decision["treatment_parts"].items():
                start, end = part["span"]
                assert squash(original[start:end]) == squash(part["text"]), (path.name, field)
                assert decision["title_span"][0] <= start <= end <= decision["title_span"][1]


def test_the_shipped_scanner_is_the_one_the_grammar_gives() -> None:
    """No process builds the treatment grammar with Lark to read a line (half a second without
    Lark's cache): the joined pattern ships, and must be the grammar's."""
    import orjson

    shipped = orjson.loads(treatment.SCANNER_PATH.read_bytes())
    assert shipped["grammar_sha256"] == files.grammar_digest(treatment.default_grammar_path().read_text(encoding="utf-8")), (
        "imrparse/read/treatment.scanner.json was not made from grammar/treatment.lark: run "
        "python -c 'from imrparse.grammar import loader; loader.write_shipped_tables()'")
    assert shipped["pattern"] == treatment.scanner_source(treatment.parser())


def test_a_count_too_long_for_an_integer_is_not_read_and_the_record_serializes() -> None:
    """Fuzzing found "physical therapy, 1777…7772 sessions" (a hundred digits): its value broke
    orjson's 64-bit integers. A run of digits longer than any count is not read as a count."""
    import orjson

    parts = treatment.record_parts("physical therapy, " + "7" * 100 + " sessions", 0, lambda a, b: [a, b])
    assert "sessions" not in parts and parts["name"]["text"] == "physical therapy"
    assert orjson.loads(orjson.dumps(parts)) == parts
    line = "Physical therapy 123456789 sessions"
    assert treatment.record_parts(line, 0, lambda a, b: [a, b])["sessions"]["value"] == 123456789
