"""Age, sex and injury date from the case summary's prose, as the corpus and seeds write them."""

from __future__ import annotations

import re

import pytest
from conftest import corpus_dir

import imrparse
from imrparse.read import narrative

AGE_SEX = [
    ("The injured worker is a 48 year old male who sustained", (48, "male")),
    ("This case involves a now 58-year-old female with a history", (58, "female")),
    ("The injured worker is a(n) 57 year old male, who sustained", (57, "male")),
    ("The patient is a 45-year-old woman who", (45, "female")),
    ("a 61-\nyear-old male", (61, "male")),
    ("a 61year-old male", (61, "male")),  # pdftotext joined the hyphenated line end
    ("This patient's date of injury is 06/07/2002.", (None, None)),
    ("The applicant is a 33-year-old who", (33, None)),
]

INJURY = [
    ("sustained an industrial injury on 10-13-16.", 2016, "2016-10-13"),
    ("sustained an industrial injury on 12/06/04.", 2015, "2004-12-06"),
    ("sustained an industrial injury on 03/14/99.", None, "1999-03-14"),
    ("with a history of an occupational claim from 10/14/ 2016.", None, "2016-10-14"),
    ("industrial injury of October 13, 2016. In a", None, "2016-10-13"),
    ("a work related injury on November 11, 2016, incurring", None, "2016-11-11"),
    ("who sustained an industrial injury November 28, 2016.", None, "2016-11-28"),
    ("with a reported date of injury of 10-25-2016.", None, "2016-10-25"),
    ("This patient's date of injury is 06/07/2002.", None, "2002-06-07"),
    ("a 53 year old male with a date of injury on 11-11-2016.", None, "2016-11-11"),
    ("sustained an industrial injury on 13/45/2016.", None, None),
    ("The injured worker fell at work.", None, None),
]


@pytest.mark.parametrize(("text", "expected"), AGE_SEX)
def test_age_and_sex(text: str, expected: tuple[int | None, str | None]) -> None:
    assert narrative.age_and_sex(text)[:2] == expected


@pytest.mark.parametrize(("text", "pivot", "expected"), INJURY)
def test_injury_date(text: str, pivot: int | None, expected: str | None) -> None:
    assert narrative.injury_date(narrative.injury_statement(text), pivot) == expected


INJURY_FORMS = [
    ("with an industrial injury date of 10-16-2016. She", 2017, "2016-10-16"),
    ("who sustained an industrial-work injury on 10-26-16.", 2017, "2016-10-26"),
    ("who sustained a work injury on 10/26/2016.", None, "2016-10-26"),
    ("date of injury (DOI) 3/4/2015.", None, "2015-03-04"),
    ("The worker was injured at work on 10/13/16.", 2017, "2016-10-13"),
]


@pytest.mark.parametrize(("text", "pivot", "expected"), INJURY_FORMS)
def test_injury_date_forms(text: str, pivot: int | None, expected: str) -> None:
    assert narrative.injury_date(narrative.injury_statement(text), pivot) == expected


DIAGNOSES = [
    # the forms
    ("Diagnoses include A, B and C. The", ["A", "B", "C"]),
    ("The injured worker was diagnosed with lumbar strain and\nleft knee sprain. Treatment", ["lumbar strain", "left knee sprain"]),
    ("Current diagnoses include left proximal hamstring tear. In a", ["left proximal hamstring tear"]),
    ("The diagnoses were neck pain and back pain.", ["neck pain", "back pain"]),
    ("being treated for the diagnoses of right shoulder contusion, neck strain and right arm paresthesias.",
     ["right shoulder contusion", "neck strain", "right arm paresthesias"]),
    # the corpus' other wordings
    ("The current diagnoses are documented as pain in left shoulder; cervicalgia; and postconcussional syndrome.",
     ["pain in left shoulder", "cervicalgia", "postconcussional syndrome"]),
    ("The current diagnosis is documented as contusion of scalp.", ["contusion of scalp"]),
    ("The injured worker was diagnosed as having lumbar radiculitis and lumbar sprain.", ["lumbar radiculitis", "lumbar sprain"]),
    ("She was diagnosed with a right shoulder sprain and right hip sprain.", ["right shoulder sprain", "right hip sprain"]),
    ("the injured worker has had diagnoses of lumbar strain, subsequent encounter and sciatica of left side.",
     ["lumbar strain, subsequent encounter", "sciatica of left side"]),
    ("Diagnoses, and-or impressions, were noted to include: low back injury; sacroiliac joint sprain.",
     ["low back injury", "sacroiliac joint sprain"]),
    ("requested therapy for the following diagnoses: lumbar radiculopathy, cervical myofascial pain, and tendinopathy. There",
     ["lumbar radiculopathy", "cervical myofascial pain", "tendinopathy"]),
    ("For the diagnosis of complex regional pain syndrome, the patient underwent a block.", ["complex regional pain syndrome"]),
    # a list of sides or regions of one diagnosis is not cut
    ("The current diagnoses are documented as right and left shoulder joint sprain.", ["right and left shoulder joint sprain"]),
    # no list
    ("Initial complaints and diagnoses are not available. Diagnostic studies include x-rays.", []),
    # only without a diagnosis statement: what the worker is treated for
    ("The injured worker is undergoing treatment for cervical, thoracic and lumbar myoligamentous injury. A",
     ["cervical, thoracic and lumbar myoligamentous injury"]),
    ("Diagnoses include lumbar strain. The injured worker is undergoing treatment for back pain.", ["lumbar strain"]),
    ("The injured worker fell at work.", []),
    # "being treated for" / "has been treated for" (issue 27: 25 of 32 real letters without diagnoses were written so)
    ("The injured worker is being treated for chronic low back pain and left knee pain. He",
     ["chronic low back pain", "left knee pain"]),
    ("The injured worker is being treated for: right shoulder tendinitis; cervical strain.",
     ["right shoulder tendinitis", "cervical strain"]),
    ("The injured worker has been treated for lumbar strain with medications and physical therapy. She", ["lumbar strain"]),
    ("She has been treated conservatively for cervical radiculopathy since 2014. An MRI", ["cervical radiculopathy"]),
    ("The patient has been treated for neck pain for the past two years. The", ["neck pain"]),
    ("The injured worker has been treated for bilateral carpal tunnel syndrome by a hand surgeon. He",
     ["bilateral carpal tunnel syndrome"]),
    ("The injured worker is being treated for anxiety and depression with psychotherapy. He", ["anxiety", "depression"]),
    # "with" a condition, not a treatment: one diagnosis
    ("The injured worker has been treated for lumbar disc herniation with radiculopathy. The",
     ["lumbar disc herniation with radiculopathy"]),
    # a diagnosis statement wins over what the worker is treated for
    ("Diagnoses include lumbar strain. He has been treated for back pain since 2015.", ["lumbar strain"]),
    ("He has not been treated. The", []),
]


@pytest.mark.parametrize(("text", "expected"), DIAGNOSES)
def test_diagnoses(text: str, expected: list[str]) -> None:
    assert [" ".join(text[d.start:d.end].split()) for d in narrative.diagnoses(text)] == expected


_STATEMENT = re.compile(r"\bdiagnos(?:is|es|ed)\b", re.IGNORECASE)


@pytest.mark.corpus
def test_every_corpus_letter_that_states_diagnoses_has_them() -> None:
    paths = sorted((corpus_dir() / "text").glob("*.txt"))
    assert len(paths) == 147
    for path in paths:
        summary = imrparse.parse_file(path)["summary"]
        if _STATEMENT.search(summary["text"]) or "undergoing treatment" in summary["text"]:
            assert summary["diagnoses"], path.name


@pytest.mark.corpus
def test_the_injury_date_is_found_in_every_corpus_letter() -> None:
    for path in sorted((corpus_dir() / "text").glob("*.txt")):
        record = imrparse.parse_file(path)
        assert record["summary"]["date_of_injury"] is not None, path.name
        if not path.name.startswith("CM16-0239569"):  # its summary says 11/05/2016, its header 11/15/2016 (validate: N501)
            assert record["summary"]["date_of_injury"] == record["case"]["date_of_injury"], path.name
