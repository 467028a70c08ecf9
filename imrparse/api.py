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

from .diagnosis import diagnose
from .errors import NOT_A_LETTER, InputError, ParseError
from .loader import get_parser, get_record_parser
from .normalize import Normalized, normalize
from .transformer import Built, building

# File signatures of what scrapers and scanners save under a letter's name.
_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/Excel file)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"),
)


def decode(data: bytes) -> str:
    """Bytes of a letter as text: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252
    (which decodes curly quotes and NBSP as such), else Latin-1.

    Binary data is refused rather than parsed as garbage: a known file signature is named, and
    otherwise the first NUL byte is located.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"the input starts with a UTF-16 byte-order mark but is not UTF-16: {exc}") from None
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise InputError(f"the input is {kind}, not the text of a letter")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        raise InputError(f"the input is binary data: it has a NUL byte at line {line}, column {column} (byte {nul}), "
                         "which no letter's text has", line=line, column=column)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


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

    Raises ParseError (InputError for undecodable input) with the original line and column.
    """
    if isinstance(text, bytes):
        text = decode(text)
    return parse_normalized(normalize(text), grammar=grammar)


def parse_normalized(normalized: Normalized, *, grammar: Path | None = None) -> dict[str, Any]:
    """`parse` after the normalization step, for callers that also need the offset map."""
    if not normalized.text.strip():
        raise ParseError("the input is empty: there is no letter to parse", code=NOT_A_LETTER)
    try:
        with building(normalized):
            built: Built = get_record_parser(grammar).parse(normalized.text, start="start")  # type: ignore[assignment]
    except (UnexpectedInput, ParseError):
        # Explained by one interactive parse with the tree parser (same grammar, so it fails
        # too): it says what was expected, which lark-cython's errors cannot, and keeps what
        # was read as the error's partial record.
        error = diagnose(normalized, get_parser(grammar)).error
        assert error is not None, "the tree parser accepted a letter the record parser rejected"
        raise error from None
    return built.value  # type: ignore[no-any-return]


def parse_file(path: str | os.PathLike[str], *, grammar: Path | None = None) -> dict[str, Any]:
    """Parse the letter in a text file (any of the encodings `decode` accepts)."""
    return parse(Path(path).read_bytes(), grammar=grammar)


def dumps(record: dict[str, Any]) -> bytes:
    """Serialize a record as compact JSON bytes (orjson)."""
    return orjson.dumps(record)


def record_schema() -> dict[str, Any]:
    """The record's JSON Schema (schema version 1), shipped inside the package."""
    return orjson.loads((Path(__file__).parent / "schema" / "record.schema.json").read_bytes())  # type: ignore[no-any-return]
