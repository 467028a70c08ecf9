"""Scans and faxes read by OCR (the ocr extra and Debian's tesseract-ocr): page images and PDF
pages without text become records that say how they were read; --ocr auto/always/never; a page
over its time limit and a corrupt image are error records, not hangs or tracebacks.

fixtures/ocr/ holds a fixture letter typeset on a 300 dpi PNG page and as a two-page 1-bit G4
fax TIFF (remade by `python bench/copies.py fixtures`)."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, corpus_dir, without_source
from typer.testing import CliRunner

import imrparse
from imrparse.cli.commands import app

runner = CliRunner()
PNG = FIXTURES / "ocr" / "letter_page.png"
FAX = FIXTURES / "ocr" / "letter_fax.tif"
CASE = "CM17-0021188"
OUTCOMES = [("Physical therapy 2 times a week for 6 weeks for the cervical spine", "overturned"),
            ("Cyclobenzaprine 7.5mg #90", "upheld")]


@pytest.fixture(autouse=True)
def tesseract() -> None:
    """Tesseract and the ocr extra; under CI they must be there (.ci/run installs tesseract-ocr)."""
    missing = [name for name in ("tesserocr", "PIL") if importlib.util.find_spec(name) is None]
    if shutil.which("tesseract") is None:
        missing.append("the tesseract-ocr package")
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"OCR needs {', '.join(missing)}; .ci/run installs them")
        pytest.skip(f"OCR needs {', '.join(missing)} (pip install 'imrparse[ocr]'; apt-get install tesseract-ocr tesseract-ocr-eng)")


def outcomes(record: dict[str, Any]) -> list[tuple[str, str]]:
    return [(decision["treatment"], decision["outcome"]) for decision in record["decisions"]]


def image_pdf(tmp_path: Path, *pages: Path) -> Path:
    """A PDF whose pages are the images: a scanned letter, with no text layer."""
    from PIL import Image

    images = [Image.open(page).convert("L") for page in pages]
    path = tmp_path / "scan.pdf"
    images[0].save(path, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return path


@pytest.mark.parametrize(("path", "pages"), [(PNG, [1]), (FAX, [1, 2])], ids=["png", "g4-fax"])
def test_a_page_image_is_read_by_ocr_into_its_record(path: Path, pages: list[int]) -> None:
    record = imrparse.parse_file(path)
    assert record["case"]["case_number"] == CASE
    assert outcomes(record) == OUTCOMES
    ocr = record["source"]["ocr"]
    assert ocr["pages"] == pages and ocr["engine"].startswith("tesseract 5")
    assert 80 <= ocr["mean_word_confidence"] <= 100


def test_a_group_3_fax_is_read_as_its_group_4_copy(tmp_path: Path) -> None:
    from PIL import Image, ImageSequence

    with Image.open(FAX) as fax:
        pages = [page.copy() for page in ImageSequence.Iterator(fax)]
    g3 = tmp_path / "letter_g3.tiff"
    pages[0].save(g3, compression="group3", dpi=(204, 196), save_all=True, append_images=pages[1:])
    assert Image.open(g3).info["compression"] == "group3"
    assert without_source(imrparse.parse_file(g3)) == without_source(imrparse.parse_file(FAX))


def test_the_record_of_a_scan_is_valid_and_its_spans_point_into_the_ocr_text(tmp_path: Path) -> None:
    import jsonschema

    result = runner.invoke(app, ["parse", str(FAX), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.stderr
    record = json.loads((tmp_path / "out.json").read_text())
    jsonschema.validate(record, imrparse.record_schema())
    assert record["source"]["path"] == str(FAX) and record["source"]["ocr"]["pages"] == [1, 2]
    shown = runner.invoke(app, ["text", str(FAX)])
    assert shown.exit_code == 0
    text = shown.stdout
    assert "\f" in text  # the two pages
    start, end = record["case"]["spans"]["case_number"]
    assert text[start:end] == CASE
    first = record["decisions"][0]["title_span"]
    assert text[first[0]:first[1]].startswith("Physical therapy")


def test_auto_reads_only_the_pages_without_text_and_never_reads_none(tmp_path: Path) -> None:
    scan = image_pdf(tmp_path, PNG)
    assert imrparse.parse_file(scan)["source"]["ocr"]["pages"] == [1]
    with pytest.raises(imrparse.InputError, match="no text layer"):
        imrparse.parse_file(scan, ocr="never")
    with pytest.raises(imrparse.InputError, match="OCR is off"):
        imrparse.parse_file(PNG, ocr="never")
    posted = sorted((corpus_dir() / "pdf").glob("*.pdf"))[0]
    assert "ocr" not in imrparse.parse_file(posted)["source"]  # a text layer on every page: nothing OCR'd
    assert imrparse.parse_file(posted) == imrparse.parse_file(posted, ocr="never")


def test_always_reads_every_page_even_with_a_text_layer(tmp_path: Path) -> None:
    posted = sorted((corpus_dir() / "pdf").glob("*.pdf"))[0]
    result = runner.invoke(app, ["text", str(posted), "--ocr", "always", "--ocr-dpi", "150"])
    assert result.exit_code == 0, result.stderr
    layer = runner.invoke(app, ["text", str(posted)]).stdout
    assert result.stdout != layer and "\r\n" not in result.stdout  # Tesseract's lines, not pdfium's
    assert posted.stem in result.stdout and "HOW THE IMR FINAL DETERMINATION WAS MADE" in result.stdout
    assert result.stdout.count("\f") == layer.count("\f")


def test_a_page_over_its_time_limit_is_an_error_record_and_the_batch_goes_on(tmp_path: Path) -> None:
    results = list(imrparse.parse_many([str(PNG), str(FIXTURES / "letters" / "wording_wrapped_credentials.pdfium.txt")],
                                       ocr_timeout=0.001, workers=1))
    error = results[0]["error"]
    assert error["kind"] == "input"
    assert error["message"] == "page 1: Tesseract could not read the page within 0.001 s (the per-page limit, --ocr-timeout)"
    assert results[1]["case"]["case_number"] == CASE


@pytest.mark.parametrize("cut", [0.02, 0.3, 0.7])
def test_a_corrupt_image_is_an_error_record(tmp_path: Path, cut: float) -> None:
    data = FAX.read_bytes()
    broken = tmp_path / "fax.tif"
    broken.write_bytes(data[: int(len(data) * cut)])
    result = runner.invoke(app, ["parse", str(broken), str(PNG), "-o", str(tmp_path / "out.jsonl"), "--workers", "1"])
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    failed, read = (json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines())
    assert failed["error"]["kind"] == "input" and failed["error"]["message"].startswith("the input is a TIFF image")
    assert read["case"]["case_number"] == CASE


def test_a_fax_has_its_pixels_made_square_before_ocr() -> None:
    from PIL import Image

    from imrparse.text.ocr import square_pixels

    standard = Image.new("1", (1734, 1078))  # a letter page at 204 x 98 dpi
    image, dpi = square_pixels(standard, (204.0, 98.0))
    assert (image.size, image.mode, dpi) == ((1734, 2244), "L", 204)


def test_ocr_options_are_checked() -> None:
    with pytest.raises(ValueError, match="ocr must be one of auto, always, never"):
        imrparse.parse_file(PNG, ocr="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ocr_lang"):
        imrparse.parse_file(PNG, ocr_lang="eng; rm")
    result = runner.invoke(app, ["parse", str(PNG), "--ocr-lang", "xx"])
    assert result.exit_code == 2 and "Tesseract has no model for language xx" in result.stderr
    assert runner.invoke(app, ["parse", str(PNG), "--ocr", "maybe"]).exit_code == 2


def test_a_directory_walk_takes_page_images(tmp_path: Path) -> None:
    folder = tmp_path / "claims"
    folder.mkdir()
    (folder / "fax.TIF").write_bytes(FAX.read_bytes())
    (folder / "notes.doc").write_bytes(b"not a letter")
    result = runner.invoke(app, ["parse", str(folder), "--format", "jsonl"])
    assert result.exit_code == 0, result.stderr
    (record,) = [json.loads(line) for line in io.StringIO(result.stdout)]
    assert record["case"]["case_number"] == CASE


def test_the_pages_ocrd_are_counted_across_the_batchs_processes() -> None:
    import multiprocessing

    from imrparse.text.ocr import OcrOptions

    counter = multiprocessing.Value("q", 0)
    inputs = [str(FAX), str(PNG), str(FAX)]
    results = list(imrparse.parse_many(inputs, workers=2, ocr=OcrOptions(pages_read=counter)))
    assert [r["case"]["case_number"] for r in results] == [CASE] * 3
    assert counter.value == 5  # 2 + 1 + 2, whichever process read them


def test_a_long_ocr_run_shows_its_pages_on_the_progress_display(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    import imrparse.etl.progress

    screen = io.StringIO()
    monkeypatch.setattr(imrparse.etl.progress, "_terminal_console", lambda: Console(file=screen, force_terminal=True, width=160))
    result = runner.invoke(app, ["parse", str(FAX), "-o", str(tmp_path / "out.json"), "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    assert "2 pages OCR'd" in screen.getvalue() and "1/1" in screen.getvalue()  # one letter: the bar shows its pages


def test_without_the_ocr_extra_a_scan_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util as importlib_util

    import imrparse.text.ocr

    scan = image_pdf(tmp_path, PNG)
    monkeypatch.setattr(imrparse.text.ocr, "available", lambda: False)
    with pytest.raises(imrparse.InputError) as info:
        imrparse.parse_file(scan)
    assert info.value.message.startswith("1 of the PDF's 1 page has no text layer: a scan, which is read only by OCR, "
                                         "and OCR needs the ocr extra: pip install ")
    real = importlib_util.find_spec
    monkeypatch.setattr(importlib_util, "find_spec", lambda name, *args: None if name == "tesserocr" else real(name, *args))
    result = runner.invoke(app, ["parse", str(FAX), str(PNG)])
    assert result.exit_code == 2 and "needs the ocr extra" in result.stderr and "Traceback" not in result.stderr


def test_the_letters_table_says_which_letters_ocr_read(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    text = FIXTURES / "letters" / "wording_wrapped_credentials.pdfium.txt"
    result = runner.invoke(app, ["parse", str(FAX), str(text), "--format", "parquet", "-o", str(tmp_path / "tables"), "--workers", "1"])
    assert result.exit_code == 0, result.stderr
    letters = pq.read_table(tmp_path / "tables" / "letters.parquet").to_pylist()
    scan, typed = sorted(letters, key=lambda row: row["ocr_pages"] is None)
    assert (scan["case_number"], scan["ocr_pages"], scan["ocr_engine"][:11]) == (CASE, 2, "tesseract 5")
    assert 80 <= scan["ocr_mean_word_confidence"] <= 100
    assert (typed["ocr_pages"], typed["ocr_engine"], typed["ocr_mean_word_confidence"]) == (None, None, None)
    csv = runner.invoke(app, ["parse", str(FAX), "--format", "csv", "-o", str(tmp_path / "csv")])
    assert csv.exit_code == 0 and ',2,"tesseract 5.' in (tmp_path / "csv" / "letters.csv").read_text()


def test_a_worn_copy_speckled_with_noise_is_smoothed_before_ocr_and_reads_as_the_page() -> None:
    """A photocopy of a photocopy (grey toner on grey paper, skew, blur, speckle: bench/copies.py's
    `worn`) is median-filtered before Tesseract reads it: unfiltered, this page of a corpus letter
    read as "Soy ey ee". A clean page or a fax is not touched."""
    import random

    from PIL import Image

    from imrparse.text.ocr import image_pages, read_image, speckled

    spec = importlib.util.spec_from_file_location("copies", FIXTURES.parent / "bench" / "copies.py")
    assert spec is not None and spec.loader is not None
    copies = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copies)
    pdf = corpus_dir() / "pdf" / "CM17-0005246.pdf"
    rng = random.Random(pdf.stem + "worn")  # as `bench/copies.py make --kinds worn` made it
    worn = [copies.worn(image, rng) for image in copies.render(pdf, 200)][1]
    assert speckled(worn) and not speckled(Image.open(PNG).convert("L"))
    assert not any(speckled(image) for image, _ in image_pages(FAX.read_bytes()))
    text = read_image(worn, dpi=200).text
    assert "Claims Administrator guideline:" in text and "Decision rationale:" in text
