"""The library API. Each stage is a public function so tools can stop at any of them:

    decode (bytes -> str) -> normalize -> parse_tree -> to_record -> dumps
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from imrparse import precompiled  # noqa: F401  # first: puts imrparse's patterns in re's cache before the modules below compile them
from imrparse.check.diagnosis import diagnose
from imrparse.errors import NOT_A_LETTER, ParseError
from imrparse.grammar.loader import get_parser, get_record_parser
from imrparse.read.builder import Built, building
from imrparse.text.inputs import Letter, letter_of, read_letter
from imrparse.text.inputs import decode as decode  # the first stage, re-exported
from imrparse.text.normalize import Normalized, normalize
from imrparse.text.ocr import DEFAULT_DPI, DEFAULT_LANG, DEFAULT_PAGE_TIMEOUT, OcrMode, OcrOptions


def parse_tree(normalized: Normalized, *, start: str = "start", grammar: Path | None = None) -> Tree[Token]:
    """Parse normalized text into a Lark tree; raise ParseError at the original position."""
    parser = get_parser(grammar)
    try:
        return parser.parse(normalized.text, start=start)
    except UnexpectedInput:
        error = diagnose(normalized, parser, start).error
        assert error is not None, "the interactive parser accepted what the parser rejected"
        raise error from None


def parse(text: str | bytes, *, grammar: Path | None = None) -> dict[str, Any]:
    """Parse the text of one letter into its record (JSON-ready dicts and lists).

    Bytes may be a text file in any encoding `decode` accepts, a PDF (with the pdf extra), or a
    page image or scanned PDF (read by OCR, with the ocr extra; see `parse_file` for the options).
    Raises ParseError (InputError for undecodable input) with the original line and column.
    """
    return _parsed(letter_of(text), grammar)


def _parsed(letter: Letter, grammar: Path | None) -> dict[str, Any]:
    """The letter's record; with `source.ocr` when OCR read any of its pages."""
    record = parse_normalized(normalize(letter.text), grammar=grammar)
    if letter.ocr is not None:
        record["source"] = {"ocr": letter.ocr.as_record()}
    return record


def parse_normalized(normalized: Normalized, *, grammar: Path | None = None) -> dict[str, Any]:
    """`parse` after the normalization step, for callers that also need the offset map."""
    if not normalized.text.strip():
        raise ParseError("the input is empty: there is no letter to parse", code=NOT_A_LETTER)
    try:
        with building(normalized):
            built: Built = get_record_parser(grammar).parse(normalized.text, start="start")  # type: ignore[assignment]
    except (UnexpectedInput, ParseError):
        # Explained by one interactive parse with the tree parser (same grammar, so it fails
        # too): it says what was expected, which the record parser's errors do not, and keeps what
        # was read as the error's partial record.
        error = diagnose(normalized, get_parser(grammar)).error
        assert error is not None, "the tree parser accepted a letter the record parser rejected"
        raise error from None
    return built.value  # type: ignore[no-any-return]


def parse_file(path: str | os.PathLike[str], *, grammar: Path | None = None, ocr: OcrMode = "auto", ocr_dpi: int = DEFAULT_DPI,
               ocr_lang: str = DEFAULT_LANG, ocr_timeout: float = DEFAULT_PAGE_TIMEOUT) -> dict[str, Any]:
    """Parse the letter in a text file (any of the encodings `decode` accepts), a PDF, or a page
    image (PNG, JPEG, TIFF: a scan or a fax). `ocr` says which pages Tesseract reads: "auto" those
    without a text layer (every page of an image), "always" every page, "never" none. PDF pages
    are rendered at `ocr_dpi`; `ocr_lang` is Tesseract's language; a page may take `ocr_timeout`
    seconds. A record read by OCR has `source.ocr`: the pages, the engine, the mean word confidence.
    """
    options = OcrOptions(ocr, ocr_dpi, ocr_lang, ocr_timeout)
    return _parsed(read_letter(Path(path).read_bytes(), name=os.fsdecode(path), ocr=options), grammar)


def dumps(record: dict[str, Any]) -> bytes:
    """Serialize a record as compact JSON bytes (orjson)."""
    return orjson.dumps(record)


def record_schema() -> dict[str, Any]:
    """The record's JSON Schema (schema version 1), shipped inside the package."""
    return orjson.loads((Path(__file__).parent / "schema" / "record.schema.json").read_bytes())  # type: ignore[no-any-return]
