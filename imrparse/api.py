"""The library API. Each stage is a public function so tools can stop at any of them:

    decode (bytes -> str) -> normalize -> parse_tree -> to_record -> dumps
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

import orjson
from lark import Token, Tree
from lark.exceptions import UnexpectedInput, VisitError

from imrparse.check.diagnosis import diagnose
from imrparse.errors import NOT_A_LETTER, InputError, ParseError
from imrparse.grammar.landmarks import landmarks
from imrparse.grammar.loader import get_parser, get_record_parser
from imrparse.read import repair as repairs
from imrparse.read.builder import Built, RecordBuilder, building
from imrparse.record import Record
from imrparse.text.inputs import DEFAULT_MAX_BYTES, Letter, letter_of, read_letter, read_regular_file, source_fields
from imrparse.text.inputs import decode as decode  # the first stage, re-exported
from imrparse.text.normalize import Normalized, normalize
from imrparse.text.ocr import DEFAULT_DPI, DEFAULT_LANG, DEFAULT_PAGE_TIMEOUT, OcrMode, OcrOptions


def parse_tree(normalized: Normalized, *, start: str = "start", grammar: Path | None = None) -> Tree[Token]:
    """Parse normalized text into a Lark tree; raise ParseError at the original position."""
    parser = get_parser(grammar)
    try:
        return parser.parse(normalized.text, start=start)
    except UnexpectedInput:
        error = diagnose(normalized, parser, start, grammar).error
        assert error is not None, "the interactive parser accepted what the parser rejected"
        raise error from None


def parse(text: str | bytes, *, grammar: Path | None = None) -> Record:
    """Parse the text of one letter into its record (JSON-ready dicts and lists).

    Bytes may be a text file in any encoding `decode` accepts, a PDF (with the pdf extra), or a
    page image or scanned PDF (read by OCR, with the ocr extra; see `parse_file` for the options).
    Raises ParseError (InputError for undecodable input) with the original line and column.
    """
    return _parsed(letter_of(text), grammar)


def _parsed(letter: Letter, grammar: Path | None) -> Record:
    """The letter's record; with `source.ocr` when OCR read any of its pages."""
    record = parse_normalized(normalize(letter.text), grammar=grammar)
    if letter.ocr is not None:
        record["source"] = {"ocr": letter.ocr.as_record()}  # type: ignore[typeddict-item]
    return record


def parse_normalized(normalized: Normalized, *, grammar: Path | None = None, repair: bool = True) -> Record:
    """`parse` after the normalization step, for callers that also need the offset map.

    A letter that does not parse as it is, or that carries page furniture, is repaired as a
    scanned, faxed or flattened copy is (read/repair.py) and parsed again; its record then lists
    the `repairs`. When the repaired text does not parse either, the error is the letter's own, at
    its original position (unless only the repairs made it a letter: then where the repaired
    text fails). `repair=False` parses the text as it is (`validate --strict-text`)."""
    if not normalized.text.strip():
        raise ParseError("the input is empty: there is no letter to parse", code=NOT_A_LETTER)
    if not repair:
        return _parse_as_it_is(normalized, grammar)
    first: ParseError | None = None
    lm = landmarks(grammar)
    if not repairs.needs_repair(normalized.text, lm):
        try:
            return _parse_as_it_is(normalized, grammar)
        except ParseError as error:
            first = error
    repaired, made = repairs.repair(normalized, lm)
    if not made:
        if first is None:
            return _parse_as_it_is(normalized, grammar)
        raise first
    try:
        record = _parse_as_it_is(repaired, grammar)
    except ParseError as repaired_error:
        if first is None:  # repaired first: the letter as it is may still parse
            try:
                return _parse_as_it_is(normalized, grammar)
            except ParseError as error:
                first = error
        if first.code == NOT_A_LETTER:  # a scan, read as a letter only once repaired: where it fails then
            raise repaired_error from None
        raise first from None
    record["repairs"] = [repairs.as_record(r, normalized) for r in made]
    return record


def _parse_as_it_is(normalized: Normalized, grammar: Path | None) -> Record:
    try:
        with building(normalized, grammar):
            built: Built = get_record_parser(grammar).parse(normalized.text, start="start")  # type: ignore[assignment]
    except (UnexpectedInput, ParseError, VisitError):  # Lark wraps a callback's ParseError in a VisitError
        # Explained by one interactive parse with the tree parser (same grammar, so it fails
        # too): it says what was expected, which the record parser's errors do not, and keeps what
        # was read as the error's partial record.
        error = diagnose(normalized, get_parser(grammar), grammar=grammar).error
        assert error is not None, "the tree parser accepted a letter the record parser rejected"
        raise error from None
    except Exception as exc:  # a grammar (--grammar) whose tree the record builder does not expect
        raise _builder_error(exc) from exc
    return built.value  # type: ignore[no-any-return]


def _builder_error(exc: Exception) -> ParseError:
    """A failure of the record builder as the letter's ParseError, naming the grammar rule whose
    callback failed: the outermost builder method in the traceback (the one the parser called)."""
    rule = next((frame.f_code.co_name for frame, _ in traceback.walk_tb(exc.__traceback__)
                 if isinstance(frame.f_locals.get("self"), RecordBuilder)), None)
    where = f"the grammar rule {rule!r}" if rule else "a grammar rule"
    return ParseError(f"the record builder cannot read {where}: {type(exc).__name__}: {exc}. A grammar given with --grammar "
                      "(grammar=) must keep the shape of each rule the builder reads")


def parse_file(path: str | os.PathLike[str], *, grammar: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES, ocr: OcrMode = "auto",
               ocr_dpi: int = DEFAULT_DPI, ocr_lang: str = DEFAULT_LANG, ocr_timeout: float = DEFAULT_PAGE_TIMEOUT) -> Record:
    """Parse the letter in a text file (any of the encodings `decode` accepts), a PDF, or a page
    image (PNG, JPEG, TIFF: a scan or a fax). The record starts with the file's `source: {path,
    sha256, bytes}`, as `parse_many` gives it, with `ocr` (the pages, the engine, the mean word
    confidence) when OCR read a page.

    `ocr` says which pages Tesseract reads: "auto" those without a text layer (every page of an
    image), "always" every page, "never" none. PDF pages are rendered at `ocr_dpi`; `ocr_lang` is
    Tesseract's language; a page may take `ocr_timeout` seconds. Only a regular file of at most
    `max_bytes` is read: anything else is an InputError naming it (a FIFO would block, /dev/zero
    never end); OSError when it cannot be opened."""
    name = os.fsdecode(path)
    try:
        data = read_regular_file(path, max_bytes)
    except InputError as exc:
        raise InputError(f"{name} {exc.message}") from None
    record = _parsed(read_letter(data, name=name, max_bytes=max_bytes, ocr=OcrOptions(ocr, ocr_dpi, ocr_lang, ocr_timeout)), grammar)
    source = {**source_fields(name, data), **record.pop("source", {})}
    return {"source": source, **record}  # type: ignore[typeddict-item]


def dumps(record: dict[str, Any]) -> bytes:
    """Serialize a record as compact JSON bytes (orjson)."""
    return orjson.dumps(record)


def record_schema() -> dict[str, Any]:
    """The record's JSON Schema (schema version 1), shipped inside the package."""
    return orjson.loads((Path(__file__).parent / "schema" / "record.schema.json").read_bytes())  # type: ignore[no-any-return]
