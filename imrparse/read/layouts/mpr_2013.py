"""The 2013 "MEDICAL PROFESSIONAL REVIEW" letter: one issue at dispute under labelled headings;
its outcome is its rationale's conclusion ("not medically necessary" upholds the denial)."""

from __future__ import annotations

import functools
import re

from imrparse import record
from imrparse.grammar.landmarks import Landmarks
from imrparse.read import parts, wording
from imrparse.read.layouts import Layout, sections
from imrparse.read.layouts.sections import Piece
from imrparse.text.normalize import Normalized, collapse

OPENED_BY = {
    "MPR_ISSUE_HEADING": "issue",
    "MPR_SUMMARY_HEADING": "summary",
    "MPR_DOCUMENTS_HEADING": "documents",
    "MPR_GUIDELINE_HEADING": "guideline",
    "MPR_RATIONALE_HEADING": "rationale",
    "MPR_QUALIFICATIONS_HEADING": "reviewer",
}
_REQUEST_FOR = re.compile(r"(?:the\s+)?request\s+for\s+", re.I)


def _issue(pieces: list[Piece], texts: dict[str, list[Piece]], normalized: Normalized, landmarks: Landmarks) -> list[record.Decision]:
    """The letter's one decision: the issue at dispute, its guideline section, and its rationale,
    whose conclusion (wording.NECESSITY_CLAUSE) is the outcome."""
    issue, guideline, rationale = (texts.get(name, []) for name in ("issue", "guideline", "rationale"))
    rationale_text = collapse(" ".join(p.text for p in rationale)) if rationale else None
    clauses = list(wording.NECESSITY_CLAUSE.finditer(rationale_text or ""))
    outcome = None
    if clauses:
        negated = wording.negated(*clauses[-1].group("copula", "qualifiers", "non"))
        outcome = landmarks.phrase("UPHELD" if negated else "OVERTURNED").lower()
    stated = issue or rationale or guideline
    first = stated[0].start if stated else 0
    last = (rationale or guideline or issue)[-1].end if stated else 0
    request = _REQUEST_FOR.match(normalized.text, issue[0].start, issue[-1].end) if issue else None
    at = request.end() if request else (issue[0].start if issue else 0)
    written = normalized.text[at:issue[-1].end].rstrip(".") if issue else ""
    return [sections.decision(
        normalized, landmarks, number=None, title=collapse(" ".join(p.text for p in issue)) if issue else "", written=written, at=at,
        title_span=normalized.span(issue[0].start, issue[-1].end) if issue else None, outcome=outcome, rationale=rationale_text,
        rationale_span=normalized.span(rationale[0].start, rationale[-1].end) if rationale else None,
        reviewer_guideline=parts.guideline(normalized, guideline[0].start, guideline[-1].end) if guideline else None,
        span=normalized.span(first, last))]


SECTIONS = sections.Sections(opened_by=OPENED_BY, dates=sections.STATED_DATES, decisions=_issue)


LAYOUT = Layout(
    name="mpr-2013",
    rule="mpr_2013",
    opening=lambda lm: f"'{lm.phrase('_MPR_OPENING')}' (2013)",
    read=functools.partial(sections.read, SECTIONS),
    required=tuple((terminal,) for terminal in OPENED_BY),
)
