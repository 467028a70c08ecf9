"""Other copies of a letter give its record: a clean scan, a fax and a copy with a running header
read back by Tesseract (fixtures/copies, made by bench/copies.py from corpus PDFs), and the text of
every corpus letter flattened into one line per paragraph, as pdf-oxide gives it. Each repair is
listed, points at what the copy has there, and is an info finding; what is not a letter stays
refused, and a clean letter's misspelled landmark stays an error."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, corpus_dir, corpus_files

import imrparse

COPIES = FIXTURES / "copies"


def _bench_copies() -> Any:
    """bench/copies.py, which makes the copies and says which fields count."""
    spec = importlib.util.spec_from_file_location("copies", FIXTURES.parent / "bench" / "copies.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _posted(case: str) -> dict[str, Any]:
    return imrparse.parse((corpus_dir() / "text" / f"{case}.pdftotext.txt").read_text(encoding="utf-8"))  # type: ignore[return-value]


def _repairs_point_at_what_they_repaired(text: str, record: dict[str, Any]) -> None:
    for repair in record["repairs"]:
        start, end = repair["span"]
        assert text[start:end] == repair["text"], repair


@pytest.mark.parametrize("path", sorted(COPIES.glob("*.txt")), ids=lambda p: p.name)
def test_an_ocr_copy_gives_the_key_fields_of_the_posted_letter(path: Path) -> None:
    copies = _bench_copies()
    text = path.read_text(encoding="utf-8")
    record = dict(imrparse.parse(text))
    case = path.name.split(".")[0]
    assert copies.key_fields(record) == copies.key_fields(_posted(case))
    assert record["repairs"] and {r["kind"] for r in record["repairs"]} >= {"debris"}  # the logo at least
    _repairs_point_at_what_they_repaired(text, record)
    findings = imrparse.validate(text)
    assert {f["code"] for f in findings if f["severity"] == "info"} == {"O701"}
    assert len([f for f in findings if f["code"] == "O701"]) == len(record["repairs"])


def test_a_fax_banner_on_every_page_is_left_out_of_the_text_it_interrupts() -> None:
    text = (COPIES / "CM16-0234464.fax.txt").read_text(encoding="utf-8")
    banners = [line.strip() for line in re.findall(r"^.*\(\d{3}\) \d{3}-\d{4}.*$", text, re.M)]
    record = imrparse.parse(text)
    furniture = [r["text"].strip() for r in record["repairs"] if r["kind"] == "furniture"]
    assert len(banners) >= 2 and furniture == [banner.strip("\f") for banner in banners]
    assert "FROM" not in record["summary"]["text"]


def test_every_flattened_corpus_letter_gives_the_record_of_its_extraction() -> None:
    copies = _bench_copies()
    stems = sorted({p.name.split(".")[0] for p in corpus_files("text")})
    agree = 0
    for stem in stems:
        flat = copies.flat_text(stem)
        record = dict(imrparse.parse(flat))
        assert {r["kind"] for r in record["repairs"]} == {"line-break"}, stem
        _repairs_point_at_what_they_repaired(flat, record)
        agree += copies.key_fields(record) == copies.key_fields(_posted(stem))
    assert agree == len(stems) == 49


def test_strict_text_reads_a_copy_as_it_is() -> None:
    text = (COPIES / "CM16-0213037.clean-scan.txt").read_text(encoding="utf-8")
    assert [f["code"] for f in imrparse.validate(text, strict_text=True)] == ["S101"]
    with pytest.raises(imrparse.ParseError):
        imrparse.api.parse_normalized(imrparse.normalize(text), repair=False)


@pytest.mark.parametrize("text", [
    "Page 1 of 2\nA letter of some other kind.\nPage 2 of 2\n",
    "DEC-15-2016 15:23 FROM: CLAIMS (471) 773-8638 P. 1\nMAXIMUS |\nNothing else here.\n",
    "Case Number: | CM16-0213037\nDate Assigned: 11/09/2016\n",
])
def test_what_is_not_a_letter_stays_refused(text: str) -> None:
    with pytest.raises(imrparse.ParseError):
        imrparse.parse(text)


def test_a_misspelled_landmark_in_a_clean_letter_is_not_repaired() -> None:
    """Misspellings are OCR's only in a copy that shows it was scanned: in a letter's own text
    they are the letter's fault, refused at the line (the rules fixtures hold this too)."""
    text = (FIXTURES / "rules" / "S103-missing-section.fail.txt").read_text(encoding="utf-8")
    with pytest.raises(imrparse.ParseError) as refused:
        imrparse.parse(text)
    assert refused.value.code == "S103"


def test_debug_show_marks_each_repair_where_it_was_made() -> None:
    from imrparse.views.show import build_view

    text = (COPIES / "CM16-0234464.fax.txt").read_text(encoding="utf-8")
    view = build_view(text)
    record = imrparse.parse(text)
    marked = [(m.start, m.field) for m in view.marks if m.kind == "repair"]
    assert marked == [(r["span"][0], f"repairs[{i}]") for i, r in enumerate(record["repairs"])]


def test_a_damaged_outcome_costs_only_its_item_and_names_the_nearest_outcome() -> None:
    """OCR makes a misread outcome common: the letter is still refused at that line, but its
    partial record keeps every other item, and the message suggests the outcome meant."""
    text = (FIXTURES / "letters" / "layout_21_items_board_sentence.txt").read_text(encoding="utf-8")
    damaged = text.replace("Knee brace fitting session number 5: Upheld", "Knee brace fitting session number 5: Uphld")
    assert damaged != text
    whole = imrparse.parse(text)["decisions"]
    with pytest.raises(imrparse.ParseError) as refused:
        imrparse.parse(damaged)
    error = refused.value
    assert error.code == "S105" and error.message.endswith("did you mean 'Upheld'?")
    assert error.line is not None and damaged.splitlines()[error.line - 1].startswith("Knee brace fitting session number 5")
    assert error.partial is not None
    kept = [(d["title"], d["outcome"], d["rationale"]) for d in error.partial["decisions"]]
    assert kept == [(d["title"], d["outcome"], d["rationale"]) for d in whole if d["title"] != "Knee brace fitting session number 5"]


@pytest.mark.parametrize("line", ["12/09/2016 10:31 FAX (916)555-1234", "MAXIMUS (916)\n555-1234 P.003", "  Page 2\nof 4",
                                  "Fax server  P. 3", "Page 3 of 12"])
def test_a_letter_needs_repair_wherever_its_furniture_pattern_finds_a_line(line: str) -> None:
    """`needs_repair` tests each sign of page furniture alone (a fast scan for each), and finds
    every line the furniture pattern finds, whatever else the text holds (no ") " in these)."""
    from imrparse.grammar.landmarks import landmarks
    from imrparse.read import repair

    text = f"Some words\n{line}\nmore words\n"
    assert repair._FURNITURE.search(text) is not None
    assert repair.needs_repair(text, landmarks(None))
    assert not repair.needs_repair("Some words\nPage two of four\nP. S. more (916) 555 words\n", landmarks(None))
