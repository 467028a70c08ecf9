"""Other copies of the corpus letters, as claims files hold them, and how well imrparse reads them.

    python bench/copies.py make    [--out DIR] [--kinds clean,worn,fax,footer,flat] [--letters 12] [--jobs 2] [--held-out]
    python bench/copies.py measure [--out DIR] [--kinds ...]
    python bench/copies.py fixtures  (re-makes fixtures/ocr/: the tests' page images)

`make` writes, for each letter of fixtures/corpus/pdf ($IMRPARSE_CORPUS) (every 4th one, `--letters` of them; all of
them for `flat`), DIR/<kind>/<case number>.txt, the text a reader of that copy gets. `--held-out` takes
other letters (every 4th from the third on), none of the first set: a repair made for the first set's
copies must hold on these too.

- clean:  the PDF rendered at 300 dpi in grey (pypdfium2), OCR'd by Tesseract;
- worn:   rendered at 200 dpi, toner greyed, skewed by up to +-1 degree, blurred and noised, OCR'd;
- fax:    rendered at 204 dpi, a fax banner (date, time, sender, phone number, "P. 3") drawn on each
          page's top margin, squeezed to the fax's 98 dpi rows, thresholded to 1 bit and saved as a
          multi-page Group 4 TIFF (DIR/fax/<case>.tif, kept: ~30 KB a page), which is then OCR'd
          page by page as imrparse reads a TIFF;
- footer: the clean scan with a "Page N of M" footer and a running "Claim file" header on every page;
- flat:   no OCR: the text flattened into paragraphs, one a line, as pdf-oxide and some viewers'
          copy-paste give it. Body paragraphs are the blocks of pdftotext's extraction (blank-line
          separated) with their lines joined by spaces; the header block is pypdfium2's extraction
          (label/value pairs in reading order) joined likewise. Page breaks stay form feeds.

Randomness (skew, noise) is seeded by the case number, so the copies are the same on every run.
`measure` parses each copy and compares the key fields of its record with those of the
pdftotext record of the same letter (see `key_fields`); a copy that fails to parse scores 0.
It also gives how much of the text OCR got right: the share of pdftotext's words that the copy
has in order (difflib's ratio over the two word sequences).
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import random
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core per Tesseract: the pool runs pages side by side

CORPUS = Path(os.environ.get("IMRPARSE_CORPUS", Path(__file__).resolve().parents[1] / "fixtures" / "corpus"))
KINDS = ("clean", "worn", "fax", "footer", "flat")
PAGE_TIMEOUT = 600.0  # seconds: on a shared machine a worn page can take minutes


def letters(kind: str, count: int, held_out: bool = False) -> list[Path]:
    pdfs = sorted((CORPUS / "pdf").glob("*.pdf"))
    return pdfs if kind == "flat" else pdfs[2 if held_out else 0::4][:count]


# -- page images ---------------------------------------------------------------------------------

def render(pdf: Path, dpi: float) -> list[Any]:
    """Each page of the PDF as a greyscale Pillow image at `dpi`."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf.read_bytes(), password="")
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in document]
    finally:
        document.close()


def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def worn(image: Any, rng: random.Random) -> Any:
    """A photocopy of a photocopy: grey toner on grey paper, a skew, blur and speckle noise."""
    from PIL import Image, ImageChops, ImageFilter

    image = image.point(lambda v: 45 + v * 190 // 255)  # ink 45, paper 235
    image = image.rotate(rng.uniform(-1.0, 1.0), resample=Image.Resampling.BICUBIC, fillcolor=235)
    image = image.filter(ImageFilter.GaussianBlur(0.7))
    noise = Image.effect_noise(image.size, 28)
    return ImageChops.add(image, noise, 1.0, -128)


def fax_pages(pdf: Path, rng: random.Random) -> bytes:
    """The letter as a standard-resolution fax: a multi-page 1-bit G4 TIFF at 204x98 dpi with a banner on each page."""
    from PIL import Image, ImageDraw

    pages = render(pdf, 204)
    sent = f"DEC-{rng.randint(10, 28)}-2016 {rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}"
    phone = f"({rng.randint(200, 989)}) {rng.randint(200, 989)}-{rng.randint(1000, 9999)}"
    frames = []
    for number, page in enumerate(pages, 1):
        draw = ImageDraw.Draw(page)
        draw.text((60, 25), f"{sent}   FROM: WC CLAIMS UNIT   {phone}   TO: 18885550123   P. {number}", fill=0, font=_font(30))
        page = page.rotate(rng.uniform(-0.4, 0.4), resample=Image.Resampling.BICUBIC, fillcolor=255)
        page = page.resize((page.width, round(page.height * 98 / 204)), Image.Resampling.BOX)
        frames.append(page.point(lambda v: 255 if v > 150 else 0).convert("1", dither=Image.Dither.NONE))
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", compression="group4", dpi=(204, 98), save_all=True, append_images=frames[1:])
    return out.getvalue()


def footer(image: Any, number: int, count: int) -> Any:
    """The page with a running header and a "Page N of M" footer, as exhibits in a claim file carry."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    size = image.width // 60
    draw.text((image.width // 12, image.height // 60), "Claim file 4471-22  Exhibit C", fill=0, font=_font(size))
    draw.text((image.width // 2 - 3 * size, image.height - image.height // 30), f"Page {number} of {count}", fill=0, font=_font(size))
    return image


# -- texts ---------------------------------------------------------------------------------------

def ocr_texts(kind: str, pdf: Path, out: Path) -> str:
    """The OCR text of one copy, pages joined by form feeds."""
    from imrparse.text.ocr import image_pages
    from imrparse.text.ocr import read_image as read_page

    def read_image(image: Any, dpi: Any) -> Any:
        return read_page(image, dpi=dpi, timeout=PAGE_TIMEOUT)

    rng = random.Random(pdf.stem + kind)
    if kind == "fax":
        tiff = out / "fax" / f"{pdf.stem}.tif"
        tiff.write_bytes(fax_pages(pdf, rng))
        pages = [read_image(image, dpi=dpi).text for image, dpi in image_pages(tiff.read_bytes())]
    elif kind == "clean":
        pages = [read_image(image, dpi=300).text for image in render(pdf, 300)]
    elif kind == "footer":
        images = render(pdf, 300)
        pages = [read_image(footer(image, n, len(images)), dpi=300).text for n, image in enumerate(images, 1)]
    else:
        pages = [read_image(worn(image, rng), dpi=200).text for image in render(pdf, 200)]
    return "\f".join(pages)


def flat_text(stem: str) -> str:
    """The letter's text with each paragraph on one line (see the module's docstring)."""
    pdfium = (CORPUS / "text" / f"{stem}.pdfium.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    header, _, _ = pdfium.partition("HOW THE IMR FINAL DETERMINATION WAS MADE")
    body = (CORPUS / "text" / f"{stem}.pdftotext.txt").read_text(encoding="utf-8")
    body = body[body.index("HOW THE IMR FINAL DETERMINATION WAS MADE"):]
    paragraphs = [" ".join(header.split())]
    for block in re.split(r"\n[ \t]*\n", body):
        page_break = block.startswith("\f")
        line = " ".join(part.strip() for part in block.strip("\f\n").splitlines() if part.strip())
        if line:
            paragraphs.append(("\f" if page_break else "") + line)
    return "\n".join(paragraphs) + "\n"


def make_one(kind: str, pdf: Path, out: Path) -> tuple[str, str, float, int]:
    """One copy's text file; a copy Tesseract fails on is reported and left out."""
    from imrparse.errors import InputError

    start = time.perf_counter()
    try:
        text = flat_text(pdf.stem) if kind == "flat" else ocr_texts(kind, pdf, out)
    except InputError as exc:
        print(f"{kind:7} {pdf.stem}  not made: {exc}", file=sys.stderr)
        return kind, pdf.stem, time.perf_counter() - start, 0
    (out / kind / f"{pdf.stem}.txt").write_text(text, encoding="utf-8")
    return kind, pdf.stem, time.perf_counter() - start, text.count("\f") + 1


def make(out: Path, kinds: list[str], count: int, jobs: int, held_out: bool = False) -> None:
    for kind in kinds:
        (out / kind).mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(jobs) as pool:
        for kind in kinds:
            futures = [pool.submit(make_one, kind, pdf, out) for pdf in letters(kind, count, held_out)]
            seconds = pages = 0.0
            for future in futures:
                _, stem, took, n = future.result()
                seconds, pages = seconds + took, pages + n
                print(f"{kind:7} {stem}  {n} pages  {took:5.1f} s", file=sys.stderr)
            print(f"{kind}: {len(futures)} letters, {pages:.0f} pages, {seconds / max(pages, 1):.2f} s a page", file=sys.stderr)
            ready = out / "READY"
            done = set(ready.read_text().split()) if ready.exists() else set()
            ready.write_text("\n".join(sorted(done | {kind})) + "\n")


# -- the tests' fixtures --------------------------------------------------------------------------

FIXTURE_LETTER = Path(__file__).resolve().parents[1] / "fixtures" / "letters" / "wording_wrapped_credentials.pdfium.txt"


def text_pages(lines: list[str], dpi: tuple[int, int], size_pt: float) -> Any:
    """The lines typeset on one letter-size page (8.5 x 11 in) at `dpi`, 1 bit."""
    from PIL import Image, ImageDraw

    x_dpi, y_dpi = dpi
    page = Image.new("L", (int(8.5 * x_dpi), int(11 * x_dpi)), 255)  # drawn with square pixels, squeezed below
    draw = ImageDraw.Draw(page)
    font = _font(round(size_pt * x_dpi / 72))
    for number, line in enumerate(lines):
        draw.text((x_dpi * 0.6, x_dpi * 0.6 + number * size_pt * 1.35 * x_dpi / 72), line, fill=0, font=font)
    if y_dpi != x_dpi:
        page = page.resize((page.width, round(page.height * y_dpi / x_dpi)), Image.Resampling.BOX)
    return page.point(lambda v: 255 if v > 150 else 0).convert("1", dither=Image.Dither.NONE)


def make_fixtures(directory: Path) -> None:
    """fixtures/ocr/: a letter typeset on one 300 dpi page (PNG) and as a two-page fine-resolution
    fax (1-bit G4 TIFF, 204x196 dpi; standard 204x98 faxes are the `fax` copies, which today's
    landmarks do not yet survive). Typeset from a fixture letter's text rather than rendered from a
    corpus PDF, which stays out of the repository."""
    lines = FIXTURE_LETTER.read_text(encoding="utf-8").replace("\ufffe", "-").splitlines()
    directory.mkdir(parents=True, exist_ok=True)
    text_pages(lines, (300, 300), 9).save(directory / "letter_page.png", dpi=(300, 300), optimize=True)
    half = 24
    first, second = text_pages(lines[:half], (204, 196), 10), text_pages(lines[half:], (204, 196), 10)
    first.save(directory / "letter_fax.tif", compression="group4", dpi=(204, 196), save_all=True, append_images=[second])


# -- measuring -----------------------------------------------------------------------------------

def key_fields(record: dict[str, Any] | None) -> dict[str, Any]:
    """The fields the issue counts: case number, the header's five dates and priority (its six
    "dates"), the specialties, and per decision its treatment, outcome and both guidelines'
    counts of MTUS and non-MTUS citations."""
    if not record:
        return {}
    case = record.get("case") or {}
    fields: dict[str, Any] = {name: case.get(name) for name in (
        "case_number", "date_assigned", "date_of_injury", "decision_date", "ur_denial_date", "application_received", "priority")}
    fields["specialties"] = tuple((record.get("reviewer") or {}).get("specialties") or ())
    for i, decision in enumerate(record.get("decisions") or []):
        fields[f"decision {i + 1} treatment"] = decision.get("treatment")
        fields[f"decision {i + 1} outcome"] = decision.get("outcome")
        for side in ("claims_administrator_guideline", "reviewer_guideline"):
            guideline = decision.get(side) or {}
            fields[f"decision {i + 1} {side} counts"] = (len(guideline.get("mtus") or ()), len(guideline.get("non_mtus") or ()))
    return fields


def measure(out: Path, kinds: list[str], verbose: bool) -> dict[str, dict[str, float]]:
    import imrparse

    results: dict[str, dict[str, float]] = {}
    for kind in kinds:
        matched = total = parsed = copies = 0
        accuracy = 0.0
        for path in sorted((out / kind).glob("*.txt")):
            reference_text = (CORPUS / "text" / f"{path.stem}.pdftotext.txt").read_text(encoding="utf-8")
            accuracy += difflib.SequenceMatcher(None, reference_text.split(), path.read_text(encoding="utf-8").split(),
                                                autojunk=False).ratio()
            reference = key_fields(imrparse.parse(reference_text))
            try:
                got = key_fields(imrparse.parse_file(path))
                parsed += 1
                error = ""
            except imrparse.ParseError as exc:
                got, error = {}, str(exc).splitlines()[0]
            hits = sum(got.get(name) == value for name, value in reference.items())
            copies, matched, total = copies + 1, matched + hits, total + len(reference)
            if verbose:
                wrong = [name for name, value in reference.items() if got.get(name) != value]
                print(f"  {kind:6} {path.stem} {hits}/{len(reference)} {error or ', '.join(wrong[:4])}")
        if copies:
            results[kind] = {"copies": copies, "parsed": parsed, "fields": total, "matched": matched,
                             "percent": round(100 * matched / max(total, 1), 1), "words": round(100 * accuracy / copies, 1)}
            print(f"{kind:6}  {parsed:3}/{copies} parse   {matched}/{total} key fields = {results[kind]['percent']}%   "
                  f"words as pdftotext's: {results[kind]['words']}%")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("make", "measure", "fixtures"))
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("IMRPARSE_COPIES", "/tmp/imrparse-copies")))
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--letters", type=int, default=12, help="letters per OCR kind (flat uses all)")
    parser.add_argument("--held-out", action="store_true", help="other letters than the default set's (none of them)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    kinds = [kind for kind in args.kinds.split(",") if kind]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}: choose from {', '.join(KINDS)}")
    if args.action == "fixtures":
        make_fixtures(Path(__file__).resolve().parents[1] / "fixtures" / "ocr")
    elif args.action == "make":
        make(args.out, kinds, args.letters, args.jobs, args.held_out)
    else:
        measure(args.out, kinds, args.verbose)


if __name__ == "__main__":
    main()
