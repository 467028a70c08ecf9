"""OCR of page images with Tesseract, through tesserocr (the `imrparse[ocr]` extra).

A scanned letter (a PDF of page images) or a fax (a multi-page TIFF, often G3/G4 1-bit at
204x98 dpi) or a photo of a page (PNG, JPEG) is read one page at a time: rendered or decoded
with Pillow, made square-pixelled (Tesseract assumes one resolution), and recognized with a
time limit. One Tesseract engine is kept per process and language: loading the model costs
~0.2 s, a page ~1-3 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from imrparse.errors import OCR_EXTRA, InputError, MissingExtra

if TYPE_CHECKING:
    from PIL.Image import Image

OcrMode = Literal["auto", "always", "never"]
OCR_MODES: tuple[OcrMode, ...] = ("auto", "always", "never")
DEFAULT_DPI = 300
DEFAULT_LANG = "eng"
DEFAULT_PAGE_TIMEOUT = 60.0  # seconds; a clean page takes 1-3 s on one core

# Where Debian/Ubuntu, Fedora, Homebrew and conda put Tesseract's models; TESSDATA_PREFIX first.
_TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
_ENGINE = threading.Lock()  # a Tesseract engine serves one page at a time


@dataclass(frozen=True)
class OcrPage:
    """One page read by OCR: its text and the confidences (0-100) of its words."""

    text: str
    confidences: tuple[int, ...]


@dataclass(frozen=True)
class OcrInfo:
    """How a letter was read by OCR: which pages (1-based), by what engine, how surely."""

    pages: tuple[int, ...]
    engine: str
    confidence: float | None  # the mean word confidence over those pages, None without words

    def as_record(self) -> dict[str, Any]:
        return {"pages": list(self.pages), "engine": self.engine,
                "mean_word_confidence": None if self.confidence is None else round(self.confidence, 1)}


def summarize(pages: dict[int, OcrPage]) -> OcrInfo:
    """The record's `source.ocr` for the pages (by number) that were OCR'd."""
    confidences = [c for page in pages.values() for c in page.confidences]
    return OcrInfo(tuple(sorted(pages)), engine_name(),
                   sum(confidences) / len(confidences) if confidences else None)


def _tesserocr() -> Any:
    try:
        import PIL  # noqa: F401
        import tesserocr
    except ImportError:
        raise MissingExtra(OCR_EXTRA) from None
    return tesserocr


@cache
def engine_name() -> str:
    """"tesseract 5.5.0" as the engine reports it (tesserocr's wheel carries its own libtesseract)."""
    return str(_tesserocr().tesseract_version().splitlines()[0]).strip()


@cache
def tessdata_dir() -> str:
    """The directory holding the `<lang>.traineddata` models: TESSDATA_PREFIX, the directory the
    `tesseract` command reports, or a distribution's usual place."""
    candidates = [os.environ.get("TESSDATA_PREFIX", "")]
    if command := shutil.which("tesseract"):
        try:
            listed = subprocess.run([command, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            listed = ""
        first = listed.splitlines()[0] if listed else ""
        if '"' in first:  # List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (2):
            candidates.append(first.split('"')[1])
    candidates.extend(_TESSDATA_DIRS)
    for directory in candidates:
        if directory and os.path.isfile(os.path.join(directory, "eng.traineddata")):
            return directory.rstrip("/") + "/"
    for directory in candidates:
        if directory and os.path.isdir(directory):
            return directory.rstrip("/") + "/"
    raise InputError("Tesseract's language data was not found: install tesseract-ocr and tesseract-ocr-eng "
                     "(Debian/Ubuntu) or set TESSDATA_PREFIX to the directory holding eng.traineddata")


@cache
def _engine(lang: str) -> Any:
    tesserocr = _tesserocr()
    path = tessdata_dir()
    missing = [part for part in lang.split("+") if not os.path.isfile(os.path.join(path, f"{part}.traineddata"))]
    if missing:
        raise InputError(f"Tesseract has no model for language {', '.join(missing)!s} in {path} "
                         f"(install tesseract-ocr-{missing[0]}, or choose another --ocr-lang)")
    return tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=tesserocr.PSM.AUTO)


def read_image(image: Image, *, dpi: tuple[float, float] | float, lang: str = DEFAULT_LANG,
               timeout: float = DEFAULT_PAGE_TIMEOUT) -> OcrPage:
    """Recognize one page image. Pixels that are not square (a fax's 204x98 dpi) are stretched to
    the finer resolution first. Raises InputError if Tesseract fails or passes `timeout` seconds."""
    image, resolution = square_pixels(image, dpi)
    api = _engine(lang)
    with _ENGINE:
        api.SetImage(image)
        api.SetSourceResolution(resolution)
        if not api.Recognize(timeout=max(1, int(timeout * 1000))):
            api.Clear()
            raise InputError(f"Tesseract could not read the page within {timeout:g} s (the per-page limit, --ocr-timeout)")
        text = api.GetUTF8Text()
        confidences = tuple(api.AllWordConfidences())
        api.Clear()
    return OcrPage(text, confidences)


def square_pixels(image: Image, dpi: tuple[float, float] | float) -> tuple[Image, int]:
    """The image with square pixels at the finer of its two resolutions, and that resolution;
    1-bit images become greyscale (Tesseract thresholds them again either way, and a stretched
    1-bit fax reads better smoothed)."""
    from PIL import Image as PILImage

    x, y = (dpi, dpi) if isinstance(dpi, (int, float)) else dpi
    x, y = x or DEFAULT_DPI, y or DEFAULT_DPI
    if image.mode not in ("L", "RGB"):
        image = image.convert("L")
    if abs(x - y) > 1:
        scale_x, scale_y = max(x, y) / x, max(x, y) / y
        image = image.resize((round(image.width * scale_x), round(image.height * scale_y)), PILImage.Resampling.BICUBIC)
    return image, round(max(x, y))


def image_pages(data: bytes) -> Iterator[tuple[Image, tuple[float, float]]]:
    """Each page (frame) of an image file, with its resolution (0 where the file gives none)."""
    from PIL import Image as PILImage
    from PIL import ImageSequence, UnidentifiedImageError

    try:
        import io

        image = PILImage.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"not a readable image: {exc}") from None
    for number, frame in enumerate(ImageSequence.Iterator(image), 1):
        try:
            frame.load()
            dpi = frame.info.get("dpi", (0, 0))
            yield frame.copy(), (float(dpi[0]), float(dpi[1]))
        except (OSError, ValueError, SyntaxError) as exc:
            raise InputError(f"not a readable image: page {number} cannot be decoded: {exc}") from None
