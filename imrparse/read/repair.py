"""Repairs that let other copies of a letter read as the posted one: scans and faxes read back by
OCR, and text flattened into one line per paragraph.

The body of such a copy is nearly perfect; what breaks is around it and at the landmarks. Each
repair below finds something the grammar cannot read past and edits the normalized text, keeping
the map to the original (`normalize.edit`), so every span of the record still points into the
text the user gave. Every repair is listed in the record (`repairs`, with its span and the text as
written) and reported by `validate` (O701, info), so an analyst can filter or audit them.

Repairs are tried only on a letter that does not parse as it is (or that carries page furniture):
a posted letter's text never pays for them. The landmarks' words come from the grammar
(grammar/landmarks.py); nothing here spells them. What is repaired:

* page furniture: fax banners (a date, a phone number, "P. 3"), "Page 2 of 4", a line repeated on
  every page;
* debris: the logo's lines before the letter's first landmark; table borders and stray marks
  among the header's labels and values;
* landmarks OCR misread (a letter dropped or doubled, l/1/I, O/0, rn/m, a lost colon) at the
  start of a line, and outcome words after a title's colon;
* values whose OCR confusion has one reading (a date "0l/09/2O17", a case number "CMl6-0213037");
* flattened text: a landmark in the middle of a line starts its own line; a decision title
  starts after the last sentence end before its outcome.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from dataclasses import dataclass

from imrparse import record
from imrparse.grammar.landmarks import HEADINGS, ITEM_LABELS, Landmarks
from imrparse.read.dates import us_date
from imrparse.text.normalize import Normalized, edit

# Landmarks that begin a line of a posted letter: a misspelled one is looked for at a line's start,
# and each is put on a line of its own in flattened text.
LINE_LANDMARKS = (*HEADINGS, *ITEM_LABELS, "_SUMMARY_INTRO", "_DECISIONS_INTRO", "_CREDENTIALS_INTRO", "_LICENSURE_LABEL",
                  "_SPECIALTY_LABEL")
HEADER_LABELS = ("CASE_NUMBER_LABEL", "DATE_ASSIGNED_LABEL", "DATE_OF_INJURY_LABEL", "DECISION_DATE_LABEL", "UR_DENIAL_DATE_LABEL",
                 "PRIORITY_LABEL", "APPLICATION_RECEIVED_LABEL", "_RECEIVED")
HEADER_VALUES = ("CASE_NUMBER", "DATE", "PRIORITY")
LETTER_STARTS = ("CASE_NUMBER_LABEL", "_HOW_HEADING", "_MAXIMUS_OPENING", "_MPR_OPENING")

# Page furniture: a line with a fax banner's phone number or its "P. 3" at the end, or "Page 2 of 4".
_PHONE = r"\(\d{3}\)\s?\d{3}-\d{4}"
_PAGE_MARK = r"\bP\.\s?\d{1,3}\s*$"
_PAGE_OF = r"^[ \t]*Page\s+\d{1,3}\s+of\s+\d{1,3}[ \t]*$"
_FURNITURE = re.compile(rf"^[^\n]*?(?:{_PHONE}|{_PAGE_MARK})[^\n]*$|{_PAGE_OF}", re.M)
# Whether a text has any: each alternative alone, behind a literal it needs. A `str in` test and a
# search for a pattern that starts with a literal are C scans; _FURNITURE's search tries its
# alternatives at every character (0.17-0.26 ms a letter, nearly half of a posted letter's parse).
_FURNITURE_SIGNS = tuple((literal, re.compile(sign, re.M)) for literal, sign in (("(", _PHONE), ("P.", _PAGE_MARK), ("Page", _PAGE_OF)))
_MARKS = re.compile("[|_{}\\[\\]\"\u201c\u201d\u2018\u2019\u2014~]+")  # table borders and stray marks
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "S": "5",
                             "B": "8", "Z": "2"})
_DATE_LIKE = re.compile(r"[0-9OoQDlIi|!SBZ]{1,2}/[0-9OoQDlIi|!SBZ]{1,2}/[0-9OoQDlIi|!SBZ]{4}")
_CASE_LIKE = re.compile(r"[Cc(][MmNn][0-9OoQDlIi|!SBZ]{2}-[0-9OoQDlIi|!SBZ]{7}")
_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?](?=\s)")
_MAX_DEBRIS_LINES = 4


@dataclass(frozen=True)
class Repair:
    kind: str  # furniture, debris, landmark, value, line-break
    start: int  # in the normalized text
    end: int
    replacement: str


def as_record(repair: Repair, normalized: Normalized) -> record.Repair:
    """A repair as the record lists it: what kind, where in the original text, what was written
    there, and what the letter was read as having instead."""
    span = normalized.span(repair.start, repair.end)
    return {"kind": repair.kind, "text": normalized.original[span[0]:span[1]], "read_as": repair.replacement,  # type: ignore[typeddict-item]
            "span": span}


def needs_repair(text: str, lm: Landmarks) -> bool:
    """Whether a letter must be repaired before it is parsed at all, because it could parse wrong
    as it is: page furniture (a fax banner, "Page 2 of 4") inside a paragraph, or flattened text,
    where an item's title, its outcome and its first label share a line, so that its rationale
    would swallow every item after it."""
    if any(literal in text and sign.search(text) for literal, sign in _FURNITURE_SIGNS):
        return True
    # An outcome, blanks, then the first label (found by its leading literal, then looked behind).
    label, outcomes = _flattened(lm)
    for found in label.finditer(text):
        end = found.start()
        while end and text[end - 1] in " \t":
            end -= 1
        if end < found.start() and text.endswith(outcomes, 0, end):
            return True
    return False


@functools.lru_cache(maxsize=8)
def _flattened(lm: Landmarks) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """The first label's pattern, and the outcomes that end an item's line before it when flattened."""
    return lm.regex("_CA_GUIDELINE_LABEL"), tuple(lm.phrase(t) for t in ("UPHELD", "OVERTURNED"))


def repair(normalized: Normalized, lm: Landmarks) -> tuple[Normalized, list[Repair]]:
    """The text with every repair made, and the repairs (offsets in `normalized.text`).

    Misspellings are repaired only in a copy that shows it was scanned or faxed (page furniture,
    a logo's debris, table borders in the header): in a letter's own text a misspelled heading
    is the letter's fault, and `validate` reports it where it is."""
    text = normalized.text
    repairs = _furniture(text)
    repairs += _debris_before_the_letter(text, lm, repairs)
    repairs += _header_marks(text, lm, repairs)
    if repairs:  # a scan or a fax
        repairs += _landmarks_misread(text, lm, repairs)
        repairs += _debris_before_the_letter(text, lm, repairs)
        repairs += _header(text, lm, repairs)
        repairs += _outcomes_misread(text, lm, repairs)
    repairs += _line_breaks(text, lm, repairs)
    repairs = _without_overlaps(repairs)
    if not repairs:
        return normalized, []
    return edit(normalized, [(r.start, r.end, r.replacement) for r in repairs]), repairs


def _without_overlaps(repairs: list[Repair]) -> list[Repair]:
    """The repairs in text order, each that overlaps one before it left out (the first found wins)."""
    kept: list[Repair] = []
    for repair in sorted(repairs, key=lambda r: (r.start, r.end)):
        if not kept or repair.start >= kept[-1].end:
            kept.append(repair)
    return kept


def _touched(repairs: list[Repair], start: int, end: int) -> bool:
    return any(r.start < end and start < r.end for r in repairs)


def _lines(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


# -- page furniture ------------------------------------------------------------------------------


def _furniture(text: str) -> list[Repair]:
    """Fax banners, page numbers, and a line (not a landmark) repeated on three pages or more."""
    found = [Repair("furniture", m.start(), min(m.end() + 1, len(text)), "") for m in _FURNITURE.finditer(text) if m.group().strip()]
    lines = [(a, b) for a, b in _lines(text) if text[a:b].strip()]
    counts = Counter(text[a:b].strip() for a, b in lines)
    # A running header or footer: a short line that is no sentence, on every page (three times),
    # or twice where one of them is the first line or next to a page number or fax banner.
    near_furniture = {text[a:b].strip() for i, (a, b) in enumerate(lines)
                      if i == 0 or any(_touched(found, *lines[j]) for j in (i - 1, i + 1) if 0 <= j < len(lines))}
    repeated = {line for line, n in counts.items() if (n >= 3 or (n == 2 and line in near_furniture))
                and 8 <= len(line) <= 80 and not line.endswith(".") and ":" not in line}
    found += [Repair("furniture", a, min(b + 1, len(text)), "") for a, b in lines
              if text[a:b].strip() in repeated and not _touched(found, a, b)]
    return found


# -- landmarks OCR misread -----------------------------------------------------------------------


def _key(text: str) -> str:
    """A phrase as OCR confuses it: case, spacing and l/1/I, O/0, rn/m made one."""
    key = text.casefold().replace("rn", "m").translate(str.maketrans("01|!", "olll")).replace("i", "l")
    return "".join(key.split())


def _landmarks_misread(text: str, lm: Landmarks, done: list[Repair]) -> list[Repair]:
    """A line that begins almost as a landmark does (OCR dropped, doubled or confused a letter,
    lost the colon, split or joined a word): its beginning becomes the landmark's phrase."""
    phrases = [(terminal, lm.phrase(terminal), lm.regex(terminal)) for terminal in (*LINE_LANDMARKS, *HEADER_LABELS[:6])]
    found: list[Repair] = []
    for a, b in _lines(text):
        line = text[a:b]
        stripped = line.lstrip()
        if not stripped:
            continue
        at = a + len(line) - len(stripped)
        if any(regex.match(text, at) for _, _, regex in phrases):
            continue
        best: tuple[float, int, str] | None = None
        for _terminal, phrase, _regex in phrases:
            if len(phrase) < 9:
                continue
            target = _key(phrase)
            for cut in _cuts(stripped, len(phrase)):
                ratio = difflib.SequenceMatcher(None, _key(stripped[:cut]), target).ratio()
                if ratio >= 0.88 and (best is None or ratio > best[0]):
                    best = (ratio, cut, phrase)
        if best is not None and not _touched(done, at, at + best[1]):
            _, cut, phrase = best
            rest = stripped[cut:cut + 1]
            replacement = phrase + (" " if rest and not rest.isspace() else "")
            found.append(Repair("landmark", at, at + cut, replacement))
    return found


def _cuts(line: str, length: int) -> list[int]:
    """Where a misread landmark of `length` characters may end in `line`: at a word's end near it."""
    ends = [m.end() for m in _WORD.finditer(line) if abs(m.end() - length) <= 3]
    return ends or ([len(line)] if abs(len(line) - length) <= 3 else [])


def _outcomes_misread(text: str, lm: Landmarks, done: list[Repair]) -> list[Repair]:
    """A title's outcome word OCR misread ("Uphed", "Overtumed"), where the next line is the
    item's first label: the nearest outcome, when only one is near."""
    outcomes = [lm.phrase("UPHELD"), lm.phrase("OVERTURNED")]
    label = lm.regex("_CA_GUIDELINE_LABEL")
    found: list[Repair] = []
    for m in re.finditer(r":[ \t]*([A-Za-z01|]{4,12})[ \t]*\n[ \t]*", text):
        word = m.group(1)
        if word in outcomes or lm.regex("OUTCOME").fullmatch(word) or not label.match(text, m.end()):
            continue
        near = difflib.get_close_matches(_key(word), [_key(o) for o in outcomes], n=2, cutoff=0.7)
        if len(near) == 1 and not _touched(done, m.start(1), m.end(1)):
            found.append(Repair("landmark", m.start(1), m.end(1), outcomes[[_key(o) for o in outcomes].index(near[0])]))
    return found


# -- debris ------------------------------------------------------------------------------------


def _first_start(text: str, lm: Landmarks) -> int | None:
    starts = [m.start() for terminal in LETTER_STARTS if (m := lm.regex(terminal).search(text))]
    return min(starts) if starts else None


def _debris_before_the_letter(text: str, lm: Landmarks, done: list[Repair]) -> list[Repair]:
    """A logo read as a few short lines of marks before the letter's first landmark (or before
    the first one repaired), besides the page furniture already found there."""
    first = _first_start(text, lm)
    repaired = [r.start for r in done if r.kind == "landmark" and any(r.replacement.startswith(lm.phrase(t)) for t in LETTER_STARTS)]
    first = min([*([first] if first is not None else []), *repaired], default=None)
    if not first:
        return []
    lines = [(a, b) for a, b in _lines(text[:first]) if text[a:b].strip() and not _touched(done, a, b)]
    if not lines or len(lines) > _MAX_DEBRIS_LINES or any(len(text[a:b].strip()) > 60 for a, b in lines):
        return []
    return [Repair("debris", a, min(b + 1, first), "") for a, b in lines]


def _header_region(text: str, lm: Landmarks) -> tuple[int, int] | None:
    """From the first header label to the first heading."""
    first = lm.regex("CASE_NUMBER_LABEL").search(text)
    heading = lm.regex("_HOW_HEADING").search(text)
    if first is None or heading is None or heading.start() < first.start():
        return None
    return first.start(), heading.start()


def _header_marks(text: str, lm: Landmarks, done: list[Repair]) -> list[Repair]:
    """Table borders and stray marks among the header's labels and values."""
    region = _header_region(text, lm)
    if region is None:
        return []
    return [Repair("debris", m.start(), m.end(), "") for m in _MARKS.finditer(text, *region) if not _touched(done, m.start(), m.end())]


def _header(text: str, lm: Landmarks, done: list[Repair]) -> list[Repair]:
    """Between the first header label and the first heading: table borders and stray marks
    removed, any word that is neither a label nor a value dropped, and a value whose OCR
    confusion has one reading read so."""
    region = _header_region(text, lm)
    if region is None:
        return []
    found: list[Repair] = []
    labels = [lm.regex(t) for t in HEADER_LABELS]
    values = [lm.regex(t) for t in HEADER_VALUES]
    pos, end = region
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        if _touched(done, pos, pos + 1):
            pos += 1
            continue
        label = next((m for regex in labels if (m := regex.match(text, pos, end))), None)
        if label is not None:
            pos = label.end()
            continue
        word = _WORD.match(text, pos, end)
        assert word is not None
        marks = _MARKS.match(text, pos, end)
        if marks is not None:
            found.append(Repair("debris", pos, marks.end(), ""))
            pos = marks.end()
            continue
        value = next((m for regex in values if (m := regex.fullmatch(text, pos, word.end()))), None)
        token = word.group()
        cleaned = _MARKS.sub("", token)
        if value is not None:
            pos = word.end()
        elif (reading := _value(cleaned)) is not None:
            found.append(Repair("value", pos, word.end(), reading))
            pos = word.end()
        else:
            found.append(Repair("debris", pos, word.end(), ""))
            pos = word.end()
    return found


def _value(token: str) -> str | None:
    """A date or case number whose OCR confusions have one reading; None otherwise."""
    if _DATE_LIKE.fullmatch(token):
        reading = token.translate(_OCR_DIGITS)
        month, day, _ = reading.split("/")
        reading = f"{int(month):02d}/{int(day):02d}/{reading[-4:]}"
        return reading if us_date(reading) else None
    if _CASE_LIKE.fullmatch(token):
        return "CM" + token[2:].translate(_OCR_DIGITS)
    return None


# -- flattened text ------------------------------------------------------------------------------


def _line_breaks(text: str, lm: Landmarks, done: list[Repair]) -> list[Repair]:
    """In a line that holds more than a landmark: a line break before each landmark that does not
    start its line, and before each decision title, which starts after the last sentence end
    before its outcome, or after the landmark before it (a partial authorization's sentences go
    on, as the grammar's SENTENCE_GOES_ON says)."""
    landmarks = sorted((m.start(), m.end()) for terminal in LINE_LANDMARKS for m in lm.regex(terminal).finditer(text))
    starts = {start for start, _ in landmarks if _mid_line(text, start)}
    goes_on = re.compile(lm.pattern("SENTENCE_GOES_ON"))
    outcome = re.compile(r"(?:\s+is)?:\s*(?:" + lm.pattern("OUTCOME_WORD") + r")(?![A-Za-z])")
    label = lm.regex("_CA_GUIDELINE_LABEL")
    for m in outcome.finditer(text):
        after = m.end() + len(text[m.end():]) - len(text[m.end():].lstrip())
        if not label.match(text, after):
            continue
        floor = max([0, *(end for _, end in landmarks if end <= m.start())])
        title = _title_start(text, floor, m.start(), goes_on)
        if title is not None and _mid_line(text, title):
            starts.add(title)
    found: list[Repair] = []
    for at in sorted(starts):
        if not _touched(done, at - 1, at + 1):
            space = len(text[:at]) - len(text[:at].rstrip(" "))
            found.append(Repair("line-break", at - space, at, "\n"))
    return found


def _mid_line(text: str, at: int) -> bool:
    line_start = text.rfind("\n", 0, at) + 1
    return bool(text[line_start:at].strip())


def _title_start(text: str, floor: int, colon: int, goes_on: re.Pattern[str]) -> int | None:
    """Where the title ending at `colon` starts: after the last sentence end before it that does
    not go on, and not before `floor` (the landmark before it)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text, floor, colon)]
    start = next((end for end in reversed(ends) if goes_on.match(text, end) is None), floor)  # "original request." goes on
    start += len(text[start:colon]) - len(text[start:colon].lstrip())
    return start if start < colon else None
