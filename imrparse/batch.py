"""Many letters at once: one result per input, across processes, streaming.

A result is the letter's record plus `source: {path, sha256, bytes}`, or an error record
`{"source": ..., "error": {kind, message, line, column, expected}}` -- never nothing. A missing
extra (PDFs without `imrparse[pdf]`) is no input's failure: it raises MissingExtraError.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Union

import orjson

from .api import decode, parse
from .errors import InputError, ParseError
from .normalize import LineIndex
from .pool import map_inputs
from .validate import unreadable_finding, validate

# A path, the bytes of a letter, or an (id, text) pair.
Input = Union[str, "os.PathLike[str]", bytes, tuple[str, str]]
Result = dict[str, Any]


# Inputs larger than this are refused before they are read: a letter is ~6 KB of text, a
# posted PDF well under 1 MB. Configurable per call and with `--max-bytes`.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


def _load(item: Input, max_bytes: int) -> tuple[dict[str, Any], bytes | None, str | None]:
    """The source description, and the raw bytes (or the text of an (id, text) pair)."""
    if isinstance(item, tuple):
        ident, text = item
        data = text.encode("utf-8")
        source = {"path": str(ident), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        _check_size(source, len(data), max_bytes)
        return source, None, text
    if isinstance(item, bytes):
        source = {"path": None, "sha256": hashlib.sha256(item).hexdigest(), "bytes": len(item)}
        _check_size(source, len(item), max_bytes)
        return source, item, None
    path = str(Path(item))
    source = {"path": path, "sha256": None, "bytes": None}
    try:
        data = _read_regular_file(path, source, max_bytes)
    except OSError as exc:
        raise _Unreadable(source, f"cannot be read: {exc.strerror or exc}") from None
    _check_size(source, len(data), max_bytes)
    source.update(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    return source, data, None


def _read_regular_file(path: str, source: dict[str, Any], max_bytes: int) -> bytes:
    """The bytes of a regular file, refused unread when it is over `max_bytes`. Anything else is
    refused unread too: reading a FIFO, a device or a socket can block the batch forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO would wait for a writer
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _Unreadable(source, "is a directory, not a letter")
        if not stat.S_ISREG(info.st_mode):
            raise _Unreadable(source, "is not a regular file (a FIFO, device or socket), so it is not read; "
                                      "give a stream as - (standard input)")
        _check_size(source, info.st_size, max_bytes)
        with open(fd, "rb", closefd=False) as stream:
            return stream.read(max_bytes + 1)
    finally:
        os.close(fd)


def result_key(result: Result) -> str:
    """What identifies a result's input across runs: its content's sha256, or its path when it
    could not be read. `--resume` skips inputs whose key is already in the output."""
    source = result["source"]
    return str(source["sha256"] or f"path:{source['path']}")


def input_key(item: Input, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The `result_key` an input's result will have, without parsing it."""
    try:
        return result_key({"source": _load(item, max_bytes)[0]})
    except _Unreadable as exc:
        return result_key({"source": exc.source})


def _check_size(source: dict[str, Any], size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise _Unreadable(source, f"is larger than the size limit of {max_bytes:,} bytes ({size:,} bytes); "
                                  "raise the limit with --max-bytes (max_bytes=) if it really is one letter")


class _Unreadable(Exception):
    def __init__(self, source: dict[str, Any], message: str) -> None:
        self.source = source
        self.message = message


class MissingExtraError(ImportError):
    """An input needs an optional extra that is not installed. Not the input's fault, so never
    an error record (which `--resume` and `load` would keep for good): it stops the batch."""


def require_pdf_extra() -> None:
    """Raise MissingExtraError, naming the extra, when PDFs cannot be read."""
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        raise MissingExtraError("reading PDFs needs the pdf extra: pip install 'imrparse[pdf]'") from None


def _error_record(source: dict[str, Any], error: ParseError) -> Result:
    return {"source": source, "error": error.to_dict()}


def _as_text(source: dict[str, Any], data: bytes | None, text: str | None) -> str:
    """The letter's text: PDFs through pypdfium2, other bytes decoded; InputError if neither works."""
    if text is not None:
        return text
    assert data is not None
    if (source["path"] or "").lower().endswith(".pdf") or data.startswith(b"%PDF-"):
        require_pdf_extra()
        from .pdf import extract_text

        return extract_text(data)
    return decode(data)


def parse_one(item: Input, grammar: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Result:
    """Parse one input into its record, or its error record; never raises for bad input."""
    try:
        source, data, text = _load(item, max_bytes)
    except _Unreadable as exc:
        return _error_record(exc.source, InputError(exc.message))
    try:
        record = parse(_as_text(source, data, text), grammar=grammar)
    except ParseError as error:
        return _error_record(source, error)
    return {"source": source, **record}


def validate_one(
    item: Input,
    grammar: Path | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Result:
    """`{"source", "findings", "lines"}` for one input: its findings, and the original text of
    each line a finding points at (for carets). An unusable input is one S000 finding."""
    try:
        source, data, text = _load(item, max_bytes)
        letter = _as_text(source, data, text)
    except _Unreadable as exc:
        return {"source": exc.source, "findings": [unreadable_finding(InputError(exc.message))], "lines": {}}
    except InputError as exc:
        return {"source": source, "findings": [unreadable_finding(exc)], "lines": {}}
    findings = validate(letter, grammar=grammar, select=select, ignore=ignore)
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
) -> Iterator[Result]:
    """Yield one result per input, parsed by `workers` processes, this one included (default:
    one per CPU; see `pool.map_inputs`). At most a few chunks per process are in flight, so
    memory stays bounded however long `inputs` is; results come in input order unless
    `ordered=False`. An input over `max_bytes` is an error record, refused without being read.
    Invalid arguments raise ValueError."""
    _check_max_bytes(max_bytes)
    one = functools.partial(parse_one, grammar=grammar, max_bytes=max_bytes)
    return map_inputs(one, inputs, workers=workers, ordered=ordered)


def validate_many(
    inputs: Iterable[Input],
    *,
    workers: int | None = None,
    ordered: bool = True,
    grammar: Path | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[Result]:
    """`validate_one` over many inputs, across processes like `parse_many`."""
    _check_max_bytes(max_bytes)
    one = functools.partial(validate_one, grammar=grammar, select=select, ignore=ignore, max_bytes=max_bytes)
    return map_inputs(one, inputs, workers=workers, ordered=ordered)


def _check_max_bytes(max_bytes: int) -> None:
    if not (isinstance(max_bytes, int) and max_bytes >= 1):
        raise ValueError(f"max_bytes must be a number of bytes, 1 or more, not {max_bytes!r}")


def parse_one_serialized(
    item: Input, grammar: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES, option: int = 0
) -> tuple[bytes, Result | None]:
    """`parse_one` serialized to JSON in the worker, with the error record beside it (None when
    the input parsed): the command line writes bytes and never unpickles a whole record."""
    result = parse_one(item, grammar, max_bytes)
    return orjson.dumps(result, option=option), (result if "error" in result else None)
