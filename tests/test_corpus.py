"""Every real posted letter in the corpus parses, is sound, and its three text
extractions (pdftotext, pdftotext -layout, pypdfium2) give the same record.

The corpus ships in fixtures/corpus ($IMRPARSE_CORPUS points elsewhere). When it is missing
these tests FAIL (they do not skip): CI must see it.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from conftest import corpus_dir

import imrparse

CORPUS = corpus_dir()
TEXT = CORPUS / "text"
EXTRACTIONS = ("pdftotext", "layout", "pdfium")
STEMS = sorted({p.name.split(".")[0] for p in TEXT.glob("*.txt")}) or ["<corpus missing>"]
VALIDATOR = jsonschema.Draft202012Validator(imrparse.record_schema())

pytestmark = pytest.mark.corpus


def _key(text: str | None) -> str:
    """Compare text across extractions: pdftotext drops hyphens at line ends, others keep them."""
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def _signature(record: dict[str, Any]) -> dict[str, Any]:
    """Everything a user reads from a record, made independent of line wrapping."""
    def guideline(g: dict[str, Any]) -> tuple[Any, ...]:
        return (g["cited"], [_key(m) for m in g["mtus"]], [_key(n) for n in g["non_mtus"]])

    return {
        "case": {k: v for k, v in record["case"].items() if "span" not in k},
        "reviewer": (record["reviewer"]["licensure"], record["reviewer"]["specialties"],
                     record["reviewer"]["board_certified"]),
        "summary": (record["summary"]["age"], record["summary"]["sex"], record["summary"]["date_of_injury"],
                    _key(record["summary"]["text"])),
        "decisions": [
            (d["number"], _key(d["treatment"]), _key(d["original_request"]), _key(d["authorized"]), d["outcome"],
             guideline(d["claims_administrator_guideline"]), guideline(d["reviewer_guideline"]), _key(d["rationale"]))
            for d in record["decisions"]
        ],
    }


def test_corpus_is_present() -> None:
    assert TEXT.is_dir(), f"the real-letter corpus is missing at {CORPUS} (set IMRPARSE_CORPUS)"
    assert len(list(TEXT.glob("*.txt"))) == 147


@pytest.mark.parametrize("stem", STEMS)
def test_letter_is_sound_and_extractions_agree(stem: str) -> None:
    signatures = []
    for extraction in EXTRACTIONS:
        path = TEXT / f"{stem}.{extraction}.txt"
        text = path.read_text(encoding="utf-8")
        record = imrparse.parse(text)
        VALIDATOR.validate(record)
        case = record["case"]
        assert case["case_number"] == stem
        dates = [case[k] for k in ("date_of_injury", "ur_denial_date", "application_received",
                                   "date_assigned", "decision_date")]
        assert None not in dates and dates == sorted(dates)
        flat = " ".join(text.split())
        assert len(record["decisions"]) == flat.count("Claims Administrator guideline:")
        outcomes = [w.lower() for w in re.findall(r":\s*(Upheld|Overturned)\b", flat)]
        assert [d["outcome"] for d in record["decisions"]] == outcomes
        assert record["reviewer"]["licensure"] and record["reviewer"]["specialties"]
        assert record["summary"]["age"] is not None and record["summary"]["sex"] in ("male", "female")
        assert record["summary"]["date_of_injury"] is not None
        for decision in record["decisions"]:
            start, end = decision["title_span"]
            assert _key(decision["treatment"]) in _key(text[start:end])
            assert decision["medically_necessary"] == (decision["outcome"] == "overturned")
        signatures.append(_signature(record))
    assert signatures[0] == signatures[1] == signatures[2]


@pytest.mark.parametrize("stem", STEMS)
def test_record_parser_and_tree_walk_build_the_same_record(stem: str) -> None:
    """`parse` builds the record inline while parsing; `to_record` walks the tree that
    `imrparse debug` shows. The two paths run the same callbacks and must agree exactly."""
    for extraction in EXTRACTIONS:
        normalized = imrparse.normalize((TEXT / f"{stem}.{extraction}.txt").read_text(encoding="utf-8"))
        assert imrparse.to_record(imrparse.parse_tree(normalized), normalized) == imrparse.parse_normalized(normalized)
