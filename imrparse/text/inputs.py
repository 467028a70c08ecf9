"""What callers hand in, made into a letter's text: bytes of a text file in any common encoding,
PDFs (through `pdf.py`), page images and scanned PDF pages (through `ocr.py`), strings; wrong
types refused with a sentence; file names that are not UTF-8 carried losslessly into JSON and
tables.

Every entry point (`parse`, `validate`, `parse_file`, the batch functions, `debug`, `text`)
reads its input here, so a PDF or an odd encoding is accepted wherever a letter is.
"""

from __future__ import annotations

import base64
import codecs
import fnmatch
import hashlib
import importlib.util
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass
from typing import Any, cast

from imrparse.errors import OCR_EXTRA, PDF_EXTRA, InputError, MissingExtra
from imrparse.record import Source
from imrparse.text.normalize import LineIndex
from imrparse.text.ocr import IMAGE_SUFFIXES, OcrInfo, OcrOptions, is_image

DEFAULT_OCR = OcrOptions()

# Inputs larger than this are refused before they are read: a letter is ~6 KB of text, a
# posted PDF well under 1 MB. Configurable per call and with `--max-bytes`.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024

# The letters taken from a folder, by name (ignoring case): the command line's --glob default.
DEFAULT_GLOBS = ("*.txt", "*.pdf", "*.tif", "*.tiff", "*.png", "*.jpg", "*.jpeg")  # page images are read by OCR

# Byte-order marks, UTF-32 first: its little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)

# UTF-32 and UTF-16 without a mark: the bytes of each code unit that are NUL in English text.
_NUL_PATTERNS = (
    ("UTF-32-LE", 4, {1, 2, 3}),
    ("UTF-32-BE", 4, {0, 1, 2}),
    ("UTF-16-LE", 2, {1}),
    ("UTF-16-BE", 2, {0}),
)

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

_SURROGATE = re.compile("[\ud800-\udfff]")


def decode(data: bytes) -> str:
    """Bytes of a letter as text: UTF-8 (with or without BOM), UTF-16 or UTF-32 (with a BOM, or
    recognized by where their NUL bytes fall), else cp1252 (which decodes curly quotes and NBSP
    as such), else Latin-1.

    Binary data is refused rather than parsed as garbage: a known file signature is named, and
    otherwise the first NUL byte is located.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, codec.lower(), f"starts with a {codec} byte-order mark")
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise InputError(f"the input is {kind}, not the text of a letter")
    unmarked = _unmarked_encoding(data)
    if unmarked:
        return _decode_as(data, unmarked.lower(), f"looks like {unmarked} text without a byte-order mark")
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


def _decode_as(data: bytes, codec: str, why: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(f"the input {why} but is not {codec.upper()}: {exc}") from None


def _unmarked_encoding(data: bytes) -> str | None:
    """The UTF-32 or UTF-16 encoding whose NUL pattern the start of `data` shows: in English text
    (nearly) every code unit has NULs at the same places and none elsewhere, which neither a
    stray NUL nor a block of zeros has."""
    sample = data[:4096]
    if b"\x00" not in sample:  # one C scan: the text of nearly every letter has no NUL at all
        return None
    for codec, width, nuls in _NUL_PATTERNS:
        if not sample or len(data) % width:
            continue
        shares = [sample[i::width].count(0) / len(sample[i::width]) for i in range(width)]
        if all(share >= 0.9 if i in nuls else share <= 0.1 for i, share in enumerate(shares)):
            return codec
    return None


def is_pdf(data: bytes, name: str = "") -> bool:
    return data.startswith(b"%PDF-") or name.lower().endswith(".pdf")


@dataclass(frozen=True)
class Letter:
    """A letter's text, and how OCR read it (None when no page was OCR'd)."""

    text: str
    ocr: OcrInfo | None = None


def read_letter(data: bytes, *, name: str = "", max_bytes: int = DEFAULT_MAX_BYTES, ocr: OcrOptions = DEFAULT_OCR) -> Letter:
    """The text of a letter file's bytes: a PDF's text layer (up to `max_bytes` characters) with
    its pages without text OCR'd (as `ocr` says), the OCR text of a page image (PNG, JPEG, TIFF),
    else the decoded text. `name` is the file's name, if it has one."""
    if is_pdf(data, name):
        if ocr.mode == "never":
            from imrparse.text.pdf import extract_text

            return Letter(extract_text(data, max_bytes))
        from imrparse.text.ocr import read_pdf

        return Letter(*read_pdf(data, max_bytes, ocr))
    if is_image(data):
        from imrparse.text.ocr import read_images

        return Letter(*read_images(data, ocr))
    return Letter(decode(data))


def letter_text(data: bytes, *, name: str = "", max_bytes: int = DEFAULT_MAX_BYTES, ocr: OcrOptions = DEFAULT_OCR) -> str:
    """`read_letter`'s text."""
    return read_letter(data, name=name, max_bytes=max_bytes, ocr=ocr).text


def text_of(letter: object, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """`letter_of`'s text."""
    return letter_of(letter, max_bytes=max_bytes).text


def letter_of(letter: object, *, max_bytes: int = DEFAULT_MAX_BYTES, ocr: OcrOptions = DEFAULT_OCR) -> Letter:
    """A letter handed to the library as str or bytes (of a text file, a PDF or a page image).

    Anything else is a TypeError: without it, `None` or a number failed deep inside with an
    AttributeError. A str holding a lone surrogate (no file can) is an InputError at its place.
    """
    if isinstance(letter, str):
        if not letter.isascii() and (surrogate := _SURROGATE.search(letter)):
            line, column = LineIndex(letter).line_col(surrogate.start())
            raise InputError(f"the text has a lone surrogate (U+{ord(surrogate.group()):04X}) at line {line}, column "
                             f"{column}: half of a UTF-16 pair, not a character", line=line, column=column)
        return Letter(letter)
    if isinstance(letter, (bytes, bytearray)):
        return read_letter(bytes(letter), max_bytes=max_bytes, ocr=ocr)
    hint = "; for a file, use parse_file(path)" if isinstance(letter, os.PathLike) else ""
    raise TypeError(f"a letter is its text (str) or the bytes of a text file or PDF, not {type(letter).__name__}{hint}")


def refuse_single(inputs: object) -> None:
    """`parse_many("letters/a.txt")` would take each character for a path: refuse a lone str,
    bytes or path where an iterable of inputs belongs."""
    if isinstance(inputs, (str, bytes, os.PathLike)):
        raise TypeError(f"the inputs are an iterable of paths, bytes or (id, text) pairs, not one {type(inputs).__name__}: "
                        "wrap a single input in a list")


def require_pdf_extra(inputs: Iterable[Any]) -> None:
    """Raise MissingExtra before a run if pypdfium2 is missing and an input is a PDF, or the ocr
    extra is missing and an input is a page image (by name, or for bytes and unknown names by
    content), so that it is one usage error, not a failed record per input. Reads files only when
    an extra is missing."""
    need_pdf = importlib.util.find_spec("pypdfium2") is None
    need_ocr = importlib.util.find_spec("tesserocr") is None or importlib.util.find_spec("PIL") is None
    if not (need_pdf or need_ocr):
        return
    for item in inputs:
        name = ""
        if isinstance(item, (bytes, tuple)):
            data = item if isinstance(item, bytes) else item[1]
            if not isinstance(data, bytes):
                continue
        else:
            name = os.fsdecode(item)
            data = _head(name)
        if need_pdf and is_pdf(data, name):
            raise MissingExtra(PDF_EXTRA)
        if need_ocr and not is_pdf(data, name) and (is_image(data) or name.lower().endswith(IMAGE_SUFFIXES)):
            raise MissingExtra(OCR_EXTRA)


def _head(path: str) -> bytes:
    """The first bytes of a regular file; nothing else is opened (a FIFO would block)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return b""  # its own error record, later
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            return os.read(fd, 5)
        finally:
            os.close(fd)
    except OSError:
        return b""


def read_regular_file(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of a regular file, refused unread (InputError) when it is over `max_bytes`.
    Anything else is refused unread too: reading a FIFO, a device or a socket can block forever
    or never end (/dev/zero). OSError when it cannot be opened or read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO would wait for a writer
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            with os.scandir(path):  # a folder that cannot be listed says why (OSError)
                raise InputError("is a directory, not a letter")
        if not stat.S_ISREG(info.st_mode):
            raise InputError("is not a regular file (a FIFO, device or socket), so it is not read; give a stream as - "
                             "(standard input)")
        if info.st_size > max_bytes:
            raise InputError(too_large(info.st_size, max_bytes))
        data = _read_to_end(fd, info.st_size, max_bytes)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew since its stat
        raise InputError(too_large(len(data), max_bytes))
    return data


def too_large(size: int, max_bytes: int) -> str:
    """The message for an input over the size limit."""
    return (f"is larger than the size limit of {max_bytes:,} bytes ({size:,} bytes); "
            "raise the limit with --max-bytes (max_bytes=) if it really is one letter")


def _read_to_end(fd: int, size: int, max_bytes: int) -> bytes:
    """The file's bytes to its end, up to just past `max_bytes`, read in reads sized from its
    stat `size` (`stream.read(max_bytes + 1)` allocated the whole limit, 32 MiB, per letter).
    A file that grew since its stat, or a short read, is read on."""
    chunks = []
    total = 0
    want = size + 1
    while total <= max_bytes:
        chunk = os.read(fd, min(want, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        want = max(want - len(chunk), 1 << 16)
    return b"".join(chunks)


def path_fields(path: str) -> dict[str, str]:
    """A path for JSON and tables, which hold only valid Unicode: `path` as readable text
    (a byte that is not UTF-8 as U+FFFD) and, when that loses bytes, `path_bytes` with the name's
    bytes in base64."""
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:  # a lone surrogate in a caller's id, not from a file name
        raw = path.encode("utf-8", "surrogatepass")
    readable = raw.decode("utf-8", "replace")
    if readable == path:
        return {"path": path}
    return {"path": readable, "path_bytes": base64.b64encode(raw).decode("ascii")}


def source_fields(path: str, data: bytes) -> Source:
    """A file's `source`: its path (as `path_fields` gives it), the sha256 and size of its bytes,
    in the order the batch functions write them."""
    return cast(Source, {**path_fields(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)})


@dataclass(frozen=True)
class Refused:
    """An input found but not to be read (a link out of the folder a walk was given): its result
    is an error record saying `why`, and its content is never opened."""

    path: str
    why: str


def letters_in(top: str, globs: Iterable[str] = DEFAULT_GLOBS, follow_links: bool = False) -> list[str | Refused]:
    """The files under `top` whose names match a glob, ignoring case (scanners save `.PDF`), in
    path order. Directories are walked from a stack, not by recursion (a folder nested a
    thousand deep), reading directory entries (no stat per file). A symbolic link that leads
    inside `top` is followed, a link to a directory walked once (no loop is walked twice); one
    that leads outside `top` is not read unless `follow_links`: it is a `Refused` input, an
    error record that names it. Anything that is not a directory counts, so a broken link or a
    file link loop is an input too, and gets its error record; so does a directory that cannot
    be listed, whose letters would otherwise be lost without a word."""
    matches = re.compile("|".join(fnmatch.translate(pattern) for pattern in globs), re.IGNORECASE).match
    root = os.path.join(os.path.realpath(top), "")
    found: list[str | Refused] = []
    walked: set[tuple[int, int]] = set()
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            info = os.stat(directory)
            if (info.st_dev, info.st_ino) in walked:
                continue
            walked.add((info.st_dev, info.st_ino))
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name, reverse=True)  # walked in name order
        except OSError:
            found.append(directory)  # reading it says why it cannot be listed
            continue
        for entry in entries:
            if entry.is_symlink():
                is_dir = _leads_to_directory(entry)
                if not follow_links and not os.path.join(os.path.realpath(entry.path), "").startswith(root):
                    if is_dir or matches(entry.name):
                        found.append(Refused(entry.path, f"is a link to a {'folder' if is_dir else 'file'} outside {top}, so it "
                                                         "is not read; give --follow-links to read what it leads to"))
                    continue
            else:
                is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir:
                stack.append(entry.path)
            elif matches(entry.name):
                found.append(entry.path)
    return sorted(found, key=lambda name: (name.path if isinstance(name, Refused) else name).split(os.sep))


def _leads_to_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link loop: an input, whose error record says why
        return False


def expand_folders(inputs: Iterable[Any], globs: Iterable[str] = DEFAULT_GLOBS) -> Iterable[Any]:
    """The inputs with each folder among them replaced by the letters in it (`letters_in`), as
    the command line takes them. A list stays a list (its size picks the pool); any other
    iterable is expanded lazily, so a long stream of inputs is never held. A folder with no
    letter in it stays an input of its own, so that its error record accounts for it."""
    expanded = _expand_folders(inputs, tuple(globs))
    return list(expanded) if isinstance(inputs, Sized) else expanded


def _expand_folders(inputs: Iterable[Any], globs: tuple[str, ...]) -> Iterator[Any]:
    for item in inputs:
        found = letters_in(os.fsdecode(item), globs) if isinstance(item, (str, os.PathLike)) and os.path.isdir(item) else []
        yield from found or (item,)
