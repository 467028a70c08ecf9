"""Random edits of real-looking letters: parse returns a schema-valid record with every span
inside the input, or raises ParseError -- never anything else -- and does so deterministically."""

from __future__ import annotations

import jsonschema
from conftest import LETTERS, all_spans
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import imrparse

SOURCES = [p.read_text(encoding="utf-8") for p in sorted(LETTERS.glob("*.txt"))]
VALIDATOR = jsonschema.Draft202012Validator(imrparse.record_schema())


@st.composite
def edited_letters(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SOURCES)).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "case", "chars"]))
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, draw(st.text(max_size=60)))
        elif op == "case":
            lines[i] = lines[i].upper() if draw(st.booleans()) else lines[i].lower()
        else:
            k = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:k] + draw(st.text(max_size=5)) + lines[i][k + 1 :]
        if not lines:
            lines = [""]
    return "\n".join(lines)




@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_letters())
def test_parse_returns_a_valid_record_or_raises_parse_error(text: str) -> None:
    try:
        record = imrparse.parse(text)
    except imrparse.ParseError as error:
        again = None
        try:
            imrparse.parse(text)
        except imrparse.ParseError as second:
            again = second
        assert again is not None and str(again) == str(error)
        if error.line is not None:
            assert 1 <= error.line <= len(text.splitlines()) + 1
        return
    VALIDATOR.validate(record)
    for start, end in all_spans(record):
        assert 0 <= start <= end <= len(text)
    assert imrparse.parse(text) == record
