"""PDF text extraction with pypdfium2 (the `imrparse[pdf]` extra).

The posted PDFs are encrypted with an empty password and forbid copying; pdfium still reads
them. pdfium is not thread-safe (threads calling it at once crash the process), so one lock
serializes every call in a process; batches parse PDFs in parallel across processes.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any, Literal, overload

from imrparse.errors import PDF_EXTRA, InputError, MissingExtra

_PDFIUM = threading.Lock()


def extract_text(data: bytes, max_chars: int) -> str:
    """The text of every page, pages joined by a form feed (as the corpus' pdfium extraction).

    Pages are added while the text stays within `max_chars`: a few KB of compressed text can
    expand to tens of millions of characters, and pdfium needs ~100 bytes of memory for each.
    """
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise MissingExtra(PDF_EXTRA) from None
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data, password="")
        except pdfium.PdfiumError as exc:
            raise InputError(f"not a readable PDF: {exc}") from None
        try:
            return _pages_text(document, max_chars)
        finally:
            document.close()


@overload
def _pages_text(document: Any, max_chars: int) -> str: ...
@overload
def _pages_text(document: Any, max_chars: int, joined: Literal[False]) -> list[str]: ...
def _pages_text(document: Any, max_chars: int, joined: bool = True) -> str | list[str]:
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
    if not joined:
        return pages
    if not any(page.strip() for page in pages):
        raise InputError(f"the PDF has no text layer ({count} page{'s' if count != 1 else ''} of images or "
                         "blank): a scanned letter, which needs OCR before it can be read")
    return "\f".join(pages)


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


def page_texts(data: bytes, max_chars: int) -> list[str]:
    """The text layer of each page, "" for a page without one (a scan: ocr.py reads those)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise MissingExtra(PDF_EXTRA) from None
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data, password="")
        except pdfium.PdfiumError as exc:
            raise InputError(f"not a readable PDF: {exc}") from None
        try:
            return _pages_text(document, max_chars, joined=False)
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
