"""Errors that point at the original text, in the letter's own words."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from imrparse.text.normalize import LineIndex, Normalized

# Structure codes (see imrparse/check/rules.py): what kind of failure a ParseError is.
STRUCTURE = "S100"
NOT_A_LETTER = "S101"
MISSING_PARAGRAPH = "S102"
MISSING_SECTION = "S103"
TRUNCATED = "S104"
TITLE_WITHOUT_OUTCOME = "S105"
HEADER_PAIRING = "S106"
SECOND_LETTER = "S107"
UNREADABLE = "S000"



def extra_hint(extra: str) -> str:
    """The command that installs an extra. imrparse is on no package index, so `pip install
    'imrparse[pdf]'` finds nothing: the extra is installed from the checkout imrparse came from
    (its folder, when this is an editable install of it; else a placeholder naming it)."""
    checkout = Path(__file__).resolve().parents[1]
    where = str(checkout) if (checkout / "pyproject.toml").is_file() else "<your imrparse checkout>"
    return f"pip install {shlex.quote(f'{where}[{extra}]')} (from the imrparse checkout; imrparse is on no package index)"


PDF_EXTRA = f"reading PDFs needs the pdf extra: {extra_hint('pdf')}"
OCR_EXTRA = (f"reading scans (page images) needs the ocr extra and Tesseract's English model: {extra_hint('ocr')}, "
             "and apt-get install tesseract-ocr tesseract-ocr-eng (or your system's Tesseract)")


class MissingExtra(ImportError):
    """An optional dependency the input needs is not installed: a usage error, not a bad letter."""


class ParseError(ValueError):
    """The text is not a letter the grammar accepts.

    `line` and `column` are 1-based positions in the ORIGINAL input (None when the input
    has no text at all); `expected` names the grammar terminals that would have been
    accepted there; `found` the terminal found instead ("$END" at the end, None when no
    terminal matched); `offset` is the character offset in the original input; `code`
    the structure rule it breaks; `partial` the record as far as it was read (None when
    nothing was), with null for each part not read.
    """

    kind = "parse"

    def __init__(
        self,
        message: str,
        *,
        code: str = STRUCTURE,
        line: int | None = None,
        column: int | None = None,
        offset: int | None = None,
        expected: list[str] | None = None,
        found: str | None = None,
        context: str = "",
    ) -> None:
        self.message = message
        self.code = code
        self.line = line
        self.column = column
        self.offset = offset
        self.expected = expected or []
        self.found = found
        self.context = context
        self.partial: dict[str, Any] | None = None
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{message}" + (f"\n{context}" if context else ""))

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "expected": self.expected,
            "partial": self.partial,
        }


class InputError(ParseError):
    """The input cannot be read as text (binary data, undecodable bytes, too large)."""

    kind = "input"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, code=UNREADABLE, line=line, column=column)


def short(text: str, limit: int = 60) -> str:
    """A quotation for a message: whitespace collapsed, at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def caret_context(index: LineIndex, line: int, column: int) -> str:
    """The original line, then a caret under the column."""
    text = index.line_text(line).replace("\f", " ").replace("\t", " ")
    return f"    {text}\n    {' ' * (column - 1)}^"


def error_at(
    message: str,
    normalized: Normalized,
    norm_offset: int,
    *,
    code: str = STRUCTURE,
    expected: list[str] | None = None,
    found: str | None = None,
) -> ParseError:
    """A ParseError at an offset of the normalized text, located in the original."""
    offset = normalized.to_original(norm_offset)
    index = LineIndex(normalized.original)
    line, column = index.line_col(offset)
    return ParseError(
        message,
        code=code,
        line=line,
        column=column,
        offset=offset,
        expected=expected,
        found=found,
        context=caret_context(index, line, column),
    )
