"""Golden records for the fixture letters, compared as loaded dicts.

Regenerate only on purpose: `pytest tests/test_goldens.py --update-goldens`, then review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import LETTERS, RECORDS, all_spans, without_source

import imrparse

FIXTURE_LETTERS = sorted(LETTERS.glob("*.txt"))
VALIDATOR = jsonschema.Draft202012Validator(imrparse.record_schema())


def test_there_are_fixture_letters() -> None:
    assert len(FIXTURE_LETTERS) >= 6


@pytest.mark.parametrize("letter", FIXTURE_LETTERS, ids=lambda p: p.stem)
def test_record_matches_golden(letter: Path, update_goldens: bool) -> None:
    record = json.loads(imrparse.dumps(without_source(imrparse.parse_file(letter))))
    golden = RECORDS / f"{letter.stem}.json"
    if update_goldens:
        golden.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden for {letter.name}: run pytest --update-goldens"
    assert record == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("golden", sorted(RECORDS.glob("*.json")), ids=lambda p: p.stem)
def test_golden_validates_against_schema(golden: Path) -> None:
    VALIDATOR.validate(json.loads(golden.read_text(encoding="utf-8")))




@pytest.mark.parametrize("letter", FIXTURE_LETTERS, ids=lambda p: p.stem)
def test_spans_point_into_the_original(letter: Path) -> None:
    text = imrparse.decode(letter.read_bytes())
    record = imrparse.parse(text)
    for start, end in all_spans(record):
        assert 0 <= start <= end <= len(text)
    for decision in record["decisions"]:
        start, end = decision["title_span"]
        title_words = decision["treatment"].split()
        assert title_words[-1].rstrip(")").split("-")[-1] in text[start:end]
        for key in ("claims_administrator_guideline", "reviewer_guideline"):
            if decision[key] is not None:  # None: a 2013 layout without this paragraph
                start, end = decision[key]["span"]
                assert text[start:end].split()[:2] == decision[key]["text"].split()[:2]
    for field, (start, end) in record["case"]["spans"].items():
        value = record["case"][field]
        shown = text[start:end]
        if field == "case_number" or field == "priority":
            assert shown == value
        else:  # MM/DD/YYYY in the letter (M/D/YYYY in a 2013 sentence), ISO in the record
            month, day, year = shown.split("/")
            assert value == f"{year}-{int(month):02d}-{int(day):02d}"
