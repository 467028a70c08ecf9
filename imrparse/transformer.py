"""Building the record (plain dicts) from the parser's output, with every span mapped back to
the original text.

The same callbacks run in two ways:
  * inline, as Lark's LALR `transformer=`: `parse` builds the record while parsing, with no
    tree and no position propagation (the fast path);
  * over a parse tree, through `to_record`, for tools that keep the tree (`imrparse debug`).
Both parsers keep every token (`keep_all_tokens`), so a rule's span runs from its first
child's start to its last child's end, headings and labels included, without Lark's
position propagation. Each rule returns a `Built`, which carries its normalized span like a
token does.
"""

from __future__ import annotations

import contextvars
import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from lark import Token, Transformer, Tree

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
HEADER_VALUES = frozenset(value for _, value in HEADER_FIELDS.values())
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


class Built(NamedTuple):
    """What a rule returns: its value and its normalized span, named as on a token so that a
    parent reads its children's positions the same way whatever they are."""

    start_pos: int
    end_pos: int
    value: Any


# Tokens (lark's or lark-cython's) and Built values both have start_pos / end_pos.
Child = Any

# The letter being built. The inline callbacks belong to one parser shared by the process, so
# the text they map positions into is per call; a context variable keeps threads apart.
_current: contextvars.ContextVar[Normalized] = contextvars.ContextVar("imrparse_normalized")


@contextmanager
def building(normalized: Normalized) -> Iterator[None]:
    """Make `normalized` the text the callbacks read while it is parsed."""
    reset = _current.set(normalized)
    try:
        yield
    finally:
        _current.reset(reset)


def _bounds(children: list[Child]) -> tuple[int, int]:
    """A rule's normalized span: its first child's start to its last child's end."""
    return children[0].start_pos, children[-1].end_pos


def _collapsed(children: list[Child], terminal: str) -> list[str]:
    """The text of each `terminal` token among the children, wrapped lines joined."""
    return [collapse(child.value) for child in children if getattr(child, "type", None) == terminal]


def _values(children: list[Child]) -> list[Any]:
    return [child.value for child in children if isinstance(child, Built)]


class RecordBuilder(Transformer[Token, Built]):
    """The record's callbacks, one per rule (or alias); each takes the rule's children."""

    def _call_userfunc(self, tree: Tree[Token], new_children: list[Any] | None = None) -> Any:
        return getattr(self, tree.data)(tree.children if new_children is None else new_children)

    # -- positions ---------------------------------------------------------------------

    @staticmethod
    def _built(children: list[Child], value: Any) -> Built:
        return Built(*_bounds(children), value)

    @staticmethod
    def _span(start: int, end: int) -> list[int]:
        return _current.get().span(start, end)

    @staticmethod
    def _text(start: int, end: int) -> str:
        return collapse(_current.get().text[start:end])

    # -- layout ------------------------------------------------------------------------

    def start(self, children: list[Built]) -> Built:
        return children[0]

    def fdl_2014(self, children: list[Built]) -> Built:
        parts: dict[str, Any] = {"case": None}
        for kind, value in _values(children):
            parts[kind] = value
        case = parts["case"] or {**dict.fromkeys(CASE_FIELDS), "span": None, "spans": {}}
        summary = parts["summary"]
        decision_year = int(case["decision_date"][:4]) if case.get("decision_date") else None
        summary["date_of_injury"] = narrative.injury_date(summary["text"], decision_year)
        start, end = _bounds(children)
        return Built(start, end, {
            "schema_version": SCHEMA_VERSION,
            "layout": "fdl-2014",
            "case": case,
            "reviewer": parts["reviewer"],
            "summary": summary,
            "decisions": parts["decisions"],
            "span": self._span(start, end),
        })

    # -- header ------------------------------------------------------------------------

    def header(self, tokens: list[Any]) -> Built:
        labels = [t for t in tokens if t.type in HEADER_FIELDS]
        values = [t for t in tokens if t.type in HEADER_VALUES]
        normalized = _current.get()
        case: dict[str, Any] = dict.fromkeys(CASE_FIELDS)
        spans: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            field, value_type = HEADER_FIELDS[label.type]
            label_text = str(label.value)
            if i >= len(values):
                raise error_at(f"the header's {label_text.strip()!r} has no value", normalized, label.start_pos, code=HEADER_PAIRING)
            value = values[i]
            value_text = str(value.value)
            if value.type != value_type:
                raise error_at(
                    f"the header's {' '.join(label_text.split())!r} needs {TERMINAL_DESCRIPTIONS[value_type]}, found {value_text!r}",
                    normalized, value.start_pos, code=HEADER_PAIRING,
                )
            if case[field] is not None:
                raise error_at(f"the header repeats {label_text.strip()!r}", normalized, label.start_pos, code=HEADER_PAIRING)
            case[field] = iso_date(value_text) if value_type == "DATE" else value_text
            spans[field] = normalized.span(value.start_pos, value.end_pos)
        if len(values) > len(labels):
            extra = values[len(labels)]
            raise error_at(f"the header value {str(extra.value)!r} has no label", normalized, extra.start_pos, code=HEADER_PAIRING)
        case["span"] = self._span(*_bounds(tokens))
        case["spans"] = spans
        return self._built(tokens, ("case", case))

    # -- how the determination was made: credentials -----------------------------------

    def how_section(self, children: list[Child]) -> Built:
        reviewer: dict[str, Any] = {"licensure": [], "specialties": [], "board_certified": None}
        for part in _values(children):
            for key, value in part.items():
                if key == "board_certified":
                    reviewer[key] = value
                else:
                    reviewer[key] += [v for v in value if v not in reviewer[key]]
        reviewer["span"] = self._span(*_bounds(children))
        return self._built(children, ("reviewer", reviewer))

    def how_text(self, children: list[Child]) -> Built:
        sentences = _values(children)
        return self._built(children, sentences[-1] if sentences else {})

    def board_sentence(self, children: list[Child]) -> Built:
        specialties, states = _values(children)
        return self._built(children, {"specialties": specialties, "licensure": states, "board_certified": True})

    def board_specialties(self, children: list[Child]) -> Built:
        return self._built(children, _collapsed(children, "BOARD_SPECIALTY"))

    def board_states(self, children: list[Child]) -> Built:
        return self._built(children, _collapsed(children, "BOARD_STATE"))

    def credentials(self, children: list[Child]) -> Built:
        licensure, specialties = _values(children)
        return self._built(children, {**licensure, **specialties})

    def licensure(self, children: list[Child]) -> Built:
        names = _values(children)
        return self._built(children, {"licensure": names[0] if names else []})

    def specialties(self, children: list[Child]) -> Built:
        names = _values(children)
        return self._built(children, {"specialties": names[0] if names else []})

    def name_list(self, children: list[Child]) -> Built:
        return self._built(children, _collapsed(children, "NAME"))

    # -- clinical case summary ---------------------------------------------------------

    def summary_section(self, children: list[Child]) -> Built:
        text = children[-1].value
        age, sex = narrative.age_and_sex(text)
        summary = {"text": text, "age": age, "sex": sex, "date_of_injury": None,
                   "span": self._span(*_bounds(children))}
        return self._built(children, ("summary", summary))

    def summary_text(self, children: list[Child]) -> Built:
        start, end = _bounds(children)
        return Built(start, end, self._text(start, end))

    # -- decisions ---------------------------------------------------------------------

    def decisions_section(self, children: list[Child]) -> Built:
        return self._built(children, ("decisions", _values(children)))

    def item(self, children: list[Built]) -> Built:
        title, ca, reviewer, rationale = children
        body = title.value
        outcome = body.pop("outcome")
        return self._built(children, {
            **body,
            "outcome": outcome,
            "medically_necessary": MEDICALLY_NECESSARY.get(outcome),
            "claims_administrator_guideline": ca.value,
            "reviewer_guideline": reviewer.value,
            "rationale": rationale.value,
            "rationale_span": self._span(rationale.start_pos, rationale.end_pos),
            "span": self._span(title.start_pos, rationale.end_pos),
        })

    def title(self, children: list[Child]) -> Built:
        first, body, outcome = children[0], children[-3], children[-1]
        number = int(first.value) if getattr(first, "type", None) == "ITEM_NUMBER" else None
        return self._built(children, {
            "number": number,
            **body.value,
            "outcome": str(outcome.value).lower(),
            "title_span": self._span(*_bounds(children)),
        })

    def _title_body(self, children: list[Child], treatment: str, original: str | None, authorized: str | None) -> Built:
        title = self._text(*_bounds(children))
        return self._built(children, {"title": title, "treatment": treatment, "original_request": original, "authorized": authorized})

    def plain_title(self, children: list[Child]) -> Built:
        return self._title_body(children, collapse(children[0].value), None, None)

    def remaining_title(self, children: list[Child]) -> Built:
        original, authorized, remaining = _collapsed(children, "TITLE_TEXT")
        return self._title_body(children, remaining, original, authorized)

    def original_title(self, children: list[Child]) -> Built:
        original, authorized, decided = _collapsed(children, "TITLE_TEXT")
        return self._title_body(children, decided, original, authorized)

    def ca_guideline(self, children: list[Child]) -> Built:
        return children[-1]  # type: ignore[no-any-return]

    reviewer_guideline = ca_guideline

    def not_cited(self, children: list[Child]) -> Built:
        start, end = _bounds(children)
        return Built(start, end, {"text": self._text(start, end), "mtus": [], "non_mtus": [], "cited": False,
                                  "span": self._span(start, end)})

    def cited(self, children: list[Child]) -> Built:
        start, end = _bounds(children)
        return Built(start, end, {"text": self._text(start, end), **children[-1].value, "cited": True,
                                  "span": self._span(start, end)})

    def basis_statement(self, children: list[Child]) -> Built:
        return self._built(children, None)

    def citations(self, children: list[Built]) -> Built:
        found: dict[str, list[str]] = {"mtus": [], "non_mtus": []}
        for kind, entries in _values(children):
            found[kind] += entries
        return self._built(children, found)

    def mtus_basis(self, children: list[Child]) -> Built:
        return self._built(children, ("mtus", _values(children)))

    def mtus_citation(self, children: list[Child]) -> Built:
        part = collapse(children[0].value)
        value = f"{part}, Section(s): {collapse(children[-1].value)}" if len(children) > 1 else part
        return self._built(children, value)

    def non_mtus_basis(self, children: list[Child]) -> Built:
        return self._built(children, ("non_mtus", [collapse(children[-1].value).removesuffix(".")]))

    def rationale(self, children: list[Child]) -> Built:
        start, end = children[1].start_pos, children[-1].end_pos  # after the label
        return Built(start, end, self._text(start, end))


def to_record(tree: Tree[Token], normalized: Normalized) -> dict[str, Any]:
    """Build the record from a full-letter parse tree (one built with every token kept)."""
    with building(normalized):
        built: Built = RecordBuilder().transform(tree)
    return built.value  # type: ignore[no-any-return]
