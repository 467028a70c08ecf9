"""The wording between the landmarks: the sentences that drift from year to year.

The landmarks themselves (headings, labels, openings, outcome words) are written in the grammar
and nowhere else (imrparse/grammar/landmarks.py reads them). What lies between them -- the
guideline citations, the credentials sentence's clauses, the partial-authorization titles -- is
read with the rows below: each known way of saying a thing is one `Wording` row, and
imrparse/read/readers.py keeps what no row recognizes as text. Adding a wording is adding a row
(and a fixture); a row says where its sentence may begin (`opens`), so the readers' cuts come
from the rows themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# -- the wording between landmarks ----------------------------------------------------------------

Kind = Literal["mtus", "non_mtus", "no_evidence", "basis", "citation", "specialties", "licensure", "partial"]


@dataclass(frozen=True)
class Wording:
    """One known way of saying a thing. `pattern` is matched at the start of a sentence (or
    clause, or title); its named groups are what is read out of it."""

    name: str
    kind: Kind
    pattern: str
    example: str
    # Where a sentence of this row may begin, when the row is read in running text (a guideline
    # paragraph is cut at every row's opening); None: the row is matched only where it stands.
    opens: str | None = None
    board_certified: bool = False  # a credentials clause that states a board certification

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


_WHO = r"The\s+(?:Claims\s+Administrator|Expert\s+Reviewer)"
_BASED_ON = _WHO + r"\s+based\s+(?:its|their|his/her|his|her)\s+decision\s+on\s+(?:the\s+)?(?:(?:CA\s+)?MTUS\s+(?=[A-Z]))?"
_PART_OF_MTUS = r",?\s+which\s+(?:is|are)\s+part\s+of\s+the\s+(?:CA\s+)?MTUS\."
_NOT_PART_OF_MTUS = r",?\s+which\s+(?:is|are)\s+not\s+part\s+of\s+the\s+(?:CA\s+)?MTUS\."

# A guideline paragraph is cut into sentences where any row's opening matches (at its start or
# after whitespace), and each sentence is read by the first row that matches it. A citation runs
# to the next opening or the end of the paragraph.
_DECISION_BASED_ON = r"Decision\s+based\s+on\b"
_WHO_DID = _WHO + r"\s+did\b"
_WHO_BASED = _WHO + r"\s+based\b"

GUIDELINE_WORDINGS: tuple[Wording, ...] = (
    Wording("no-evidence", "no_evidence",
            _WHO + r"\s+did\s+not\s+cite\s+any\s+medical\s+evidence\s+for\s+(?:its|their|his/her)\s+decision\.",
            "The Claims Administrator did not cite any medical evidence for its decision.", opens=_WHO_DID),
    Wording("outside-mtus", "basis",
            _WHO + r"\s+based\s+their\s+decision\s+on\s+recommendation\(s\)\s+outside\s+of\s+the\s+MTUS\s+Guidelines\.",
            "The Claims Administrator based their decision on recommendation(s) outside of the MTUS Guidelines.", opens=_WHO_BASED),
    Wording("not-mtus", "basis", _WHO + r"\s+did\s+not\s+base\s+their\s+decision\s+on\s+the\s+MTUS\.",
            "The Expert Reviewer did not base their decision on the MTUS.", opens=_WHO_DID),
    # pdftotext drops a hyphen at a line end: "Non-" / "MTUS" -> "NonMTUS".
    Wording("non-mtus-citation", "non_mtus", r"Decision\s+based\s+on\s+Non-?\s*MTUS\s+Citation\b\s*(?P<citation>[\s\S]*)",
            "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Pain Chapter.", opens=_DECISION_BASED_ON),
    Wording("mtus-citation", "mtus", r"Decision\s+based\s+on\s+(?:the\s+)?(?:CA\s+)?MTUS\b\s*(?P<citation>[\s\S]*)",
            "Decision based on MTUS Chronic Pain Medical Treatment Guidelines, Opioids, pages 74-96.", opens=_DECISION_BASED_ON),
    Wording("based-on-part-of-mtus", "mtus", _BASED_ON + r"(?P<citation>[\s\S]+?)" + _PART_OF_MTUS,
            "The Claims Administrator based its decision on the Chronic Pain Medical Treatment Guidelines, which are part of the MTUS.",
            opens=_WHO_BASED),
    Wording("based-on-not-part-of-mtus", "non_mtus", _BASED_ON + r"(?P<citation>[\s\S]+?)" + _NOT_PART_OF_MTUS,
            "The Expert Reviewer based his/her decision on the Official Disability Guidelines, which is not part of the MTUS.",
            opens=_WHO_BASED),
    # Neither says which: MTUS_NAMES below decides.
    Wording("based-on", "citation", _BASED_ON + r"(?P<citation>[\s\S]+)",
            "The Expert Reviewer based his/her decision on the MTUS Chronic Pain Medical Treatment Guidelines, page 111.",
            opens=_WHO_BASED),
)

# A sentence that says where its citation stands in neither direction cites the MTUS when it names
# the MTUS or one of its parts.
MTUS_NAMES = re.compile(r"\bMTUS\b|\bACOEM\b|Medical\s+Treatment\s+Utilization\s+Schedule|Chronic\s+Pain\s+Medical\s+Treatment"
                        r"|Complaints\s+(?:19|20)\d\d\b")

# An MTUS citation in the 2016-17 form is split into one entry per part:
# "Low Back Complaints 2004, Section(s): Physical Methods, and Chronic Pain Medical Treatment
# 2009, Section(s): TENS". Other forms are one entry, as written. A part name is at most ~40
# characters; the bound of 100 keeps the search linear on hostile input.
MTUS_PART = r"[A-Z][A-Za-z&,\s-]{0,100}?\s(?:19|20)\d\d\b"
MTUS_PART_HEAD = re.compile(r"(?P<part>" + MTUS_PART + r")(?P<sections>,\s*Section\(s\):\s*)?")
MTUS_NEXT_PART = re.compile(r",\s+and\s+(?=" + MTUS_PART + ")")

# The credentials sentence: "The expert reviewer is Board Certified in X, has a subspecialty in
# Y and is licensed to practice in Z." After its subject (the grammar's CREDENTIAL_SUBJECT) it is
# cut into clauses at ", " or " and " before "is" or "has"; each clause is read by the first row
# that matches it whole.
CREDENTIAL_CLAUSE_BREAK = re.compile(r",?\s+and\s+(?=(?:is|has)\b)|,\s+(?=(?:is|has)\b)")
CREDENTIAL_CLAUSES: tuple[Wording, ...] = (
    Wording("board-certified", "specialties",
            r"(?:is\s+)?(?:a\s+)?[Bb]oard[\s-]+[Cc]ertified\s+(?:in|by\s+the\s+American\s+Board\s+of)\s+(?P<names>[\s\S]+)",
            "is Board Certified in Family Medicine", board_certified=True),
    Wording("subspecialty", "specialties", r"(?:has\s+)?(?:a\s+)?[Ss]ub-?specialty\s+(?:certification\s+)?in\s+(?P<names>[\s\S]+)",
            "has a subspecialty in Pain Medicine"),
    Wording("licensed", "licensure",
            r"(?:is\s+)?[Ll]icensed\s+to\s+practice\s+(?:medicine\s+)?in\s+(?:the\s+[Ss]tates?\s+of\s+)?(?P<names>[\s\S]+)",
            "is licensed to practice in California"),
)
# Names in a list are separated by commas; states also by "and" (no state's name has one,
# while "Physical Medicine and Rehabilitation" is one specialty).
NAME_SEPARATORS = {"specialties": re.compile(r"\s*,\s*"), "licensure": re.compile(r"\s*,\s*|\s+and\s+")}

# Partial-authorization titles: the part IMR decided, the original request and what the
# Claims Administrator authorized.
TITLE_WORDINGS: tuple[Wording, ...] = (
    Wording("remaining-portion", "partial",
            r"(?P<original>[\s\S]+?)\s+was\s+the\s+original\s+request\.\s+(?P<authorized>[\s\S]+?)\s+was\s+authorized\s+by\s+the\s+"
            r"Claims\s+Administrator\.\s+The\s+remaining\s+IMR\s+eligible\s+portion\s+of\s+the\s+original\s+request,\s+"
            r"(?P<treatment>[\s\S]+)",
            "Norco 10/325mg #90 was the original request. Norco 10/325mg #45 was authorized by the Claims Administrator. "
            "The remaining IMR eligible portion of the original request, Norco 10/325mg #45"),
    Wording("original-request", "partial",
            r"(?P<original>[\s\S]+?)\s+was\s+the\s+original\s+request\.\s+The\s+Claims\s+Administrator\s+authorized\s+"
            r"(?P<authorized>[\s\S]+?),\s+leaving\s+the\s+original\s+request\s+IMR\s+eligible\.\s+The\s+original\s+request,\s+"
            r"(?P<treatment>[\s\S]+)",
            "Physical therapy 12 sessions was the original request. The Claims Administrator authorized 6 sessions, leaving the "
            "original request IMR eligible. The original request, Physical therapy 12 sessions"),
)
# A title that has this and matches no row above is a partial-authorization wording no row knows.
PARTIAL_MARK = re.compile(r"\boriginal\s+request\b")

# "medically necessary", as a conclusion states it: in a rationale's clause (below) and in a 2013
# letter's determination sentence (imrparse/read/layouts/maximus_2013.py).
NECESSARY = r"medically\s+necessary(?:\s+and\s+appropriate)?"

# The conclusion of a rationale (validate rule D402): a clause that states medical necessity.
# A copula, optionally with a modal ("cannot be"), then any of a few words that do not change
# its sense ("deemed", "considered", "determined to be", "seen as", "therefore") or negate it
# ("not", "non-"), then "medically necessary", optionally "and appropriate" (or "a medical
# necessity"). A negation counts only
# inside the clause: "Under the circumstances ... is medically necessary" affirms, and so does
# "It would not be appropriate to deny ..., therefore the request is medically necessary".
NECESSITY_CLAUSE = re.compile(
    r"""\b(?P<copula>is|are|was|were|(?:can(?:\s*not)?|could|would|will|should|may|must)(?:\s+not)?\s+be)
        (?P<qualifiers>(?:\s+(?:not|deemed|considered|determined\s+to(?:\s+not)?\s+be|found\s+to(?:\s+not)?\s+be
                              |felt\s+to(?:\s+not)?\s+be|(?:seen|viewed|regarded|supported|established)\s+as
                              |therefore|thus|hence|also|currently|still|now|as\s+such))*)
        \s+(?:(?P<non>non-?\s*)?""" + NECESSARY + r"""|a\s+medical\s+necessity)\b""",
    re.IGNORECASE | re.VERBOSE,
)
NEGATION = re.compile(r"\bnot\b|\bcannot\b|^non", re.IGNORECASE)


def negated(*parts: str | None) -> bool:
    """Whether a conclusion's words (copula, qualifiers, "non-") negate it."""
    return any(NEGATION.search(part or "") for part in parts)
