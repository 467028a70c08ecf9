"""Conformance checking: does a letter follow the final determination structure, and if not,
where and why -- reported like a compiler, with a rule code and an original line and column.

A letter that does not parse gets one structure finding at the first point of failure, in
the letter's own words. A letter that parses is checked by the content rules (rules.py) over
its record; each rule locates its finding through the record's spans.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lark import Lark

from . import debug, narrative
from .api import parse_normalized
from .errors import (
    HEADINGS,
    ITEM_LABELS,
    MISSING_PARAGRAPH,
    MISSING_SECTION,
    TITLE_WITHOUT_OUTCOME,
    TRUNCATED,
    UNREADABLE,
    InputError,
    ParseError,
    caret_context,
    describe,
)
from .inputs import text_of
from .normalize import LineIndex, Normalized, normalize
from .rules import RULES, select_rules
from .transformer import CASE_FIELDS

Finding = dict[str, Any]

# The fixed phrases a grammar failure may be missing, as the letter writes them.
PHRASES = {
    "_HOW_HEADING": "HOW THE IMR FINAL DETERMINATION WAS MADE",
    "_SUMMARY_HEADING": "CLINICAL CASE SUMMARY",
    "_DECISIONS_HEADING": "IMR ISSUES, DECISIONS AND RATIONALES",
    "_CA_GUIDELINE_LABEL": "Claims Administrator guideline:",
    "_REVIEWER_GUIDELINE_LABEL": "MAXIMUS guideline:",
    "_RATIONALE_LABEL": "Decision rationale:",
    "_CREDENTIALS_INTRO": "The Expert Reviewer has the following credentials:",
    "_LICENSURE_LABEL": "State(s) of Licensure:",
    "_SPECIALTY_LABEL": "Certification(s)/Specialty:",
}
FIELD_LABELS = {
    "case_number": "Case Number:",
    "date_assigned": "Date Assigned:",
    "date_of_injury": "Date of Injury:",
    "decision_date": "Decision Date:",
    "ur_denial_date": "UR Denial Date:",
    "priority": "Priority:",
    "application_received": "Application Received:",
}
# What may begin a guideline paragraph.
GUIDELINE_STARTS = {"NO_EVIDENCE", "OUTSIDE_MTUS", "NOT_MTUS", "_MTUS_BASED", "_NON_MTUS_BASED"}
# The order the header dates must keep.
DATE_ORDER = ("date_of_injury", "ur_denial_date", "application_received", "date_assigned", "decision_date")

_CASE_NUMBER = re.compile(r"CM\d{2}-\d{7}")
_OUTCOME_AT_END = re.compile(r":\s*([A-Za-z][A-Za-z \t\n-]*?)\s*$")
_TITLE_LINE = re.compile(r":\s*(?:Upheld|Overturned)\s*$")
_WORD = re.compile(r"[A-Za-z]{2}")
# The conclusion of a rationale: its last sentence that speaks of medical necessity.
_SENTENCE = re.compile(r"[^.!?]*(?:[.!?](?=\s|$)|$)")
_NECESSITY = re.compile(r"medical(?:ly)?[\s-]+necess|medically\s+(?:appropriate|indicated|warranted)", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|no|cannot|never|neither|nor|non|un\w+)\b|n't", re.IGNORECASE)


def validate(
    text: str | bytes,
    *,
    grammar: Path | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
) -> list[Finding]:
    """Findings for one letter (empty when it conforms), each {code, severity, message, line,
    column} at the original line and column. Never raises for bad input."""
    codes = select_rules(select, ignore)
    try:
        text = text_of(text)  # bytes of a text file or a PDF; TypeError for anything else
    except InputError as exc:
        return [unreadable_finding(exc)] if UNREADABLE in codes else []
    normalized = normalize(text)
    try:
        record = parse_normalized(normalized, grammar=grammar)
    except ParseError as exc:  # already restated in the letter's terms by parse (see `restated`)
        finding = _finding(exc.code, exc.message, exc.line or 1, exc.column or 1)
        return [finding] if finding["code"] in codes else []
    found = [finding for check in CHECKS for finding in check(Letter(record, normalized.original)) if finding["code"] in codes]
    return sorted(found, key=lambda f: (f["line"], f["column"], f["code"]))


def _finding(code: str, message: str, line: int | None, column: int | None) -> Finding:
    return {"code": code, "severity": RULES[code].severity, "message": message, "line": line, "column": column}


def unreadable_finding(error: InputError) -> Finding:
    """The finding for an input that is not text: at the offending byte if there is one, else
    with no line or column."""
    return _finding(UNREADABLE, error.message, error.line, error.column)


# -- structure -------------------------------------------------------------------------------


def structure_finding(error: ParseError, normalized: Normalized, parser: Lark) -> Finding:
    """The ParseError as one finding, its message rewritten in the letter's terms: which item
    lacks what, which line is a misspelled heading, where the letter ends."""
    if error.line is None or error.column is None:  # no text at all
        return _finding(error.code, error.message, 1, 1)
    index = LineIndex(normalized.original)
    if error.expected and set(error.expected) <= GUIDELINE_STARTS:
        return _finding(error.code, f"the guideline paragraph reads {_short(index.line_text(error.line)[error.column - 1:])!r}, "
                                    f"which is none of its known wordings: {describe(error.expected)}", error.line, error.column)
    if error.code not in (MISSING_PARAGRAPH, MISSING_SECTION, TRUNCATED, TITLE_WITHOUT_OUTCOME):
        return _finding(error.code, error.message, error.line, error.column)
    rows, _ = debug.tokens(normalized, parser)
    structural = [row for row in rows if row.terminal.startswith("_") or row.terminal.endswith("_LABEL")]
    first_line = structural[-1].line + 1 if structural else 1
    misspelled = _misspelled(index, first_line, error.line, [t for t in error.expected if t in PHRASES])
    if misspelled is not None:
        terminal, line, column, written = misspelled
        code = MISSING_SECTION if terminal in HEADINGS else MISSING_PARAGRAPH
        return _finding(code, f"line {line} reads {written!r} where the letter needs {PHRASES[terminal]!r}", line, column)
    items = [row for row in debug.item_starts(rows) if row.line <= error.line]
    item = f"item {_short(items[-1].text)!r} (line {items[-1].line})" if items else None
    needed = [t for t in ITEM_LABELS if t in error.expected]
    if error.code == TRUNCATED:
        labels = [row.terminal for row in rows if row.terminal in ITEM_LABELS and items and row.line >= items[-1].line]
        if item and needed:
            message = f"the letter ends at line {error.line} in {item}, before its {PHRASES[needed[0]]!r} paragraph"
        elif item and labels:
            message = f"the letter ends at line {error.line} in {item}, inside its {PHRASES[labels[-1]]!r} paragraph"
        else:
            message = f"the letter ends at line {error.line}, before {describe(error.expected)}"
        return _finding(error.code, message, error.line, error.column)
    if error.code == TITLE_WITHOUT_OUTCOME:
        previous = _previous_line(index, error.line)
        if previous is not None:
            line, text = previous
            return _finding(error.code, f"the title {_short(text)!r} (line {line}) has no outcome "
                                        f"(': Upheld' or ': Overturned'), so the {PHRASES.get(error.found or '', 'paragraph')!r} "
                                        f"paragraph at line {error.line} belongs to no item", line, len(text.rstrip()) + 1)
        return _finding(error.code, error.message, error.line, error.column)
    if error.code == MISSING_PARAGRAPH and item and needed:
        paragraph = f"{PHRASES[needed[0]]!r} paragraph"
        if error.found in ("TITLE_TEXT", "ITEM_NUMBER"):
            message = f"{item} has no {paragraph} before the next item at line {error.line}"
        else:
            title = _title_between(index, items[-1].line + 1, error.line)
            if title is not None:
                line, text = title
                return _finding(error.code, f"{item} has no {paragraph} before the next item, "
                                            f"{_short(_TITLE_LINE.sub('', text))!r} at line {line}",
                                line, 1 + len(text) - len(text.lstrip()))
            after = f"its {PHRASES[error.found]!r} paragraph" if error.found in ITEM_LABELS else \
                repr(_short(index.line_text(error.line)))
            message = f"{item} has no {paragraph}: line {error.line} starts {after} instead"
        return _finding(error.code, message, error.line, error.column)
    if error.code == MISSING_SECTION:
        heading = next(t for t in HEADINGS if t in error.expected)
        message = f"the letter needs the heading {PHRASES[heading]!r} before line {error.line}, " \
                  f"which has {_short(index.line_text(error.line))!r}"
        return _finding(error.code, message, error.line, error.column)
    return _finding(error.code, error.message, error.line, error.column)


def restated(error: ParseError, normalized: Normalized, grammar: Path | None = None) -> ParseError:
    """The ParseError with the structure finding's message and position: what `parse` raises."""
    finding = structure_finding(error, normalized, debug.load_grammar(grammar))
    line, column = finding["line"], finding["column"]
    if error.line is None or (finding["message"], line, column) == (error.message, error.line, error.column):
        return error
    index = LineIndex(normalized.original)
    return ParseError(finding["message"], code=finding["code"], line=line, column=column, offset=index.offset(line, column),
                      expected=error.expected, found=error.found, context=caret_context(index, line, column))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _misspelled(index: LineIndex, first: int, last: int, terminals: list[str]) -> tuple[str, int, int, str] | None:
    """A line between `first` and `last` that begins almost like one of the expected phrases:
    the misspelled heading or label the prose before the failure swallowed."""
    for line in range(max(first, last - 400), last + 1):
        text = index.line_text(line)
        stripped = text.lstrip()
        for terminal in terminals:
            phrase = PHRASES[terminal]
            if stripped.startswith(phrase):
                continue
            ratio, written = max((difflib.SequenceMatcher(None, stripped[: len(phrase) + k].lower(), phrase.lower()).ratio(),
                                  stripped[: len(phrase) + k]) for k in (-2, -1, 0, 1, 2))
            if ratio >= 0.85:
                return terminal, line, 1 + len(text) - len(stripped), written.strip()
    return None


def _previous_line(index: LineIndex, line: int) -> tuple[int, str] | None:
    for previous in range(line - 1, 0, -1):
        text = index.line_text(previous)
        if text.strip():
            return previous, text
    return None


def _title_between(index: LineIndex, first: int, last: int) -> tuple[int, str] | None:
    """The first line from `first` to before `last` that ends like an item title."""
    for line in range(first, last):
        text = index.line_text(line)
        if _TITLE_LINE.search(text):
            return line, text
    return None


# -- content rules ---------------------------------------------------------------------------


class Letter:
    """A parsed letter with its original text, for rules that locate findings by span."""

    def __init__(self, record: dict[str, Any], original: str) -> None:
        self.record = record
        self.original = original
        self.index = LineIndex(original)

    def at(self, code: str, message: str, offset: int) -> Finding:
        line, column = self.index.line_col(offset)
        return _finding(code, message, line, column)

    def slice(self, span: list[int]) -> str:
        return self.original[span[0] : span[1]]

    def start(self) -> int:
        return len(self.original) - len(self.original.lstrip())


Check = Callable[[Letter], Iterator[Finding]]
CHECKS: list[Check] = []


def check(function: Check) -> Check:
    CHECKS.append(function)
    return function


@check
def header_fields(letter: Letter) -> Iterator[Finding]:
    case = letter.record["case"]
    if case["span"] is None:
        yield letter.at("H201", "the letter has no header block (Case Number, dates, Priority)", letter.start())
        return
    for field in CASE_FIELDS:
        if field not in case["spans"]:
            yield letter.at("H202", f"the header has no {FIELD_LABELS[field]!r}", case["span"][0])
    for field, span in case["spans"].items():
        raw = letter.slice(span)
        if field == "case_number" and not _CASE_NUMBER.fullmatch(raw):
            yield letter.at("H205", f"the case number {raw!r} is not written CMyy-nnnnnnn (e.g. CM16-0213037)", span[0])
        elif field in DATE_ORDER and case[field] is None:  # transformer.iso_date: not MM/DD/YYYY or no such day
            yield letter.at("H203", f"{FIELD_LABELS[field]!r} {raw!r} is not a calendar date written MM/DD/YYYY", span[0])


@check
def date_order(letter: Letter) -> Iterator[Finding]:
    case = letter.record["case"]
    latest: str | None = None
    for field in DATE_ORDER:
        value = case[field]
        if value is None:
            continue
        if latest is not None and value < case[latest]:
            written, earlier = letter.slice(case["spans"][field]), letter.slice(case["spans"][latest])
            yield letter.at("H204", f"{FIELD_LABELS[field]!r} {written} is before {FIELD_LABELS[latest]!r} {earlier}; "
                                    "the dates run injury, UR denial, application received, assigned, decision",
                            case["spans"][field][0])
        else:
            latest = field


@check
def credentials(letter: Letter) -> Iterator[Finding]:
    reviewer = letter.record["reviewer"]
    span = reviewer["span"]
    for key, code, label, what in (
        ("licensure", "R301", r"State\(s\)\s+of\s+Licensure:", "state of licensure"),
        ("specialties", "R302", r"Certification\(s\)/Specialty:", "certification or specialty"),
    ):
        if reviewer[key]:
            continue
        labelled = re.search(label, letter.slice(span))
        if labelled:
            yield letter.at(code, f"{labelled.group()!r} names no {what}", span[0] + labelled.end())
        else:
            yield letter.at(code, f"the letter does not give the reviewer's {what} (no credentials lines and no "
                                  "'Board Certified in ... licensed to practice in ...' sentence)", span[0])


@check
def decisions(letter: Letter) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for decision in letter.record["decisions"]:
        title_span = decision["title_span"]
        written = _OUTCOME_AT_END.search(letter.slice(title_span))
        if written and written.group(1) not in ("Upheld", "Overturned"):
            word = " ".join(written.group(1).split())
            yield letter.at("D401", f"the outcome {word!r} of {_short(decision['treatment'])!r} is neither 'Upheld' nor "
                                    "'Overturned'", title_span[0] + written.start(1))
        yield from _contradiction(letter, decision)
        key = " ".join(decision["treatment"].lower().split())
        if key in seen:
            line = letter.index.line_col(seen[key])[0]
            yield letter.at("D403", f"{_short(decision['treatment'])!r} is decided twice: also at line {line}", title_span[0])
        else:
            seen[key] = title_span[0]


def _contradiction(letter: Letter, decision: dict[str, Any]) -> Iterator[Finding]:
    span = decision["rationale_span"]
    conclusion = None
    for sentence in _SENTENCE.finditer(letter.slice(span)):
        if _NECESSITY.search(sentence.group()):
            conclusion = sentence
    if conclusion is None or decision["medically_necessary"] is None:
        return
    necessary = not _NEGATION.search(conclusion.group())
    if necessary == decision["medically_necessary"]:
        return
    outcome = "Upheld" if decision["outcome"] == "upheld" else "Overturned"
    said = "is medically necessary" if necessary else "is not medically necessary"
    offset = span[0] + conclusion.start() + len(conclusion.group()) - len(conclusion.group().lstrip())
    yield letter.at("D402", f"{_short(decision['treatment'])!r} is {outcome}, but its rationale concludes that it {said}: "
                            f"{_short(conclusion.group(), 100)!r}", offset)


@check
def empty_paragraphs(letter: Letter) -> Iterator[Finding]:
    summary = letter.record["summary"]
    if not _WORD.search(summary["text"]):
        yield letter.at("D404", "the clinical case summary has no words", summary["span"][0])
    for decision in letter.record["decisions"]:
        name = _short(decision["treatment"])
        for key, who in (("claims_administrator_guideline", "Claims Administrator"), ("reviewer_guideline", "MAXIMUS")):
            guideline = decision[key]
            if any(not _WORD.search(citation) for citation in guideline["non_mtus"]):
                yield letter.at("D404", f"the {who} guideline of {name!r} has a Non-MTUS citation with no words",
                                guideline["span"][0])
        if not _WORD.search(decision["rationale"]):
            yield letter.at("D404", f"the rationale of {name!r} has no words", decision["rationale_span"][0])


@check
def injury_date(letter: Letter) -> Iterator[Finding]:
    stated, header = letter.record["summary"]["date_of_injury"], letter.record["case"]["date_of_injury"]
    if stated is None or header is None or stated == header:
        return
    span = letter.record["summary"]["span"]
    match = narrative.INJURY_DATE.search(letter.slice(span))
    offset = span[0] + match.start() if match else span[0]
    said = " ".join(match.group().split()) if match else stated
    header_written = letter.slice(letter.record["case"]["spans"]["date_of_injury"])
    yield letter.at("N501", f"the case summary says {said!r}; the header's 'Date of Injury:' is {header_written}", offset)


def is_valid(findings: list[Finding], strict: bool = False) -> bool:
    """A letter conforms when it has no error (and, when strict, no warning either)."""
    return not any(f["severity"] == "error" or strict for f in findings)


