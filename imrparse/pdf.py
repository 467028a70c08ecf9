"""PDF text extraction with pypdfium2 (the `imrparse[pdf]` extra).

The posted PDFs are encrypted with an empty password and forbid copying; pdfium still reads
them. pdfium is not thread-safe (threads calling it at once crash the process), so one lock
serializes every call in a process; batches parse PDFs in parallel across processes.
"""

from __future__ import annotations

import threading
from typing import Any

from .errors import InputError
from .inputs import PDF_EXTRA, MissingExtra

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


def _pages_text(document: Any, max_chars: int) -> str:
    pages: list[str] = []
    total = 0
    for number, page in enumerate(document, start=1):
        textpage = page.get_textpage()
        total += textpage.count_chars() + (number > 1)  # the form feed before it
        text = textpage.get_text_range() if total <= max_chars else None
        textpage.close()
        page.close()
        if text is None:
            raise InputError(f"the PDF's text passes the size limit of {max_chars:,} characters at page {number} of "
                             f"{len(document)}; raise the limit with --max-bytes (max_bytes=) if it really is one letter")
        pages.append(text)
    if not any(page.strip() for page in pages):
        raise InputError(f"the PDF has no text layer ({len(document)} page{'s' if len(document) != 1 else ''} of images or "
                         "blank): a scanned letter, which needs OCR before it can be read")
    return "\f".join(pages)
