"""The letter's wording, in one place.

Two kinds of wording live here, and nowhere else in Python:

* LANDMARKS: each terminal of the grammar as the letter writes it (`phrase`) and as an error
  message names it (`description`). The grammar fixes these; a test checks that every phrase
  matches its terminal, and that every terminal has an entry.
* The sentences between landmarks, which drift from year to year: the guideline citations,
  the credentials sentence and lists, the partial-authorization titles. Each known way of
  saying a thing is one `Wording` row; `imrparse/read/readers.py` reads text with these rows, and
  keeps what no row recognizes as text. Adding a wording is adding a row (and a fixture).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Landmark:
    phrase: str  # as the letter writes it ("" for a value or free text, which has no fixed form)
    description: str  # what an "expected ..." message calls it


LANDMARKS: dict[str, Landmark] = {
    "_HOW_HEADING": Landmark("HOW THE IMR FINAL DETERMINATION WAS MADE", "the heading 'HOW THE IMR FINAL DETERMINATION WAS MADE'"),
    "_SUMMARY_HEADING": Landmark("CLINICAL CASE SUMMARY", "the heading 'CLINICAL CASE SUMMARY'"),
    "_DECISIONS_HEADING": Landmark("IMR ISSUES, DECISIONS AND RATIONALES", "the heading 'IMR ISSUES, DECISIONS AND RATIONALES'"),
    "_SUMMARY_INTRO": Landmark(
        "The expert reviewer developed the following clinical case summary based on a review of the case file, including all "
        "medical records:", "the summary's introduction ('The expert reviewer developed ...')"),
    "_DECISIONS_INTRO": Landmark(
        "The Final Determination was based on decisions for the disputed items/services set forth below:",
        "the decisions' introduction ('The Final Determination was based on ...')"),
    "CASE_NUMBER_LABEL": Landmark("Case Number:", "'Case Number:'"),
    "DATE_ASSIGNED_LABEL": Landmark("Date Assigned:", "'Date Assigned:'"),
    "DATE_OF_INJURY_LABEL": Landmark("Date of Injury:", "'Date of Injury:'"),
    "DECISION_DATE_LABEL": Landmark("Decision Date:", "'Decision Date:'"),
    "UR_DENIAL_DATE_LABEL": Landmark("UR Denial Date:", "'UR Denial Date:'"),
    "PRIORITY_LABEL": Landmark("Priority:", "'Priority:'"),
    "APPLICATION_RECEIVED_LABEL": Landmark("Application Received:", "'Application Received:'"),
    "_RECEIVED": Landmark("Received:", "'Received:'"),
    "CASE_NUMBER": Landmark("CM16-0213037", "a case number (CM16-0213037)"),
    "DATE": Landmark("11/09/2016", "a date (MM/DD/YYYY)"),
    "PRIORITY": Landmark("Standard", "a priority (Standard or Expedited)"),
    "_CREDENTIALS_INTRO": Landmark("The Expert Reviewer has the following credentials:",
                                   "'The Expert Reviewer has the following credentials:'"),
    "_LICENSURE_LABEL": Landmark("State(s) of Licensure:", "'State(s) of Licensure:'"),
    "_SPECIALTY_LABEL": Landmark("Certification(s)/Specialty:", "'Certification(s)/Specialty:'"),
    "CREDENTIAL_SENTENCE": Landmark(
        "The expert reviewer is Board Certified in Family Medicine and is licensed to practice in California.",
        "the credentials sentence ('The expert reviewer is Board Certified in ...')"),
    "CREDENTIAL_LIST": Landmark("California, North Carolina", "a list of states or specialties"),
    "_CA_GUIDELINE_LABEL": Landmark("Claims Administrator guideline:", "a 'Claims Administrator guideline:' paragraph"),
    "_REVIEWER_GUIDELINE_LABEL": Landmark("MAXIMUS guideline:", "a 'MAXIMUS guideline:' paragraph"),
    "_RATIONALE_LABEL": Landmark("Decision rationale:", "a 'Decision rationale:' paragraph"),
    "_OUTCOME_COLON": Landmark(":", "the ':' before the outcome"),
    "OUTCOME": Landmark("Upheld", "an outcome (Upheld or Overturned)"),
    "TITLE_TEXT": Landmark("MRI of the lumbar spine", "a decision item's title ('<item>: Upheld' or '<item>: Overturned')"),
    "ITEM_NUMBER": Landmark("1", "an item number"),
    "GUIDELINE_TEXT": Landmark("Decision based on MTUS Low Back Complaints 2004.", "the text of a guideline paragraph"),
    "HOW_TEXT": Landmark("MAXIMUS Federal Services sent the complete case file to an expert reviewer.",
                         "the determination boilerplate"),
    "NARRATIVE_TEXT": Landmark("The injured worker is a 48 year old male.", "the text of the case summary"),
    "RATIONALE_TEXT": Landmark("The request is not medically necessary.", "the text of the rationale"),
    "_MAXIMUS_OPENING": Landmark("MAXIMUS FEDERAL SERVICES, INC.", "'MAXIMUS FEDERAL SERVICES, INC.' (a 2013 letter)"),
    "_MPR_OPENING": Landmark("MEDICAL PROFESSIONAL REVIEW", "'MEDICAL PROFESSIONAL REVIEW' (a 2013 letter)"),
    "DETERMINATION": Landmark(
        "1) MAXIMUS Federal Services, Inc. has determined the request for a 28 day functional restoration program is not "
        "medically necessary and appropriate.", "a numbered determination ('1) MAXIMUS Federal Services, Inc. has determined ...')"),
    "NOTICE": Landmark("Notice of Independent Medical Review Determination Dated: 9/26/2013",
                       "'Notice of Independent Medical Review Determination Dated: ...'"),
    "M13_HEADING": Landmark("INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE", "a heading of a 2013 letter"),
    "MPR_HEADING": Landmark("ISSUE AT DISPUTE:", "a heading of a 'MEDICAL PROFESSIONAL REVIEW' letter"),
    "M13_TEXT": Landmark("An application for Independent Medical Review was filed on 9/6/2013.", "the text of a 2013 letter"),
    "$END": Landmark("", "the end of the letter"),
}

# The header: each label's record field and the value terminal it takes.
HEADER_FIELDS = {
    "CASE_NUMBER_LABEL": ("case_number", "CASE_NUMBER"),
    "DATE_ASSIGNED_LABEL": ("date_assigned", "DATE"),
    "DATE_OF_INJURY_LABEL": ("date_of_injury", "DATE"),
    "DECISION_DATE_LABEL": ("decision_date", "DATE"),
    "UR_DENIAL_DATE_LABEL": ("ur_denial_date", "DATE"),
    "PRIORITY_LABEL": ("priority", "PRIORITY"),
    "APPLICATION_RECEIVED_LABEL": ("application_received", "DATE"),
}
FIELD_LABELS = {field: LANDMARKS[label].phrase for label, (field, _) in HEADER_FIELDS.items()}

# Groups of landmarks that failures and outlines are described by.
HEADINGS = ("_HOW_HEADING", "_SUMMARY_HEADING", "_DECISIONS_HEADING")
ITEM_LABELS = ("_CA_GUIDELINE_LABEL", "_REVIEWER_GUIDELINE_LABEL", "_RATIONALE_LABEL")
LETTER_STARTS = ("CASE_NUMBER_LABEL", "_HOW_HEADING")
TITLE_PARTS = ("TITLE_TEXT", "ITEM_NUMBER")


def describe(terminals: list[str]) -> str:
    """Terminals in the letter's words, without repeats: "'Decision rationale:'; or ..."."""
    words: list[str] = []
    for name in terminals:
        landmark = LANDMARKS.get(name)
        word = landmark.description if landmark else name
        if word not in words:
            words.append(word)
    return "; or ".join(words)


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

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


_WHO = r"The\s+(?:Claims\s+Administrator|Expert\s+Reviewer)"
_BASED_ON = _WHO + r"\s+based\s+(?:its|their|his/her|his|her)\s+decision\s+on\s+(?:the\s+)?(?:(?:CA\s+)?MTUS\s+(?=[A-Z]))?"
_PART_OF_MTUS = r",?\s+which\s+(?:is|are)\s+part\s+of\s+the\s+(?:CA\s+)?MTUS\."
_NOT_PART_OF_MTUS = r",?\s+which\s+(?:is|are)\s+not\s+part\s+of\s+the\s+(?:CA\s+)?MTUS\."

# Where a guideline sentence may begin: a paragraph is cut into sentences at these openings
# (at its start or after whitespace), and each sentence is read by the first row below that
# matches it. A citation runs to the next opening or the end of the paragraph.
GUIDELINE_OPENINGS = (r"Decision\s+based\s+on\b", _WHO + r"\s+(?:did|based)\b")

GUIDELINE_WORDINGS: tuple[Wording, ...] = (
    Wording("no-evidence", "no_evidence",
            _WHO + r"\s+did\s+not\s+cite\s+any\s+medical\s+evidence\s+for\s+(?:its|their|his/her)\s+decision\.",
            "The Claims Administrator did not cite any medical evidence for its decision."),
    Wording("outside-mtus", "basis",
            _WHO + r"\s+based\s+their\s+decision\s+on\s+recommendation\(s\)\s+outside\s+of\s+the\s+MTUS\s+Guidelines\.",
            "The Claims Administrator based their decision on recommendation(s) outside of the MTUS Guidelines."),
    Wording("not-mtus", "basis", _WHO + r"\s+did\s+not\s+base\s+their\s+decision\s+on\s+the\s+MTUS\.",
            "The Expert Reviewer did not base their decision on the MTUS."),
    # pdftotext drops a hyphen at a line end: "Non-" / "MTUS" -> "NonMTUS".
    Wording("non-mtus-citation", "non_mtus", r"Decision\s+based\s+on\s+Non-?\s*MTUS\s+Citation\b\s*(?P<citation>[\s\S]*)",
            "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Pain Chapter."),
    Wording("mtus-citation", "mtus", r"Decision\s+based\s+on\s+(?:the\s+)?(?:CA\s+)?MTUS\b\s*(?P<citation>[\s\S]*)",
            "Decision based on MTUS Chronic Pain Medical Treatment Guidelines, Opioids, pages 74-96."),
    Wording("based-on-part-of-mtus", "mtus", _BASED_ON + r"(?P<citation>[\s\S]+?)" + _PART_OF_MTUS,
            "The Claims Administrator based its decision on the Chronic Pain Medical Treatment Guidelines, which are part of the MTUS."),
    Wording("based-on-not-part-of-mtus", "non_mtus", _BASED_ON + r"(?P<citation>[\s\S]+?)" + _NOT_PART_OF_MTUS,
            "The Expert Reviewer based his/her decision on the Official Disability Guidelines, which is not part of the MTUS."),
    # Neither says which: MTUS_NAMES below decides.
    Wording("based-on", "citation", _BASED_ON + r"(?P<citation>[\s\S]+)",
            "The Expert Reviewer based his/her decision on the MTUS Chronic Pain Medical Treatment Guidelines, page 111."),
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
# Y and is licensed to practice in Z." After the opening it is cut into clauses at ", " or
# " and " before "is" or "has"; each clause is read by the first row that matches it whole.
CREDENTIAL_OPENING = re.compile(r"The\s+(?:[Ee]xpert|[Pp]hysician)\s+[Rr]eviewer\s+")
CREDENTIAL_CLAUSE_BREAK = re.compile(r",?\s+and\s+(?=(?:is|has)\b)|,\s+(?=(?:is|has)\b)")
CREDENTIAL_CLAUSES: tuple[Wording, ...] = (
    Wording("board-certified", "specialties",
            r"(?:is\s+)?(?:a\s+)?[Bb]oard[\s-]+[Cc]ertified\s+(?:in|by\s+the\s+American\s+Board\s+of)\s+(?P<names>[\s\S]+)",
            "is Board Certified in Family Medicine"),
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
        \s+(?:(?P<non>non-?\s*)?medically\s+necessary(?:\s+and\s+appropriate)?|a\s+medical\s+necessity)\b""",
    re.IGNORECASE | re.VERBOSE,
)
NEGATION = re.compile(r"\bnot\b|\bcannot\b|^non", re.IGNORECASE)

# -- the 2013 layouts -----------------------------------------------------------------------------

# The layouts the grammar knows, by their opening (an unknown opening is refused with this list).
LAYOUTS = {
    "fdl-2014": "the header ('Case Number: ...') or 'HOW THE IMR FINAL DETERMINATION WAS MADE' (2014 on)",
    "maximus-2013": "'MAXIMUS FEDERAL SERVICES, INC.' (2013)",
    "mpr-2013": "'MEDICAL PROFESSIONAL REVIEW' (2013)",
}

# "1) MAXIMUS Federal Services, Inc. has determined the request for X is not medically necessary
# and appropriate." ("notmedically": extractors drop the space.)
DETERMINATION = re.compile(
    r"(?P<number>\d{1,2})\)\s+MAXIMUS\s+Federal\s+Services,\s+Inc\.\s+has\s+determined\s+(?:that\s+)?the\s+request\s+for\s+"
    r"(?:an?\s+|the\s+)?(?P<treatment>[\s\S]+?)\s+(?:is|are|was|were)\s+(?P<negation>not\s*)?medically\s+necessary"
    r"(?:\s+and\s+appropriate)?\.")
# Each 2013 heading, as the record's reader names the section it opens.
SECTIONS_2013 = (
    (re.compile(r"Notice\s+of\s+Independent", re.I), "notice"),
    (re.compile(r"INDEPENDENT\s+MEDICAL\s+REVIEW\s+DECISION", re.I), "decision"),
    (re.compile(r"IMR\s+DECISION\(S\)|RATIONALE\s+FOR\s+WHY", re.I), "rationale"),
    (re.compile(r"(?:CLINICAL\s+)?CASE\s+SUMMARY", re.I), "summary"),
    (re.compile(r"QUALIFICATIONS|HOW\s+THE\s+IMR", re.I), "reviewer"),
    (re.compile(r"ISSUE\s+AT\s+DISPUTE", re.I), "issue"),
    (re.compile(r"GUIDELINE\(S\)\s+RELIED", re.I), "guideline"),
    (re.compile(r"DOCUMENTS\s+REVIEWED", re.I), "documents"),
)
# Dates the 2013 letters state in sentences: case field -> pattern with a `date` group.
_DATE_2013 = r"(?P<date>\d{1,2}/\d{1,2}/\d{4})"
DATES_2013 = {
    "decision_date": re.compile(r"Determination\s+Dated:?\s*" + _DATE_2013),
    "application_received": re.compile(r"application\s+for\s+Independent\s+Medical\s+Review\s+was\s+filed\s+on\s+" + _DATE_2013, re.I),
    "ur_denial_date": re.compile(r"Utilization\s+Review\s+Denial\s+dated\s+" + _DATE_2013, re.I),
    "date_assigned": re.compile(r"Notice\s+of\s+Assignment\s+and\s+Request\s+for\s+Information\s+was\s+provided\s+to\s+the\s+above"
                                r"\s+parties\s+on\s+" + _DATE_2013, re.I),
}
# The parts each 2013 layout's letter has (validate rule L601), as the headings that open them.
REQUIRED_2013 = {
    "maximus-2013": {
        "the heading 'INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE'": r"INDEPENDENT\s+MEDICAL\s+REVIEW\s+DECISION\s+AND\s+RATIONALE",
        "'Medical Qualifications of the Expert Reviewer:'": r"Medical\s+Qualifications\s+of\s+the\s+Expert\s+Reviewer:",
        "'Case Summary:'": r"Case\s+Summary:|CLINICAL\s+CASE\s+SUMMARY",
    },
    "mpr-2013": {
        "'ISSUE AT DISPUTE:'": r"ISSUE\s+AT\s+DISPUTE:",
        "'CASE SUMMARY:'": r"CASE\s+SUMMARY:",
        "'DOCUMENTS REVIEWED FOR DETERMINATION:'": r"DOCUMENTS\s+REVIEWED\s+FOR\s+DETERMINATION:",
        "'MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:'":
            r"MEDICAL\s+TREATMENT\s+GUIDELINE\(S\)\s+RELIED\s+UPON\s+BY\s+PROFESSIONAL\s+REVIEWER\s+AND\s+WHY:",
        "'RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:'":
            r"RATIONALE\s+FOR\s+WHY\s+THE\s+REQUESTED\s+TREATMENT/SERVICE\s+IS/WAS\s+NOT\s+MEDICALLY\s+NECESSARY:",
        "'MEDICAL REVIEWER QUALIFICATIONS:'": r"MEDICAL\s+REVIEWER\s+QUALIFICATIONS:",
    },
}
