"""The Lark Transformer that turns a letter's parse tree into the record (plain dicts)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from lark import Token, Transformer, Tree
from lark.tree import Meta

from . import narrative
from .errors import HEADER_PAIRING, TERMINAL_DESCRIPTIONS, error_at
from .normalize import Normalized

SCHEMA_VERSION = 1

# An Upheld denial means the treatment is not medically necessary; any other outcome word
# (which `validate` reports) says nothing, so the record holds null.
MEDICALLY_NECESSARY = {"upheld": False, "overturned": True}

# Starts with the literal "-\n" so the scan jumps between candidates instead of trying a
# look-behind at every character.
_HYPHEN_WRAP = re.compile(r"-\n\s*")


def _join_hyphen(match: re.Match[str]) -> str:
    before = match.string[match.start() - 1 : match.start()]
    return "-" if before.isascii() and before.isalnum() else match.group()


def collapse(text: str) -> str:
    """Join wrapped lines: a word hyphenated at a line end keeps its hyphen and joins the next
    line without a space ("Platelet-" / "rich" -> "Platelet-rich"); other whitespace runs
    become one space. (`str.split` splits on exactly the characters regex `\\s` matches, at a
    fraction of a regex substitution's cost.)"""
    if "-\n" in text:
        text = _HYPHEN_WRAP.sub(_join_hyphen, text)
    return " ".join(text.split())


# Header label terminal -> (record field, the value terminal it takes).
HEADER_FIELDS = {
    "CASE_NUMBER_LABEL": ("case_number", "CASE_NUMBER"),
    "DATE_ASSIGNED_LABEL": ("date_assigned", "DATE"),
    "DATE_OF_INJURY_LABEL": ("date_of_injury", "DATE"),
    "DECISION_DATE_LABEL": ("decision_date", "DATE"),
    "UR_DENIAL_DATE_LABEL": ("ur_denial_date", "DATE"),
    "PRIORITY_LABEL": ("priority", "PRIORITY"),
    "APPLICATION_RECEIVED_LABEL": ("application_received", "DATE"),
}
CASE_FIELDS = ("case_number", "date_assigned", "date_of_injury", "decision_date",
               "ur_denial_date", "priority", "application_received")


_US_DATE = re.compile(r"(\d\d)/(\d\d)/(\d{4})")


def iso_date(us_date: str) -> str | None:
    """MM/DD/YYYY -> YYYY-MM-DD; None when it is not written so or names no calendar day."""
    match = _US_DATE.fullmatch(us_date)
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


class RecordBuilder(Transformer[Token, dict[str, Any]]):
    """Builds the record; every span is mapped back to the original text.

    Each rule's method takes (meta, children). Calling it directly, rather than through
    `v_args(meta=True)`, saves a wrapper built on every call (a tenth of the parse time)."""

    def _call_userfunc(self, tree: Tree[Token], new_children: list[Any] | None = None) -> Any:
        children = tree.children if new_children is None else new_children
        return getattr(self, tree.data)(tree.meta, children)

    def __init__(self, normalized: Normalized) -> None:
        super().__init__()
        self.norm = normalized

    # -- positions ---------------------------------------------------------------------

    def _span(self, meta: Meta) -> list[int] | None:
        if getattr(meta, "empty", True):
            return None
        return self.norm.span(meta.start_pos, meta.end_pos)

    def _token_span(self, token: Token) -> list[int]:
        return self.norm.span(token.start_pos or 0, token.end_pos or 0)

    def _text(self, meta: Meta) -> str:
        return collapse(self.norm.text[meta.start_pos : meta.end_pos])

    # -- layout ------------------------------------------------------------------------

    def start(self, meta: Meta, children: list[dict[str, Any]]) -> dict[str, Any]:
        return children[0]

    def fdl_2014(self, meta: Meta, children: list[Any]) -> dict[str, Any]:
        parts: dict[str, Any] = {"case": None}
        for kind, value in children:
            parts[kind] = value
        case = parts["case"] or {**dict.fromkeys(CASE_FIELDS), "span": None, "spans": {}}
        summary = parts["summary"]
        decision_year = int(case["decision_date"][:4]) if case.get("decision_date") else None
        summary["date_of_injury"] = narrative.injury_date(summary["text"], decision_year)
        return {
            "schema_version": SCHEMA_VERSION,
            "layout": "fdl-2014",
            "case": case,
            "reviewer": parts["reviewer"],
            "summary": summary,
            "decisions": parts["decisions"],
            "span": self._span(meta),
        }

    # -- header ------------------------------------------------------------------------

    def header(self, meta: Meta, tokens: list[Token]) -> tuple[str, dict[str, Any]]:
        labels = [t for t in tokens if t.type in HEADER_FIELDS]
        values = [t for t in tokens if t.type not in HEADER_FIELDS]
        case: dict[str, Any] = dict.fromkeys(CASE_FIELDS)
        spans: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            field, value_type = HEADER_FIELDS[label.type]
            if i >= len(values):
                raise error_at(f"the header's {label.strip()!r} has no value", self.norm, label.start_pos or 0, code=HEADER_PAIRING)
            value = values[i]
            if value.type != value_type:
                raise error_at(
                    f"the header's {' '.join(label.split())!r} needs {TERMINAL_DESCRIPTIONS[value_type]}, found {str(value)!r}",
                    self.norm, value.start_pos or 0, code=HEADER_PAIRING,
                )
            if case[field] is not None:
                raise error_at(f"the header repeats {label.strip()!r}", self.norm, label.start_pos or 0, code=HEADER_PAIRING)
            case[field] = iso_date(value) if value_type == "DATE" else str(value)
            spans[field] = self._token_span(value)
        if len(values) > len(labels):
            extra = values[len(labels)]
            raise error_at(f"the header value {extra!r} has no label", self.norm, extra.start_pos or 0, code=HEADER_PAIRING)
        case["span"] = self._span(meta)
        case["spans"] = spans
        return "case", case

    # -- how the determination was made: credentials -----------------------------------

    def how_section(self, meta: Meta, children: list[Any]) -> tuple[str, dict[str, Any]]:
        reviewer: dict[str, Any] = {"licensure": [], "specialties": [], "board_certified": None}
        for part in children:
            for key, value in part.items():
                if key == "board_certified":
                    reviewer[key] = value
                else:
                    reviewer[key] += [v for v in value if v not in reviewer[key]]
        reviewer["span"] = self._span(meta)
        return "reviewer", reviewer

    def how_text(self, meta: Meta, children: list[Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for child in children:
            if isinstance(child, dict):
                found = child
        return found

    def board_sentence(self, meta: Meta, children: list[list[str]]) -> dict[str, Any]:
        specialties, states = children
        return {"specialties": specialties, "licensure": states, "board_certified": True}

    def board_specialties(self, meta: Meta, tokens: list[Token]) -> list[str]:
        return [collapse(t) for t in tokens]

    board_states = board_specialties

    def credentials(self, meta: Meta, children: list[dict[str, list[str]]]) -> dict[str, list[str]]:
        return {**children[0], **children[1]}

    def licensure(self, meta: Meta, children: list[list[str]]) -> dict[str, list[str]]:
        return {"licensure": children[0] if children else []}

    def specialties(self, meta: Meta, children: list[list[str]]) -> dict[str, list[str]]:
        return {"specialties": children[0] if children else []}

    def name_list(self, meta: Meta, names: list[Token]) -> list[str]:
        return [collapse(name) for name in names]

    # -- clinical case summary ---------------------------------------------------------

    def summary_section(self, meta: Meta, children: list[str]) -> tuple[str, dict[str, Any]]:
        text = children[-1]
        age, sex = narrative.age_and_sex(text)
        return "summary", {"text": text, "age": age, "sex": sex, "date_of_injury": None, "span": self._span(meta)}

    def summary_text(self, meta: Meta, lines: list[Token]) -> str:
        return self._text(meta)

    # -- decisions ---------------------------------------------------------------------

    def decisions_section(self, meta: Meta, items: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        return "decisions", items

    def item(self, meta: Meta, children: list[dict[str, Any]]) -> dict[str, Any]:
        title, ca, reviewer, (rationale, rationale_span) = children
        outcome = title.pop("outcome")
        return {
            **title,
            "outcome": outcome,
            "medically_necessary": MEDICALLY_NECESSARY.get(outcome),
            "claims_administrator_guideline": ca,
            "reviewer_guideline": reviewer,
            "rationale": rationale,
            "rationale_span": rationale_span,
            "span": self._span(meta),
        }

    def title(self, meta: Meta, children: list[Any]) -> dict[str, Any]:
        number = int(children[0]) if isinstance(children[0], Token) and children[0].type == "ITEM_NUMBER" else None
        body, outcome = children[-2], children[-1]
        return {
            "number": number,
            **body,
            "outcome": str(outcome).lower(),
            "title_span": self._span(meta),
        }

    def plain_title(self, meta: Meta, texts: list[Token]) -> dict[str, Any]:
        return {"title": self._text(meta), "treatment": collapse(texts[0]), "original_request": None, "authorized": None}

    def remaining_title(self, meta: Meta, texts: list[Token]) -> dict[str, Any]:
        original, authorized, remaining = (collapse(t) for t in texts)
        return {"title": self._text(meta), "treatment": remaining, "original_request": original, "authorized": authorized}

    def original_title(self, meta: Meta, texts: list[Token]) -> dict[str, Any]:
        original, authorized, decided = (collapse(t) for t in texts)
        return {"title": self._text(meta), "treatment": decided, "original_request": original, "authorized": authorized}

    def ca_guideline(self, meta: Meta, children: list[dict[str, Any]]) -> dict[str, Any]:
        return children[0]

    reviewer_guideline = ca_guideline

    def not_cited(self, meta: Meta, children: list[Token]) -> dict[str, Any]:
        return {"text": self._text(meta), "mtus": [], "non_mtus": [], "cited": False, "span": self._span(meta)}

    def cited(self, meta: Meta, children: list[Any]) -> dict[str, Any]:
        citations = children[-1]
        return {"text": self._text(meta), **citations, "cited": True, "span": self._span(meta)}

    def basis_statement(self, meta: Meta, children: list[Token]) -> None:
        return None

    def citations(self, meta: Meta, children: list[tuple[str, list[str]]]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {"mtus": [], "non_mtus": []}
        for kind, entries in children:
            found[kind] += entries
        return found

    def mtus_basis(self, meta: Meta, citations: list[str]) -> tuple[str, list[str]]:
        return "mtus", citations

    def mtus_citation(self, meta: Meta, tokens: list[Token]) -> str:
        part = collapse(tokens[0])
        return f"{part}, Section(s): {collapse(tokens[1])}" if len(tokens) > 1 else part

    def non_mtus_basis(self, meta: Meta, tokens: list[Token]) -> tuple[str, list[str]]:
        return "non_mtus", [collapse(tokens[0]).removesuffix(".")]

    def rationale(self, meta: Meta, lines: list[Token]) -> tuple[str, list[int]]:
        start, end = lines[0].start_pos or 0, lines[-1].end_pos or 0
        return collapse(self.norm.text[start:end]), self.norm.span(start, end)


def to_record(tree: Tree[Token], normalized: Normalized) -> dict[str, Any]:
    """Transform a full-letter parse tree into the record."""
    return RecordBuilder(normalized).transform(tree)
