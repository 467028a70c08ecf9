"""Facts read from the clinical case summary's free prose: age, sex, date of injury, diagnoses.

The narrative has no fixed structure (the grammar treats it as lines of text), so these are
found by patterns over its text. Each pattern tolerates pdftotext's hyphen-joining at line ends
("61-" / "year-old" -> "61year-old") and reads any whitespace, line ends included, between words,
so `diagnoses` runs on the letter's own (normalized) text and its spans need no offset map.
"""

from __future__ import annotations

import datetime
import re
from typing import NamedTuple

from imrparse.read import taxonomy
from imrparse.read.dates import iso_date

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
# "industrial injury on", "work related injury on", "occupational claim from", "industrial-work
# injury on", "industrial injury date of", "date of injury (DOI) is", "work injury on", "injured at work on".
INJURY_DATE = re.compile(
    r"(?:(?:(?:industrial(?:[\s/-]*work)?|occupational|work(?:[\s-]*related)?)\s+(?:injury|claim)(?:\s+date)?)"
    r"|date\s+of\s+injury(?:\s*\(DOI\))?|\binjured(?=\s+(?:on|at\s+work\s+on)\s)(?:\s+at\s+work)?)"
    r"\s*:?\s+(?:(?:is|was|on|of|from|dated)\s+){0,2}(?:" + _DATE + ")",
    re.IGNORECASE,
)


class AgeSex(NamedTuple):
    age: int | None
    sex: str | None
    age_at: tuple[int, int] | None  # where each is written in the text read
    sex_at: tuple[int, int] | None


def age_and_sex(text: str) -> AgeSex:
    """The first "<n> year old [male|female]" of the narrative."""
    m = _AGE_SEX.search(text)
    if not m:
        return AgeSex(None, None, None, None)
    sex = m.group("sex")
    return AgeSex(int(m.group("age")), _SEX_WORDS[sex.lower()] if sex else None, m.span("age"), m.span("sex") if sex else None)


def injury_statement(text: str) -> re.Match[str] | None:
    """The first statement of the date of injury (`injury_date` reads it; `date_written` says
    where its date is written)."""
    return INJURY_DATE.search(text)


def date_written(statement: re.Match[str]) -> tuple[int, int]:
    """Where a statement's date is written (the date, not its lead-in)."""
    return statement.start("m") if statement.group("m") else statement.start("mname"), statement.end()


def injury_date(statement: re.Match[str] | None, pivot_year: int | None = None) -> str | None:
    """The date of injury a statement gives, as an ISO date; two-digit years resolve to the
    century that puts them at or before `pivot_year` (the letter's decision year)."""
    m = statement
    if not m:
        return None
    if m.group("mname"):
        month, day, year = _MONTHS.index(m.group("mname").lower()) + 1, int(m.group("dd")), int(m.group("yy"))
    else:
        month, day, year = int(m.group("m")), int(m.group("d")), int(m.group("y"))
        if len(m.group("y")) == 2:
            pivot = pivot_year or datetime.date.today().year
            year += 2000 if 2000 + year <= pivot else 1900
    return iso_date(year, month, day)


# -- diagnoses ---------------------------------------------------------------------------------

class Diagnosis(NamedTuple):
    """One diagnosis as the narrative states it: `start:end` in the text given."""

    start: int
    end: int


_W = r"\s+"
# Where a list of diagnoses begins, after one of the statements (named for what they read):
_DIAGNOSIS_OPENINGS = {
    # "Diagnoses include A, B and C." / "Current diagnoses include" / "The diagnoses included" /
    # "Diagnoses are A; B" / "Diagnoses, and-or impressions, were noted to include: A"
    "diagnoses-include": r"\bdiagnos[ie]s(?:,\s+and-or\s+impressions,)?(?:\s+(?:that|which))?" + _W
                         + r"(?:(?:were|was|are|is|have\s+been|has\s+been)\s+noted\s+to" + _W + r")?"
                         + r"(?:include[sd]?|are|were)(?:" + _W + r"documented\s+as)?\s*:?",
    # "The current diagnosis is documented as A." / "The diagnoses were A"
    "diagnosis-is": r"\bdiagnos[ie]s" + _W + r"(?:is|was)(?:" + _W + r"documented" + _W + r"as)?\s*:?",
    # "The injured worker was diagnosed with A and B." / "was diagnosed as having A" / "She was diagnosed with a A"
    "diagnosed-with": r"\bdiagnosed" + _W + r"(?:with|as(?:" + _W + r"having)?)\s*:?",
    # "for the diagnoses of A, B and C" / "has had diagnoses of A" / "was given diagnoses of A"
    "diagnoses-of": r"\bdiagnos[ie]s" + _W + r"of\s*:?",
    # "for the following diagnoses: A, B, and C"
    "diagnoses-colon": r"\bdiagnos[ie]s\s*:",
}
_DIAGNOSIS_OPENING = re.compile("|".join(f"(?P<{name.replace('-', '_')}>{pattern})" for name, pattern in _DIAGNOSIS_OPENINGS.items()),
                                re.IGNORECASE)
# The fallback when no statement above is made, each read where its first word stands: "The injured
# worker is undergoing treatment for A and B." / "is being treated for A" / "has been treated
# (conservatively) for A".
_TREATED_FOR = {
    "undergoing": re.compile(r"\bundergoing" + _W + r"treatments?" + _W + r"for\s*:?", re.IGNORECASE),
    "being": re.compile(r"\bbeing" + _W + r"treated(?:" + _W + r"[a-z]+ly)?" + _W + r"for\s*:?", re.IGNORECASE),
    "been": re.compile(r"\bbeen" + _W + r"treated(?:" + _W + r"[a-z]+ly)?" + _W + r"for\s*:?", re.IGNORECASE),
}
# After "treated for A", what is not part of A: "since 2014", "for the past two years", "by a hand
# surgeon", and "with", "using", "through" or "via" followed by a treatment ("with medications and
# physical therapy"; but "disc herniation with radiculopathy" is one diagnosis: what follows
# "with" must be a treatment the taxonomy knows).
_TREATED_TAIL = re.compile(r"\s+(?:(?:since|by)\b|for\s+(?:the\s+)?(?:past|last|about|over|approximately|several|many|\d+|one|two|three|"
                            r"four|five|six)\b)", re.IGNORECASE)
_TREATED_WITH = re.compile(r"\s+(?:with|using|through|via)\s+", re.IGNORECASE)
# A list runs to the end of its sentence: a period before a capital letter or the end of the text.
_SENTENCE_END = re.compile(r"\.(?=\s+[A-Z\"“(]|\s*$)|\.(?=[A-Z][a-z])")
# "Initial complaints and diagnoses are not available": no list follows.
_NO_LIST = re.compile(r"(?:not|none|unknown|unclear|pending)\b", re.IGNORECASE)
# "For the diagnosis of A, the patient underwent ...": the sentence goes on after one item.
_FOR_THE = re.compile(r"(?:^|[.:]\s+)for\s+the\s+$", re.IGNORECASE)
_ITEM_SEPARATOR = re.compile(r"\s*;\s*(?:and\s+)?")
_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
# Words before a separator that only modify the next item ("right and left elbow joint sprain",
# "cervical, thoracic and lumbar myoligamentous injury", "right wrist and right hand sprain"):
# the list is not cut there.
_MODIFIER = re.compile(
    r"(?:(?:right|left|bilateral|cervical|thoracic|lumbar|lumbosacral|upper|lower|medial|lateral|acute|chronic|mild|"
    r"moderate|severe|neck|back|shoulders?|elbows?|wrists?|hands?|hips?|knees?|ankles?|feet|foot|arms?|legs?)(?:\s+|$))+",
    re.IGNORECASE,
)
# What qualifies the item before it, in the ICD's words ("lumbar strain, subsequent encounter",
# "pain, unspecified"): it stays with that item.
_QUALIFIER = re.compile(r"(?:(?:subsequent|initial)\s+encounter|sequela|unspecified|left\s+side|right\s+side)", re.IGNORECASE)
_SHORT = 40  # a modifier or a qualifier is a few words, never longer
_LEADING_ARTICLE = re.compile(r"(?:an?|the)\s+", re.IGNORECASE)
_ARTICLES = ("a", "A", "the", "The", "THE")


def _items(text: str, start: int, end: int) -> list[Diagnosis]:
    """The items of the list at `start:end`: at semicolons when it has any (then an item may hold
    commas: "strain of muscle, fascia, and tendon at neck level; ..."), else at commas and "and"."""
    if text.find(",", start, end) < 0 and text.find(";", start, end) < 0 and text.find(" and", start, end) < 0 \
            and text.find("\nand", start, end) < 0:
        return [_without_article(text, start, end)] if end > start else []  # one item, the common case
    separator = _ITEM_SEPARATOR if text.find(";", start, end) >= 0 else _LIST_SEPARATOR
    pieces: list[tuple[int, int]] = []
    pos = start
    for cut in separator.finditer(text, start, end):
        pieces.append((pos, cut.start()))
        pos = cut.end()
    pieces.append((pos, end))
    items: list[Diagnosis] = []
    carry: int | None = None
    for piece_start, piece_end in pieces:
        if piece_end <= piece_start:
            continue
        # a modifier or a qualifier is a few words: a longer piece is an item without trying them
        if separator is _LIST_SEPARATOR and piece_end - piece_start < _SHORT and text.count(" ", piece_start, piece_end) < 3:
            if piece_end < end and _MODIFIER.fullmatch(text, piece_start, piece_end):
                carry = piece_start if carry is None else carry
                continue
            if items and carry is None and _QUALIFIER.fullmatch(text, piece_start, piece_end):
                items[-1] = Diagnosis(items[-1].start, piece_end)
                continue
        if carry is not None:
            piece_start, carry = carry, None
        items.append(_without_article(text, piece_start, piece_end))
    return items


def _without_article(text: str, start: int, end: int) -> Diagnosis:
    """The item at `start:end` without a leading "a", "an" or "the"."""
    if text.startswith(_ARTICLES, start, end):
        article = _LEADING_ARTICLE.match(text, start, end)
        if article is not None and article.end() < end:
            return Diagnosis(article.end(), end)
    return Diagnosis(start, end)


def _openings(text: str, word: str, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    """The statements `pattern` reads, tried only where `word` (lower case, the pattern's first
    word) stands: a narrative is thousands of characters, and a search that tries the pattern's
    alternatives at every one of them costs more than the rest of the reading."""
    lowered = text.lower()
    found: list[re.Match[str]] = []
    pos = lowered.find(word)
    while pos >= 0:
        match = pattern.match(text, pos)
        if match is not None:
            found.append(match)
        pos = lowered.find(word, match.end() if match is not None else pos + 1)
    return found


def _treated_end(text: str, start: int, end: int) -> int:
    """Where the conditions of "treated for ..." end: before a time ("since 2014") or a treatment
    ("with medications"), else at the sentence end."""
    since = _TREATED_TAIL.search(text, start, end)
    if since is not None:
        end = since.start()
    for joint in _TREATED_WITH.finditer(text, start, end):
        if taxonomy.classify(text[joint.end():end]).category != taxonomy.OTHER:
            return joint.start()
    return end


def diagnoses(text: str) -> tuple[Diagnosis, ...]:
    """The diagnoses the narrative states, in order, each at its place in `text`: every list
    that follows a diagnosis statement ("Diagnoses include ...", "diagnosed with ...", "The
    current diagnoses are documented as ...", "for the diagnoses of ..."), split into items.
    Only when no such statement is made, the conditions of "undergoing treatment for ...", "being
    treated for ..." or "has been treated for ...".
    A diagnosis two statements repeat is kept once (its first place). Not cached: a narrative is
    one letter's own."""
    found: list[Diagnosis] = []
    seen: set[str] = set()
    openings = _openings(text, "diagnos", _DIAGNOSIS_OPENING)
    treated = not openings
    if treated:
        openings = sorted((m for word, pattern in _TREATED_FOR.items() for m in _openings(text, word, pattern)), key=lambda m: m.start())
    for opening in openings:
        start = opening.end()
        stop = _SENTENCE_END.search(text, start)
        end = stop.start() if stop else len(text)
        if treated:
            end = _treated_end(text, start, end)
        while start < end and text[start].isspace():
            start += 1
        if _NO_LIST.match(text, start, end):
            continue
        if opening.lastgroup == "diagnoses_of" and _FOR_THE.search(text, max(0, opening.start() - 12), opening.start()):
            comma = text.find(",", start, end)
            end = comma if comma >= 0 else end
        items = _items(text, start, end)
        if len(openings) == 1:  # nothing to repeat
            return tuple(items)
        for item in items:
            key = " ".join(text[item.start:item.end].lower().split())
            if key not in seen:
                seen.add(key)
                found.append(item)
    return tuple(found)
