"""Conformance checking: does a letter follow the final determination structure, and if not,
where and why -- reported like a compiler, with a rule code and an original line and column.

A letter that does not parse gets one structure finding at the first point of failure, in
the letter's own words. A letter that parses is checked by the content rules (rules.py) over
its record; each rule locates its finding through the record's spans.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

from imrparse.api import parse_normalized
from imrparse.check.rules import RULES, select_rules
from imrparse.errors import UNREADABLE, InputError, ParseError, short
from imrparse.grammar.landmarks import Landmarks, landmarks
from imrparse.read import layouts, narrative
from imrparse.read.builder import CASE_FIELDS, DATE_ORDER, FIELD_LABELS
from imrparse.read.wording import NECESSITY_CLAUSE, PARTIAL_MARK, negated
from imrparse.record import Finding as Finding  # re-exported: the type of what validate returns
from imrparse.record import Record
from imrparse.text.inputs import text_of
from imrparse.text.normalize import LineIndex, Normalized, normalize

# The order the header dates must keep.

_CASE_NUMBER = re.compile(r"CM\d{2}-\d{7}")
_OUTCOME_AT_END = re.compile(r":\s*([A-Za-z][A-Za-z \t\n-]*?)\s*$")
_WORD = re.compile(r"[A-Za-z]{2}")
_SENTENCE_START = re.compile(r"[^.;!?]*$")


def validate(
    text: str | bytes,
    *,
    grammar: Path | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    strict_text: bool = False,
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
        record = parse_normalized(normalized, grammar=grammar, repair=not strict_text)
    except ParseError as exc:
        return [finding for finding in [failure_finding(exc)] if finding["code"] in codes]
    return findings_of(record, normalized, grammar, codes)


def failure_finding(error: ParseError) -> Finding:
    """The one structure finding of a letter that does not parse (already in its terms: diagnosis.py)."""
    return _finding(error.code, error.message, error.line or 1, error.column or 1)


def findings_of(record: Record, normalized: Normalized, grammar: Path | None = None, codes: Iterable[str] | None = None) -> list[Finding]:
    """The content rules' findings on a letter already parsed (a tool that has its record need
    not parse it again), sorted by line and column."""
    chosen = set(RULES if codes is None else codes)
    letter = Letter(cast(dict[str, Any], record), normalized.original, landmarks(grammar))  # the rules read fields by computed keys
    found = [finding for check in CHECKS for finding in check(letter) if finding["code"] in chosen]
    return sorted(found, key=lambda f: (f["line"], f["column"], f["code"]))


def _finding(code: str, message: str, line: int | None, column: int | None) -> Finding:
    return {"code": code, "severity": RULES[code].severity, "message": message, "line": line, "column": column}


def unreadable_finding(error: InputError) -> Finding:
    """The finding for an input that is not text: at the offending byte if there is one, else
    with no line or column."""
    return _finding(UNREADABLE, error.message, error.line, error.column)


# -- content rules ---------------------------------------------------------------------------


class Letter:
    """A parsed letter with its original text, for rules that locate findings by span, and its
    grammar's landmarks, for rules that name or look for them."""

    def __init__(self, record: dict[str, Any], original: str, landmarks: Landmarks) -> None:
        self.record = record
        self.original = original
        self.index = LineIndex(original)
        self.landmarks = landmarks
        self.layout = layouts.by_name(record["layout"])

    def label(self, field: str) -> str:
        """The header label of a case field, as the letter writes it ("Date of Injury:")."""
        return self.landmarks.phrase(FIELD_LABELS[field])

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
    """A layout with a header table has its seven fields (a 2013 letter states its dates elsewhere)."""
    case = letter.record["case"]
    current = letter.layout is not None and letter.layout.header_required
    if case["span"] is None:
        if current:
            yield letter.at("H201", "the letter has no header block (Case Number, dates, Priority)", letter.start())
        return
    for field in CASE_FIELDS if current else ():
        if field not in case["spans"]:
            yield letter.at("H202", f"the header has no {letter.label(field)!r}", case["span"][0])
    for field, span in case["spans"].items():
        raw = letter.slice(span)
        if field == "case_number" and not _CASE_NUMBER.fullmatch(raw):
            yield letter.at("H205", f"the case number {raw!r} is not written CMyy-nnnnnnn (e.g. CM16-0213037)", span[0])
        elif field in DATE_ORDER and case[field] is None:  # transformer.iso_date: not MM/DD/YYYY or no such day
            yield letter.at("H203", f"{letter.label(field)!r} {raw!r} is not a calendar date written MM/DD/YYYY", span[0])


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
            yield letter.at("H204", f"{letter.label(field)!r} {written} is before {letter.label(latest)!r} {earlier}; "
                                    "the dates run injury, UR denial, application received, assigned, decision",
                            case["spans"][field][0])
        else:
            latest = field


@check
def credentials(letter: Letter) -> Iterator[Finding]:
    reviewer = letter.record["reviewer"]
    span = reviewer["span"] or [letter.start(), letter.start()]  # a 2013 letter without its credentials sentence
    for key, code, label, what in (
        ("licensure", "R301", "_LICENSURE_LABEL", "state of licensure"),
        ("specialties", "R302", "_SPECIALTY_LABEL", "certification or specialty"),
    ):
        if reviewer[key]:
            continue
        labelled = letter.landmarks.regex(label).search(letter.slice(span))
        if labelled:
            yield letter.at(code, f"{labelled.group()!r} names no {what}", span[0] + labelled.end())
        else:
            yield letter.at(code, f"the letter does not give the reviewer's {what} (no credentials lines and no "
                                  "'Board Certified in ... licensed to practice in ...' sentence)", span[0])


@check
def decisions(letter: Letter) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    upheld, overturned = letter.landmarks.phrase("UPHELD"), letter.landmarks.phrase("OVERTURNED")
    for decision in letter.record["decisions"]:
        title_span = decision["title_span"] or decision["span"]
        written = _OUTCOME_AT_END.search(letter.slice(title_span)) if letter.layout and letter.layout.outcome_after_title else None
        if written and written.group(1) not in (upheld, overturned):
            word = " ".join(written.group(1).split())
            yield letter.at("D401", f"the outcome {word!r} of {_name(decision)!r} is neither {upheld!r} nor {overturned!r}",
                            title_span[0] + written.start(1))
        yield from _contradiction(letter, decision)
        key = " ".join((decision["treatment"] or "").lower().split())
        if key in seen:
            line = letter.index.line_col(seen[key])[0]
            yield letter.at("D403", f"{_name(decision)!r} is decided twice: also at line {line}", title_span[0])
        else:
            seen[key] = title_span[0]


def _name(decision: dict[str, Any]) -> str:
    return short(decision["treatment"] or "the item at dispute")


def _contradiction(letter: Letter, decision: dict[str, Any]) -> Iterator[Finding]:
    """The rationale's conclusion is its last clause that states medical necessity
    (wording.NECESSITY_CLAUSE); a rationale without one concludes nothing this rule can read."""
    span = decision["rationale_span"]
    if span is None:
        return
    rationale = letter.slice(span)
    clauses = list(NECESSITY_CLAUSE.finditer(rationale))
    if not clauses or decision["medically_necessary"] is None:
        return
    clause = clauses[-1]
    necessary = not negated(*clause.group("copula", "qualifiers", "non"))
    if necessary == decision["medically_necessary"]:
        return
    outcome = letter.landmarks.phrase("OVERTURNED" if decision["medically_necessary"] else "UPHELD")
    said = "is medically necessary" if necessary else "is not medically necessary"
    sentence = _SENTENCE_START.search(rationale, 0, clause.start())
    start = sentence.start() if sentence else clause.start()
    start += len(rationale[start:]) - len(rationale[start:].lstrip())
    end = clause.end() + rationale.startswith(".", clause.end())
    yield letter.at("D402", f"{_name(decision)!r} is {outcome}, but its rationale concludes that it {said}: "
                            f"{short(rationale[start:end], 100)!r}", span[0] + start)


@check
def empty_paragraphs(letter: Letter) -> Iterator[Finding]:
    summary = letter.record["summary"]
    if summary is not None and not _WORD.search(summary["text"]):
        yield letter.at("D404", "the clinical case summary has no words", summary["span"][0])
    for decision in letter.record["decisions"]:
        name = _name(decision)
        for key, who in GUIDELINES:
            guideline = decision[key]
            if guideline is None:  # a 2013 layout without this paragraph
                continue
            if not _WORD.search(guideline["text"]):
                yield letter.at("D404", f"the {who} guideline paragraph of {name!r} has no words", guideline["span"][0])
            elif any(not _WORD.search(citation) for citation in guideline["non_mtus"]):
                yield letter.at("D404", f"the {who} guideline of {name!r} has a Non-MTUS citation with no words",
                                guideline["span"][0])
        if decision["rationale"] is not None and not _WORD.search(decision["rationale"]):
            yield letter.at("D404", f"the rationale of {name!r} has no words", decision["rationale_span"][0])


GUIDELINES = (("claims_administrator_guideline", "Claims Administrator"), ("reviewer_guideline", "MAXIMUS"))


@check
def unknown_wording(letter: Letter) -> Iterator[Finding]:
    """Text between landmarks that no row of the wording table (wording.py) recognizes: kept in
    the record, reported here where it begins."""
    for piece in letter.record["reviewer"]["unrecognized"]:
        yield letter.at("R303", f"the credentials sentence says {short(piece['text'])!r}, which is none of its known wordings",
                        piece["span"][0])
    for decision in letter.record["decisions"]:
        name = _name(decision)
        if decision["original_request"] is None and PARTIAL_MARK.search(decision["title"]):
            yield letter.at("D406", f"the title {short(decision['title'])!r} reads like a partial authorization in none of its "
                                    "known wordings", decision["title_span"][0])
        for key, who in GUIDELINES:
            for piece in (decision[key] or {}).get("unrecognized", []):
                yield letter.at("D405", f"the {who} guideline of {name!r} says {short(piece['text'])!r}, which is none of the "
                                        "known wordings of a citation", piece["span"][0])


@check
def injury_date(letter: Letter) -> Iterator[Finding]:
    if letter.record["summary"] is None:
        return
    stated, header = letter.record["summary"]["date_of_injury"], letter.record["case"]["date_of_injury"]
    if stated is None or header is None or stated == header:
        return
    span = letter.record["summary"]["span"]
    match = narrative.INJURY_DATE.search(letter.slice(span))
    offset = span[0] + match.start() if match else span[0]
    said = " ".join(match.group().split()) if match else stated
    header_written = letter.slice(letter.record["case"]["spans"]["date_of_injury"])
    yield letter.at("N501", f"the case summary says {said!r}; the header's {letter.label('date_of_injury')!r} is {header_written}", offset)


@check
def layout_parts(letter: Letter) -> Iterator[Finding]:
    """A letter has the parts its layout requires (Layout.required), found by the terminals that open them."""
    for terminals in letter.layout.required if letter.layout else ():
        if not any(letter.landmarks.regex(terminal).search(letter.original) for terminal in terminals):
            yield letter.at("L601", f"this {letter.record['layout']} letter has no {letter.landmarks.description(terminals[0])}",
                            letter.start())


# A sentence ends with a period, "!" or "?", perhaps inside a closing quote or bracket. A text that
# ends otherwise ends mid-sentence, unless its last words are a conclusion on medical necessity
# (a real letter ends "... the left arm EMG is not medically necessary" without a period).
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s*$")
# What else concludes a rationale, though not on its necessity ("is not medically appropriate").
_OTHER_CONCLUSION = re.compile(r"\bmedically\s+(?:appropriate|indicated|reasonable|warranted)\b", re.IGNORECASE)


def _ends_a_sentence(text: str) -> bool:
    if _SENTENCE_END.search(text):
        return True
    clauses = list(NECESSITY_CLAUSE.finditer(text))
    return bool(clauses) and not text[clauses[-1].end():].strip()


@check
def cut_short(letter: Letter) -> Iterator[Finding]:
    """A letter cut short parses when the cut falls inside a rationale: its last rationale ends
    mid-sentence, or (cut at a sentence end) states no conclusion on medical necessity where
    every other item of the letter states one. A letter whose own text ends mid-sentence (after
    its rationales, in a 2013 layout) is cut short too."""
    decisions = [d for d in letter.record["decisions"] if d["rationale"] is not None and _WORD.search(d["rationale"])]
    concluded = [d for d in decisions if NECESSITY_CLAUSE.search(d["rationale"]) or _OTHER_CONCLUSION.search(d["rationale"])]
    text_end = len(letter.original.rstrip())
    reported_end = False
    for decision in decisions:
        span = decision["rationale_span"]
        rationale = letter.slice(span).rstrip()
        end = span[0] + len(rationale)
        if not _ends_a_sentence(rationale):
            reported_end |= end == text_end
            yield letter.at("D407", f"the rationale of {_name(decision)!r} ends mid-sentence ({_last_words(rationale)!r}): "
                                    "the letter looks cut short", span[0] + _last_sentence(rationale))
        elif decision not in concluded and len(concluded) == len(decisions) - 1 >= 1:
            others = len(concluded)
            yield letter.at("D407", f"the rationale of {_name(decision)!r} states no conclusion on medical necessity, where the "
                                    f"letter's other {_count_items(others)} {'states' if others == 1 else 'each state'} one: "
                                    "the letter looks cut short", span[0])
    if not reported_end and text_end and not _ends_a_sentence(letter.original[:text_end]):
        yield letter.at("D407", f"the letter's text ends mid-sentence ({_last_words(letter.original[:text_end])!r}): "
                                "it looks cut short", _last_sentence(letter.original[:text_end]))


def _last_sentence(text: str) -> int:
    """Where the last (unfinished) sentence of `text` begins."""
    sentence = _SENTENCE_START.search(text)
    start = sentence.start() if sentence else 0
    return start + len(text[start:]) - len(text[start:].lstrip())


def _last_words(text: str) -> str:
    return "…" + " ".join(text[-200:].split())[-50:]


def _count_items(n: int) -> str:
    return "item" if n == 1 else f"{n} items"


def is_valid(findings: list[Finding], strict: bool = False) -> bool:
    """A letter conforms when it has no error (and, when strict, no warning either); an info
    finding never fails it."""
    return not any(f["severity"] == "error" or (strict and f["severity"] == "warning") for f in findings)


@check
def read_as_a_copy(letter: Letter) -> Iterator[Finding]:
    """Each repair that let a scanned, faxed or flattened copy read (read/repair.py), at its place."""
    for repair in letter.record.get("repairs", []):
        said = f"{short(repair['text'])!r}" if repair["text"].strip() else "a line end"
        read = f"read as {short(repair['read_as'])!r}" if repair["read_as"].strip() else "left out"
        if repair["kind"] == "line-break":
            message = "a landmark in the middle of a line (flattened text) starts its own line"
        elif repair["kind"] == "label":
            message = f"label: {repair['read_as'].strip()!r} read before the value here, which the copy has without it"
        else:
            message = f"{repair['kind']}: {said} {read}"
        yield letter.at("O701", message, repair["span"][0])

