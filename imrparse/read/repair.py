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
* values whose OCR confusion has one reading (a date "0l/09/2O17" or "44/03/2016", a case number
  "CMl6-0213037" or "CM17-001 2517");
* a header whose labels OCR lost or misplaced: its values placed by shape and by the order the
  letter's dates follow, each given its label;
* marks a scan leaves at a line's start or end, around landmarks and after an outcome word;
* flattened text: a landmark in the middle of a line starts its own line; a decision title
  starts after the last sentence end before its outcome.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass

from imrparse import record
from imrparse.grammar.landmarks import HEADINGS, ITEM_LABELS, Landmarks
from imrparse.read.builder import DATE_ORDER, FIELD_LABELS, HEADER_FIELDS, HEADER_VALUES
from imrparse.read.dates import us_date
from imrparse.read.wording import GUIDELINE_WORDINGS
from imrparse.text.normalize import Normalized, edit

# Landmarks that begin a line of a posted letter: a misspelled one is looked for at a line's start,
# and each is put on a line of its own in flattened text.
LINE_LANDMARKS = (*HEADINGS, *ITEM_LABELS, "_SUMMARY_INTRO", "_DECISIONS_INTRO", "_CREDENTIALS_INTRO", "_LICENSURE_LABEL",
                  "_SPECIALTY_LABEL")
HEADER_LABELS = ("CASE_NUMBER_LABEL", "DATE_ASSIGNED_LABEL", "DATE_OF_INJURY_LABEL", "DECISION_DATE_LABEL", "UR_DENIAL_DATE_LABEL",
                 "PRIORITY_LABEL", "APPLICATION_RECEIVED_LABEL", "_RECEIVED")
# A header value not a date is known by its shape: the field of each such value's terminal.
FIELD_OF_SHAPE = {value: field for field, value in HEADER_FIELDS.values() if value != "DATE"}
LETTER_STARTS = ("CASE_NUMBER_LABEL", "_HOW_HEADING", "_MAXIMUS_OPENING", "_MPR_OPENING")

# Page furniture: a line with a fax banner's phone number or its "P. 3" at the end, or "Page 2 of 4".
_PHONE = r"\(\d{3}\)\s?\d{3}-\d{4}"
_PAGE_MARK = r"\bP\.\s?\d{1,3}\s*$"
_PAGE_OF = r"^[ \t]*(?:Page|PAGE)\s+\d{1,3}\s*(?:of|OF|/)\s*\d{1,3}[ \t]*$"
# A fax machine's banner in its own words: a time, and FROM, TO or FAX (upper case, as machines
# print them), on one line ("12/15/2016 10:23AM FROM 9165551234 TO 18885550123 PAGE 02/04").
_BANNER = r"^[^\n]*?\b(?:FROM|TO|FAX)\b[^\n]*?\b\d{1,2}:\d\d(?!\d)[^\n]*$|^[^\n]*?\b\d{1,2}:\d\d(?!\d)[^\n]*?\b(?:FROM|TO|FAX)\b[^\n]*$"
_FURNITURE = re.compile(rf"^[^\n]*?(?:{_PHONE}|{_PAGE_MARK})[^\n]*$|{_PAGE_OF}|{_BANNER}", re.M)
# Whether a text has any: each alternative alone, behind a literal it needs. A `str in` test and a
# search for a pattern that starts with a literal are C scans; _FURNITURE's search tries its
# alternatives at every character (0.17-0.26 ms a letter, nearly half of a posted letter's parse).
_FURNITURE_SIGNS = tuple((literal, re.compile(sign, re.M)) for literal, sign in (
    ("(", _PHONE), ("P.", _PAGE_MARK), ("Page", _PAGE_OF), ("PAGE", _PAGE_OF), ("FROM", _BANNER), ("FAX", _BANNER), ("TO ", _BANNER)))
_MARKS = re.compile("[|_{}\\[\\]\"\u201c\u201d\u2018\u2019\u2014~]+")  # table borders and stray marks
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "S": "5",
                             "B": "8", "Z": "2"})
_DATE_LIKE = re.compile(r"[0-9OoQDlIi|!SBZ]{1,2}/[0-9OoQDlIi|!SBZ]{1,2}/[0-9OoQDlIi|!SBZ]{4}")
_CASE_LIKE = re.compile(r"[CcG(][MmNn][0-9OoQDlIi|!SBZ]{2}-[0-9OoQDlIi|!SBZ]{7}")
_DATE_DIGITS = re.compile(r"[0-9OoQDlIi|!SBZ]+")
_SLASH_LIKE = "/7lI|!1"
_NOT_IN_A_VALUE = re.compile(r"[^0-9A-Za-z/!(-]")  # marks and OCR's stray symbols ("C\u20acM16-0242302")
_WORD = re.compile(r"\S+")
_LETTERS = re.compile(r"[A-Za-z]{3,}")
# Marks a scan leaves at a line's start, and (with punctuation) alone at its end; not "&", "-" or
# "%", which end a line of a letter's own text.
_STRAY_MARKS = frozenset("|_{}[]~\u2014=:;.,'\"\u2018\u2019\u201c\u201d")
_STRAY_START = re.compile(r"^[ \t]*([|_{}\[\]~\u2014]+[ \t]*)", re.M)
_SENTENCE_END = re.compile(r"[.!?](?=\s)")
_MAX_DEBRIS_LINES = 4
_MIN_FUZZY_PHRASE = 9  # a shorter landmark is too near too many words to be read through OCR's confusions
_NEAR = 0.88  # difflib's ratio from which a line's beginning is a landmark OCR misread
_NEAR_SENTENCE = 0.95  # ... and a fixed sentence of a guideline paragraph one
_MAX_TITLE_LINES = 8  # a partial authorization's title runs to four or five lines


@dataclass(frozen=True)
class Repair:
    kind: str  # furniture, debris, landmark, value, label, wording, line-break
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
    header = _header_region(text, lm, [])
    repairs = _furniture(text)
    repairs += _debris_before_the_letter(text, lm, repairs, header)
    repairs += _header_marks(text, header, repairs)
    if repairs:  # a scan or a fax
        repairs += _landmarks_misread(text, lm, repairs, LINE_LANDMARKS, header)
        header = _header_region(text, lm, repairs)  # before a heading OCR misread, now repaired
        repairs += _debris_before_the_letter(text, lm, repairs, header)
        repairs += _header(text, lm, repairs, header)
        repairs += _landmarks_misread(text, lm, repairs, HEADER_LABELS[:6], header)  # a 2013 header's
        repairs += _outcomes_misread(text, lm, repairs)
        repairs += _periods_before_openings(text, repairs)
        repairs += _wordings_misread(text, repairs)
        repairs += _stray_marks(text, lm, repairs)
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


class _Taken:
    """The spans that repairs already took, asked whether a span overlaps one of them: one sort,
    then a bisection a question (a scan's header of thousands of marks asked each repair)."""

    def __init__(self, repairs: list[Repair]) -> None:
        spans = sorted((r.start, r.end) for r in repairs)
        self.starts = [start for start, _ in spans]
        self.reach = list(itertools.accumulate((end for _, end in spans), max))

    def __call__(self, start: int, end: int) -> bool:
        before = bisect.bisect_left(self.starts, end)
        return before > 0 and self.reach[before - 1] > start


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
    taken = _Taken(found)
    # A running header or footer: a short line that is no sentence, on every page (three times),
    # or twice where one of them is the first line or next to a page number or fax banner.
    near_furniture = {text[a:b].strip() for i, (a, b) in enumerate(lines)
                      if i == 0 or any(taken(*lines[j]) for j in (i - 1, i + 1) if 0 <= j < len(lines))}
    repeated = {line for line, n in counts.items() if (n >= 3 or (n == 2 and line in near_furniture))
                and 8 <= len(line) <= 80 and not line.endswith(".") and ":" not in line}
    found += [Repair("furniture", a, min(b + 1, len(text)), "") for a, b in lines
              if text[a:b].strip() in repeated and not taken(a, b)]
    return found


# -- landmarks OCR misread -----------------------------------------------------------------------


def _key(text: str) -> str:
    """A phrase as OCR confuses it: case, spacing and l/1/I, O/0, rn/m made one."""
    key = text.casefold().replace("rn", "m").translate(str.maketrans("01|!", "olll")).replace("i", "l")
    return "".join(key.split())


def _landmarks_misread(text: str, lm: Landmarks, done: list[Repair], terminals: tuple[str, ...],
                       header: tuple[int, int] | None) -> list[Repair]:
    """A line that begins almost as one of these landmarks does (OCR dropped, doubled or confused
    a letter, lost the colon, split or joined a word): its beginning becomes the landmark's
    phrase. (A 2014 header is `_header`'s: its lines are left alone.)"""
    touched = _Taken(done)
    regexes = [lm.regex(terminal) for terminal in terminals]
    # One matcher a phrase, its key analysed once (SequenceMatcher caches its second sequence);
    # the cheap upper bounds first, the full ratio only where they allow a match.
    matchers = [(phrase, difflib.SequenceMatcher(None, "", _key(phrase)))
                for phrase in map(lm.phrase, terminals) if len(phrase) >= _MIN_FUZZY_PHRASE]
    found: list[Repair] = []
    for a, b in _lines(text):
        if header is not None and header[0] <= a < header[1]:
            continue
        line = text[a:b]
        stripped = line.lstrip()
        if not stripped:
            continue
        at = a + len(line) - len(stripped)
        if any(regex.match(text, at) for regex in regexes):
            continue
        best: tuple[float, int, str] | None = None
        for phrase, matcher in matchers:
            for cut in _cuts(stripped, len(phrase)):
                matcher.set_seq1(_key(stripped[:cut]))
                if matcher.real_quick_ratio() < _NEAR or matcher.quick_ratio() < _NEAR:
                    continue
                ratio = matcher.ratio()
                if ratio >= _NEAR and (best is None or ratio > best[0]):
                    best = (ratio, cut, phrase)
            lost = _last_word_lost(stripped, phrase) if best is None else None
            if lost is not None:
                best = (0.0, lost, phrase)
        if best is not None and not touched(at, at + best[1]):
            _, cut, phrase = best
            rest = stripped[cut:cut + 1]
            replacement = phrase + (" " if rest and not rest.isspace() else "")
            found.append(Repair("landmark", at, at + cut, replacement))
    return found


def _last_word_lost(line: str, phrase: str) -> int | None:
    """Where a label ends whose words are all there but its last, which OCR garbled beyond the
    usual confusions ("Claims Administrator eedeting:"): its first words, as written, make most of
    it, and a word of about the last word's length ends with its colon."""
    *head, last = phrase.split()
    lead = " ".join(head) + " "
    if not head or not last.endswith(":") or len(lead) < 0.6 * len(phrase) or not line.startswith(lead):
        return None
    word = re.match(r"\S+:", line[len(lead):])
    return len(lead) + word.end() if word and abs(len(word.group()) - len(last)) <= 3 else None


def _cuts(line: str, length: int) -> list[int]:
    """Where a misread landmark of `length` characters may end in `line`: at a word's end near it."""
    ends = [m.end() for m in _WORD.finditer(line) if abs(m.end() - length) <= 3]
    return ends or ([len(line)] if abs(len(line) - length) <= 3 else [])


def _outcomes_misread(text: str, lm: Landmarks, done: list[Repair]) -> list[Repair]:
    """A title's outcome OCR misread, where the next line is the item's first label (as written or
    repaired): the word ("Uphed", "Overtumed": the nearest outcome, when only one is near) or the
    colon before it ("is; Upheld"). The paragraph before such a title ends a sentence, so a period
    OCR read as a comma or semicolon at its end ("medically necessary,") is a period: else the
    paragraph would go on into the title."""
    touched = _Taken(done)
    outcomes = [lm.phrase("UPHELD"), lm.phrase("OVERTURNED")]
    keys = [_key(o) for o in outcomes]
    label, label_phrase = lm.regex("_CA_GUIDELINE_LABEL"), lm.phrase("_CA_GUIDELINE_LABEL")
    labels = {r.start for r in done if r.kind == "landmark" and r.replacement.startswith(label_phrase)}
    found: list[Repair] = []
    titles = [m for m in re.finditer(r"([:;,.])[ \t]*([A-Za-z01|]{4,12})(?:[^\w\n]|_)*\n\s*", text)
              if label.match(text, m.end()) or m.end() in labels]
    blocks = [_title_block(text, m.start()) for m in titles]
    in_titles = Counter(w.group() for start, end in blocks for w in _LETTERS.finditer(text, start, end))
    elsewhere = Counter(w.group() for w in _LETTERS.finditer(text)) - in_titles
    ends = [*(t.start() for t in titles[1:]), len(text)][:len(titles)]
    for m, block, end in zip(titles, blocks, ends, strict=True):
        found += _title_words_misread(text, block, end, elsewhere)
        word = m.group(2)
        if not lm.regex("OUTCOME").fullmatch(word):
            near = difflib.get_close_matches(_key(word), keys, n=2, cutoff=0.7)
            if len(near) != 1:
                continue
            found.append(Repair("landmark", m.start(2), m.end(2), outcomes[keys.index(near[0])]))
        if m.group(1) != ":":
            found.append(Repair("landmark", m.start(1), m.end(1), ":"))
        found += _period_before(text, m.start())
    return [r for r in found if not touched(r.start, r.end)]


def _blank_before(text: str, outcome: int) -> int | None:
    """The blank line before the title whose outcome is at `outcome` (a partial authorization's
    title runs to a few lines), if there is one within a title's length of lines."""
    blank = text.rfind("\n\n", 0, outcome)
    return blank if blank >= 0 and text.count("\n", blank + 2, outcome) <= _MAX_TITLE_LINES else None


def _title_block(text: str, outcome: int) -> tuple[int, int]:
    """The title whose outcome is at `outcome`: from after the blank line before it, or from its
    line's start."""
    blank = _blank_before(text, outcome)
    return (text.rfind("\n", 0, outcome) + 1 if blank is None else blank + 2), outcome


def _title_words_misread(text: str, title: tuple[int, int], end: int, elsewhere: Counter[str]) -> list[Repair]:
    """A word of a title that OCR misread ("EMG/NCYV"): written nowhere in the letter but in titles
    (OCR misreads a word the same way each time), one letter off from a word of the item's own
    paragraphs after the title, which restate the request ("the request for EMG/NCV of the
    bilateral ..."), and read so where those paragraphs have it in the same words around it. A
    plural or a case is not a misreading."""
    item = " ".join(text[title[1]:end].split())  # the item's paragraphs, after its outcome
    own = {w.group() for w in _LETTERS.finditer(item)}
    found = []
    for w in _LETTERS.finditer(text, *title):
        if elsewhere[w.group()]:
            continue
        token = _WORD.search(text, max(title[0] - 1, text.rfind(" ", title[0], w.start()), text.rfind("\n", title[0], w.start())) + 1)
        after = _WORD.search(text, token.end()) if token else None
        if token is None or after is None:
            continue
        near = [other for other in own if _one_letter_off(w.group(), other)
                and (text[token.start():w.start()] + other + text[w.end():token.end()] + " " + after.group()) in item]
        if len(near) == 1:
            found.append(Repair("value", w.start(), w.end(), near[0]))
    return found


def _one_letter_off(word: str, other: str) -> bool:
    """One letter changed, added or dropped; not in case only, nor an "s" or "es" of a plural."""
    a, b = word.casefold(), other.casefold()
    if a == b or a.rstrip("s") == b.rstrip("s") or a.removesuffix("es") == b or b.removesuffix("es") == a:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return len(long) - len(short) == 1 and any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _periods_before_openings(text: str, done: list[Repair]) -> list[Repair]:
    """A period OCR read as a comma or semicolon before a guideline sentence's opening ("outside
    of the MTUS Guidelines, Decision based on ..."): else the sentence before it is no known
    wording, and is read as a citation."""
    touched = _Taken(done)
    return [Repair("landmark", m.start(), m.end(), ".") for m in _comma_before_an_opening().finditer(text)
            if not touched(m.start(), m.end())]


@functools.lru_cache(maxsize=1)
def _comma_before_an_opening() -> re.Pattern[str]:
    openings = sorted({row.opens for row in GUIDELINE_WORDINGS if row.opens})
    return re.compile(r"(?<=[A-Za-z)\]])[,;](?=[ \t\n]+(?:" + "|".join(openings) + "))")


def _wordings_misread(text: str, done: list[Repair]) -> list[Repair]:
    """A guideline paragraph's fixed sentence (a row with nothing to read out of it) with a word
    OCR misread ("... based their decision on recomimendation(s) outside of the MTUS
    Guidelines."): after its row's opening, within a few letters of the row's example, and not
    matched by the row as written. It is read as the example says it: else it is read as a
    citation."""
    touched = _Taken(done)
    periods = sorted(r.start for r in done if r.replacement == ".")  # a comma OCR made of a period, repaired
    found = []
    for opening, row, rest, matcher in _fixed_sentences():
        for m in opening.finditer(text):
            limit = m.end() + 2 * len(rest)
            ends = [at for at in (text.find(".", m.end(), limit), *periods[bisect.bisect_left(periods, m.end()):][:1]) if 0 <= at < limit]
            if not ends or row.match(text, m.start()) or touched(m.end(), min(ends)):
                continue
            end = min(ends)  # the sentence's period, kept as it is or as it was repaired
            written = " ".join(text[m.end():end].split()) + "."
            if written == rest:  # as the row says it, but for its period (repaired apart)
                continue
            matcher.set_seq1(written)
            if matcher.real_quick_ratio() >= _NEAR_SENTENCE and matcher.quick_ratio() >= _NEAR_SENTENCE \
                    and matcher.ratio() >= _NEAR_SENTENCE:
                found.append(Repair("wording", m.end(), end, " " + rest.removesuffix(".")))
    return found


@functools.lru_cache(maxsize=1)
def _fixed_sentences() -> list[tuple[re.Pattern[str], re.Pattern[str], str, difflib.SequenceMatcher[str]]]:
    """Each fixed guideline row: its opening, its pattern, and its example after the opening."""
    rows = []
    for row in GUIDELINE_WORDINGS:
        compiled = row.compiled()
        if row.opens and not compiled.groupindex:
            opening = re.compile(row.opens)
            said = opening.match(row.example)
            assert said is not None, row.name  # tests/test_wording.py: every example opens as its row says
            rest = " ".join(row.example[said.end():].split())
            rows.append((opening, compiled, rest, difflib.SequenceMatcher(None, "", rest)))
    return rows


def _period_before(text: str, title: int) -> list[Repair]:
    """The end of the paragraph before the title that ends at `title` (a blank line before it,
    within a few lines), where OCR read its period as a comma or a semicolon."""
    blank = _blank_before(text, title)
    if not blank or text[blank - 1] not in ",;":
        return []
    return [Repair("landmark", blank - 1, blank, ".")]


def _stray_marks(text: str, lm: Landmarks, done: list[Repair]) -> list[Repair]:
    """Marks a scan leaves where a posted letter has none: a run of table or smudge marks that
    begins a line, a word of such marks alone at a line's end (" |", " : :"), any marks before a
    landmark that begins a line ("- The Final Determination ..."), after a colon that ends one
    ("credentials: -"), and after a title's outcome word ("Upheld." "Upheld _")."""
    touched = _Taken(done)
    found = [Repair("debris", m.start(1), m.end(1), "") for m in _STRAY_START.finditer(text)]
    found += [Repair("debris", a + end, b, "") for a, b in _lines(text) if (end := _without_trailing_marks(text[a:b])) < b - a]
    found += [Repair("debris", m.start(m.lastindex or 0), m.end(m.lastindex or 0), "") for m in _stray_around_landmarks(lm).finditer(text)]
    return [r for r in found if r.start < r.end and not touched(r.start, r.end)]


def _without_trailing_marks(line: str) -> int:
    """Where `line` ends without its last words that are marks alone (" |", " : :"): one pass from
    the end, so a long run of marks costs its length once. A line's first word stays."""
    end = len(line)
    while True:
        head = line[:end].rstrip(" \t")
        start = max(head.rfind(" "), head.rfind("\t")) + 1
        if start == 0 or len(head) - start > 3 or not _STRAY_MARKS.issuperset(head[start:]):
            return len(head) if end < len(line) else len(line)
        end = start


@functools.lru_cache(maxsize=8)
def _stray_around_landmarks(lm: Landmarks) -> re.Pattern[str]:
    mark = r"(?:[^\w\s]|_)"
    landmark = "|".join(lm.pattern(t) for t in LINE_LANDMARKS)
    heading = "|".join(lm.pattern(t) for t in HEADINGS)
    outcome = lm.pattern("OUTCOME_WORD")
    return re.compile(rf"^[ \t]*({mark}+[ \t]*)(?:{landmark})|:([ \t]+{mark}{{1,3}}[ \t]*)$"
                      rf"|^[ \t]*(?:{heading})([ \t]+{mark}{{1,3}}[ \t]*)$"
                      rf"|:[ \t]*(?:{outcome})([ \t]*{mark}[^\n]*)$", re.M)


# -- debris ------------------------------------------------------------------------------------


def _first_start(text: str, lm: Landmarks) -> int | None:
    starts = [m.start() for terminal in LETTER_STARTS if (m := lm.regex(terminal).search(text))]
    return min(starts) if starts else None


def _debris_before_the_letter(text: str, lm: Landmarks, done: list[Repair], header: tuple[int, int] | None) -> list[Repair]:
    """A logo read as a few short lines of marks before the letter's first landmark (or before
    the first one repaired, or its header's first line), besides the page furniture found there."""
    touched = _Taken(done)
    first = _first_start(text, lm)
    repaired = [r.start for r in done if r.kind == "landmark" and any(r.replacement.startswith(lm.phrase(t)) for t in LETTER_STARTS)]
    first = min([*([first] if first is not None else []), *repaired, *(header[:1] if header else ())], default=None)
    if not first:
        return []
    lines = [(a, b) for a, b in _lines(text[:first]) if text[a:b].strip() and not touched(a, b)]
    if not lines or len(lines) > _MAX_DEBRIS_LINES or any(len(text[a:b].strip()) > 60 for a, b in lines):
        return []
    return [Repair("debris", a, min(b + 1, first), "") for a, b in lines]


def _header_region(text: str, lm: Landmarks, done: list[Repair]) -> tuple[int, int] | None:
    """From the first line before the first heading (as written, or as repaired) that holds a
    header label or a value's shape (a scan's logo comes before it, and OCR may have lost the
    labels) to that heading."""
    found = lm.regex("_HOW_HEADING").search(text)
    phrase = lm.phrase("_HOW_HEADING")
    headings = [*([found.start()] if found else []), *(r.start for r in done if r.replacement.startswith(phrase))]
    if not headings:
        return None
    heading = min(headings)
    shapes = [*(lm.regex(t) for t in (*HEADER_LABELS, "PRIORITY")), _CASE_LIKE, _DATE_LIKE]
    for a, b in _lines(text[:heading]):
        if any(shape.search(text, a, b) for shape in shapes):
            return a, heading
    return None


def _header_marks(text: str, region: tuple[int, int] | None, done: list[Repair]) -> list[Repair]:
    """Table borders and stray marks among the header's labels and values."""
    touched = _Taken(done)
    if region is None:
        return []
    return [Repair("debris", m.start(), m.end(), "") for m in _MARKS.finditer(text, *region) if not touched(m.start(), m.end())]


@dataclass(frozen=True)
class _Piece:
    """A word of a scanned header: a label's or a value's terminal (None for debris), and a
    value as read (where OCR's confusions have one reading, that reading)."""

    start: int
    end: int
    terminal: str | None
    value: str | None = None


def _header(text: str, lm: Landmarks, done: list[Repair], region: tuple[int, int] | None) -> list[Repair]:
    """The header of a scan: debris dropped, each value whose OCR confusion has one reading read
    so, and, where the labels cannot be paired with the values as written (OCR lost some or read
    them out of place), every value placed anew (`_placed`) under its label."""
    if region is None:
        return []
    pieces = _header_pieces(text, lm, region, done)
    labels = [p for p in pieces if p.terminal in HEADER_FIELDS]
    values = [p for p in pieces if p.terminal in HEADER_VALUES]
    if _pairs(labels, values):
        kept = [Repair("debris", p.start, p.end, "") if p.terminal is None else Repair("value", p.start, p.end, p.value or "")
                 for p in pieces if p.terminal is None or (p.value is not None and p.value != text[p.start:p.end])]
        restored = _order_restored(labels, values)
        return [r for r in kept if not _Taken(restored)(r.start, r.end)] + restored
    placed = {id(piece): field for field, piece in _placed(pieces).items()}
    found: list[Repair] = []
    for piece in pieces:
        field = placed.get(id(piece))
        if field is None:
            found.append(Repair("debris", piece.start, piece.end, ""))
            continue
        found.append(Repair("label", piece.start, piece.start, lm.phrase(FIELD_LABELS[field]) + " "))  # written before the value
        if piece.value != text[piece.start:piece.end]:
            found.append(Repair("value", piece.start, piece.end, piece.value or ""))
    return found


def _header_pieces(text: str, lm: Landmarks, region: tuple[int, int], done: list[Repair]) -> list[_Piece]:
    touched = _Taken(done)
    labels = [(t, lm.regex(t)) for t in HEADER_LABELS]
    values = [(t, lm.regex(t)) for t in sorted(HEADER_VALUES)]
    pieces: list[_Piece] = []
    pos, end = region
    while pos < end:
        if text[pos].isspace() or touched(pos, pos + 1):
            pos += 1
            continue
        label = next(((t, m) for t, regex in labels if (m := regex.match(text, pos, end))), None)
        marks = _MARKS.match(text, pos, end)
        word = _WORD.match(text, pos, end)
        assert word is not None
        if label is not None:
            pieces.append(_Piece(pos, label[1].end(), label[0]))
            pos = label[1].end()
            continue
        if marks is not None:
            pieces.append(_Piece(pos, marks.end(), None))
            pos = marks.end()
            continue
        token = word.group()
        split = _WORD.match(text, word.end() + 1, end) if text[word.end():word.end() + 1] == " " else None
        if split is not None and not _CASE_LIKE.fullmatch(token) and _CASE_LIKE.fullmatch(token + split.group()):
            word, token = split, token + split.group()  # a case number OCR split in two ("CM17-001 2517")
        as_written = next((t for t, regex in values if regex.fullmatch(token)), None)
        reading = _value(_NOT_IN_A_VALUE.sub("", token))
        if as_written is not None and (as_written != "DATE" or us_date(token)):
            pieces.append(_Piece(pos, word.end(), as_written, token))
        elif reading is not None:
            pieces.append(_Piece(pos, word.end(), "CASE_NUMBER" if reading.startswith("CM") else "DATE", reading))
        else:  # a date with no one reading stays as written: the letter's date, not a calendar one (H203)
            pieces.append(_Piece(pos, word.end(), as_written, token if as_written else None))
        pos = word.end()
    return pieces


def _pairs(labels: list[_Piece], values: list[_Piece]) -> bool:
    """Whether the builder pairs these labels with these values as they are: the n-th label the
    n-th value, of the label's kind, no field twice."""
    fields = [HEADER_FIELDS[label.terminal] for label in labels if label.terminal is not None]
    return (len(labels) == len(values) and len({field for field, _ in fields}) == len(fields)
            and all(kind == value.terminal for (_, kind), value in zip(fields, values, strict=True)))


def _placed(pieces: list[_Piece]) -> dict[str, _Piece]:
    """Each case field's value in a header whose labels are lost or out of place. A case number
    and a priority are known by their shape. The dates are known by the order the letter's dates
    follow (injury, UR denial, application received, assigned, decision): when all five are read,
    by that order alone; otherwise each date right after its own label keeps it, and the others
    fill the rest in that order when as many are read as are missing. A value placed nowhere is
    left out (its field null, which `validate` reports)."""
    placed: dict[str, _Piece] = {}
    for piece in pieces:
        if piece.terminal in FIELD_OF_SHAPE:
            placed.setdefault(FIELD_OF_SHAPE[piece.terminal], piece)
    dated = {id(piece): (iso, piece) for piece in pieces if piece.terminal == "DATE" and (iso := us_date(piece.value or ""))}
    if len(dated) == len(DATE_ORDER):
        return placed | {field: piece for field, (_, piece) in zip(DATE_ORDER, sorted(dated.values(), key=_first), strict=True)}
    anchored: dict[str, tuple[str, _Piece]] = {}
    words = [p for p in pieces if p.terminal is not None]
    for before, piece in itertools.pairwise(words):
        if id(piece) in dated and before.terminal in HEADER_FIELDS and HEADER_FIELDS[before.terminal][1] == "DATE":
            anchored.setdefault(HEADER_FIELDS[before.terminal][0], dated[id(piece)])
    taken = {id(piece) for _, piece in anchored.values()}
    rest = sorted((d for key, d in dated.items() if key not in taken), key=_first)
    free = [field for field in DATE_ORDER if field not in anchored]
    if len(rest) == len(free):
        anchored |= dict(zip(free, rest, strict=True))
    in_order = [anchored[field][0] for field in DATE_ORDER if field in anchored]
    return placed | {field: piece for field, (_, piece) in anchored.items()} if in_order == sorted(in_order) else placed


def _first(pair: tuple[str, _Piece]) -> str:
    return pair[0]


def _value(token: str) -> str | None:
    """A date or case number whose OCR confusions have one reading; None otherwise. A date may
    have lost its slashes ("10212016") or have one read as a digit ("01/2472017"), and a 1 read
    as a 4 ("44/03/2016") where the date as written is no calendar date."""
    if _CASE_LIKE.fullmatch(token):
        return "CM" + token[2:].translate(_OCR_DIGITS)
    readings = {reading for reading in _date_readings(token) if us_date(reading)}
    return readings.pop() if len(readings) == 1 else None


def _date_readings(token: str) -> list[str]:
    """The dates `token` may be read as, padded MM/DD/YYYY (the caller keeps the calendar ones):
    as written, or, when that is no calendar day, with any of its 4s read as 1s."""
    if _DATE_LIKE.fullmatch(token):
        month, day, year = token.translate(_OCR_DIGITS).split("/")
    elif len(token) == 8 and _DATE_DIGITS.fullmatch(token):
        digits = token.translate(_OCR_DIGITS)
        month, day, year = digits[:2], digits[2:4], digits[4:]
    elif len(token) == 10 and token[2] in _SLASH_LIKE and token[5] in _SLASH_LIKE and _DATE_DIGITS.fullmatch(
            token[:2] + token[3:5] + token[6:]):
        digits = token.translate(_OCR_DIGITS)
        month, day, year = digits[:2], digits[3:5], digits[6:]
    else:
        return []
    if not (month + day + year).isdigit():
        return []
    written = f"{int(month):02d}/{int(day):02d}/{year}"
    return [written] if us_date(written) else _fours_as_ones(written)


def _fours_as_ones(date: str) -> list[str]:
    """MM/DD/YYYY with one or more of its month's and day's 4s read as 1s (OCR's commonest
    confusion on a worn or faxed copy), each way."""
    month_day, year = date[:5], date[5:]
    fours = [i for i, c in enumerate(month_day) if c == "4"]
    readings = []
    for ones in itertools.product("41", repeat=len(fours)):
        chars = list(month_day)
        for i, one in zip(fours, ones, strict=True):
            chars[i] = one
        readings.append("".join(chars) + year)
    return readings[1:]  # the first is as written


def _order_restored(labels: list[_Piece], values: list[_Piece]) -> list[Repair]:
    """In a header paired as written, a date that breaks the order the letter's dates follow,
    where reading one of its 4s as a 1 restores the order and no other date's would."""
    dates = {HEADER_FIELDS[label.terminal][0]: value for label, value in zip(labels, values, strict=True)
             if label.terminal is not None and value.terminal == "DATE" and us_date(value.value or "")}
    isos = {field: us_date(piece.value or "") for field, piece in dates.items()}
    if _in_order(isos):
        return []
    fixes = [(piece, reading) for field, piece in dates.items() for reading in _fours_as_ones(piece.value or "")
             if us_date(reading) and _in_order(isos | {field: us_date(reading)})]
    return [Repair("value", piece.start, piece.end, reading) for piece, reading in fixes] if len(fixes) == 1 else []


def _in_order(isos: dict[str, str | None]) -> bool:
    known = [isos[field] or "" for field in DATE_ORDER if field in isos]
    return known == sorted(known)


# -- flattened text ------------------------------------------------------------------------------


def _line_breaks(text: str, lm: Landmarks, done: list[Repair]) -> list[Repair]:
    """In a line that holds more than a landmark: a line break before each landmark that does not
    start its line, and before each decision title, which starts after the last sentence end
    before its outcome, or after the landmark before it (a partial authorization's sentences go
    on, as the grammar's SENTENCE_GOES_ON says)."""
    touched = _Taken(done)
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
        if not touched(at - 1, at + 1):
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
