"""Why a letter does not parse, from one interactive parse.

When the record parser rejects a letter, the tree parser reads it again interactively, token by
token. That single parse gives everything a report needs: the tokens read (for `imrparse debug`
and for locating the item and paragraph the failure is in), the exact terminals the parser
accepted at the failure (Lark's interactive parser, unlike the LALR-merged lookahead sets), and
the parts of the letter already reduced, from which the partial record is built: what was read
of a letter whose landmarks are broken is not lost.

The failure is then restated in the letter's words (the grammar's own, through
imrparse/grammar/landmarks.py): which item lacks which paragraph, which line is a misspelled
heading or label, where a truncated letter ends.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_interactive_parser import InteractiveParser

from imrparse.errors import (
    MISSING_PARAGRAPH,
    MISSING_SECTION,
    NOT_A_LETTER,
    SECOND_LETTER,
    STRUCTURE,
    TITLE_WITHOUT_OUTCOME,
    TRUNCATED,
    ParseError,
    caret_context,
    error_at,
    short,
)
from imrparse.grammar import lark_seam
from imrparse.grammar.landmarks import HEADINGS, ITEM_LABELS, LETTER_STARTS, TITLE_PARTS, Landmarks, of_parser
from imrparse.read import layouts
from imrparse.read.builder import build, building, landmarks_read, letter_record, note_landmarks
from imrparse.record import Landmark
from imrparse.text.normalize import LineIndex, Normalized


@dataclass
class TokenRow:
    """A token as read, at its original line and column."""

    terminal: str
    line: int
    column: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"terminal": self.terminal, "line": self.line, "column": self.column, "text": self.text}


@dataclass
class Diagnosis:
    rows: list[TokenRow]  # every token read, up to the end or the failure
    error: ParseError | None  # in the letter's terms, with the partial record; None: the letter parses
    stop: ParseError | None  # where and on what the parser stopped, as the parser sees it


@dataclass
class Walk:
    """One interactive parse of a text: every token read, up to its end or to the failure."""

    tokens: list[Token]
    interactive: InteractiveParser
    failure: UnexpectedInput | None  # None: the text parsed, into `tree`
    tree: Tree[Token] | None


def walk(parser: Lark, text: str, start: str = "start") -> Walk:
    """The one token walk: diagnosis and `debug wording` read a letter's tokens here."""
    interactive = parser.parse_interactive(text, start=start)
    tokens: list[Token] = []
    try:
        for token in interactive.iter_parse():
            tokens.append(token)
        return Walk(tokens, interactive, None, interactive.feed_eof())  # type: ignore[no-untyped-call]
    except UnexpectedInput as exc:
        return Walk(tokens, interactive, exc, None)


def diagnose(normalized: Normalized, parser: Lark, start: str = "start", grammar: Path | None = None) -> Diagnosis:
    """Parse `normalized` once, interactively, with the tree parser of `grammar`: the tokens, and
    on failure the error in the letter's words with the partial record."""
    lm = of_parser(parser)
    index = LineIndex(normalized.original)
    walked = walk(parser, normalized.text, start)
    interactive, exc, tree = walked.interactive, walked.failure, walked.tree
    rows = [token_row(token, normalized, index) for token in walked.tokens]
    if exc is not None:
        stop = from_lark(exc, normalized, lm, interactive.accepts())  # type: ignore[no-untyped-call]
        error = restate(stop, rows, normalized, lm)
        if start == "start":
            error.partial = partial_record(lark_seam.values_so_far(interactive), normalized, grammar)
            if error.partial is not None and error.partial.get("summary") is not None:
                read = error.partial["decisions"]
                after = read[-1]["span"][1] if read else normalized.to_original(_stopped_at(exc, normalized.text))
                items, landmarks = items_after(normalized, parser, after, grammar)
                read += items
                if landmarks is not None:
                    error.partial["landmarks"] += landmarks
        return Diagnosis(rows, error, stop)
    if start != "start" or tree is None:
        return Diagnosis(rows, None, None)
    try:  # the callbacks check what the grammar cannot (the header's labels against its values)
        with building(normalized, grammar):
            build(tree)
    except ParseError as error:
        error.partial = partial_record(tree.children, normalized, grammar)
        return Diagnosis(rows, error, error)
    return Diagnosis(rows, None, None)


def _stopped_at(exc: UnexpectedInput, text: str) -> int:
    """Where in the normalized text the parser stopped."""
    token = getattr(exc, "token", None)
    if token is not None and token.type != "$END":
        return int(token.start_pos or 0)
    position = getattr(exc, "pos_in_stream", None)
    return int(position) if position is not None else len(text)


def items_after(normalized: Normalized, parser: Lark, after: int,
                grammar: Path | None = None) -> tuple[list[dict[str, Any]], list[Landmark] | None]:
    """The decision items that begin after `after` (an offset of the original text), each read
    alone, and their landmarks (when kept): a damaged item costs only itself. An item begins at a line that
    ends like a title, "<item>: <word>", and is followed by the item's first label; each is parsed from the `item`
    start symbol in a copy of the text blanked outside it (positions kept), and one that does not
    parse alone (the damaged one) is left out."""
    lm = of_parser(parser)
    text = normalized.text
    title_line = re.compile(r"^[^\n]*?:[ \t]*[A-Za-z]{3,14}[ \t]*\n\s*(?=" + lm.pattern("_CA_GUIDELINE_LABEL") + ")", re.M)
    starts = [_title_start(text, m.start()) for m in title_line.finditer(text)]
    starts = sorted({start for start in starts if normalized.to_original(start) >= after})
    found: list[dict[str, Any]] = []
    with building(normalized, grammar):
        for begin, end in itertools.pairwise([*starts, len(text)]):
            alone = " " * begin + text[begin:end] + " " * (len(text) - end)
            try:
                found.append(build(parser.parse(alone, start="item")).value)
            except (UnexpectedInput, ParseError):
                continue
        return found, landmarks_read()


def _title_start(text: str, line_start: int) -> int:
    """Where a title whose last line starts at `line_start` begins: a title wraps over the lines
    before it that do not end a sentence or a label (at most eight, as the grammar's TITLE_GATE)."""
    start = line_start
    for _ in range(8):
        previous_end = start - 1
        if previous_end <= 0:
            break
        previous_start = text.rfind("\n", 0, previous_end) + 1
        line = text[previous_start:previous_end].rstrip()
        if not line or line.endswith((".", ":")):
            break
        start = previous_start
    return start


def token_row(token: Token, normalized: Normalized, index: LineIndex) -> TokenRow:
    line, column = index.line_col(normalized.to_original(token.start_pos or 0))
    return TokenRow(token.type, line, column, str(token))


def item_starts(rows: list[TokenRow]) -> list[TokenRow]:
    """The first token of each decision item's title."""
    return [row for i, row in enumerate(rows)
            if row.terminal in TITLE_PARTS and (i == 0 or rows[i - 1].terminal not in TITLE_PARTS)]


# -- the partial record ----------------------------------------------------------------------

# The parts of a letter that become parts of its record once the parser has reduced them.
_PARTS = frozenset({"header", "how_section", "summary_section", "decisions_section", "item"})


def partial_record(values: list[Any], normalized: Normalized, grammar: Path | None = None) -> dict[str, Any] | None:
    """The record as far as it was read, from the values the parser had reduced: case,
    reviewer, summary and every complete decision; a part not read is null. A part whose
    callbacks fail (a header label without its value) is left out."""
    parts: dict[str, Any] = {}
    decisions: list[dict[str, Any]] = []
    with building(normalized, grammar):
        for tree in _reduced_parts(values):
            try:
                built = build(tree)
            except ParseError:
                continue
            if tree.data == "item":
                decisions.append(built.value)
            else:
                kind, value = built.value
                parts[kind] = value
        note_landmarks(_pending_tokens(values))
        landmarks = landmarks_read()
    if not parts and not decisions:
        return None
    parts.setdefault("decisions", decisions)
    record = letter_record(parts, None, layouts.layouts()["fdl_2014"].name, landmarks)
    if "case" not in parts:
        record["case"] = None
    return record


def _pending_tokens(values: list[Any]) -> list[Token]:
    """The tokens among the parser's values outside the complete parts: the landmarks of a
    section or item still being read (the decisions heading, a damaged item's labels)."""
    found: list[Token] = []
    for value in values:
        if isinstance(value, Token):
            found.append(value)
        elif isinstance(value, Tree) and value.data not in _PARTS:
            found += _pending_tokens(value.children)
    return found


def _reduced_parts(values: list[Any]) -> list[Tree[Token]]:
    """The complete parts among the parser's values, in order, looking inside the helper rules
    Lark makes for repetitions (`item+`), which are not yet inlined into their parent."""
    found: list[Tree[Token]] = []
    for value in values:
        if not isinstance(value, Tree):
            continue
        if value.data in _PARTS:
            found.append(value)
        elif str(value.data).startswith("_") or value.data == "start" or value.data in layouts.layouts():
            found += _reduced_parts(value.children)
    return found


# -- the failure in the letter's terms -------------------------------------------------------


def _found(text: str, pos: int) -> str:
    snippet = text[pos : pos + 40].split("\n", 1)[0]
    return repr(snippet) if snippet else "a line break"


def from_lark(exc: UnexpectedInput, normalized: Normalized, lm: Landmarks, accepted: set[str] | None = None) -> ParseError:
    """A Lark error as a ParseError at the original position, with the terminals the parser
    accepted there (`accepted`, from the interactive parser, is exact)."""
    text = normalized.text
    found_type: str | None = None
    if isinstance(exc, UnexpectedToken):
        expected = sorted(exc.accepts or exc.expected)
        found_type = exc.token.type
        if exc.token.type == "$END":
            pos = len(text.rstrip())
            found = "the end of the letter"
        else:
            pos = exc.token.start_pos or 0
            found = _found(text, pos)
    elif isinstance(exc, UnexpectedCharacters):
        expected = sorted(exc.allowed or ())
        pos = exc.pos_in_stream or 0
        found = _found(text, pos)
    else:  # UnexpectedEOF
        expected = sorted(getattr(exc, "expected", ()) or ())
        pos = len(text.rstrip())
        found = "the end of the letter"
        found_type = "$END"
    if accepted is not None:
        expected = sorted(accepted)
    expected = [name for name in expected if name != "WS"]
    at_start = not text[:pos].strip()
    if at_start:
        message = ("this is not an IMR Final Determination Letter in a layout imrparse knows: it should begin with "
                   + "; or ".join(layout.opening(lm) for layout in layouts.layouts().values()) + "; found " + found)
    elif found_type in LETTER_STARTS:
        message = f"another letter begins here ({found}) before this one has ended: a file must hold one letter"
    else:
        message = f"found {found}; expected {lm.describe(expected)}"
    code = classify(expected, found_type, at_start)
    return error_at(message, normalized, pos, code=code, expected=expected, found=found_type)


def classify(expected: list[str], found: str | None, at_start: bool) -> str:
    """The structure code of a failure, from what was expected and what was found."""
    if at_start:
        return NOT_A_LETTER
    if found in LETTER_STARTS:
        return SECOND_LETTER
    if found == "$END":
        return TRUNCATED
    if any(name in ITEM_LABELS for name in expected):
        return MISSING_PARAGRAPH
    if found in ITEM_LABELS and "TITLE_TEXT" in expected:
        return TITLE_WITHOUT_OUTCOME
    if any(name in HEADINGS for name in expected):
        return MISSING_SECTION
    return STRUCTURE


def _title_line(lm: Landmarks) -> re.Pattern[str]:
    """A line that ends as an item's title does: ": Upheld" or ": Overturned"."""
    return re.compile(r":\s*(?:" + re.escape(lm.phrase("UPHELD")) + "|" + re.escape(lm.phrase("OVERTURNED")) + r")\s*$")


def restate(error: ParseError, rows: list[TokenRow], normalized: Normalized, lm: Landmarks) -> ParseError:
    """The error with its message (and position) in the letter's terms: which item lacks what,
    which line is a misspelled heading or label, where the letter ends."""
    if error.line is None or error.code not in (MISSING_PARAGRAPH, MISSING_SECTION, TRUNCATED, TITLE_WITHOUT_OUTCOME):
        return error
    index = LineIndex(normalized.original)
    restated = _restated(error, rows, index, lm)
    if restated is None:
        return error
    code, message, line, column = restated
    offset = index.offset(line, column)
    return ParseError(message, code=code, line=line, column=column, offset=offset, expected=error.expected,
                      found=error.found, context=caret_context(index, line, column))


def _restated(error: ParseError, rows: list[TokenRow], index: LineIndex, lm: Landmarks) -> tuple[str, str, int, int] | None:
    assert error.line is not None
    structural = [row for row in rows if row.terminal.startswith("_") or row.terminal.endswith("_LABEL")]
    first_line = structural[-1].line + 1 if structural else 1
    phrases = [t for t in error.expected if t in _SPELLED]
    misspelled = _misspelled(index, first_line, error.line, phrases, lm)
    if misspelled is not None:
        terminal, line, column, written = misspelled
        code = MISSING_SECTION if terminal in HEADINGS else MISSING_PARAGRAPH
        return code, f"line {line} reads {written!r} where the letter needs {lm.phrase(terminal)!r}", line, column
    items = [row for row in item_starts(rows) if row.line <= error.line]
    item = f"item {short(items[-1].text)!r} (line {items[-1].line})" if items else None
    needed = [t for t in ITEM_LABELS if t in error.expected]
    if error.code == TRUNCATED:
        labels = [row.terminal for row in rows if row.terminal in ITEM_LABELS and items and row.line >= items[-1].line]
        if item and needed:
            message = f"the letter ends at line {error.line} in {item}, before its {lm.phrase(needed[0])!r} paragraph"
        elif item and labels:
            message = f"the letter ends at line {error.line} in {item}, inside its {lm.phrase(labels[-1])!r} paragraph"
        else:
            message = f"the letter ends at line {error.line}, before {lm.describe(error.expected)}"
        return error.code, message, error.line, error.column or 1
    if error.code == TITLE_WITHOUT_OUTCOME:
        previous = _previous_line(index, error.line)
        if previous is None:
            return None
        line, text = previous
        paragraph = lm.phrase(error.found) if error.found in ITEM_LABELS else "paragraph"
        outcomes = [lm.phrase("UPHELD"), lm.phrase("OVERTURNED")]
        outcome_written = re.search(r":\s*([A-Za-z]{3,14})\s*$", text)
        near = difflib.get_close_matches(outcome_written.group(1), outcomes, n=1, cutoff=0.6) if outcome_written else []
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return (error.code, f"the title {short(text)!r} (line {line}) has no outcome (': {outcomes[0]}' or ': {outcomes[1]}'), so "
                            f"the {paragraph!r} paragraph at line {error.line} belongs to no item{hint}", line, len(text.rstrip()) + 1)
    if error.code == MISSING_PARAGRAPH and item and needed:
        paragraph = f"{lm.phrase(needed[0])!r} paragraph"
        if error.found in TITLE_PARTS:
            title_text = short(_title_line(lm).sub("", index.line_text(error.line)))
            return (error.code, f"{item} has no {paragraph} before the next item, {title_text!r} at line {error.line}",
                    error.line, error.column or 1)
        title = _title_between(index, items[-1].line + 1, error.line, lm)
        if title is not None:
            line, text = title
            return (error.code, f"{item} has no {paragraph} before the next item, {short(_title_line(lm).sub('', text))!r} at line {line}",
                    line, 1 + len(text) - len(text.lstrip()))
        after = f"its {lm.phrase(error.found)!r} paragraph" if error.found in ITEM_LABELS else repr(short(index.line_text(error.line)))
        return error.code, f"{item} has no {paragraph}: line {error.line} starts {after} instead", error.line, error.column or 1
    if error.code == MISSING_SECTION:
        heading = next(t for t in HEADINGS if t in error.expected)
        return (error.code, f"the letter needs the heading {lm.phrase(heading)!r} before line {error.line}, "
                            f"which has {short(index.line_text(error.line))!r}", error.line, error.column or 1)
    return None


# The landmarks whose misspelling a failure may be due to.
_SPELLED = (*HEADINGS, *ITEM_LABELS, "_CREDENTIALS_INTRO", "_LICENSURE_LABEL", "_SPECIALTY_LABEL")


def _misspelled(index: LineIndex, first: int, last: int, terminals: list[str], lm: Landmarks) -> tuple[str, int, int, str] | None:
    """A line between `first` and `last` that begins almost like one of the expected phrases:
    the misspelled heading or label the prose before the failure swallowed."""
    for line in range(max(first, last - 400), last + 1):
        text = index.line_text(line)
        stripped = text.lstrip()
        for terminal in terminals:
            phrase = lm.phrase(terminal)
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


def _title_between(index: LineIndex, first: int, last: int, lm: Landmarks) -> tuple[int, str] | None:
    """The first line from `first` to before `last` that ends like an item title."""
    for line in range(first, last):
        text = index.line_text(line)
        if _title_line(lm).search(text):
            return line, text
    return None
