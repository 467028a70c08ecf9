"""Random edits of the fixture and real letters: parse returns a schema-valid record with every
span inside the input, or raises ParseError -- never anything else -- and does so
deterministically; validate never raises and places every finding inside the input."""

from __future__ import annotations

import jsonschema
from conftest import LETTERS, all_spans, corpus_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import imrparse
from imrparse.check.rules import RULES

# The fixture letters and every fifth real text (all three extractors are among them).
SOURCES = [p.read_text(encoding="utf-8") for p in sorted(LETTERS.glob("*.txt"))] + [
    p.read_text(encoding="utf-8") for p in sorted((corpus_dir() / "text").glob("*.txt"))[::5]
]
# Characters extraction and scanning put into letters: spaces of every kind, invisible
# characters, line and page breaks, quotes, accents, replacement characters.
ODD = st.text(alphabet=st.sampled_from("\u00a0\u2007\u202f\u200b\u200d\ufeff\u00ad\t\r\n\f\u2028\u201c\u201d\u00e9\ufffd:.,"),
              max_size=6)
VALIDATOR = jsonschema.Draft202012Validator(imrparse.record_schema())


@st.composite
def edited_letters(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SOURCES)).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "case", "chars", "odd", "char_swap"]))
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
        elif op == "char_swap" and len(lines[i]) > 1:
            k = draw(st.integers(0, len(lines[i]) - 2))
            lines[i] = lines[i][:k] + lines[i][k + 1] + lines[i][k] + lines[i][k + 2 :]
        else:
            k = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:k] + draw(ODD if op == "odd" else st.text(max_size=5)) + lines[i][k + 1 :]
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


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_letters())
def test_validate_never_raises_and_places_every_finding_in_the_input(text: str) -> None:
    findings = imrparse.validate(text)
    assert imrparse.validate(text) == findings
    lines = text.splitlines() or [""]
    for finding in findings:
        assert RULES[finding["code"]].severity == finding["severity"] and finding["message"]
        assert 1 <= finding["line"] <= len(lines) + 1 and finding["column"] >= 1
    parses = True
    try:
        imrparse.parse(text)
    except imrparse.ParseError:
        parses = False
    assert parses == (not findings or not findings[0]["code"].startswith("S")), findings
