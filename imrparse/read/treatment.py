"""Reading a requested treatment into its parts with `grammar/treatment.lark`.

"Norco 10/325mg #90" -> name "Norco", strength "10/325mg", quantity 90. "Physical therapy 2 times
a week for 6 weeks for the lumbar spine" -> name, frequency, duration, body_part. A line the
grammar knows nothing in keeps `name` = the whole line: reading never fails.

The grammar's one rule is `start: _piece*` over terminals that each read one part, so a line's
parse is exactly its run of terminals, tried in priority order. A line is scanned with the
terminals' own regular expressions joined in Lark's order, which gives the same pieces as
`Lark.parse` (tests/test_treatment.py checks that over the corpus) at a fraction of its cost per
line. That joined pattern ships beside this module (`treatment.scanner.json`, made from the
grammar by `write_shipped_scanner`, which `loader.write_shipped_tables` runs), so no process
builds the grammar with Lark (half a second without Lark's cache, as on the first run after
install); a grammar it was not made from is compiled by Lark instead.

Readings are pure functions of the text and cached, like the wording readers: the same lines
("MRI of the lumbar spine") recur across letters.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from imrparse.grammar import files
from imrparse.read.dates import iso_date
from imrparse.text.normalize import collapse

# The parts, in the order the record lists them.
FIELDS = ("name", "strength", "form", "quantity", "refills", "sessions", "frequency", "duration", "body_part",
          "laterality", "retrospective", "service_date")

# The parts whose value is their text: the record holds the text alone.
TEXT_FIELDS = frozenset({"name", "strength", "frequency", "duration", "body_part"})
# Terminal -> field; the first piece of each kind is the field (a compound's first strength).
_FIELD_OF = {"STRENGTH": "strength", "FORM": "form", "QUANTITY": "quantity", "REFILLS": "refills", "SESSIONS": "sessions",
             "FREQUENCY": "frequency", "DURATION": "duration", "RETROSPECTIVE": "retrospective", "SERVICE_DATE": "service_date"}
# Pieces that end the name ("Norco" | "10/325mg"); a body part ends it only where it is not a
# modifier of the words after it ("MRI of the lumbar spine" ends at "of the"; "Lumbar MRI scan" does not).
_ENDS_NAME = frozenset(_FIELD_OF)
# Words that join a name to what follows it; trimmed from the name's ends.
_CONNECTIVES = frozenset({"of", "for", "to", "the", "at", "in", "on", "with", "and", "a", "an", "per", "by", "x", "times", "both"})
_TRIM_PUNCT = frozenset(",;:-/&")
_NOT_NAME_AFTER_BODY = _CONNECTIVES | {"without", "under", "w/o", "w/"}
_SESSION_WORDS = re.compile(r"\b(?:sessions?|visits?|treatments?)\b", re.IGNORECASE)
_SIDES = re.compile(r"\b(?:left|right|bilateral|both)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
                 "eighteen": 18, "twenty": 20, "twenty-four": 24, "thirty": 30}
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_DATE = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})")
_FORMS = {"tab": "tablet", "tabs": "tablet", "tablets": "tablet", "caps": "capsule", "capsules": "capsule",
          "cream base": "cream", "patches": "patch", "lozenges": "lozenge", "suppositories": "suppository"}


class Piece(NamedTuple):
    """One terminal of the line: its name and where it stands in the text read."""

    type: str
    start: int
    end: int


class Part(NamedTuple):
    """One field of the treatment: where it stands in the text read, and its value (the text as
    written for text fields; an int for counts; True for `retrospective`; an ISO date for
    `service_date`; "left" / "right" / "bilateral" / "left and right" for `laterality`)."""

    field: str
    start: int
    end: int
    value: Any
    text: str = ""  # as written, wrapped lines joined (filled in by `read_treatment`)


def default_grammar_path() -> Path:
    """The shipped treatment grammar."""
    return files.default_grammar_path(files.TREATMENT_GRAMMAR)


@functools.lru_cache(maxsize=1)
def parser() -> Any:
    """The treatment grammar compiled by Lark (LALR, basic lexer; from Lark's on-disk cache)."""
    from lark import Lark

    return Lark(default_grammar_path().read_text(encoding="utf-8"), parser="lalr", lexer="basic", cache=True)


# The shipped scanner: the grammar's digest and the joined pattern made from it.
SCANNER_PATH = Path(__file__).resolve().parent / "treatment.scanner.json"


@functools.lru_cache(maxsize=1)
def _scanner() -> re.Pattern[str]:
    """The grammar's terminals as one alternation of named groups: the shipped one when it was
    made from this grammar, else built from Lark's compilation of it."""
    grammar = default_grammar_path().read_text(encoding="utf-8")
    try:
        shipped = orjson.loads(SCANNER_PATH.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        shipped = {}
    if shipped.get("grammar_sha256") == files.grammar_digest(grammar):
        return re.compile(shipped["pattern"])
    return re.compile(scanner_source(parser()))


def scanner_source(lark_parser: Any) -> str:
    """The terminals of a compiled treatment grammar joined in the order Lark's basic lexer tries
    them (priority, then the longest possible match, then the longest pattern)."""
    terminals = sorted((t for t in lark_parser.terminals if not t.name.startswith("__")),
                       key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
    return "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)


def write_shipped_scanner() -> Path:
    """Make the shipped scanner from the grammar (after it changes; a test says when)."""
    grammar = default_grammar_path().read_text(encoding="utf-8")
    SCANNER_PATH.write_bytes(orjson.dumps({"grammar_sha256": files.grammar_digest(grammar), "pattern": scanner_source(parser())},
                                          option=orjson.OPT_INDENT_2) + b"\n")
    return SCANNER_PATH



_SPACE = re.compile(r"\s*")


# What may stand between the body parts of a list: "cervical and thoracic spine", "right
# shoulder, right wrist and right hand", "left wrist/hand", "lumbar spine, left hip, and knee".
_LIST_SEPARATOR = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|/|\s*&\s*)\s*", re.IGNORECASE)


def _body_lists(text: str, found: tuple[Piece, ...]) -> tuple[Piece, ...]:
    """The pieces with each list of body parts joined into one BODY_PART piece."""
    out: list[Piece] = []
    i = 0
    while i < len(found):
        piece = found[i]
        if piece.type == "BODY_PART":
            end = piece.end
            j = i + 1
            while True:
                # the separator's pieces ("," / "and" / "/"), then another body part
                k = j
                while k < len(found) and found[k].type in ("PUNCT", "WORD") and found[k].end - found[j].start <= 6:
                    k += 1
                if (k < len(found) and k > j and found[k].type == "BODY_PART"
                        and _LIST_SEPARATOR.fullmatch(text, end, found[k].start)):
                    end = found[k].end
                    j = k + 1
                    continue
                break
            out.append(Piece("BODY_PART", piece.start, end))
            i = j
            continue
        out.append(piece)
        i += 1
    return tuple(out)


def pieces(text: str) -> tuple[Piece, ...]:
    """The line's run of terminals: the grammar's parse of it."""
    pattern, space = _scanner(), _SPACE
    out: list[Piece] = []
    pos = space.match(text).end()  # type: ignore[union-attr]
    end = len(text)
    while pos < end:
        match = pattern.match(text, pos)
        if match is None:  # cannot happen: PUNCT reads any character that is not a space
            break
        out.append(Piece(match.lastgroup or "PUNCT", pos, match.end()))
        pos = space.match(text, match.end()).end()  # type: ignore[union-attr]
    return tuple(out)


# No letter counts past this; a longer run of digits is not read as a count (JSON and the tables'
# 64-bit integers could not hold it): its part keeps its text.
_MAX_COUNT_DIGITS = 9


def _count(text: str) -> int | None:
    """The first number of a piece, in digits or words ("#90" -> 90, "Twelve sessions" -> 12,
    "Eight (8)" -> 8)."""
    digits = _NUMBER.search(text)
    word = _NUMBER_WORD.search(text)
    if word is not None and (digits is None or word.start() < digits.start()):
        return _NUMBER_WORDS[word.group().lower()]
    return int(digits.group()) if digits and len(digits.group()) <= _MAX_COUNT_DIGITS else None


def _laterality(text: str) -> str | None:
    sides = {side.lower() for side in _SIDES.findall(text)}
    if not sides:
        return None
    if sides & {"bilateral", "both"}:
        return "bilateral"
    return "left and right" if len(sides) > 1 else sides.pop()


def _service_date(text: str) -> str | None:
    match = _DATE.search(text)
    if match is None:
        return None
    month, day, year = (int(g) for g in match.groups())
    if len(match.group(3)) == 2:
        year += 2000
    return iso_date(year, month, day)


def _trimmed(text: str, run: list[Piece]) -> list[Piece]:
    """A run of name pieces without connectives and separators at either end ("of physical
    therapy for the" -> "physical therapy")."""
    def loose(piece: Piece) -> bool:
        word = text[piece.start:piece.end]
        return word.lower() in _CONNECTIVES or word in _TRIM_PUNCT

    while run and loose(run[0]):
        run = run[1:]
    while run and loose(run[-1]):
        run = run[:-1]
    return run


def _name_runs(text: str, found: tuple[Piece, ...]) -> list[list[Piece]]:
    """The runs of pieces that can be a name, cut at every part and at every body part that is
    not a modifier of a following word."""
    runs: list[list[Piece]] = [[]]
    for i, piece in enumerate(found):
        if piece.type in _ENDS_NAME:
            runs.append([])
            continue
        if piece.type == "BODY_PART":
            # A modifier stands before a word of the name: "Lumbar MRI scan", "1 knee scooter";
            # not "MRI of the lumbar spine", "MRI Lumbosacral Spine without Contrast".
            following = found[i + 1] if i + 1 < len(found) else None
            preceding = found[i - 1] if i > 0 else None
            modifies = (following is not None and following.type == "WORD"
                        and text[following.start:following.end].lower() not in _NOT_NAME_AFTER_BODY
                        and (preceding is None or text[preceding.start:preceding.end].lower() not in _CONNECTIVES))
            if not modifies:
                run = runs[-1]
                # "MRI of the right shoulder": the connectives before the body part go with it.
                while run and text[run[-1].start:run[-1].end].lower() in _CONNECTIVES:
                    run.pop()
                runs.append([])
                continue
        runs[-1].append(piece)
    return [run for run in (_trimmed(text, run) for run in runs) if run]




@functools.lru_cache(maxsize=8192)
def read_treatment(text: str) -> tuple[Part, ...]:
    """The parts of a treatment line, each where the line states it, in `FIELDS` order. `name`
    is the first run of words that no part takes (after a leading "Retrospective" and count);
    a line with no such run is all name."""
    found = _body_lists(text, pieces(text))
    parts: dict[str, Part] = {}
    lead = 0
    while lead < len(found) and found[lead].type in ("RETROSPECTIVE", "SERVICE_DATE"):
        lead += 1
    leading_count = found[lead] if lead < len(found) and found[lead].type == "COUNT" else None
    for piece in found:
        field = _FIELD_OF.get(piece.type)
        if field is None or field in parts:
            continue
        written = collapse(text[piece.start:piece.end])
        value: Any = written
        if field in ("quantity", "refills", "sessions"):
            value = _count(written)
        elif field == "retrospective":
            value = True
        elif field == "service_date":
            value = _service_date(written)
        elif field == "form":
            form = " ".join(written.lower().split()).removeprefix("oral ")
            value = _FORMS.get(form, form)
        if value is not None:
            parts[field] = Part(field, piece.start, piece.end, value)
    body = [piece for piece in found if piece.type == "BODY_PART"]
    runs = _name_runs(text, found[lead + (leading_count is not None):])
    if runs:
        name = runs[0]
        parts["name"] = Part("name", name[0].start, name[-1].end, collapse(text[name[0].start:name[-1].end]))
        # A body part inside the name ("Lumbar MRI scan") counts only when none follows it.
        outside = [piece for piece in body if not name[0].start <= piece.start < name[-1].end]
        body = outside or body
    else:
        stripped = text.strip()
        start = len(text) - len(text.lstrip())
        parts["name"] = Part("name", start, start + len(stripped), collapse(stripped))
    if leading_count is not None:
        counted = _count(text[leading_count.start:leading_count.end])
        # "Eight (8) physical therapy sessions": the count is of sessions; "1 knee scooter": a quantity.
        field = "sessions" if "sessions" not in parts and _SESSION_WORDS.search(text, leading_count.end) else "quantity"
        if field not in parts and counted is not None:
            parts[field] = Part(field, leading_count.start, leading_count.end, counted)
    if body:
        first = body[0]
        written = text[first.start:first.end]
        side = _SIDES.match(written)
        start = first.start
        if side is not None and _SIDES.search(written, side.end()) is None:
            # "right shoulder": the side is the laterality, the rest the body part (a list that
            # names sides item by item keeps them: "right shoulder, right wrist and right hand").
            start = first.start + len(written) - len(written[side.end():].lstrip())
        parts["body_part"] = Part("body_part", start, first.end, collapse(text[start:first.end]))
    sides = [piece for piece in found if piece.type == "LATERALITY"] + body[:1]
    if sides:
        stated = " ".join(text[piece.start:piece.end] for piece in sides)
        laterality = _laterality(stated)
        if laterality is not None:
            spots = [m for piece in sides for m in _SIDES.finditer(text, piece.start, piece.end)]
            parts["laterality"] = Part("laterality", spots[0].start(), spots[-1].end(), laterality)
    return tuple(parts[field]._replace(text=collapse(text[parts[field].start:parts[field].end])) for field in FIELDS if field in parts)


def record_parts(text: str, offset: int, span: Any) -> dict[str, dict[str, Any]]:
    """The record's `treatment_parts` of the treatment written at `text`: each part's text as
    written (wrapped lines joined), its span, through `span(start, end)`, from positions
    `offset` + the part's place in `text`, and, for a part read into more than its text (a
    count, a date, a form or side by its usual name), its `value`."""
    return {part.field: {"text": part.text, "span": span(offset + part.start, offset + part.end)} if part.field in TEXT_FIELDS
            else {"text": part.text, "value": part.value, "span": span(offset + part.start, offset + part.end)}
            for part in read_treatment(text)}
