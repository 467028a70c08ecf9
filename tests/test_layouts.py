"""The 2013 layouts, siblings of the current one in the grammar: read from their landmarks, the
same record from two extraction styles, and an unknown opening refused with every layout named."""

from __future__ import annotations

import pytest
from conftest import LETTERS, without_positions

import imrparse
from imrparse.grammar.landmarks import landmarks
from imrparse.read.layouts import layouts


@pytest.mark.parametrize(("name", "layout"), [("layout_2013_maximus", "maximus-2013"), ("layout_2013_mpr", "mpr-2013")])
def test_a_2013_letter_reads_the_same_in_both_extraction_styles(name: str, layout: str) -> None:
    paths = sorted(LETTERS.glob(f"{name}.*.txt"))
    records = [imrparse.parse_file(path) for path in paths]
    assert len(records) == 2 and {r["layout"] for r in records} == {layout}
    # titles are as extracted: pdftotext's "notmedically" against "not medically"
    assert without_positions(records[0], ("title", "source")) == without_positions(records[1], ("title", "source"))
    assert all(imrparse.validate(path.read_bytes()) == [] for path in paths)


def test_the_maximus_letter_decisions_come_from_its_determination_sentences() -> None:
    record = imrparse.parse_file(LETTERS / "layout_2013_maximus.pdftotext.txt")  # "notmedically", as published
    assert [(d["number"], d["treatment"], d["outcome"], d["medically_necessary"]) for d in record["decisions"]] == [
        (1, "28 day functional restoration program", "upheld", False),
        (2, "6 month follow-up aftercare program", "overturned", True),
    ]
    assert all(d["rationale"] and d["claims_administrator_guideline"] is None for d in record["decisions"])
    case = record["case"]
    assert (case["application_received"], case["ur_denial_date"], case["date_assigned"], case["decision_date"]) == (
        "2013-09-06", "2013-08-30", "2013-09-23", "2013-09-26")
    assert record["reviewer"]["specialties"] == ["Occupational Medicine"] and record["reviewer"]["licensure"] == ["California"]
    assert record["summary"]["age"] == 44 and record["summary"]["sex"] == "female"


def test_the_professional_review_letter_reads_its_sections() -> None:
    record = imrparse.parse_file(LETTERS / "layout_2013_mpr.layout.txt")
    [decision] = record["decisions"]
    assert decision["treatment"] == "physical therapy, 12 sessions for the right shoulder"
    assert decision["outcome"] == "upheld"  # its rationale concludes "not medically necessary"
    assert decision["reviewer_guideline"]["mtus"] == ["Chronic Pain Medical Treatment Guidelines, Physical Medicine, pages 98-99"]
    assert record["reviewer"]["specialties"] == ["Orthopaedic Surgery"]


def test_an_unknown_opening_is_refused_naming_every_layout() -> None:
    with pytest.raises(imrparse.ParseError) as info:
        imrparse.parse("INDEPENDENT REVIEW ORGANIZATION DETERMINATION\nThe request for an MRI is denied.\n")
    assert info.value.code == "S101"
    for layout in layouts().values():
        assert layout.opening(landmarks()) in info.value.message
    assert "'MEDICAL PROFESSIONAL REVIEW' (2013)" in info.value.message


def test_an_unknown_sentence_between_2013_landmarks_is_text() -> None:
    text = (LETTERS / "layout_2013_maximus.pdftotext.txt").read_text(encoding="utf-8")
    changed = text.replace("Case Summary:", "The reviewer notes: 12/01/2013, see attached.\nCase Summary:")
    before, after = imrparse.parse(text)["decisions"], imrparse.parse(changed)["decisions"]
    assert without_positions(after, ("title",)) == without_positions(before, ("title",))


def test_a_2013_letter_becomes_table_rows_with_nulls_for_what_it_does_not_state() -> None:
    from imrparse.etl.tables import rows

    record = imrparse.parse_file(LETTERS / "layout_2013_maximus.pdfium.txt")
    tables = rows({**record, "source": {"path": "x.txt", "sha256": "0" * 64, "bytes": 1}})
    assert [(d["treatment"], d["outcome"], d["ca_cited"], d["reviewer_text"]) for d in tables["decisions"]] == [
        ("28 day functional restoration program", "upheld", None, None), ("6 month follow-up aftercare program", "overturned", None, None)]
    assert tables["letters"][0]["layout"] == "maximus-2013" and tables["citations"] == []


def test_the_grammars_layouts_and_the_layout_modules_are_the_same() -> None:
    """A layout module without its grammar alternative, or the reverse, fails here."""
    from imrparse.grammar.loader import get_parser

    alternatives = {rule.expansion[0].name for rule in get_parser().rules if rule.origin.name == "start"}
    assert alternatives == set(layouts())
