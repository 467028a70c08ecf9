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
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from lark import Token, Transformer, Tree
from lark.exceptions import VisitError

from imrparse import record
from imrparse.errors import HEADER_PAIRING, error_at
from imrparse.grammar.landmarks import HEADINGS, ITEM_LABELS, Landmarks, landmarks
from imrparse.read import layouts, narrative, parts, readers
from imrparse.read.dates import us_date
from imrparse.text import spanmap
from imrparse.text.normalize import Normalized, collapse

SCHEMA_VERSION = 1

# The header: each label terminal's record field and the value terminal it takes.
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
CASE_FIELDS = tuple(field for field, _ in HEADER_FIELDS.values())
FIELD_LABELS = {field: label for label, (field, _) in HEADER_FIELDS.items()}  # case field -> its label's terminal
# The order a letter's dates follow: a case is decided after it is assigned, after the application, ...
DATE_ORDER = ("date_of_injury", "ur_denial_date", "application_received", "date_assigned", "decision_date")


class LayoutError(LookupError):
    """The grammar has a layout (an alternative of `start`) that no layout module reads."""


class Built(NamedTuple):
    """What a rule returns: its value and its normalized span, named as on a token so that a
    parent reads its children's positions the same way whatever they are."""

    start_pos: int
    end_pos: int
    value: Any


# Tokens (lark's or lark-cython's) and Built values both have start_pos / end_pos.
Child = Any

# The letter being built, and its grammar's landmarks. The inline callbacks belong to one parser
# shared by the process, so the text they map positions into is per call; a context variable keeps
# threads apart.
_current: contextvars.ContextVar[Normalized] = contextvars.ContextVar("imrparse_normalized")
_landmarks: contextvars.ContextVar[Landmarks] = contextvars.ContextVar("imrparse_landmarks")
# The record's `landmarks`: the headings, labels and introductions read, as their terminals.
LANDMARKS = frozenset({*HEADINGS, *ITEM_LABELS, *HEADER_FIELDS, "_RECEIVED", "_SUMMARY_INTRO", "_DECISIONS_INTRO", "_CREDENTIALS_INTRO",
                       "_LICENSURE_LABEL", "_SPECIALTY_LABEL", "_OUTCOME_COLON"})
# The landmark tokens the callbacks have been handed so far, (terminal, normalized start, end);
# None: the record is built without its landmarks (see `keeping_landmarks`).
_landmarks_read: contextvars.ContextVar[list[tuple[str, int, int]] | None] = contextvars.ContextVar("imrparse_landmarks_read")
_keeping_landmarks: contextvars.ContextVar[bool] = contextvars.ContextVar("imrparse_keeping_landmarks", default=False)


@contextmanager
def keeping_landmarks() -> Iterator[None]:
    """Records built inside this (`imrparse debug show`'s) list the `landmarks` read. Other
    records go without: a letter has some 25, and mapping them costs some 7% of a parse."""
    reset = _keeping_landmarks.set(True)
    try:
        yield
    finally:
        _keeping_landmarks.reset(reset)


@contextmanager
def building(normalized: Normalized, grammar: Path | None = None) -> Iterator[None]:
    """Make `normalized` the text the callbacks read while it is parsed with `grammar`."""
    reset = _current.set(normalized)
    reset_landmarks = _landmarks.set(landmarks(grammar))
    reset_read = _landmarks_read.set([] if _keeping_landmarks.get() else None)
    try:
        yield
    finally:
        _current.reset(reset)
        _landmarks.reset(reset_landmarks)
        _landmarks_read.reset(reset_read)


def note_landmarks(children: list[Any]) -> None:
    """Keep a rule's landmark tokens for the record's `landmarks` (each token is some rule's
    child; a partial record's are also the tokens of the rules not yet complete)."""
    read = _landmarks_read.get()
    if read is not None:
        read += [(child.type, child.start_pos, child.end_pos) for child in children if getattr(child, "type", None) in LANDMARKS]


def landmarks_read() -> list[record.Landmark] | None:
    """The landmarks read while building, in the letter's order, with their original spans
    (None: not kept)."""
    read = _landmarks_read.get()
    if read is None:
        return None
    normalized = _current.get()
    return [{"terminal": terminal, "span": normalized.span(start, end)} for terminal, start, end in sorted(read, key=lambda t: t[1])]


def _bounds(children: list[Child]) -> tuple[int, int]:
    """A rule's normalized span: its first child's start to its last child's end."""
    return children[0].start_pos, children[-1].end_pos


def _values(children: list[Child]) -> list[Any]:
    return [child.value for child in children if isinstance(child, Built)]


class RecordBuilder(Transformer[Token, Built]):
    """The record's callbacks, one per rule (or alias); each takes the rule's children."""

    # -- positions ---------------------------------------------------------------------

    @staticmethod
    def _built(children: list[Child], value: Any) -> Built:
        note_landmarks(children)
        return Built(*_bounds(children), value)

    @staticmethod
    def _span(start: int, end: int) -> list[int]:
        return _current.get().span(start, end)

    @staticmethod
    def _text(start: int, end: int) -> str:
        return collapse(_current.get().text[start:end])

    # -- layout ------------------------------------------------------------------------

    def start(self, children: list[Any]) -> Built:
        if not isinstance(children[0], Built):  # Lark made a tree: no module reads this layout
            rule = getattr(children[0], "data", children[0])
            raise LayoutError(f"the grammar's layout {rule!r} has no module: add imrparse/read/layouts/{rule}.py "
                              "(README: How to add a layout)")
        return children[0]

    def __getattr__(self, rule: str) -> Any:
        """A layout's rule (`fdl_2014`, ...): read by its module in imrparse/read/layouts/."""
        layout = layouts.layouts().get(rule)
        if layout is None:
            raise AttributeError(rule)
        return functools.partial(self._letter, layout)

    def _letter(self, layout: layouts.Layout, children: list[Child]) -> Built:
        start, end = _bounds(children)
        note_landmarks(children)
        read = layout.read(children, _current.get(), _landmarks.get())
        read.setdefault("reviewer", parts.reviewer(licensure=[], specialties=[], board_certified=None, unrecognized=[],
                                                    span=None))  # a layout that states no credentials
        return Built(start, end, letter_record(read, self._span(start, end), layout.name, landmarks_read()))

    # -- header ------------------------------------------------------------------------

    def header(self, tokens: list[Any]) -> Built:
        labels = [t for t in tokens if t.type in HEADER_FIELDS]
        values = [t for t in tokens if t.type in HEADER_VALUES]
        normalized = _current.get()
        case: dict[str, Any] = dict(record.no_case())
        del case["span"], case["spans"]
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
                    f"the header's {' '.join(label_text.split())!r} needs {_landmarks.get().description(value_type)}, "
                    f"found {value_text!r}",
                    normalized, value.start_pos, code=HEADER_PAIRING,
                )
            if case[field] is not None:
                raise error_at(f"the header repeats {label_text.strip()!r}", normalized, label.start_pos, code=HEADER_PAIRING)
            case[field] = us_date(value_text.replace(" ", "")) if value_type == "DATE" else value_text
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
                else:  # names, each with its span: a name already read is not repeated
                    known = [name for name, _ in reviewer[key]]
                    reviewer[key] += [(name, at) for name, at in value if name not in known]
        return self._built(children, ("reviewer", parts.reviewer(
            licensure=reviewer["licensure"], specialties=reviewer["specialties"], board_certified=reviewer["board_certified"],
            unrecognized=reviewer["unrecognized"], span=self._span(*_bounds(children)))))

    def how_text(self, children: list[Child]) -> Built:
        sentences = [self._credential_sentence(child) for child in children if child.type == "CREDENTIAL_SENTENCE"]
        return self._built(children, sentences[-1] if sentences else {})

    @staticmethod
    def _credential_sentence(token: Token) -> dict[str, Any]:
        return parts.credentials_sentence(_current.get(), token.start_pos or 0, token.end_pos or 0, _landmarks.get())

    def credentials(self, children: list[Child]) -> Built:
        licensure, specialties = _values(children)
        return self._built(children, {**licensure, **specialties})

    def licensure(self, children: list[Child]) -> Built:
        return self._built(children, {"licensure": self._names(children, "licensure")})

    def specialties(self, children: list[Child]) -> Built:
        return self._built(children, {"specialties": self._names(children, "specialties")})

    @staticmethod
    def _names(children: list[Child], kind: str) -> list[parts.Named]:
        if len(children) < 2:
            return []
        token = children[-1]
        return parts.names(_current.get(), readers.split_names(token.value, kind), token.start_pos, token.end_pos)

    # -- clinical case summary ---------------------------------------------------------

    def summary_section(self, children: list[Child]) -> Built:
        prose = children[-1]
        return self._built(children, ("summary", parts.summary(_current.get(), prose.start_pos, prose.end_pos, _bounds(children))))

    def summary_text(self, children: list[Child]) -> Built:
        start, end = _bounds(children)
        return Built(start, end, self._text(start, end))

    # -- decisions ---------------------------------------------------------------------

    def decisions_section(self, children: list[Child]) -> Built:
        return self._built(children, ("decisions", _values(children)))

    def item(self, children: list[Built]) -> Built:
        title, ca, reviewer, rationale = children
        body = title.value
        return self._built(children, record.decision(
            **body, medically_necessary=parts.necessity(body["outcome"], _landmarks.get()),
            claims_administrator_guideline=ca.value, reviewer_guideline=reviewer.value, rationale=rationale.value,
            rationale_span=self._span(rationale.start_pos, rationale.end_pos), span=self._span(title.start_pos, rationale.end_pos)))

    def title(self, children: list[Child]) -> Built:
        first, text, outcome = children[0], children[-3], children[-1]
        reading = readers.read_title(text.value)
        # The treatment's own text: the whole title, or the end of a partial authorization's.
        cut = 0 if reading.original_request is None else dict(reading.spans)["treatment"][0]
        span = spanmap.spans_within(_current.get(), first.start_pos, outcome.end_pos)
        spans = {"number": span(first.start_pos, first.end_pos)} if first.type == "ITEM_NUMBER" else {}
        spans.update((field, span(text.start_pos + a, text.start_pos + b)) for field, (a, b) in reading.spans)
        spans["outcome"] = span(outcome.start_pos, outcome.end_pos)
        return self._built(children, {
            "number": int(first.value) if first.type == "ITEM_NUMBER" else None,
            "title": collapse(text.value),
            "treatment": reading.treatment,
            **parts.treatment_fields(_current.get(), text.value[cut:], text.start_pos + cut, text.end_pos, reading.treatment),
            "original_request": reading.original_request,
            "authorized": reading.authorized,
            "title_span": self._span(*_bounds(children)),
            "outcome": str(outcome.value).lower(),
            "spans": spans,
        })

    def ca_guideline(self, children: list[Child]) -> Built:
        note_landmarks(children)
        label = children[0]
        if len(children) == 1:  # an empty paragraph: `validate` reports it
            return Built(label.end_pos, label.end_pos, parts.empty_guideline(_current.get(), label.end_pos))
        token = children[-1]
        return Built(token.start_pos, token.end_pos, parts.guideline(_current.get(), token.start_pos, token.end_pos))

    reviewer_guideline = ca_guideline

    def rationale(self, children: list[Child]) -> Built:
        note_landmarks(children)
        start, end = children[1].start_pos, children[-1].end_pos  # after the label
        return Built(start, end, self._text(start, end))


def letter_record(read: dict[str, Any], span: list[int] | None, layout: str, landmarks: list[record.Landmark] | None) -> dict[str, Any]:
    """The letter's record from its parts ("case", "reviewer", "summary", "decisions") and, when
    they were kept, its landmarks; a letter without a header has a case of nulls."""
    case: dict[str, Any] = read.get("case") or dict(record.no_case())
    summary, injury = read.get("summary") or (None, None)  # the summary and its statement of the date of injury
    if summary is not None:
        decision_year = int(case["decision_date"][:4]) if case.get("decision_date") else None
        summary["date_of_injury"] = narrative.injury_date(injury, decision_year)
    built = {
        "schema_version": SCHEMA_VERSION,
        "layout": layout,
        "case": case,
        "reviewer": read.get("reviewer"),
        "summary": summary,
        "decisions": read.get("decisions", []),
        "span": span,
    }
    if landmarks is not None:
        built["landmarks"] = landmarks
    return built


def build(tree: Tree[Token]) -> Built:
    """Run the callbacks over a parse tree (of a letter or one of its parts) inside `building`;
    a callback's own error (a header pairing) is raised as it was, not wrapped by Lark."""
    try:
        return RecordBuilder().transform(tree)
    except VisitError as exc:
        raise exc.orig_exc from None


def to_record(tree: Tree[Token], normalized: Normalized, grammar: Path | None = None) -> dict[str, Any]:
    """Build the record from a full-letter parse tree (one built with every token kept)."""
    with building(normalized, grammar):
        return build(tree).value  # type: ignore[no-any-return]
