"""The inputs the fuzzer once crashed on (fixtures/fuzz): a record or a ParseError, findings,
never another exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

import imrparse

CRASHES = sorted((FIXTURES / "fuzz").glob("*.txt"))


@pytest.mark.parametrize("path", CRASHES, ids=lambda p: p.stem)
def test_a_former_crash_parses_or_fails_cleanly_and_validates(path: Path) -> None:
    data = path.read_bytes()
    try:
        record = imrparse.parse(data)
    except imrparse.ParseError:
        record = None
    findings = imrparse.validate(data)
    assert all(f["line"] is not None for f in findings)
    if record is not None:
        imrparse.dumps(record)  # what the fuzzer does with a record: it must serialize
        text = imrparse.decode(data)
        for start, end in record["case"]["spans"].values():  # every value read has its place in the text
            assert text[start:end].strip()


def test_a_2013_date_read_from_a_sentence_has_its_span() -> None:
    data = (FIXTURES / "fuzz" / "2013_header_date_unreadable.txt").read_bytes()
    text = imrparse.decode(data)
    case = imrparse.parse(data)["case"]
    start, end = case["spans"]["application_received"]
    assert (case["application_received"], text[start:end]) == ("2013-08-06", "8/6/2013")
    [order] = [f for f in imrparse.validate(data) if f["code"] == "H204"]  # before the UR denial: at the sentence's date
    assert text.splitlines()[order["line"] - 1][order["column"] - 1:].startswith("8/6/2013")
