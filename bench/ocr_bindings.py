"""Compare the OCR bindings on the same page images (the first page of four letters, clean, worn
and as a fax, as bench/copies.py makes them): seconds a page and word accuracy against the words of
pdftotext's extraction. tesserocr calls libtesseract in the process; pytesseract runs the
`tesseract` command on a temporary image file per page.

    pip install pytesseract && python bench/ocr_bindings.py
"""
import difflib
import os
import random
import sys
import time
from pathlib import Path

import pytesseract

from imrparse.text.ocr import image_pages, read_image, square_pixels

sys.path.insert(0, str(Path(__file__).parent))
os.environ["OMP_THREAD_LIMIT"] = "1"  # one core each, as in a batch's processes
import copies  # beside this file


def words(t): return t.split()
pdfs = copies.letters("clean", 12)[:4]
res = {}
for pdf in pdfs:
    ref = words((copies.CORPUS / "text" / f"{pdf.stem}.pdftotext.txt").read_text().split("\f")[0])
    rng = random.Random(pdf.stem + "x")
    imgs = {"clean": (copies.render(pdf, 300)[0], 300), "worn": (copies.worn(copies.render(pdf, 200)[0], rng), 200)}
    imgs["fax"] = next(image_pages(copies.fax_pages(pdf, rng)))
    for kind, (img, dpi) in imgs.items():
        for binding in ("tesserocr", "pytesseract"):
            t = time.perf_counter()
            if binding == "tesserocr":
                text = read_image(img, dpi=dpi, timeout=600).text
            else:
                sq, r = square_pixels(img, dpi)
                text = pytesseract.image_to_string(sq, lang="eng", config=f"--dpi {r}")
                pass  # text only: the confidences would take a second run (or rebuilding the text from image_to_data)
            took = time.perf_counter() - t
            acc = difflib.SequenceMatcher(None, ref, words(text), autojunk=False).ratio()
            res.setdefault((kind, binding), []).append((took, acc))
            print(pdf.stem, kind, binding, f"{took:.2f}s {acc:.4f}", flush=True)
for (kind, binding), v in sorted(res.items()):
    print(f"{kind:6} {binding:12} {sum(x for x,_ in v)/len(v):.2f} s/page  word accuracy {100*sum(a for _,a in v)/len(v):.2f}%")
