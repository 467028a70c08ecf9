"""Reading a letter the grammar gives as headings and text in the order written (the 2013
layouts): each text belongs to the section its last heading opened, and the layout says which
section each heading terminal opens. A field a layout does not state is null, never invented."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from imrparse import record
from imrparse.grammar.landmarks import Landmarks
from imrparse.read import parts
from imrparse.read.dates import us_date
from imrparse.text.normalize import Normalized, collapse


@dataclass(frozen=True)
class Piece:
    """A landmark (its terminal) or a text, with its normalized span."""

    terminal: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Sections:
    opened_by: Mapping[str, str]  # heading terminal -> the section it opens
    dates: Mapping[str, re.Pattern[str]]  # case field -> a sentence stating it, its date in group `date`
    # The decisions, from the pieces: one per determination sentence, or the letter's one issue.
    decisions: Callable[[list[Piece], dict[str, list[Piece]], Normalized, Landmarks], list[record.Decision]]


TEXT = "M13_TEXT"

# The sentences a 2013 letter states its dates in: case field -> the sentence, its date in `date`.
_DATE = r"(?P<date>\d{1,2}/\d{1,2}/\d{4})"
STATED_DATES = {
    "decision_date": re.compile(r"Determination\s+Dated:?\s*" + _DATE),
    "application_received": re.compile(r"application\s+for\s+Independent\s+Medical\s+Review\s+was\s+filed\s+on\s+" + _DATE, re.I),
    "ur_denial_date": re.compile(r"Utilization\s+Review\s+Denial\s+dated\s+" + _DATE, re.I),
    "date_assigned": re.compile(r"Notice\s+of\s+Assignment\s+and\s+Request\s+for\s+Information\s+was\s+provided\s+to\s+the\s+above"
                                r"\s+parties\s+on\s+" + _DATE, re.I),
}


def read(sections: Sections, children: list[Any], normalized: Normalized, landmarks: Landmarks) -> dict[str, Any]:
    """The record's parts of a letter read by sections: `case` from its header when it has one,
    the rest from its pieces."""
    built = dict(child.value for child in children if not hasattr(child, "type"))
    case = built.get("case") or record.no_case()
    pieces = [Piece(child.type, child.value, child.start_pos, child.end_pos) for child in children if hasattr(child, "type")]
    texts: dict[str, list[Piece]] = {}
    landmarks_read: list[Piece] = []
    credentials: dict[str, Any] = {"licensure": [], "specialties": [], "board_certified": None, "unrecognized": [], "span": None}
    section = "notice"
    for piece in pieces:
        if piece.terminal in sections.opened_by:
            section = sections.opened_by[piece.terminal]
            landmarks_read.append(piece)
        elif piece.terminal == "CREDENTIAL_SENTENCE":
            credentials.update(parts.credentials_sentence(normalized, piece.start, piece.end, landmarks))
            credentials["span"] = normalized.span(piece.start, piece.end)
        elif piece.terminal == TEXT:
            texts.setdefault(section, []).append(piece)
            landmarks_read.append(piece)
        else:
            landmarks_read.append(piece)
    reviewer = parts.reviewer(**credentials)
    start, end = (pieces[0].start, pieces[-1].end) if pieces else (0, 0)
    for field, pattern in sections.dates.items():
        found = pattern.search(normalized.text, start, end)
        if found is not None and field not in case["spans"]:  # a date the header states (even unreadably) stands
            case[field] = us_date(found.group("date"), padded=False)  # type: ignore[literal-required]
            case["spans"][field] = normalized.span(*found.span("date"))
    summary_texts = texts.get("summary", [])
    summary = (parts.summary(normalized, summary_texts[0].start, summary_texts[-1].end, (summary_texts[0].start, summary_texts[-1].end))
               if summary_texts else None)
    return {"case": case, "reviewer": reviewer, "summary": summary,
            "decisions": sections.decisions(landmarks_read, texts, normalized, landmarks)}


def decision(normalized: Normalized, landmarks: Landmarks, *, number: int | None, title: str, written: str, at: int,
             title_span: record.Span | None, outcome: str | None, rationale: str | None, rationale_span: record.Span | None,
             reviewer_guideline: record.Guideline | None, span: record.Span, number_at: tuple[int, int] | None = None) -> record.Decision:
    """A decision as the 2013 letters state it: no Claims Administrator guideline, no partial
    authorization; the treatment `written` at `at`, the number (when the letter writes it) at `number_at`."""
    spans = {"number": normalized.span(*number_at)} if number_at else {}
    if written.strip():
        spans["treatment"] = normalized.span(at + len(written) - len(written.lstrip()), at + len(written.rstrip()))
    return record.decision(
        number=number, title=title, treatment=collapse(written) or None,
        **parts.treatment_fields(normalized, written, at, at + len(written), collapse(written)),
        original_request=None, authorized=None, title_span=title_span, outcome=outcome,
        medically_necessary=parts.necessity(outcome, landmarks), claims_administrator_guideline=None,
        reviewer_guideline=reviewer_guideline, rationale=rationale, rationale_span=rationale_span, span=span, spans=spans)
