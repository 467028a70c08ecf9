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


# -- a scan's header: labels lost, misread or out of place ---------------------------------------

_CLEAN_SCAN = (COPIES / "CM16-0213037.clean-scan.txt").read_text(encoding="utf-8")
_BODY = _CLEAN_SCAN[_CLEAN_SCAN.index("HOW THE IMR FINAL DETERMINATION WAS MADE"):]
_CASE_0213037 = {"case_number": "CM16-0213037", "date_assigned": "2016-11-09", "date_of_injury": "2016-10-13",
                 "decision_date": "2016-12-09", "ur_denial_date": "2016-11-03", "application_received": "2016-11-03",
                 "priority": "Standard"}
_LABELS = {"case_number": "Case Number:", "date_assigned": "Date Assigned:", "date_of_injury": "Date of Injury:",
           "decision_date": "Decision Date:", "ur_denial_date": "UR Denial Date:", "application_received": "Application Received:",
           "priority": "Priority:"}


@pytest.mark.parametrize("header", [
    # Tesseract read the table's columns and lost every label but one, stranded after the values
    "Federal Services |\n\n_| CM16-0213037\n| 11/09/2016 _\n\n_| 12/09/2016\n\n| Standard\n\n| Case Number:\n\n"
    "10/13/2016\n| 11/03/2016\n1 44/03/2016\n\n",
    # rows read across, a label at the end of the row before its value's
    "Federal Services ;\n\n__ | CM16-0213037\n\n11/09/2016 [Date of Injury:\n\n12/09/2016 UR Denial Date: | 10/13/2016\n"
    "\"| Standard 'Application —_| 11/03/2016\n11/03/2016\n: Rovelved ;\n\n",
    # no label at all, and a date whose slashes OCR lost
    "MAXIMUS |\nFederal Services |\n\n_ | CM16-0213037\n| 11/09/2016 10132016\n| 12/09/2016 ; 11/03/2016\n| Standard | 11/03/2016\n\n",
], ids=["columns", "rows-across", "no-labels"])
def test_a_scanned_header_without_its_labels_is_read_by_shape_and_the_order_of_its_dates(header: str) -> None:
    """The five dates of a letter run injury, UR denial, application, assigned, decision: when OCR
    loses or misplaces the labels, that order places them, and each placed value is listed as a
    `label` repair pointing at the value as the copy has it."""
    text = header + _BODY
    record = imrparse.parse(text)
    case = {field: record["case"][field] for field in _CASE_0213037}  # type: ignore[literal-required]
    assert case == _CASE_0213037
    placed = {r["read_as"].strip(): r["span"][0] for r in record["repairs"] if r["kind"] == "label"}
    assert placed == {label: record["case"]["spans"][field][0] for field, label in _LABELS.items()}
    _repairs_point_at_what_they_repaired(text, dict(record))
    assert {f["severity"] for f in imrparse.validate(text)} == {"info"}


def _read(record: Any) -> tuple[Any, ...]:
    """What a repair must give back: the key fields, and each item's guideline and rationale texts."""
    return (_bench_copies().key_fields(record),
            [(d["claims_administrator_guideline"]["text"], d["reviewer_guideline"]["text"], d["rationale"]) for d in record["decisions"]])


@pytest.mark.parametrize(("written", "read"), [
    ("44/03/2016", "2016-11-03"),  # a 1 read as a 4, where the date as written is no calendar day
    ("11/0372016", "2016-11-03"),  # a slash read as a 7
    ("11032016", "2016-11-03"),  # the slashes lost
    ("1l/O3/2O16", "2016-11-03"),  # l for 1, O for 0
    ("11/44/2016", None),  # 11/11 or 11/14: no one reading, kept as written (H203)
])
def test_a_scanned_date_is_read_only_where_its_ocr_confusion_has_one_reading(written: str, read: str | None) -> None:
    header = ("MAXIMUS |\nFederal Services | JH!\nCase Number: | CM16-0213037\nDate Assigned: | 11/09/2016 Date of Injury: | 10/13/2016\n"
              f"Decision Date: | 12/09/2016 UR Denial Date: | 11/03/2016\nPriority: | Standard Application | {written}\nReceived:\n\n")
    text = header + _BODY
    record = imrparse.parse(text)
    assert record["case"]["application_received"] == read
    codes = {f["code"] for f in imrparse.validate(text)}
    assert ("H203" in codes) == (read is None)


def test_a_scans_label_whose_last_word_ocr_garbled_is_read_when_its_other_words_are_there() -> None:
    scan = _CLEAN_SCAN.replace("Claims Administrator guideline:", "Claims Administrator eedeting:", 1)
    assert scan != _CLEAN_SCAN
    record = imrparse.parse(scan)
    assert _read(record) == _read(imrparse.parse(_CLEAN_SCAN))
    assert {"text": "Claims Administrator eedeting:", "read_as": "Claims Administrator guideline:"} in [
        {"text": r["text"], "read_as": r["read_as"].strip()} for r in record["repairs"]]


def test_marks_a_scan_leaves_at_a_line_end_or_after_an_outcome_are_left_out() -> None:
    scan = _CLEAN_SCAN.replace(": Upheld\n", ": Upheld _\n", 1).replace(": Upheld\n", ": Upheld.\n", 1)
    scan = scan.replace("medically necessary.\n", "medically necessary. : :\n", 1)
    scan = scan.replace("DECISIONS AND RATIONALES\n", "DECISIONS AND RATIONALES -\n", 1)
    assert scan.count("Upheld _") == scan.count("Upheld.\n") == scan.count(". : :") == scan.count("RATIONALES -") == 1
    assert _read(imrparse.parse(scan)) == _read(imrparse.parse(_CLEAN_SCAN))


def test_a_scan_that_still_fails_is_refused_where_its_repaired_text_fails() -> None:
    """Past the logo and the header a scan is refused where its text is damaged, not at line 1."""
    scan = _CLEAN_SCAN.replace("Decision rationale:", "Dxxxxxxx rrrrrrrrr:")
    with pytest.raises(imrparse.ParseError) as refused:
        imrparse.parse(scan)
    assert refused.value.line is not None and refused.value.line > 10


@pytest.mark.parametrize(("written", "read"), [
    ("04/11/2017", "2017-01-11"),  # one 4 read as 1 puts it between the application and the decision
    ("04/14/2017", "2017-04-14"),  # 01/14 and 01/11 both would: no one reading, kept as written (H204)
])
def test_a_scanned_date_that_breaks_the_order_of_the_letters_dates_is_read_where_one_reading_restores_it(
        written: str, read: str) -> None:
    header = ("MAXIMUS |\nFederal Services | Il 1H{t!\nCase Number: CM17-0003890\n"
              f"Date Assigned: {written} Date of Injury: 10/25/2016\nDecision Date: 02/03/2017 UR Denial Date: | 12/16/2016\n"
              "Priority: Standard Application 01/05/2017\nReceived:\n\n")
    text = header + _BODY
    assert imrparse.parse(text)["case"]["date_assigned"] == read
    assert ("H204" in {f["code"] for f in imrparse.validate(text)}) == (read == "2017-04-14")


def test_ocr_stray_symbols_inside_a_scanned_case_number_are_left_out() -> None:
    text = _CLEAN_SCAN.replace("Case Number: CM16-0213037", "Case Number: C\u20acM16-0213037", 1)
    assert text != _CLEAN_SCAN
    assert imrparse.parse(text)["case"]["case_number"] == "CM16-0213037"


@pytest.mark.parametrize(("damage", "scan"), [
    ("a semicolon for the outcome's colon", lambda t: t.replace("without contrast: Upheld", "without contrast; Upheld", 1)),
    ("a comma for the period before the next title",
     lambda t: t.replace("medically necessary.\n\nMRI of the cervical", "medically necessary,\n\nMRI of the cervical", 1)),
], ids=["outcome-colon", "sentence-end"])
def test_a_title_whose_punctuation_ocr_misread_is_still_a_title(damage: str, scan: Any) -> None:
    text = scan(_CLEAN_SCAN)
    assert text != _CLEAN_SCAN, damage
    assert _read(imrparse.parse(text)) == _read(imrparse.parse(_CLEAN_SCAN))


def test_a_fax_that_still_fails_once_repaired_is_refused_where_its_repaired_text_fails() -> None:
    fax = "DEC-10-2016 15;39 FROM: WC CLAIMS UNIT (529) 485-1590 TO: 18885550123 P.1\n" + _CLEAN_SCAN.replace(
        "Decision rationale:", "Dxxxxxxx rrrrrrrrr:")
    with pytest.raises(imrparse.ParseError) as refused:
        imrparse.parse(fax)
    assert refused.value.line is not None and refused.value.line > 10


@pytest.mark.parametrize(("written", "read"), [
    ("MRI of the cervicel spine without contrast", "MRI of the cervical spine without contrast"),  # its rationale says "cervical spine"
    ("MRI of the cervical spines without contrast", "MRI of the cervical spines without contrast"),  # a plural is no misreading
], ids=["misread", "plural"])
def test_a_title_word_ocr_misread_is_read_as_the_items_own_paragraphs_write_it(written: str, read: str) -> None:
    scan = _CLEAN_SCAN.replace("MRI of the cervical spine without contrast: Upheld", f"{written}: Upheld", 1)
    assert scan != _CLEAN_SCAN
    record = imrparse.parse(scan)
    assert record["decisions"][1]["treatment"] == read
    assert [(r["text"], r["read_as"]) for r in record["repairs"] if r["kind"] == "value"] == (
        [("cervicel", "cervical")] if written != read else [])


def test_a_guideline_sentences_period_ocr_read_as_a_comma_still_ends_it() -> None:
    """"... outside of the MTUS Guidelines, Decision based on ...": the known sentence before the
    next one's opening, not a citation."""
    said = ("Claims Administrator guideline: The Claims Administrator based their decision on recommendation(s) outside of the "
            "MTUS Guidelines{} Decision based on MTUS Shoulder Complaints 2004.")
    original = "Claims Administrator guideline: Decision based on MTUS Shoulder Complaints 2004."
    assert original in _CLEAN_SCAN
    posted, scan = (imrparse.parse(_CLEAN_SCAN.replace(original, said.format(end), 1)) for end in ".,")
    assert _read(scan)[0] == _read(posted)[0]
    guideline = scan["decisions"][0]["claims_administrator_guideline"]
    assert guideline is not None and (guideline["mtus"], guideline["unrecognized"]) == (["Shoulder Complaints 2004"], [])


@pytest.mark.parametrize("misread", ["recomimendation(s)", "recommendation(s)"], ids=["misread", "as-written"])
def test_a_known_guideline_sentence_with_a_word_ocr_misread_is_read_as_its_wording_row_says_it(misread: str) -> None:
    said = ("Claims Administrator guideline: The Claims Administrator based their decision on {} outside of the "
            "MTUS Guidelines. Decision based on MTUS Shoulder Complaints 2004.")
    original = "Claims Administrator guideline: Decision based on MTUS Shoulder Complaints 2004."
    posted, scan = (imrparse.parse(_CLEAN_SCAN.replace(original, said.format(word), 1)) for word in ("recommendation(s)", misread))
    guideline = scan["decisions"][0]["claims_administrator_guideline"]
    assert guideline is not None and (guideline["mtus"], guideline["non_mtus"]) == (["Shoulder Complaints 2004"], [])
    assert _read(scan)[0] == _read(posted)[0]
    assert [r["read_as"].split()[-6:] for r in scan["repairs"] if r["kind"] == "wording"] == (
        [["recommendation(s)", "outside", "of", "the", "MTUS", "Guidelines"]] if misread != "recommendation(s)" else [])


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


@pytest.mark.parametrize("banner", ["12/15/2016 10:23AM FROM 9165551234 TO 18885550123 PAGE 02/04",
                                    "Dec 15 2016 10:23 FAX 916 555 1234", "PAGE 2 OF 4", "Page 2/4"])
def test_a_fax_banner_in_another_machines_words_is_furniture(banner: str) -> None:
    """A fax machine prints its banner its own way: a time with FROM, TO or FAX, or a page count;
    a line of the letter with a time in it is not one."""
    text = _CLEAN_SCAN.replace("MRI of the cervical spine without contrast: Upheld", f"{banner}\nMRI of the cervical spine without "
                               "contrast: Upheld", 1)
    record = imrparse.parse(text)
    assert [r["text"].strip() for r in record["repairs"] if r["kind"] == "furniture"] == [banner]
    assert _read(record) == _read(imrparse.parse(_CLEAN_SCAN))
    kept = _CLEAN_SCAN.replace("Therefore the request", "The patient was seen at 10:30 to review it.\nTherefore the request", 1)
    assert not [r for r in imrparse.parse(kept)["repairs"] if r["kind"] == "furniture"]
