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
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from lark import Token, Transformer, Tree

from imrparse.errors import HEADER_PAIRING, error_at
from imrparse.read import layouts_2013, narrative, readers, taxonomy, treatment
from imrparse.read.wording import HEADER_FIELDS, LANDMARKS
from imrparse.text import spanmap
from imrparse.text.normalize import Normalized, collapse

SCHEMA_VERSION = 1

# An Upheld denial means the treatment is not medically necessary; any other outcome word
# (which `validate` reports) says nothing, so the record holds null.
MEDICALLY_NECESSARY = {"upheld": False, "overturned": True}

HEADER_VALUES = frozenset(value for _, value in HEADER_FIELDS.values())
# The 2013 layouts' tokens, as layouts_2013 reads them.
_PIECES_2013 = {
    **dict.fromkeys(("NOTICE", "M13_HEADING", "MPR_HEADING", "_HOW_HEADING", "_SUMMARY_HEADING"), "heading"),
    "DETERMINATION": "determination", "CREDENTIAL_SENTENCE": "credentials", "M13_TEXT": "text",
}
CASE_FIELDS = tuple(field for field, _ in HEADER_FIELDS.values())


_US_DATE = re.compile(r"(\d\d)/(\d\d)/(\d{4})")


@functools.lru_cache(maxsize=4096)
def iso_date(us_date: str) -> str | None:
    """MM/DD/YYYY -> YYYY-MM-DD; None when it is not written so or names no calendar day.
    (Cached: a day's letters share their dates.)"""
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
        start, end = _bounds(children)
        return Built(start, end, letter_record(dict(_values(children)), self._span(start, end)))

    def maximus_2013(self, children: list[Child]) -> Built:
        return self._layout_2013("maximus-2013", children)

    def mpr_2013(self, children: list[Child]) -> Built:
        return self._layout_2013("mpr-2013", children)

    def _layout_2013(self, layout: str, children: list[Child]) -> Built:
        normalized = _current.get()
        parts = dict(_values(children))
        case = parts.get("case") or {**dict.fromkeys(CASE_FIELDS), "span": None, "spans": {}}
        pieces = [layouts_2013.Piece(_PIECES_2013[child.type], child.value, child.start_pos, child.end_pos)
                  for child in children if not isinstance(child, Built) and child.type in _PIECES_2013]
        start, end = _bounds(children)
        read = layouts_2013.letter_2013(layout, case, pieces, normalized)
        return Built(start, end, letter_record(read, self._span(start, end), layout))

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
                    f"the header's {' '.join(label_text.split())!r} needs {LANDMARKS[value_type].description}, found {value_text!r}",
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
        reviewer: dict[str, Any] = {"licensure": [], "specialties": [], "board_certified": None, "unrecognized": []}
        for part in _values(children):
            for key, value in part.items():
                if key == "board_certified":
                    reviewer[key] = value
                elif key == "unrecognized":
                    reviewer[key] += value
                else:
                    reviewer[key] += [v for v in value if v not in reviewer[key]]
        reviewer["specialties_canonical"] = taxonomy.canonical_specialties(reviewer["specialties"])
        reviewer["specialties_corrected"] = taxonomy.corrected_specialties(reviewer["specialties"])
        reviewer["span"] = self._span(*_bounds(children))
        return self._built(children, ("reviewer", reviewer))

    def how_text(self, children: list[Child]) -> Built:
        sentences = [self._credential_sentence(child) for child in children if child.type == "CREDENTIAL_SENTENCE"]
        return self._built(children, sentences[-1] if sentences else {})

    def _credential_sentence(self, token: Token) -> dict[str, Any]:
        reading = readers.read_credential_sentence(token.value)
        return {"specialties": list(reading.specialties), "licensure": list(reading.licensure),
                "board_certified": True if reading.board_certified else None,
                "unrecognized": [self._unrecognized(token.start_pos or 0, piece) for piece in reading.unrecognized]}

    def credentials(self, children: list[Child]) -> Built:
        licensure, specialties = _values(children)
        return self._built(children, {**licensure, **specialties})

    def licensure(self, children: list[Child]) -> Built:
        return self._built(children, {"licensure": self._names(children, "licensure")})

    def specialties(self, children: list[Child]) -> Built:
        return self._built(children, {"specialties": self._names(children, "specialties")})

    @staticmethod
    def _names(children: list[Child], kind: str) -> list[str]:
        return readers.split_names(children[-1].value, kind) if len(children) > 1 else []

    def _unrecognized(self, offset: int, piece: tuple[int, int]) -> dict[str, Any]:
        """Text no wording row knows, at `piece` (offsets relative to `offset`)."""
        start, end = offset + piece[0], offset + piece[1]
        return {"text": self._text(start, end), "span": self._span(start, end)}

    # -- clinical case summary ---------------------------------------------------------

    def summary_section(self, children: list[Child]) -> Built:
        narrative_text = children[-1]
        text = narrative_text.value
        age, sex = narrative.age_and_sex(text)
        start = narrative_text.start_pos
        raw = _current.get().text[start:narrative_text.end_pos]
        stated = narrative.diagnoses(raw)
        span = spanmap.spans_within(_current.get(), start + stated[0].start, start + stated[-1].end) if stated else self._span
        diagnoses = [{"text": collapse(raw[d.start:d.end]), "span": span(start + d.start, start + d.end)} for d in stated]
        summary = {"text": text, "age": age, "sex": sex, "date_of_injury": None, "diagnoses": diagnoses,
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
        first, text, outcome = children[0], children[-3], children[-1]
        number = int(first.value) if first.type == "ITEM_NUMBER" else None
        reading = readers.read_title(text.value)
        # The treatment's own text: the whole title, or the end of a partial authorization's.
        cut = 0 if reading.original_request is None else treatment.suffix_start(text.value, reading.treatment)
        kind = taxonomy.classify(reading.treatment)
        return self._built(children, {
            "number": number,
            "title": collapse(text.value),
            "treatment": reading.treatment,
            "treatment_parts": treatment.record_parts(text.value[cut:] if cut else text.value, text.start_pos + cut,
                                                      spanmap.spans_within(_current.get(), text.start_pos + cut, text.end_pos)),
            "category": kind.category,
            "drug_class": kind.drug_class,
            "original_request": reading.original_request,
            "authorized": reading.authorized,
            "title_span": self._span(*_bounds(children)),
            "outcome": str(outcome.value).lower(),
        })

    def ca_guideline(self, children: list[Child]) -> Built:
        label = children[0]
        if len(children) == 1:  # an empty paragraph: `validate` reports it
            return Built(label.end_pos, label.end_pos, {"text": "", "mtus": [], "non_mtus": [], "cited": None, "unrecognized": [],
                                                        "span": self._span(label.end_pos, label.end_pos)})
        token = children[-1]
        reading = readers.read_guideline(token.value)
        start, end = token.start_pos, token.end_pos
        return Built(start, end, {
            "text": self._text(start, end),
            "mtus": list(reading.mtus),
            "non_mtus": list(reading.non_mtus),
            "cited": reading.cited,
            "unrecognized": [self._unrecognized(start, (s.start, s.end)) for s in reading.unrecognized],
            "span": self._span(start, end),
        })

    reviewer_guideline = ca_guideline

    def rationale(self, children: list[Child]) -> Built:
        start, end = children[1].start_pos, children[-1].end_pos  # after the label
        return Built(start, end, self._text(start, end))


def letter_record(parts: dict[str, Any], span: list[int] | None, layout: str = "fdl-2014") -> dict[str, Any]:
    """The letter's record from its parts ("case", "reviewer", "summary", "decisions"); a letter
    without a header has a case of nulls."""
    case = parts.get("case") or {**dict.fromkeys(CASE_FIELDS), "span": None, "spans": {}}
    summary = parts.get("summary")
    if summary is not None:
        decision_year = int(case["decision_date"][:4]) if case.get("decision_date") else None
        summary["date_of_injury"] = narrative.injury_date(summary["text"], decision_year)
    return {
        "schema_version": SCHEMA_VERSION,
        "layout": layout,
        "case": case,
        "reviewer": parts.get("reviewer"),
        "summary": summary,
        "decisions": parts.get("decisions", []),
        "span": span,
    }


def to_record(tree: Tree[Token], normalized: Normalized) -> dict[str, Any]:
    """Build the record from a full-letter parse tree (one built with every token kept)."""
    with building(normalized):
        built: Built = RecordBuilder().transform(tree)
    return built.value  # type: ignore[no-any-return]
