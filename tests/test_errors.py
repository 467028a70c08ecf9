"""Bad letters: a ParseError at the original line and column, in the letter's words."""

from __future__ import annotations

import pytest
from conftest import LETTERS

import imrparse

GOOD = (LETTERS / "pdftotext_partial_authorization.txt").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _error(text: str | bytes) -> imrparse.ParseError:
    with pytest.raises(imrparse.ParseError) as info:
        imrparse.parse(text)
    return info.value


def test_missing_rationale_is_reported_at_the_next_item() -> None:
    bad = GOOD.replace(
        "Decision rationale: No surgery has been authorized, so associated postoperative therapy is not\n"
        "supported. Therefore, the request is not medically necessary.\n", "")
    error = _error(bad)
    assert error.line == _line_of(bad, "Retrospective TENS unit")
    assert error.column == 1
    assert "_RATIONALE_LABEL" in error.expected
    assert "'Decision rationale:'" in error.message
    assert "Retrospective TENS unit" in error.context and "^" in error.context


def test_missing_maximus_guideline_names_it() -> None:
    bad = GOOD.replace("MAXIMUS guideline: Decision based on MTUS Acupuncture", "Decision based on MTUS Acupuncture")
    bad = bad.replace("MAXIMUS guideline: Decision based on MTUS Low Back Complaints 2004, Section(s): Physical\n",
                      "Decision based on MTUS Low Back Complaints 2004, Section(s): Physical\n")
    error = _error(bad)
    assert "_REVIEWER_GUIDELINE_LABEL" in error.expected
    assert "'MAXIMUS guideline:'" in error.message


def test_position_is_in_the_original_crlf_text() -> None:
    bad = GOOD.replace("CLINICAL CASE SUMMARY\n", "CLINICAL CASE SUMARY\n").replace("\n", "\r\n")
    error = _error(bad)
    original_lines = bad.split("\r\n")
    assert original_lines[error.line - 1].startswith("CLINICAL CASE SUMARY") or \
        original_lines[error.line - 1][error.column - 1:].startswith("CLINICAL")
    assert error.offset is not None and bad[error.offset:].startswith("CLINICAL CASE SUMARY")


def test_header_value_of_the_wrong_kind() -> None:
    bad = GOOD.replace("CM16-0999001\n12/05/2016\n12/30/2016\nStandard", "CM16-0999001\n12/05/2016\nStandard\n12/30/2016")
    error = _error(bad)
    assert "Decision Date:" in error.message and "date" in error.message
    assert error.line == _line_of(bad, "Standard\n12/30")


def test_an_outcome_that_is_neither_upheld_nor_overturned_is_read_for_validate() -> None:
    # Parsing is lenient about the outcome word; `validate` (rule D401) reports it.
    bad = GOOD.replace("Associated surgical service: Physical therapy, times 12: Upheld",
                       "Associated surgical service: Physical therapy, times 12: Denied")
    decision = imrparse.parse(bad)["decisions"][2]
    assert (decision["outcome"], decision["medically_necessary"]) == ("denied", None)


def test_a_title_without_any_outcome_is_reported_where_the_outcome_is_missing() -> None:
    bad = GOOD.replace("Associated surgical service: Physical therapy, times 12: Upheld",
                       "Associated surgical service: Physical therapy, times 12")
    error = _error(bad)
    title = "Associated surgical service: Physical therapy, times 12"
    assert (error.code, error.line, error.column) == ("S105", _line_of(bad, title + "\n"), len(title) + 1)
    assert error.message.startswith(f"the title {title!r} (line {error.line}) has no outcome")
    assert "TITLE_TEXT" in error.expected  # the parser's own view: the label after it was out of place


@pytest.mark.parametrize("text", ["Dear Sir,\nThank you for your letter.\n", "{\"json\": true}", "%PDF-1.7\n"])
def test_not_a_letter(text: str) -> None:
    error = _error(text)
    assert "not an IMR Final Determination Letter" in error.message
    assert (error.line, error.column) == (1, 1)


@pytest.mark.parametrize("text", ["", "   \n\n \t \n", b"", b"\xef\xbb\xbf"])
def test_empty_input(text: str | bytes) -> None:
    error = _error(text)
    assert "empty" in error.message and error.line is None


def test_binary_input_is_an_input_error() -> None:
    error = _error(b"GIF89a\x01\x00\x01\x00")
    assert isinstance(error, imrparse.InputError) and error.message == "the input is a GIF image, not the text of a letter"


def test_a_truncated_page_image_is_an_input_error() -> None:
    error = _error(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert isinstance(error, imrparse.InputError)
    assert error.message == "the input is a PNG image that cannot be read (truncated or corrupt)"


def test_truncated_letter_reports_the_end() -> None:
    bad = GOOD[: GOOD.index("MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2009,\nSection(s): TENS")]
    error = _error(bad)
    assert error.message.startswith(f"the letter ends at line {error.line} in item 'Retrospective TENS unit")
    assert error.message.endswith("before its 'MAXIMUS guideline:' paragraph")
    assert error.code == "S104" and "_REVIEWER_GUIDELINE_LABEL" in error.expected


@pytest.mark.parametrize("percent", range(5, 100, 5))
def test_every_truncation_gives_a_record_or_a_parse_error(percent: int) -> None:
    # A cut inside a rationale leaves a complete, shorter letter; any other cut is an error.
    cut = GOOD[: len(GOOD) * percent // 100]
    try:
        record = imrparse.parse(cut)
    except imrparse.ParseError as error:
        assert error.line is not None and 1 <= error.line <= cut.count("\n") + 1
    else:
        assert cut.rstrip().endswith(record["decisions"][-1]["rationale"].split()[-1])
