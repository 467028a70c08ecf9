"""Normalization steps, each mapped back to the original text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imrparse.text.normalize import _HYPHEN_WRAP, LineIndex, _join_hyphen, collapse, normalize

LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}

CASES = [
    # (name, original, normalized)
    ("crlf", "a\r\nb\r\n", "a\nb\n"),
    ("cr only", "a\rb", "a\nb"),
    ("form feed mid-line", "HEADING\fThe next", "HEADING\nThe next"),
    ("trailing spaces", "a  \nb \t\n", "a\nb\n"),
    ("nbsp", "a\u00a0b", "a b"),
    ("bom and zero width", "\ufeffa\u200bb", "ab"),
    ("seed doubled lines", "line one \n\nline two \n\n \n\n", "line one\n\nline two\n\n"),
    ("blank line runs", "a\r\n \r\n\f\r\n\n\nb", "a\n\nb"),
    ("space runs inside a line", "Case Number:   \t CM16-0213037\u00a0\u00a0x", "Case Number: CM16-0213037 x"),
    ("zero width run", "a\u200b\u200b\u200bb", "ab"),
    ("pdfium soft hyphen", "Non\ufffeMTUS", "Non-MTUS"),
    ("soft hyphen", "Non\u00adMTUS", "Non-MTUS"),
    ("unicode hyphens", "follow\u2010up non\u2011certified", "follow-up non-certified"),
    ("ligatures", "\ufb01le \ufb02ow e\ufb00ect o\ufb03ce", "file flow effect office"),
    ("trailing space at end", "end   ", "end"),
]


@pytest.mark.parametrize(("name", "original", "expected"), CASES, ids=[c[0] for c in CASES])
def test_normalized_text(name: str, original: str, expected: str) -> None:
    assert normalize(original).text == expected


@pytest.mark.parametrize(("name", "original", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_kept_character_maps_to_itself(name: str, original: str, expected: str) -> None:
    norm = normalize(original)
    for i, char in enumerate(norm.text):
        orig = norm.to_original(i)
        if char.strip():  # visible characters are copied; a hyphen or ligature stands for its own
            assert original[orig] == char or original[orig] in "\ufffe\u00ad\u2010\u2011" + "".join(LIGATURES)


def test_span_of_a_crlf_line_ends_in_the_original() -> None:
    original = "ab \r\ncd\r\n"
    norm = normalize(original)
    start = norm.text.index("cd")
    assert norm.span(start, start + 2) == [5, 7]
    assert original[5:7] == "cd"


def test_line_index_counts_crlf_cr_and_lf_lines() -> None:
    index = LineIndex("one\r\ntwo\rthree\nfour")
    assert index.line_col(0) == (1, 1)
    assert index.line_col(5) == (2, 1)
    assert index.line_col(9) == (3, 1)
    assert index.line_col(15) == (4, 1)
    assert index.line_text(3) == "three"


# The normalization as one regular expression, applied after the one-for-one step: the
# specification `normalize` must agree with (it finds the same pieces by faster searches).
_SPEC = re.compile(
    r"(?P<blank_lines>(?: *+(?:\r\n|[\r\n])){3,}+)"
    r"|(?P<line_end>\r\n|\r)"
    r"|(?P<trailing> +)(?=[\r\n]|\Z)"
    r"|(?P<space_run> {2,})"
    r"|(?P<invisible>[\ufeff\u200b\u200c\u200d\u2060]+)"
    r"|(?P<ligature>[\ufb00-\ufb04])"
)
_SPEC_REPLACEMENT = {"blank_lines": "\n\n", "line_end": "\n", "trailing": "", "space_run": " ", "invisible": ""}


def _spec(original: str) -> str:
    one_for_one = original.translate(str.maketrans({"\t": " ", "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\f": "\n",
                                                    "\ufffe": "-", "\u00ad": "-", "\u2010": "-", "\u2011": "-"}))
    return _SPEC.sub(lambda m: LIGATURES.get(m.group()) or _SPEC_REPLACEMENT[m.lastgroup or ""], one_for_one)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=" \t\n\r\f\u00a0\u202f\u200b\ufeff\u00ad\ufffe\u2010\ufb01ab.", max_size=40))
def test_normalize_agrees_with_its_specification(original: str) -> None:
    norm = normalize(original)
    assert norm.text == _spec(original)
    for i, char in enumerate(norm.text):
        if char.strip():
            assert original[norm.to_original(i)] in (char, "\u00ad", "\ufffe", "\u2010", "\ufb01")


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.text(alphabet=" \t\f\u00a0\u200bab.", max_size=8), max_size=8))
def test_crlf_throughout_agrees_with_its_specification(lines: list[str]) -> None:
    original = "\r\n".join(lines)  # CRLF throughout, as Windows text files have
    norm = normalize(original)
    assert norm.text == _spec(original)
    for i, char in enumerate(norm.text):
        if char.strip():
            assert original[norm.to_original(i)] == char


PIECES = ["a", "b", " ", "  ", "\n", "\n\n\n", " \n", "\f", "\t", "\ufb01", "\u200b", ":"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_crlf_text_maps_as_its_lf_text_does(lf_text: str) -> None:
    """The same text with CRLF line ends normalizes to the same text, and each offset maps to the
    LF text's offset moved right by the CRs before it (a line end to its CR)."""
    crlf_text = lf_text.replace("\n", "\r\n")
    lf, crlf = normalize(lf_text), normalize(crlf_text)
    assert crlf.text == lf.text
    for i in range(len(lf.text) + 1):
        orig = lf.to_original(i)
        assert crlf.to_original(i) == orig + lf_text.count("\n", 0, orig)
        if i < len(lf.text):
            end = lf.span(i, i + 1)[1]
            assert crlf.span(i, i + 1)[1] == end + lf_text.count("\n", 0, end)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["ab", "c", " ", "  ", "\n", "\n\n", "-\n", "-", "\t", "\x0b", "\x1c", "\r", "\x01",
                                 "\u00e9", "\u3000", "\u00a0"]), max_size=20).map("".join))
def test_collapse_joins_every_whitespace_run_into_one_space(text: str) -> None:
    """collapse's quick path (single spaces and line ends) gives what splitting into words does."""
    joined = _HYPHEN_WRAP.sub(_join_hyphen, text) if "-\n" in text else text
    assert collapse(text) == " ".join(joined.split())
