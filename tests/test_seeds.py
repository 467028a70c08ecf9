"""The two seed letters: every value a user reads, stated exactly."""

from __future__ import annotations

from conftest import LETTERS

import imrparse


def test_seed_000_credentials_list_and_non_mtus_guidelines() -> None:
    record = imrparse.parse_file(LETTERS / "seed_000_3ff69cc2fa494158.txt")
    assert record["layout"] == "fdl-2014"
    assert record["case"]["case_number"] is None and record["case"]["span"] is None
    assert record["reviewer"]["licensure"] == ["California"]
    assert record["reviewer"]["specialties"] == ["Physical Medicine & Rehabilitation", "Pain Management"]
    assert record["reviewer"]["board_certified"] is None
    summary = record["summary"]
    assert (summary["age"], summary["sex"], summary["date_of_injury"]) == (56, "male", "2004-12-06")
    assert summary["text"].startswith("The injured worker is a 56 year old male")
    [decision] = record["decisions"]
    assert decision["number"] is None
    assert decision["treatment"] == "Platelet-rich plasma injection to the left proximal hamstring under ultrasound"
    assert (decision["outcome"], decision["medically_necessary"]) == ("upheld", False)
    assert decision["original_request"] is None and decision["authorized"] is None
    ca = decision["claims_administrator_guideline"]
    assert ca["cited"] is True and ca["mtus"] == []
    assert ca["non_mtus"] == ["Official Disability Guidelines Treatment in Workers Compensation, Platelet-rich Plasma (PRP)"]
    reviewer = decision["reviewer_guideline"]
    assert reviewer["non_mtus"] == ["Official Disability Guidelines (ODG) Hip & Pelvis, Platelet-Rich Plasma (PRP)"]
    assert reviewer["text"].startswith("The Expert Reviewer did not base their decision on the MTUS.")
    assert decision["rationale"].startswith("Regarding the request for PRP injection")
    assert decision["rationale"].endswith("under ultrasound is not medically necessary.")


def test_seed_002_board_sentence_numbered_item_and_wrapped_url() -> None:
    record = imrparse.parse_file(LETTERS / "seed_002_c9bea6becccd0840.txt")
    assert record["reviewer"] | {"span": None, "spans": None} == {
        "licensure": ["California"], "specialties": ["Family Medicine"], "specialties_canonical": ["Family Medicine"],
        "specialties_corrected": [], "board_certified": True, "unrecognized": [], "span": None, "spans": None,
    }  # the spans: tests/test_value_spans.py
    summary = record["summary"]
    assert (summary["age"], summary["sex"], summary["date_of_injury"]) == (None, None, "2002-06-07")
    [decision] = record["decisions"]
    assert decision["number"] == 1
    assert decision["treatment"] == "PLATELET RICH PLASMA INJECTION FOR BILATERAL NECK AND SHOULDER"
    assert decision["outcome"] == "upheld"
    ca = decision["claims_administrator_guideline"]
    assert ca == ca | {"cited": False, "mtus": [], "non_mtus": []}
    assert ca["text"] == "The Claims Administrator did not cite any medical evidence for its decision."
    assert decision["reviewer_guideline"]["non_mtus"] == [
        "Other Medical Treatment Guideline or Medical Evidence: ClinicalTrials.gov "
        "http://clinicaltrials.gov/ct2/results?term=Platelet-rich+Plasma&Search=Search"
    ]
    assert decision["rationale"].endswith("not medically indicated and not medically necessary.")


def test_seed_spans_cover_the_decision_in_the_original_text() -> None:
    text = (LETTERS / "seed_002_c9bea6becccd0840.txt").read_text(encoding="utf-8")
    [decision] = imrparse.parse(text)["decisions"]
    start, end = decision["span"]
    assert text[start:].startswith("1 PLATELET RICH PLASMA")
    assert text[:end].endswith("medically necessary.")
    start, end = decision["title_span"]
    assert text[start:end].replace("\n", "").endswith("SHOULDER:  Upheld")
