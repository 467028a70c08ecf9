"""PDF text extraction with pypdfium2 (the `imrparse[pdf]` extra).

The posted PDFs are encrypted with an empty password and forbid copying; pdfium still reads
them. pypdfium2 is not thread-safe, so batches call it from processes, never threads.
"""

from __future__ import annotations

from .errors import InputError


def extract_text(data: bytes) -> str:
    """The text of every page, pages joined by a form feed (as the corpus' pdfium extraction)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise InputError("reading PDFs needs the pdf extra: pip install 'imrparse[pdf]'") from None
    try:
        document = pdfium.PdfDocument(data, password="")
    except pdfium.PdfiumError as exc:
        raise InputError(f"not a readable PDF: {exc}") from None
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\f".join(pages)
    finally:
        document.close()
