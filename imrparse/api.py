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

from .errors import NOT_A_LETTER, ParseError, from_lark
from .inputs import decode as decode  # the first stage, re-exported
from .inputs import letter_text, text_of
from .loader import get_parser, get_record_parser
from .normalize import Normalized, normalize
from .transformer import Built, building


def parse_tree(normalized: Normalized, *, start: str = "start", grammar: Path | None = None) -> Tree[Token]:
    """Parse normalized text into a Lark tree; raise ParseError at the original position."""
    try:
        return get_parser(grammar).parse(normalized.text, start=start)
    except UnexpectedInput as exc:
        raise from_lark(exc, normalized) from None


def parse(text: str | bytes, *, grammar: Path | None = None) -> dict[str, Any]:
    """Parse the text of one letter into its record (JSON-ready dicts and lists).

    Bytes may be a text file in any encoding `decode` accepts or a PDF (with the pdf extra).
    Raises ParseError (InputError for undecodable input) with the original line and column.
    """
    return parse_normalized(normalize(text_of(text)), grammar=grammar)


def parse_normalized(normalized: Normalized, *, grammar: Path | None = None) -> dict[str, Any]:
    """`parse` after the normalization step, for callers that also need the offset map."""
    if not normalized.text.strip():
        raise ParseError("the input is empty: there is no letter to parse", code=NOT_A_LETTER)
    try:
        with building(normalized):
            built: Built = get_record_parser(grammar).parse(normalized.text, start="start")  # type: ignore[assignment]
    except UnexpectedInput:
        # Reported by the tree parser (same grammar, so it fails too): its interactive parser
        # says what was expected, which lark-cython's errors cannot.
        try:
            parse_tree(normalized, grammar=grammar)
        except ParseError as error:
            from .validate import restated  # only on failure: it re-reads the tokens

            raise restated(error, normalized, grammar) from None
        raise
    return built.value  # type: ignore[no-any-return]


def parse_file(path: str | os.PathLike[str], *, grammar: Path | None = None) -> dict[str, Any]:
    """Parse the letter in a text file (any of the encodings `decode` accepts) or a PDF."""
    return parse(letter_text(Path(path).read_bytes(), name=os.fsdecode(path)), grammar=grammar)


def dumps(record: dict[str, Any]) -> bytes:
    """Serialize a record as compact JSON bytes (orjson)."""
    return orjson.dumps(record)


def record_schema() -> dict[str, Any]:
    """The record's JSON Schema (schema version 1), shipped inside the package."""
    return orjson.loads((Path(__file__).parent / "schema" / "record.schema.json").read_bytes())  # type: ignore[no-any-return]
