"""Tolerant reading, as properties over the real letters: text between landmarks is data.

Replacing a guideline paragraph, a credential value, the case summary's narrative or a
rationale with arbitrary prose that holds no landmark changes that field and nothing else, and
never raises; so do the extractor's character substitutions and a label joined onto the line
before it."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from conftest import corpus_files, without_positions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import imrparse


@functools.cache
def _letters() -> list[tuple[str, dict[str, Any]]]:
    """The real letters' texts with their records, read and parsed on first use (in a test, so
    a missing corpus or a parser fault fails the tests, not their collection)."""
    return [(text, imrparse.parse(text)) for text in (path.read_text(encoding="utf-8") for path in corpus_files("text"))]
pytestmark = pytest.mark.corpus

# What prose may not hold: a landmark, an outcome after a colon, the sentence ends a
# partial-authorization title may have at a line end, or the opening of a credentials sentence.
LANDMARK = re.compile(
    r"guideline:|rationale:|Licensure:|Specialty:|Case\s+Number:|HOW\s+THE\s+IMR|CLINICAL\s+CASE|IMR\s+ISSUES|credentials:"
    r"|:\s*(?:upheld|overturned|partially|denied|approved|modified|certified|non-?certified)"
    r"|original request\.|Administrator\.|IMR eligible\.|reviewer\s+is\b|Date\s+of\s+Injury|Received:",
    re.IGNORECASE,
)

WORD = st.from_regex(r"[A-Za-z][a-z]{0,9}|\d{1,4}(?:[./-]\d{1,4})?|https?://www\.[a-z]{3,8}\.(?:com|org)/[a-z0-9_-]{1,12}",
                     fullmatch=True)
PUNCTUATION = st.sampled_from(["", "", "", ",", ";", ":", " -", " /", " (x)", "%"])


@st.composite
def prose(draw: st.DrawFn) -> str:
    """Sentences of words, numbers, punctuation and URLs, each ending with a sentence end."""
    sentences = []
    for _ in range(draw(st.integers(1, 3))):
        words = [draw(WORD) + draw(PUNCTUATION) for _ in range(draw(st.integers(1, 12)))]
        sentence = " ".join(words).rstrip(",;:/ -")
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
    text = " ".join(sentences)
    return text if not LANDMARK.search(text) else "Plain words here."


def _replaced(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


TOLERANT = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@TOLERANT
@given(st.data(), prose())
def test_a_guideline_paragraph_in_any_words_changes_only_that_paragraph(data: st.DataObject, words: str) -> None:
    i = data.draw(st.integers(0, len(_letters()) - 1))
    text, record = _letters()[i]
    n = data.draw(st.integers(0, len(record["decisions"]) - 1))
    key = data.draw(st.sampled_from(["claims_administrator_guideline", "reviewer_guideline"]))
    start, end = record["decisions"][n][key]["span"]
    changed = imrparse.parse(_replaced(text, start, end, words))
    guideline = changed["decisions"][n][key]
    assert guideline["text"] == words
    changed["decisions"][n][key] = record["decisions"][n][key]
    assert without_positions(changed) == without_positions(record)


@TOLERANT
@given(st.data(), prose())
def test_a_rationale_in_any_words_changes_only_that_rationale(data: st.DataObject, words: str) -> None:
    i = data.draw(st.integers(0, len(_letters()) - 1))
    text, record = _letters()[i]
    n = data.draw(st.integers(0, len(record["decisions"]) - 1))
    start, end = record["decisions"][n]["rationale_span"]
    changed = imrparse.parse(_replaced(text, start, end, words))
    assert changed["decisions"][n]["rationale"] == words
    assert without_positions(changed, ("rationale",)) == without_positions(record, ("rationale",))


@TOLERANT
@given(st.data(), prose())
def test_a_summary_in_any_words_changes_only_the_summary(data: st.DataObject, words: str) -> None:
    i = data.draw(st.integers(0, len(_letters()) - 1))
    text, record = _letters()[i]
    start, end = record["summary"]["span"]
    intro = re.compile(r"medical\s+records:\s*").search(text, start, end)
    assert intro is not None
    changed = imrparse.parse(_replaced(text, intro.end(), end, words))
    assert changed["summary"]["text"] == words
    assert without_positions(changed, ("summary",)) == without_positions(record, ("summary",))


@TOLERANT
@given(st.data(), prose())
def test_a_credential_value_in_any_words_changes_only_that_list(data: st.DataObject, words: str) -> None:
    i = data.draw(st.integers(0, len(_letters()) - 1))
    text, record = _letters()[i]
    label, key = data.draw(st.sampled_from([(r"State\(s\)\s+of\s+Licensure:[ \t]*", "licensure"),
                                            (r"Certification\(s\)/Specialty:[ \t]*", "specialties")]))
    # The value runs to the next landmark: a list may wrap onto the next line.
    found = re.compile(label + r"([\s\S]*?)(?=\s*(?:Certification\(s\)/Specialty:|CLINICAL\s+CASE\s+SUMMARY))").search(text)
    assert found is not None
    changed = imrparse.parse(_replaced(text, found.start(1), found.end(1), words))
    assert changed["reviewer"][key] == [name.strip() for name in words.split(",") if name.strip()]
    derived = (key, "specialties_canonical")  # the canonical names are read from the specialties
    assert without_positions(changed, derived) == without_positions(record, derived)


HYPHENS = ["\ufffe", "\u00ad", "\u2010", "\u2011"]
LIGATURES = {"fi": "\ufb01", "fl": "\ufb02", "ff": "\ufb00"}


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_extractor_characters_and_joined_labels_change_nothing_but_positions(data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(_letters()) - 1))
    text, record = _letters()[i]
    hyphen = data.draw(st.sampled_from(HYPHENS))
    text = re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z\r\n])", hyphen, text)
    if data.draw(st.booleans()):
        text = re.sub("|".join(LIGATURES), lambda m: LIGATURES[m.group()], text)
    if data.draw(st.booleans()):  # pypdfium2 puts a label on the line of the sentence before it
        text = re.sub(r"(?<=\.)[ \t]*\r?\n[ \t]*(?=MAXIMUS guideline:|Decision rationale:)", " ", text)
    assert without_positions(imrparse.parse(text)) == without_positions(record)
