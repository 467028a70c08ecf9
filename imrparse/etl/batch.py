"""Many letters at once: one result per input, across processes, streaming.

A result is the letter's record plus `source: {path, sha256, bytes}`, or an error record
`{"source": ..., "error": {kind, message, line, column, expected}}` -- never nothing. A missing
extra (PDFs without `imrparse[pdf]`) is no input's failure: it raises inputs.MissingExtra.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Union

import orjson

from imrparse.api import parse
from imrparse.check.validate import unreadable_finding, validate
from imrparse.errors import InputError, ParseError
from imrparse.etl.pool import CHUNK, map_inputs
from imrparse.etl.results import DIED, Result, result_key
from imrparse.text.inputs import DEFAULT_MAX_BYTES as DEFAULT_MAX_BYTES  # re-exported: the command line's default
from imrparse.text.inputs import (
    DEFAULT_OCR,
    Letter,
    Refused,
    expand_folders,
    is_pdf,
    path_fields,
    read_letter,
    read_regular_file,
    refuse_single,
    source_fields,
    too_large,
)
from imrparse.text.normalize import LineIndex
from imrparse.text.ocr import DEFAULT_DPI, DEFAULT_LANG, DEFAULT_PAGE_TIMEOUT, OcrMode, OcrOptions, may_need_ocr

# A path, the bytes of a letter, or an (id, text) pair (text as str, or the bytes of a file).
Input = Union[str, "os.PathLike[str]", bytes, tuple[str, str | bytes], Refused]


def _load(item: Input, max_bytes: int) -> tuple[dict[str, Any], bytes | None, str | None]:
    """The source description, and the raw bytes (or the text of an (id, text) pair)."""
    if isinstance(item, tuple):
        ident, letter = item
        # A lone surrogate cannot be UTF-8: hashed as given, refused when parsed (text_of).
        data = letter if isinstance(letter, bytes) else letter.encode("utf-8", "surrogatepass")
        source: dict[str, Any] = dict(source_fields(str(ident), data))
        _check_size(source, len(data), max_bytes)
        return (source, data, None) if isinstance(letter, bytes) else (source, None, letter)
    if isinstance(item, Refused):
        raise _Unreadable({**path_fields(item.path), "sha256": None, "bytes": None}, item.why)
    if isinstance(item, bytes):
        source = {"path": None, "sha256": hashlib.sha256(item).hexdigest(), "bytes": len(item)}
        _check_size(source, len(item), max_bytes)
        return source, item, None
    path = os.fsdecode(item)  # a name that is not UTF-8 keeps its bytes (surrogateescape)
    source = {**path_fields(path), "sha256": None, "bytes": None}
    try:
        data = read_regular_file(path, max_bytes)
    except OSError as exc:
        raise _Unreadable(source, f"cannot be read: {exc.strerror or exc}") from None
    except InputError as exc:
        raise _Unreadable(source, exc.message) from None
    return dict(source_fields(path, data)), data, None


def input_key(item: Input, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The `result_key` an input's result will have, without parsing it."""
    try:
        return result_key({"source": _load(item, max_bytes)[0]})
    except _Unreadable as exc:
        return result_key({"source": exc.source})


def _check_size(source: dict[str, Any], size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise _Unreadable(source, too_large(size, max_bytes))


class _Unreadable(Exception):
    def __init__(self, source: dict[str, Any], message: str) -> None:
        self.source = source
        self.message = message


def _error_record(source: dict[str, Any], error: ParseError) -> Result:
    return {"source": source, "error": error.to_dict()}


def _as_letter(source: dict[str, Any], data: bytes | None, text: str | None, max_bytes: int, ocr: OcrOptions) -> Letter:
    """The letter's text: PDFs through pypdfium2, page images and scanned pages by OCR (noted in
    `source.ocr`), other bytes decoded; InputError if none works."""
    if text is not None:
        return Letter(text)
    assert data is not None
    letter = read_letter(data, name=source["path"] or "", max_bytes=max_bytes, ocr=ocr)
    if letter.ocr is not None:
        source["ocr"] = letter.ocr.as_record()
    return letter


def parse_one(item: Input, grammar: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES, ocr: OcrOptions = DEFAULT_OCR) -> Result:
    """Parse one input into its record, or its error record; never raises for bad input."""
    try:
        source, data, text = _load(item, max_bytes)
    except _Unreadable as exc:
        return _error_record(exc.source, InputError(exc.message))
    try:
        letter = _as_letter(source, data, text, max_bytes, ocr)
        record = parse(letter.text, grammar=grammar)
    except ParseError as error:
        return _error_record(source, error)
    return {"source": source, **record}


def extract_ahead(item: Input, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """`pool.map_inputs`' `ahead` for `parse_one` and `validate_one`: a PDF input (a path named
    .pdf, or bytes that are a PDF) goes to the PDF extractor now (`pdf.extract_ahead`), so that it
    is extracted while this process parses the input before it. `parse_one` reads the file again,
    and takes that text only if the bytes are the same. Anything else, or a file that cannot be
    read, is left to `parse_one`."""
    name = ""
    if isinstance(item, (str, os.PathLike)):
        name = os.fsdecode(item)
        if not name.lower().endswith(".pdf"):
            return
        try:
            data = read_regular_file(name, max_bytes)
        except (OSError, InputError):
            return
    elif isinstance(item, bytes):
        data = item
    elif isinstance(item, tuple) and isinstance(item[1], bytes):
        name, data = str(item[0]), item[1]
    else:
        return
    if len(data) <= max_bytes and is_pdf(data, name):
        from imrparse.text.pdf import extract_ahead as hand_ahead  # ctypes and the rest only for PDFs

        hand_ahead(data, max_bytes)


# How the error record of an input whose process died begins: `--resume` parses it again.
# Error records of that kind an input may have in a resumed output before it counts as done:
# the process may have been killed from outside (parse it again), or the input kills it.


def lost_one(item: Input, why: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Result:
    """The error record of an input whose process died parsing it (`pool.map_inputs`'s `lost`):
    it is not parsed again in this run, since it may kill the next process too; `--resume`
    parses it again, up to DIED_LIMIT times in all (`died`)."""
    try:
        source = _load(item, max_bytes)[0]
    except _Unreadable as exc:
        source = exc.source
    return _error_record(source, InputError(DIED + why))


def validate_one(
    item: Input,
    grammar: Path | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ocr: OcrOptions = DEFAULT_OCR,
    strict_text: bool = False,
) -> Result:
    """`{"source", "findings", "lines"}` for one input: its findings, and the original text of
    each line a finding points at (for carets). An unusable input is one S000 finding."""
    try:
        source, data, text = _load(item, max_bytes)
        letter = _as_letter(source, data, text, max_bytes, ocr).text
    except _Unreadable as exc:
        return {"source": exc.source, "findings": [unreadable_finding(InputError(exc.message))], "lines": {}}
    except InputError as exc:
        return {"source": source, "findings": [unreadable_finding(exc)], "lines": {}}
    findings = validate(letter, grammar=grammar, select=select, ignore=ignore, strict_text=strict_text)
    index = LineIndex(letter)
    lines = {f["line"]: index.line_text(f["line"]) for f in findings if f["line"] is not None}
    return {"source": source, "findings": findings, "lines": lines}


def parse_many(
    inputs: Iterable[Input],
    *,
    workers: int | None = None,
    ordered: bool = True,
    grammar: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ocr: OcrMode | OcrOptions = "auto",
    ocr_dpi: int = DEFAULT_DPI,
    ocr_lang: str = DEFAULT_LANG,
    ocr_timeout: float = DEFAULT_PAGE_TIMEOUT,
) -> Iterator[Result]:
    """Yield one result per input, parsed by `workers` processes, this one included (default:
    one per CPU; see `pool.map_inputs`). At most a few chunks per process are in flight, so
    memory stays bounded however long `inputs` is; results come in input order unless
    `ordered=False`. A folder stands for the letters in it (*.txt and *.pdf, walked as the
    command line walks it). An input over `max_bytes` is an error record, refused without being read.
    The `ocr` arguments are `api.parse_file`'s (or `ocr` is a `text.ocr.OcrOptions` holding them
    all); each process OCRs its letters' pages one at a time, and a list of inputs that names page
    images goes to the processes one input at a time.
    Invalid arguments raise ValueError (TypeError for a single input where an iterable belongs).
    A PDF without the pdf extra, or an image without the ocr extra, raises inputs.MissingExtra:
    no input's failure."""
    refuse_single(inputs)
    _check_max_bytes(max_bytes)
    options = ocr if isinstance(ocr, OcrOptions) else OcrOptions(ocr, ocr_dpi, ocr_lang, ocr_timeout)
    one = functools.partial(parse_one, grammar=grammar, max_bytes=max_bytes, ocr=options)
    expanded = expand_folders(inputs)
    return map_inputs(one, expanded, workers=workers, ordered=ordered, lost=functools.partial(lost_one, max_bytes=max_bytes),
                      chunk=1 if may_need_ocr(expanded, options) else CHUNK, ahead=functools.partial(extract_ahead, max_bytes=max_bytes))


def validate_many(
    inputs: Iterable[Input],
    *,
    workers: int | None = None,
    ordered: bool = True,
    grammar: Path | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ocr: OcrMode | OcrOptions = "auto",
    ocr_dpi: int = DEFAULT_DPI,
    ocr_lang: str = DEFAULT_LANG,
    ocr_timeout: float = DEFAULT_PAGE_TIMEOUT,
    strict_text: bool = False,
) -> Iterator[Result]:
    """`validate_one` over many inputs, across processes like `parse_many` (and with its `ocr` arguments)."""
    refuse_single(inputs)
    _check_max_bytes(max_bytes)
    options = ocr if isinstance(ocr, OcrOptions) else OcrOptions(ocr, ocr_dpi, ocr_lang, ocr_timeout)
    one = functools.partial(validate_one, grammar=grammar, select=select, ignore=ignore, max_bytes=max_bytes, ocr=options,
                            strict_text=strict_text)
    expanded = expand_folders(inputs)
    return map_inputs(one, expanded, workers=workers, ordered=ordered, lost=functools.partial(_lost_finding, max_bytes=max_bytes),
                      chunk=1 if may_need_ocr(expanded, options) else CHUNK, ahead=functools.partial(extract_ahead, max_bytes=max_bytes))


def _lost_finding(item: Input, why: str, max_bytes: int) -> Result:
    """`validate_one`'s result for an input whose process died: one S000 finding."""
    lost = lost_one(item, why, max_bytes)
    return {"source": lost["source"], "findings": [unreadable_finding(InputError(lost["error"]["message"]))], "lines": {}}


def _check_max_bytes(max_bytes: int) -> None:
    if not (isinstance(max_bytes, int) and max_bytes >= 1):
        raise ValueError(f"max_bytes must be a number of bytes, 1 or more, not {max_bytes!r}")


def parse_one_serialized(
    item: Input, grammar: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES, option: int = 0, ocr: OcrOptions = DEFAULT_OCR
) -> tuple[bytes, Result | None]:
    """`parse_one` serialized to JSON in the worker, with the error record beside it (None when
    the input parsed): the command line writes bytes and never unpickles a whole record."""
    return _serialized(parse_one(item, grammar, max_bytes, ocr), option)


def lost_one_serialized(item: Input, why: str, max_bytes: int = DEFAULT_MAX_BYTES, option: int = 0) -> tuple[bytes, Result | None]:
    """`lost_one` as `parse_one_serialized` gives it."""
    return _serialized(lost_one(item, why, max_bytes), option)


def _serialized(result: Result, option: int) -> tuple[bytes, Result | None]:
    return orjson.dumps(result, option=option), (result if "error" in result else None)
