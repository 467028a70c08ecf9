"""Normalization steps, each mapped back to the original text."""

from __future__ import annotations

import pytest

from imrparse.normalize import LineIndex, normalize

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
    ("zero width run", "a\u200b\u200b\u200b\u00adb", "ab"),
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
        if char.strip():  # visible characters are copied, never replaced
            assert original[orig] == char


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
