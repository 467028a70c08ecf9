"""The wording table (imrparse/read/wording.py) and its readers: every known wording reads its
example, every row is found in running text at its own opening, and text no row knows is kept."""

from __future__ import annotations

import importlib
import re

import pytest
from conftest import LETTERS, ROOT, without_positions

import imrparse
from imrparse.grammar.landmarks import landmarks
from imrparse.read import readers, wording


@pytest.mark.parametrize("row", wording.GUIDELINE_WORDINGS, ids=lambda r: r.name)
def test_every_guideline_wording_reads_its_example(row: wording.Wording) -> None:
    reading = readers.read_guideline(row.example)
    assert [s.wording for s in reading.sentences] == [row.name]


@pytest.mark.parametrize("row", wording.GUIDELINE_WORDINGS, ids=lambda r: r.name)
def test_every_guideline_wording_is_found_after_another_sentence(row: wording.Wording) -> None:
    """A row's sentence in running text is cut at its own opening (`opens`): a row added without
    one is swallowed into the citation before it, and this fails."""
    first = "Decision based on MTUS Low Back Complaints 2004."
    reading = readers.read_guideline(first + " " + row.example)
    assert [s.wording for s in reading.sentences] == ["mtus-citation", row.name]


@pytest.mark.parametrize("row", wording.CREDENTIAL_CLAUSES, ids=lambda r: r.name)
def test_every_credential_clause_reads_its_example(row: wording.Wording) -> None:
    assert row.compiled().fullmatch(row.example)


@pytest.mark.parametrize("row", wording.TITLE_WORDINGS, ids=lambda r: r.name)
def test_every_title_wording_reads_its_example(row: wording.Wording) -> None:
    assert row.compiled().fullmatch(row.example)
    assert readers.read_title(row.example).original_request is not None


# (paragraph, mtus, non_mtus, cited): the wordings of the 2014-15 letters and the 2016-17 ones.
GUIDELINES = [
    ("Decision based on MTUS Chronic Pain Medical Treatment Guidelines, Opioids, pages 74-96.",
     ["Chronic Pain Medical Treatment Guidelines, Opioids, pages 74-96"], [], True),
    ("Decision based on MTUS Chronic Pain Medical Treatment Guidelines Page(s): 78-80.",
     ["Chronic Pain Medical Treatment Guidelines Page(s): 78-80"], [], True),
    ("Decision based on MTUS ACOEM Practice Guidelines, 2nd Edition (2004), Chapter 12, Low Back Complaints,\npages 303-305.",
     ["ACOEM Practice Guidelines, 2nd Edition (2004), Chapter 12, Low Back Complaints, pages 303-305"], [], True),
    ("Decision based on MTUS Chronic Pain Medical Treatment 2016 Guidelines, Section(s): Opioids, criteria for use.",
     ["Chronic Pain Medical Treatment 2016 Guidelines, Section(s): Opioids, criteria for use"], [], True),
    ("Decision based on MTUS Acupuncture Medical Treatment Guidelines.", ["Acupuncture Medical Treatment Guidelines"], [], True),
    ("Decision based on MTUS Low Back Complaints 2004, Section(s): Physical Methods, and Chronic Pain Medical\n"
     "Treatment 2009, Section(s): TENS.",
     ["Low Back Complaints 2004, Section(s): Physical Methods", "Chronic Pain Medical Treatment 2009, Section(s): TENS"], [], True),
    ("Decision based on MTUS Forearm, Wrist, and Hand Complaints 2004, Section(s): Work-Relatedness.",
     ["Forearm, Wrist, and Hand Complaints 2004, Section(s): Work-Relatedness"], [], True),
    ("Decision based on MTUS Low Back Complaints 2004. Decision based on Non-MTUS Citation ODG, Low Back.\n"
     "Decision based on Non-MTUS Citation http://www.odg-twc.com/odgtwc/low_back.htm.",
     ["Low Back Complaints 2004"], ["ODG, Low Back", "http://www.odg-twc.com/odgtwc/low_back.htm"], True),
    ("The Claims Administrator based its decision on the Chronic Pain Medical Treatment Guidelines, page 111,\n"
     "which are part of the MTUS.", ["Chronic Pain Medical Treatment Guidelines, page 111"], [], True),
    ("The Expert Reviewer based his/her decision on the MTUS Chronic Pain Medical Treatment Guidelines, Opioids.",
     ["Chronic Pain Medical Treatment Guidelines, Opioids"], [], True),
    ("The Expert Reviewer based his/her decision on the Official Disability Guidelines (ODG), Pain Chapter.",
     [], ["Official Disability Guidelines (ODG), Pain Chapter"], True),
    ("The Claims Administrator did not cite any medical evidence for its decision.", [], [], False),
    ("The Claims Administrator did not base their decision on the MTUS. Decision based on Non-MTUS Citation ODG.",
     [], ["ODG"], True),
    ("Decision based on NonMTUS Citation ODG Knee.", [], ["ODG Knee"], True),
    ("The reviewer relied upon the ODG, Knee chapter.", [], [], None),
]


@pytest.mark.parametrize(("text", "mtus", "non_mtus", "cited"), GUIDELINES, ids=[g[0][:50] for g in GUIDELINES])
def test_guideline_wordings(text: str, mtus: list[str], non_mtus: list[str], cited: bool | None) -> None:
    reading = readers.read_guideline(text)
    assert (list(reading.mtus), list(reading.non_mtus), reading.cited) == (mtus, non_mtus, cited)
    assert bool(reading.unrecognized) == (cited is None)


def test_an_unknown_sentence_after_a_known_one_is_kept_at_its_place() -> None:
    text = "The Claims Administrator did not cite any medical evidence for its decision. It relied on the PR-2 report."
    reading = readers.read_guideline(text)
    assert reading.cited is False
    [piece] = reading.unrecognized
    assert text[piece.start : piece.end] == "It relied on the PR-2 report."


# (sentence, specialties, licensure, unrecognized clauses)
CREDENTIALS = [
    ("The expert reviewer is Board Certified in Family Medicine and is licensed to practice in California.",
     ["Family Medicine"], ["California"], []),
    ("The expert reviewer is Board Certified in Anesthesiology, has a subspecialty in Pain Medicine and is\n"
     "licensed to practice in California.", ["Anesthesiology", "Pain Medicine"], ["California"], []),
    ("The physician reviewer is Board Certified in Physical Medicine and Rehabilitation and is licensed to\n"
     "practice in California and Nevada.", ["Physical Medicine and Rehabilitation"], ["California", "Nevada"], []),
    ("The expert reviewer is licensed to practice in Texas, Ohio and is Board Certified in Orthopaedic Surgery.",
     ["Orthopaedic Surgery"], ["Texas", "Ohio"], []),
    ("The expert reviewer is Board Certified in Internal Medicine, is a Fellow of the College and is licensed to practice\n"
     "in California.", ["Internal Medicine"], ["California"], ["is a Fellow of the College"]),
]


@pytest.mark.parametrize(("text", "specialties", "licensure", "unknown"), CREDENTIALS, ids=[c[0][:60] for c in CREDENTIALS])
def test_credential_sentences(text: str, specialties: list[str], licensure: list[str], unknown: list[str]) -> None:
    reading = readers.read_credential_sentence(text, landmarks().regex("CREDENTIAL_SUBJECT"))
    assert ([n.text for n in reading.specialties], [n.text for n in reading.licensure]) == (specialties, licensure)
    assert [" ".join(text[n.start:n.end].split()) for n in (*reading.specialties, *reading.licensure)] == [*specialties, *licensure]
    assert [text[a:b] for a, b in reading.unrecognized] == unknown


def test_a_labelled_list_wraps_at_any_word() -> None:
    assert [n.text for n in readers.split_names("Physical Medicine & Rehabilitation, Pain Management, Occupational\nMedicine")] == [
        "Physical Medicine & Rehabilitation", "Pain Management", "Occupational Medicine"]
    states = readers.split_names("California,North\nCarolina, Texas", "licensure")
    assert [n.text for n in states] == ["California", "North Carolina", "Texas"]


# -- the fixtures in two extraction styles give one record ------------------------------------


@pytest.mark.parametrize("name", ["wording_2014_citations", "wording_wrapped_credentials"])
def test_a_wording_fixture_reads_the_same_in_both_extraction_styles(name: str) -> None:
    records = [imrparse.parse_file(path) for path in sorted(LETTERS.glob(f"{name}.*.txt"))]
    assert len(records) == 2
    assert without_positions(records[0], ("source",)) == without_positions(records[1], ("source",))
    assert not any(d[g]["unrecognized"] for d in records[0]["decisions"]
                   for g in ("claims_administrator_guideline", "reviewer_guideline"))


# -- partial records: what was read of a letter whose landmarks are broken ----------------------


def _seed_letter() -> str:
    return (LETTERS / "wording_wrapped_credentials.layout.txt").read_text(encoding="utf-8")


def test_a_truncated_letter_keeps_its_case_reviewer_summary_and_complete_decisions() -> None:
    text = _seed_letter()
    cut = text[: text.index("Muscle relaxants are recommended")]  # inside the second item's rationale label
    cut = cut[: cut.rindex("Decision rationale:")]
    with pytest.raises(imrparse.ParseError) as info:
        imrparse.parse(cut)
    partial = info.value.partial
    assert info.value.code == "S104"
    assert partial is not None
    assert partial["case"]["case_number"] == "CM17-0021188"
    assert partial["reviewer"]["specialties"] == ["Physical Medicine & Rehabilitation", "Pain Management", "Occupational Medicine"]
    assert partial["summary"]["age"] == 38
    assert [d["treatment"] for d in partial["decisions"]] == ["Physical therapy 2 times a week for 6 weeks for the cervical spine"]
    assert info.value.to_dict()["partial"] == partial


def test_a_missing_label_keeps_the_decisions_before_it() -> None:
    text = _seed_letter().replace("MAXIMUS guideline: Decision based on MTUS Chronic", "MAXIMUS guidline: Decision based on MTUS Chronic")
    with pytest.raises(imrparse.ParseError) as info:
        imrparse.parse(text)
    assert info.value.code == "S102"
    assert info.value.partial is not None
    assert [d["outcome"] for d in info.value.partial["decisions"]] == ["overturned"]


def test_a_failure_in_the_header_has_no_case_but_keeps_nothing_it_did_not_read() -> None:
    text = _seed_letter().replace("HOW THE IMR FINAL DETERMINATION WAS MADE", "HOW THE IMR FINAL DETERMINATIN WAS MADE")
    with pytest.raises(imrparse.ParseError) as info:
        imrparse.parse(text)
    partial = info.value.partial
    assert partial is None or (partial["reviewer"] is None and partial["decisions"] == [])


def test_parse_many_error_records_carry_the_partial_record() -> None:
    text = _seed_letter()
    cut = text[: text.rindex("Decision rationale:")]
    [result] = list(imrparse.parse_many([("cut.txt", cut)], workers=1))
    assert result["error"]["code"] == "S104"
    assert result["error"]["partial"]["case"]["case_number"] == "CM17-0021188"
    assert len(result["error"]["partial"]["decisions"]) == 1


# -- the README's "How to add a wording" ------------------------------------------------------


def test_the_readme_example_of_adding_a_wording_works(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's row, added to the table as the README says, makes its sentence known."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## How to add a wording"):]
    row_code = re.search(r"```python\n(.*?)```", section, re.S)
    sentence = re.search(r"<!-- wording:example -->\n> (.*)\n", section)
    assert row_code and sentence
    namespace: dict[str, object] = {"Wording": wording.Wording, "_WHO": wording._WHO}
    exec(row_code.group(1), namespace)
    row = namespace["row"]
    assert isinstance(row, wording.Wording)
    letter = _seed_letter().replace("The Claims Administrator did not cite any medical evidence for\nits decision.", sentence.group(1))
    guideline = imrparse.parse(letter)["decisions"][0]["claims_administrator_guideline"]
    assert guideline["cited"] is None and guideline["unrecognized"]  # unknown before the row is added
    monkeypatch.setattr(wording, "GUIDELINE_WORDINGS", (*wording.GUIDELINE_WORDINGS, row))
    importlib.reload(readers)
    try:
        guideline = imrparse.parse(letter)["decisions"][0]["claims_administrator_guideline"]
    finally:
        monkeypatch.undo()
        importlib.reload(readers)
    assert guideline["cited"] is False and guideline["unrecognized"] == []
