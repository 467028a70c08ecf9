"""Facts read from the clinical case summary's free prose: age, sex, date of injury.

The narrative has no fixed structure (the grammar treats it as lines of text), so these are
found by patterns over its whitespace-collapsed text. Each pattern tolerates pdftotext's
hyphen-joining at line ends ("61-" / "year-old" -> "61year-old").
"""

from __future__ import annotations

import datetime
import re

_AGE_SEX = re.compile(
    r"\b(?P<age>\d{1,3})\s*-?\s*(?:years?|yr)\s*-?\s*old\b"
    r"(?:\s+(?P<sex>male|female|man|woman|gentleman|lady|boy|girl)\b)?",
    re.IGNORECASE,
)
_SEX_WORDS = {"male": "male", "man": "male", "gentleman": "male", "boy": "male",
              "female": "female", "woman": "female", "lady": "female", "girl": "female"}

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
_DATE = (
    r"(?P<m>\d{1,2})\s*[-/]\s*(?P<d>\d{1,2})\s*[-/]\s*(?P<y>\d{4}|\d{2})\b"
    r"|(?P<mname>" + "|".join(_MONTHS) + r")\.?\s+(?P<dd>\d{1,2}),?\s+(?P<yy>\d{4})"
)
INJURY_DATE = re.compile(
    r"(?:(?:industrial|work[\s-]*related|occupational)\s+(?:injury|claim)|date\s+of\s+injury)"
    r"\s+(?:(?:is|was|on|of|from|dated)\s+){0,2}(?:" + _DATE + ")",
    re.IGNORECASE,
)


def age_and_sex(text: str) -> tuple[int | None, str | None]:
    """The first "<n> year old [male|female]" of the narrative."""
    m = _AGE_SEX.search(text)
    if not m:
        return None, None
    sex = m.group("sex")
    return int(m.group("age")), _SEX_WORDS[sex.lower()] if sex else None


def injury_date(text: str, pivot_year: int | None = None) -> str | None:
    """The first stated date of injury as an ISO date; two-digit years resolve to the
    century that puts them at or before `pivot_year` (the letter's decision year)."""
    m = INJURY_DATE.search(text)
    if not m:
        return None
    if m.group("mname"):
        month, day, year = _MONTHS.index(m.group("mname").lower()) + 1, int(m.group("dd")), int(m.group("yy"))
    else:
        month, day, year = int(m.group("m")), int(m.group("d")), int(m.group("y"))
        if len(m.group("y")) == 2:
            pivot = pivot_year or datetime.date.today().year
            year += 2000 if 2000 + year <= pivot else 1900
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None
