"""Age, sex and injury date from the case summary's prose, as the corpus and seeds write them."""

from __future__ import annotations

import pytest

from imrparse import narrative

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
    assert narrative.age_and_sex(text) == expected


@pytest.mark.parametrize(("text", "pivot", "expected"), INJURY)
def test_injury_date(text: str, pivot: int | None, expected: str | None) -> None:
    assert narrative.injury_date(text, pivot) == expected
