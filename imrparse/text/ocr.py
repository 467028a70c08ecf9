"""OCR of page images with Tesseract, through tesserocr (the `imrparse[ocr]` extra).

A scanned letter (a PDF of page images) or a fax (a multi-page TIFF, often G3/G4 1-bit at
204x98 dpi) or a photo of a page (PNG, JPEG) is read one page at a time: rendered or decoded
with Pillow, made square-pixelled (Tesseract assumes one resolution), and recognized with a
time limit. One Tesseract engine is kept per process and language: loading the model costs
~0.2 s, a page ~1-3 s.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from imrparse.errors import OCR_EXTRA, InputError, MissingExtra

if TYPE_CHECKING:
    from PIL.Image import Image

OcrMode = Literal["auto", "always", "never"]
OCR_MODES: tuple[OcrMode, ...] = ("auto", "always", "never")
DEFAULT_DPI = 300
DEFAULT_LANG = "eng"
DEFAULT_PAGE_TIMEOUT = 120.0  # seconds; a page takes 1-3 s on an idle core, a worn one on a busy machine up to a minute

# Where Debian/Ubuntu, Fedora, Homebrew and conda put Tesseract's models; TESSDATA_PREFIX first.
_TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
_ENGINE = threading.Lock()  # a Tesseract engine serves one page at a time
# Pixels a page image may have: a letter-size page at 600 dpi is 34 million.
MAX_PIXELS = 64_000_000
_IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass(frozen=True)
class OcrOptions:
    """When and how to OCR: `mode` auto reads only the pages that have no text (every page of an
    image file), always every page, never none; `dpi` is the resolution PDF pages are rendered at
    (and assumed for image files that do not give theirs); `lang` Tesseract's language(s), as
    "eng" or "eng+spa"; `timeout` the seconds a page may take. `pages_read`, if given, is a
    `multiprocessing.Value("q")` that counts the pages OCR'd, in every process of a batch: the
    command line's progress display reads it."""

    mode: OcrMode = "auto"
    dpi: int = DEFAULT_DPI
    lang: str = DEFAULT_LANG
    timeout: float = DEFAULT_PAGE_TIMEOUT
    pages_read: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in OCR_MODES:
            raise ValueError(f"ocr must be one of {', '.join(OCR_MODES)}, not {self.mode!r}")
        if not (isinstance(self.dpi, int) and 50 <= self.dpi <= 1200):
            raise ValueError(f"ocr_dpi must be a resolution from 50 to 1200 dots per inch, not {self.dpi!r}")
        if not (isinstance(self.lang, str) and self.lang and all(part.isidentifier() for part in self.lang.split("+"))):
            raise ValueError(f"ocr_lang must be Tesseract language codes joined by +, such as eng or eng+spa, not {self.lang!r}")
        if not (isinstance(self.timeout, (int, float)) and self.timeout > 0):
            raise ValueError(f"the OCR time limit must be a positive number of seconds, not {self.timeout!r}")


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


def available() -> bool:
    """Whether the ocr extra (tesserocr and Pillow) is installed."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("tesserocr", "PIL"))


def _tesserocr() -> Any:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one thread per page: a batch runs a page per process
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
    import shutil
    import subprocess  # here: every command imports this module, few of them run OCR

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
    _quiet_leptonica(tesserocr)
    return tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=tesserocr.PSM.AUTO)


def _quiet_leptonica(tesserocr: Any) -> None:
    """Silence Leptonica (Tesseract's image library): on noisy scans it prints lines such as
    "Error in boxClipToRectangle: box outside rectangle" on stderr, which are no error of the
    letter's and would interleave with the progress display. tesserocr's wheels carry their own
    copy in tesserocr.libs/; a build against the system's finds it in the process."""
    import contextlib
    import ctypes
    import glob

    wheel_libs = os.path.join(os.path.dirname(os.path.dirname(tesserocr.__file__)), "tesserocr.libs")
    libs: list[str | None] = [*glob.glob(os.path.join(wheel_libs, "libleptonica*"))]
    for path in libs or [None]:
        with contextlib.suppress(OSError, AttributeError):  # not found: its messages stay
            ctypes.CDLL(path).setMsgSeverity(6)  # L_SEVERITY_NONE


def read_image(image: Image, *, dpi: tuple[float, float] | float, lang: str = DEFAULT_LANG,
               timeout: float = DEFAULT_PAGE_TIMEOUT) -> OcrPage:
    """Recognize one page image. Pixels that are not square (a fax's 204x98 dpi) are stretched to
    the finer resolution first. Raises InputError if Tesseract fails or passes `timeout` seconds."""
    image, resolution = square_pixels(image, dpi)
    if speckled(image):
        image = _despeckled(image)
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


def speckled(image: Image) -> bool:
    """Whether a page is grey paper with speckle (a worn photocopy, a noisy scan): fewer than
    60% of its pixels lie within 10 grey levels of its commonest grey, where a clean scan or a
    fax has most of them on white paper."""
    histogram = (image if image.mode == "L" else image.convert("L")).histogram()
    paper = max(range(256), key=histogram.__getitem__)
    near = sum(histogram[max(0, paper - 10):paper + 11])
    return near < 0.6 * image.width * image.height


def _despeckled(image: Image) -> Image:
    """A 3x3 median filter: speckle gone, strokes kept. On the worn copies of bench/copies.py it
    took Tesseract's words from 90% to 97% of the posted text's, and halved its time; on clean
    scans it changes nothing and costs a third more, so it is applied only to speckled pages."""
    from PIL import ImageFilter

    return image.filter(ImageFilter.MedianFilter(3))


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
    """Each page (frame) of an image file, with its resolution (0 where the file gives none).

    A corrupt file is an InputError: Pillow's decoders raise many kinds of exception (OSError,
    SyntaxError, TypeError "Missing dimensions", ValueError, struct.error ...) and warn about bad
    metadata, so any exception from it is the file's fault, and its warnings are not shown. The
    message does not repeat Pillow's, which can hold an object's address: the same file gets the
    same message on every run.
    """
    from PIL import Image as PILImage

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            image = PILImage.open(io.BytesIO(data))
            count = getattr(image, "n_frames", 1)
        except Exception:
            raise InputError(f"the input is {_kind(data)} that cannot be read (truncated or corrupt)") from None
        for number in range(1, count + 1):
            try:
                image.seek(number - 1)
                if image.width * image.height > MAX_PIXELS:
                    raise InputError(f"page {number} is {image.width} x {image.height} pixels, more than the {MAX_PIXELS:,} "
                                     "a page image may have to be read by OCR")
                image.load()
                dpi = image.info.get("dpi", (0, 0))
                page = image.copy()
            except InputError:
                raise
            except Exception:
                raise InputError(f"the input is {_kind(data)} that cannot be read (truncated or corrupt): page {number}") from None
            yield page, (float(dpi[0]), float(dpi[1]))


def _kind(data: bytes) -> str:
    return "a PNG image" if data.startswith(b"\x89PNG") else "a JPEG image" if data.startswith(b"\xff") else "a TIFF image"


def is_image(data: bytes) -> bool:
    """PNG, JPEG or TIFF (a fax's multi-page file) bytes: a page image to OCR."""
    return data.startswith(_IMAGE_SIGNATURES)


def may_need_ocr(inputs: object, options: OcrOptions) -> bool:
    """Whether a batch's inputs (a list of paths, bytes or pairs) may take seconds each to read:
    OCR is `always`, or a path names a page image. Such a batch is sent to the helpers one input
    at a time, and shows its pages on the progress display. Scanned PDFs are only found by
    reading them, so a batch of them keeps the usual chunks."""
    if options.mode == "never" or not isinstance(inputs, (list, tuple)):
        return False
    return options.mode == "always" or any(
        isinstance(item, (str, os.PathLike)) and os.fsdecode(item).lower().endswith(IMAGE_SUFFIXES) for item in inputs)


def read_images(data: bytes, options: OcrOptions) -> tuple[str, OcrInfo]:
    """The OCR text of every page of an image file, pages joined by form feeds."""
    if options.mode == "never":
        raise InputError("the input is a page image (a scan or a fax), which is read only by OCR, and OCR is off (--ocr never)")
    pages: dict[int, OcrPage] = {}
    for number, (image, dpi) in enumerate(image_pages(data), 1):
        x, y = dpi
        pages[number] = _read_page(image, (x or options.dpi, y or options.dpi), options, number)
    text = "\f".join(page.text for page in pages.values())
    if not text.strip():
        raise InputError(f"OCR found no text in the image ({_pages(len(pages))})")
    return text, summarize(pages)


def read_pdf(data: bytes, max_chars: int, options: OcrOptions) -> tuple[str, OcrInfo | None]:
    """A PDF's text: each page's text layer, and the OCR text of the pages without one (mode
    auto) or of every page (always); mode never is pdf.extract_text. Pages are rendered and read
    one at a time."""
    from imrparse.text.pdf import page_texts, pages_with_images, render_page

    texts = page_texts(data, max_chars)
    todo = [n for n, text in enumerate(texts, 1) if options.mode == "always" or not text.strip()]
    if options.mode == "auto" and todo and any(text.strip() for text in texts):
        todo = pages_with_images(data, todo)  # a blank page of a letter with text is not a scan
    if not todo:
        return "\f".join(texts), None
    if options.mode == "auto" and not available():
        raise InputError(f"{len(todo)} of the PDF's {_pages(len(texts))} {'has' if len(todo) == 1 else 'have'} no text layer: "
                         f"a scan, which is read only by OCR, and OCR needs the ocr extra: {OCR_EXTRA.split(': ', 1)[1]}")
    pages: dict[int, OcrPage] = {}
    for number in todo:
        image = render_page(data, number, options.dpi, MAX_PIXELS)
        pages[number] = _read_page(image, options.dpi, options, number)
        texts[number - 1] = pages[number].text
    if not any(text.strip() for text in texts):
        raise InputError(f"the PDF has no text layer, and OCR found no text on its {_pages(len(texts))} (images or blank)")
    return "\f".join(texts), summarize(pages)


def _pages(count: int) -> str:
    return f"{count} page{'s' if count != 1 else ''}"


def _read_page(image: Image, dpi: tuple[float, float] | float, options: OcrOptions, number: int) -> OcrPage:
    try:
        page = read_image(image, dpi=dpi, lang=options.lang, timeout=options.timeout)
    except InputError as exc:
        raise InputError(f"page {number}: {exc}") from None
    if options.pages_read is not None:
        with options.pages_read.get_lock():
            options.pages_read.value += 1
    return page
