"""PDF text extraction with pypdfium2 (the `imrparse[pdf]` extra).

The posted PDFs are encrypted with an empty password and forbid copying; pdfium still reads
them. pdfium is not thread-safe (threads calling it at once crash the process), so one lock
serializes every call in a process; batches parse PDFs in parallel across processes.

pdfium spends its memory before any limit can be checked: a page of 30 million characters,
100 KB compressed, takes ~800 MB to load and ~3.5 GB more to index its text, and a process out
of memory aborts. So where the system can fork (Linux, macOS), a PDF is extracted in a helper
process of this one (the extractor, started on the first PDF and kept for the next) whose
address space is limited to what this process had plus PDF_MEMORY: a PDF that needs more ends
that helper, not this process, and is an InputError; the next PDF starts a new helper. The
calling process never loads a PDF into pdfium.

A batch hands the extractor its next PDF before it parses the one before (`extract_ahead`), so
that one is extracted while the other is parsed; a PDF's text is taken from that exchange only
for the same bytes (and size limit), so it is always the text of the bytes being read.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import struct
import sys
import threading
from typing import Any

from imrparse.errors import PDF_EXTRA, InputError, MissingExtra

_PDFIUM = threading.Lock()

# What extracting one PDF may add to the extractor's memory (address space) beyond this
# process's own: a letter's PDF needs a few MB; pdfium takes ~250 bytes per character of a
# page, so ~1.5 million characters on one page (250 letters' worth) pass it.
PDF_MEMORY = 384 * 1024 * 1024

# The extractor's replies: the text, or the message of an InputError.
_TEXT, _REFUSED = 0, 1
_HEADER = struct.Struct("<BQ")
_REQUEST = struct.Struct("<QQ")


def extract_text(data: bytes, max_chars: int) -> str:
    """The text of every page, pages joined by a form feed (as the corpus' pdfium extraction).

    Pages are added while the text stays within `max_chars`: a few KB of compressed text can
    expand to tens of millions of characters. A PDF whose extraction needs more than
    PDF_MEMORY is an InputError, and this process carries on.
    """
    text = _extracted(data, max_chars)
    if not text.replace("\f", "").strip():
        count = text.count("\f") + 1
        raise InputError(f"the PDF has no text layer ({count} page{'s' if count != 1 else ''} of images or "
                         "blank): a scanned letter, which needs OCR before it can be read")
    return text


def page_texts(data: bytes, max_chars: int) -> list[str]:
    """The text layer of each page, "" for a page without one (a scan: ocr.py reads those),
    extracted as `extract_text` extracts it (within PDF_MEMORY, in the extractor)."""
    return _extracted(data, max_chars).split("\f")


def _extracted(data: bytes, max_chars: int) -> str:
    """Every page's text layer, pages joined by a form feed, extracted in the extractor."""
    try:
        import pypdfium2 as pdfium  # imported here, so that the extractor inherits it
    except ImportError:
        raise MissingExtra(PDF_EXTRA) from None
    with _PDFIUM:
        if not hasattr(os, "fork"):  # Windows: no helper to bound it; extracted here
            return _extract_here(pdfium, data, max_chars)
        return _Extractor.extract(data, max_chars)


def extract_ahead(data: bytes, max_chars: int) -> None:
    """Have the extractor start on this PDF now, while this process does other work (parses the
    letter before it); `extract_text` or `page_texts` of the same bytes then takes its text. A
    PDF handed ahead earlier and not taken is dropped. Nothing happens without fork (Windows),
    or without the pdf extra."""
    if not hasattr(os, "fork"):
        return
    try:
        import pypdfium2  # noqa: F401  # imported before the extractor starts, so that it inherits it
    except ImportError:
        return
    with _PDFIUM:
        _Extractor.hand_ahead(data, max_chars)


def _extract_here(pdfium: Any, data: bytes, max_chars: int) -> str:
    try:
        document = pdfium.PdfDocument(data, password="")
    except pdfium.PdfiumError as exc:
        raise InputError(f"not a readable PDF: {exc}") from None
    try:
        return "\f".join(_pages_text(document, max_chars))
    finally:
        document.close()


class _Extractor:
    """The helper process that extracts this process's PDFs, one at a time, under an
    address-space limit. It ends when this process closes its end of the pipe (exits, or dies
    however it dies), and with the exchange it was in when that exchange is interrupted.

    At most one request is ahead of the replies read (`handed`): it is sent only when no reply
    is unread, so neither process ever waits to write while the other waits to write too."""

    _running: _Extractor | None = None
    # The PDF handed ahead, its reply not yet read: (size limit, bytes).
    handed: tuple[int, bytes] | None = None
    # Its reply, read before the next was handed ahead: (size limit, bytes, kind, text or message).
    answered: tuple[int, bytes, int, str] | None = None

    def __init__(self) -> None:
        requests_read, self.requests = os.pipe()
        self.replies, replies_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the extractor: never returns into the caller's code
            status = 1
            try:
                os.close(self.requests)
                os.close(self.replies)
                _serve(requests_read, replies_write)
                status = 0
            finally:
                os._exit(status)
        os.close(requests_read)
        os.close(replies_write)

    @classmethod
    def current(cls) -> _Extractor:
        if cls._running is None:
            cls._running = _Extractor()
        return cls._running

    @classmethod
    def extract(cls, data: bytes, max_chars: int) -> str:
        """The PDF's text: the reply to it if it was handed ahead, else from a new exchange."""
        if cls.handed is not None and cls._answer_to(data, max_chars) is None:
            cls._take_answer()  # read before anything else is asked (it may be this PDF's)
        answer = cls._answer_to(data, max_chars)
        if answer is not None:
            cls.answered = None
            kind, payload = answer
        else:
            kind, payload = cls.current()._exchange(data, max_chars)
        if kind == _REFUSED:
            raise InputError(payload)
        return payload

    @classmethod
    def _answer_to(cls, data: bytes, max_chars: int) -> tuple[int, str] | None:
        """The reply read for these bytes and this size limit, if it is the one kept."""
        if cls.answered is None or cls.answered[:2] != (max_chars, data):
            return None
        return cls.answered[2], cls.answered[3]

    @classmethod
    def hand_ahead(cls, data: bytes, max_chars: int) -> None:
        """Send the PDF now, once the reply to the one handed before is read (and kept)."""
        if cls.handed is not None:
            cls._take_answer()
        extractor = cls.current()  # a new one if the last reply was its end
        try:
            _write_all(extractor.requests, _REQUEST.pack(max_chars, len(data)) + data)
        except OSError:  # it was killed meanwhile: this PDF's own extraction starts a new one
            extractor._end()
            return
        except BaseException:  # interrupted mid-request: the pipe's next bytes belong to this one
            extractor._end()
            raise
        cls.handed = (max_chars, data)

    @classmethod
    def _take_answer(cls) -> None:
        """Read the reply to the PDF handed ahead into `answered`."""
        assert cls.handed is not None and cls._running is not None
        max_chars, data = cls.handed
        cls.handed = None
        cls.answered = (max_chars, data, *cls._running._reply())

    def _exchange(self, data: bytes, max_chars: int) -> tuple[int, str]:
        try:
            _write_all(self.requests, _REQUEST.pack(max_chars, len(data)) + data)
        except OSError:
            return _REFUSED, self._ended()
        except BaseException:
            self._end()
            raise
        return self._reply()

    def _reply(self) -> tuple[int, str]:
        """The next reply: the text, or the message of an InputError (also when it ended)."""
        try:
            kind, size = _HEADER.unpack(_read_exactly(self.replies, _HEADER.size))
            return kind, _read_exactly(self.replies, size).decode("utf-8", "surrogatepass")
        except (OSError, EOFError):
            return _REFUSED, self._ended()
        except BaseException:  # interrupted mid-exchange: the pipe's next bytes belong to this one
            self._end()
            raise

    def _ended(self) -> str:
        return (f"the PDF cannot be extracted within {PDF_MEMORY >> 20} MiB of memory (a letter's needs a few MB): "
                f"its extraction ended with {self._end()}")

    def _end(self) -> str:
        """Stop the extractor (if it still runs) and say how it ended."""
        _Extractor._running = None
        for fd in (self.requests, self.replies):
            os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        status = os.waitpid(self.pid, 0)[1]
        if os.WIFSIGNALED(status):
            return f"signal {os.WTERMSIG(status)} ({signal.Signals(os.WTERMSIG(status)).name})"
        return f"exit status {os.WEXITSTATUS(status)}"

    @classmethod
    def forget(cls) -> None:
        """In a forked child: the parent's extractor is not this process's (its pipe ends are
        closed here, so that the extractor still ends with the parent)."""
        if cls._running is not None:
            for fd in (cls._running.requests, cls._running.replies):
                os.close(fd)
            cls._running = None
        cls.handed = cls.answered = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_Extractor.forget)


def _serve(requests: int, replies: int) -> None:
    """The extractor's loop: a PDF in, its text (or why not) out, until the pipe closes."""
    import pypdfium2 as pdfium

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):  # the parent turns it into SystemExit (outputs.py); here it just ends
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):  # hold no reader's pipe open: `imrparse parse | cat` ends with imrparse
        os.dup2(null, fd)
    _limit_memory()
    while True:
        try:
            max_chars, size = _REQUEST.unpack(_read_exactly(requests, _REQUEST.size))
            data = _read_exactly(requests, size)
        except EOFError:
            return
        try:
            kind, text = _TEXT, _extract_here(pdfium, data, max_chars)
        except InputError as exc:
            kind, text = _REFUSED, exc.message
        except MemoryError:
            kind, text = _REFUSED, (f"the PDF cannot be extracted within {PDF_MEMORY >> 20} MiB of memory "
                                    "(a letter's needs a few MB)")
        del data
        payload = text.encode("utf-8", "surrogatepass")
        _write_all(replies, _HEADER.pack(kind, len(payload)) + payload)


def _limit_memory() -> None:
    """Limit this process's address space to its present size plus PDF_MEMORY, and write no
    core file if pdfium aborts at the limit. Linux only (/proc; macOS does not enforce it)."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not sys.platform.startswith("linux"):
        return
    with open("/proc/self/statm", "rb") as stream:
        size = int(stream.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + PDF_MEMORY
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _pages_text(document: Any, max_chars: int) -> list[str]:
    """Each page's text, as pypdfium2's `page.get_textpage().get_text_range()` gives it, read
    through pdfium's own functions: the helper objects (a finalizer and a parent link for each
    page and text page) cost a tenth of an extraction."""
    import pypdfium2.raw as pdfium_c

    pages: list[str] = []
    total = 0
    count = len(document)
    for number in range(1, count + 1):
        page = pdfium_c.FPDF_LoadPage(document.raw, number - 1)
        if not page:
            raise InputError(f"not a readable PDF: page {number} of {count} cannot be loaded")
        textpage = pdfium_c.FPDFText_LoadPage(page)
        try:
            chars = pdfium_c.FPDFText_CountChars(textpage) if textpage else -1
            if chars < 0:
                raise InputError(f"not a readable PDF: the text of page {number} of {count} cannot be read")
            total += chars + (number > 1)  # the form feed before it
            if total > max_chars:
                raise InputError(f"the PDF's text passes the size limit of {max_chars:,} characters at page {number} of "
                                 f"{count}; raise the limit with --max-bytes (max_bytes=) if it really is one letter")
            pages.append(_text_range(pdfium_c, textpage, chars))
        finally:
            if textpage:
                pdfium_c.FPDFText_ClosePage(textpage)
            pdfium_c.FPDF_ClosePage(page)
    return pages


def _text_range(pdfium_c: Any, textpage: Any, chars: int) -> str:
    """The page's text, as pypdfium2's `get_text_range()` (5.x) reads it: its range is narrowed
    past leading and trailing characters that have no place in the text (pdfium bug 2079)."""
    first, last = 0, chars - 1
    while first <= last and pdfium_c.FPDFText_GetTextIndexFromCharIndex(textpage, first) == -1:
        first += 1
    while first <= last and pdfium_c.FPDFText_GetTextIndexFromCharIndex(textpage, last) == -1:
        last -= 1
    if first > last:
        return ""
    size = pdfium_c.FPDFText_GetTextIndexFromCharIndex(textpage, last) + 2 - pdfium_c.FPDFText_GetTextIndexFromCharIndex(textpage, first)
    buffer = (ctypes.c_ushort * size)()
    written = pdfium_c.FPDFText_GetText(textpage, first, last - first + 1, buffer)
    return bytes(memoryview(buffer)[: written - 1]).decode("utf-16-le", errors="ignore")


def pages_with_images(data: bytes, numbers: list[int]) -> list[int]:
    """Which of these pages (1-based) hold an image: a page without text and without an image is
    blank, and has nothing for OCR to read."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    with _PDFIUM:
        document = pdfium.PdfDocument(data, password="")
        try:
            found = []
            for number in numbers:
                page = document[number - 1]
                try:
                    if next(iter(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])), None) is not None:
                        found.append(number)
                finally:
                    page.close()
            return found
        finally:
            document.close()


def render_page(data: bytes, number: int, dpi: int, max_pixels: int) -> Any:
    """Page `number` (1-based) as a greyscale Pillow image at `dpi`, for OCR; an InputError
    rather than a render when it would have more than `max_pixels` pixels."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        document = pdfium.PdfDocument(data, password="")
        try:
            page = document[number - 1]
            width, height = page.get_size()  # points
            pixels = (width * dpi / 72) * (height * dpi / 72)
            if pixels > max_pixels:
                raise InputError(f"page {number} is {width / 72:.0f} x {height / 72:.0f} inches: at {dpi} dpi, more than "
                                 f"the {max_pixels:,} pixels a page image may have to be read by OCR (lower --ocr-dpi)")
            try:
                return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            finally:
                page.close()
        finally:
            document.close()
