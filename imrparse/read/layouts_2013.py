"""The records of the 2013 layouts, read from their landmarks.

The grammar gives a 2013 letter as its landmarks (headings, numbered determinations, the
credentials sentence) with the text between them, in the order written. Each text belongs to the
section its last heading opened (wording.SECTIONS_2013); each decision comes from its
determination sentence ("... has determined the request for X is not medically necessary and
appropriate": upheld) or, in the one-item "MEDICAL PROFESSIONAL REVIEW" letters, from the
rationale's conclusion. A field a layout does not state is null, never invented.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from imrparse.read import narrative, readers, taxonomy, treatment, wording
from imrparse.text.normalize import Normalized, collapse

MEDICALLY_NECESSARY = {"upheld": False, "overturned": True}


class Piece:
    """A landmark or a text, with its normalized span."""

    def __init__(self, kind: str, text: str, start: int, end: int) -> None:
        self.kind, self.text, self.start, self.end = kind, text, start, end


def section_of(heading: str) -> str:
    for pattern, name in wording.SECTIONS_2013:
        if pattern.search(heading):
            return name
    return "other"


def us_date(written: str) -> str | None:
    """M/D/YYYY -> YYYY-MM-DD (the 2013 letters do not pad); None when no such day."""
    month, day, year = (int(part) for part in written.split("/"))
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def letter_2013(layout: str, case: dict[str, Any], pieces: list[Piece], normalized: Normalized) -> dict[str, Any]:
    """The record of a 2013 letter: `case` from its header (nulls when it has none), the rest
    from its pieces."""
    texts: dict[str, list[Piece]] = {}
    decisions: dict[int, dict[str, Any]] = {}
    reviewer: dict[str, Any] = {"licensure": [], "specialties": [], "specialties_canonical": [], "specialties_corrected": [],
                                "board_certified": None, "unrecognized": [], "span": None}
    section = "notice"
    last: dict[str, Any] | None = None
    for piece in pieces:
        if piece.kind == "heading":
            section = section_of(piece.text)
            last = None
        elif piece.kind == "determination":
            last = _determination(piece, decisions, normalized)
        elif piece.kind == "credentials":
            reading = readers.read_credential_sentence(piece.text)
            reviewer.update(specialties=list(reading.specialties), licensure=list(reading.licensure),
                            board_certified=True if reading.board_certified else None,
                            unrecognized=[_piece_text(piece.start + a, piece.start + b, normalized) for a, b in reading.unrecognized],
                            span=normalized.span(piece.start, piece.end))
        elif section == "rationale" and last is not None and last["rationale"] is None:
            last["rationale"] = collapse(piece.text)
            last["rationale_span"] = normalized.span(piece.start, piece.end)
            last["span"] = [last["span"][0], last["rationale_span"][1]]
        else:
            texts.setdefault(section, []).append(piece)
    start, end = (pieces[0].start, pieces[-1].end) if pieces else (0, 0)
    reviewer["specialties_canonical"] = taxonomy.canonical_specialties(reviewer["specialties"])
    reviewer["specialties_corrected"] = taxonomy.corrected_specialties(reviewer["specialties"])
    for field, pattern in wording.DATES_2013.items():
        found = pattern.search(normalized.text, start, end)
        if found is not None and field not in case["spans"]:  # a date the header states (even unreadably) stands
            case[field] = us_date(found.group("date"))
            case["spans"][field] = normalized.span(*found.span("date"))
    summary = _summary(texts.get("summary", []), normalized)
    if layout == "mpr-2013":
        decisions = {1: _issue(texts, normalized)}
    return {"case": case, "reviewer": reviewer, "summary": summary, "decisions": [decisions[n] for n in sorted(decisions)]}


def _piece_text(start: int, end: int, normalized: Normalized) -> dict[str, Any]:
    return {"text": collapse(normalized.text[start:end]), "span": normalized.span(start, end)}


def _determination(piece: Piece, decisions: dict[int, dict[str, Any]], normalized: Normalized) -> dict[str, Any]:
    """The decision a determination sentence states; the first statement of an item number is
    the decision, a later one (the letter repeats them) opens its rationale."""
    match = wording.DETERMINATION.match(piece.text)
    number = int(match.group("number")) if match else len(decisions) + 1
    if number in decisions:
        return decisions[number]
    outcome = ("upheld" if match.group("negation") is not None else "overturned") if match else None
    span = normalized.span(piece.start, piece.end)
    at = match.start("treatment") if match else 0
    written = match.group("treatment") if match else piece.text
    decisions[number] = {
        "number": number,
        "title": collapse(piece.text),
        "treatment": collapse(written),
        **_treatment_fields(written, piece.start + at, normalized),
        "original_request": None,
        "authorized": None,
        "title_span": span,
        "outcome": outcome,
        "medically_necessary": MEDICALLY_NECESSARY.get(outcome or ""),
        "claims_administrator_guideline": None,
        "reviewer_guideline": None,
        "rationale": None,
        "rationale_span": None,
        "span": span,
    }
    return decisions[number]


def _summary(pieces: list[Piece], normalized: Normalized) -> dict[str, Any] | None:
    """The case summary's text and what narrative.py reads of it (the injury date is read with
    the decision year, by transformer.letter_record)."""
    if not pieces:
        return None
    start, end = pieces[0].start, pieces[-1].end
    raw = normalized.text[start:end]
    text = collapse(raw)
    age, sex = narrative.age_and_sex(text)
    diagnoses = [{"text": collapse(raw[d.start:d.end]), "span": normalized.span(start + d.start, start + d.end)}
                 for d in narrative.diagnoses(raw)]
    return {"text": text, "age": age, "sex": sex, "date_of_injury": None, "diagnoses": diagnoses, "span": normalized.span(start, end)}


def _issue(texts: dict[str, list[Piece]], normalized: Normalized) -> dict[str, Any]:
    """The one decision of a "MEDICAL PROFESSIONAL REVIEW" letter: the issue at dispute, its
    guideline section, and its rationale, whose conclusion (wording.NECESSITY_CLAUSE) is the
    outcome: "not medically necessary" upholds the denial."""
    issue, guideline, rationale = (texts.get(name, []) for name in ("issue", "guideline", "rationale"))
    rationale_text = collapse(" ".join(p.text for p in rationale)) if rationale else None
    clauses = list(wording.NECESSITY_CLAUSE.finditer(rationale_text or ""))
    outcome = None
    if clauses:
        negated = any(wording.NEGATION.search(part or "") for part in clauses[-1].group("copula", "qualifiers", "non"))
        outcome = "upheld" if negated else "overturned"
    title = collapse(" ".join(p.text for p in issue)) if issue else ""
    first = (issue or rationale or guideline)[0].start if (issue or rationale or guideline) else 0
    last = (rationale or guideline or issue)[-1].end if (issue or rationale or guideline) else 0
    request = _REQUEST_FOR.match(normalized.text, issue[0].start, issue[-1].end) if issue else None
    at = request.end() if request else (issue[0].start if issue else 0)
    written = normalized.text[at:issue[-1].end].rstrip(".") if issue else ""
    return {
        "number": None,
        "title": title,
        "treatment": collapse(written) or None,
        **_treatment_fields(written, at, normalized),
        "original_request": None,
        "authorized": None,
        "title_span": normalized.span(issue[0].start, issue[-1].end) if issue else None,
        "outcome": outcome,
        "medically_necessary": MEDICALLY_NECESSARY.get(outcome or ""),
        "claims_administrator_guideline": None,
        "reviewer_guideline": _guideline(guideline, normalized) if guideline else None,
        "rationale": rationale_text,
        "rationale_span": normalized.span(rationale[0].start, rationale[-1].end) if rationale else None,
        "span": normalized.span(first, last),
    }


_REQUEST_FOR = re.compile(r"(?:the\s+)?request\s+for\s+", re.I)


def _treatment_fields(written: str, offset: int, normalized: Normalized) -> dict[str, Any]:
    """treatment_parts, category and drug_class of the treatment written at `offset`, as the
    2014 layout's titles get them."""
    kind = taxonomy.classify(collapse(written))
    return {"treatment_parts": treatment.record_parts(written, offset, normalized.span),
            "category": kind.category, "drug_class": kind.drug_class}


def _guideline(pieces: list[Piece], normalized: Normalized) -> dict[str, Any]:
    start, end = pieces[0].start, pieces[-1].end
    reading = readers.read_guideline(normalized.text[start:end])
    return {"text": collapse(normalized.text[start:end]), "mtus": list(reading.mtus), "non_mtus": list(reading.non_mtus),
            "cited": reading.cited, "unrecognized": [_piece_text(start + s.start, start + s.end, normalized) for s in reading.unrecognized],
            "span": normalized.span(start, end)}
