"""The 2013 "MAXIMUS FEDERAL SERVICES, INC." letter: a notice, numbered determinations ("1)
MAXIMUS Federal Services, Inc. has determined the request for X is not medically necessary and
appropriate."), stated twice (in the notice and in the decision), then the rationale, the
reviewer's qualifications and a case summary. Its dates are stated in sentences."""

from __future__ import annotations

import functools
import re

from imrparse import record
from imrparse.grammar.landmarks import Landmarks
from imrparse.read import wording
from imrparse.read.layouts import Layout, sections
from imrparse.read.layouts.sections import Piece
from imrparse.text.normalize import Normalized, collapse

OPENED_BY = {
    "NOTICE": "notice",
    "M13_DECISION_HEADING": "decision",
    "M13_RATIONALE_HEADING": "rationale",
    "M13_SUMMARY_HEADING": "summary",
    "_SUMMARY_HEADING": "summary",
    "M13_QUALIFICATIONS_HEADING": "reviewer",
    "_HOW_HEADING": "reviewer",
    "M13_DOCUMENTS_HEADING": "documents",
}

# After the grammar's DETERMINATION_OPENING: "[a|the] X is [not] medically necessary [and appropriate]."
# ("notmedically": extractors drop the space.)
_DETERMINED = r"\s+(?:an?\s+|the\s+)?(?P<treatment>[\s\S]+?)\s+(?:is|are|was|were)\s+(?P<negation>not\s*)?" + wording.NECESSARY + r"\."


def _determinations(pieces: list[Piece], texts: dict[str, list[Piece]], normalized: Normalized,
                    landmarks: Landmarks) -> list[record.Decision]:
    """One decision per item number, from its first determination sentence; the text after a
    later statement of it, under the rationale heading, is its rationale."""
    sentence = re.compile(landmarks.pattern("DETERMINATION_OPENING") + _DETERMINED)
    decisions: dict[int, record.Decision] = {}
    section, last = "notice", None
    for piece in pieces:
        if piece.terminal in OPENED_BY:
            section, last = OPENED_BY[piece.terminal], None
        elif piece.terminal == "DETERMINATION":
            last = _determination(piece, sentence, decisions, normalized, landmarks)
        elif section == "rationale" and last is not None and last["rationale"] is None:
            last["rationale"] = collapse(piece.text)
            last["rationale_span"] = normalized.span(piece.start, piece.end)
            last["span"] = [last["span"][0], last["rationale_span"][1]]  # type: ignore[index]
    return [decisions[number] for number in sorted(decisions)]


def _determination(piece: Piece, sentence: re.Pattern[str], decisions: dict[int, record.Decision], normalized: Normalized,
                   landmarks: Landmarks) -> record.Decision:
    match = sentence.match(piece.text)
    written_number = re.match(r"\d+", piece.text) if match else None
    number = int(written_number.group()) if written_number else len(decisions) + 1
    if number in decisions:
        return decisions[number]
    outcome = None
    if match:
        outcome = landmarks.phrase("UPHELD" if wording.negated(match.group("negation")) else "OVERTURNED").lower()
    span = normalized.span(piece.start, piece.end)
    at = match.start("treatment") if match else 0
    written = match.group("treatment") if match else piece.text
    decisions[number] = sections.decision(normalized, landmarks, number=number, title=collapse(piece.text), written=written,
                                          at=piece.start + at, title_span=span, outcome=outcome, rationale=None,
                                          rationale_span=None, reviewer_guideline=None, span=span,
                                          number_at=(piece.start, piece.start + written_number.end()) if written_number else None)
    return decisions[number]


SECTIONS = sections.Sections(
    opened_by=OPENED_BY,
    dates=sections.STATED_DATES,
    decisions=_determinations,
)


LAYOUT = Layout(
    name="maximus-2013",
    rule="maximus_2013",
    opening=lambda lm: f"'{lm.phrase('_MAXIMUS_OPENING')}' (2013)",
    read=functools.partial(sections.read, SECTIONS),
    required=(("M13_DECISION_HEADING",), ("M13_QUALIFICATIONS_HEADING",), ("M13_SUMMARY_HEADING", "_SUMMARY_HEADING")),
)
