"""Reading the text between landmarks with the wording table (imrparse/read/wording.py).

The grammar hands over a guideline paragraph, a credentials sentence or list, or an item title
as text. These readers extract what a known wording says and keep the rest as text: they never
fail. Positions are offsets into the text given (the normalized letter's slice), so the
transformer maps them to the original like every other span.

Readings are pure functions of the text and cached: the same paragraph ("Decision based on
MTUS Low Back Complaints 2004, Section(s): Special Studies.") recurs across letters. Only short
texts are cached, so that a hostile megabyte paragraph is not kept alive by the cache.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from imrparse.read import wording
from imrparse.text.normalize import collapse

Span = tuple[int, int]
Reading = TypeVar("Reading")


def _cached(read: Callable[..., Reading]) -> Callable[..., Reading]:
    """`read`, with its readings of texts up to 2,000 characters cached (a paragraph is ~200)."""
    cached = functools.lru_cache(maxsize=8192)(read)

    @functools.wraps(read)
    def reading(text: str, *args: Any) -> Reading:
        return cached(text, *args) if len(text) <= 2000 else read(text, *args)

    return reading


# Where a guideline sentence may begin: where any row's opening matches, at the paragraph's start
# or after whitespace.
_GUIDELINE_OPENING = re.compile(r"(?<!\S)(?:" + "|".join(dict.fromkeys(row.opens for row in wording.GUIDELINE_WORDINGS if row.opens)) + ")")
_GUIDELINE_ROWS = tuple((row, row.compiled()) for row in wording.GUIDELINE_WORDINGS)
_CLAUSE_ROWS = tuple((row, row.compiled()) for row in wording.CREDENTIAL_CLAUSES)
_TITLE_ROWS = tuple((row, row.compiled()) for row in wording.TITLE_WORDINGS)


_NON_SPACE_RUN = re.compile(r"\S+")


def in_raw(raw: str, collapsed: str, pieces: Sequence[Span]) -> list[Span]:
    """Where pieces of `collapsed` (`collapse(raw)`) lie in `raw`. Collapsing keeps every
    character that is not whitespace, in order, so a piece's first and last such characters are
    found in `raw` by their count (each piece starts and ends at one); `raw` is read only up to
    the last piece. When collapsing kept the length (each whitespace run of `raw` is one
    character, as in most normalized text), every offset is the same in both."""
    if len(raw) == len(collapsed):
        return list(pieces)
    # The non-space characters before each piece's first and last character.
    counts = [(a - collapsed.count(" ", 0, a), b - 1 - collapsed.count(" ", 0, b)) for a, b in pieces]
    wanted = sorted({n for pair in counts for n in pair}, reverse=True)
    found: dict[int, int] = {}
    before = 0
    for word in _NON_SPACE_RUN.finditer(raw):
        start, end = word.span()
        while wanted and wanted[-1] < before + end - start:
            n = wanted.pop()
            found[n] = start + n - before
        if not wanted:
            break
        before += end - start
    return [(found[first], found[last] + 1) for first, last in counts]


class Sentence(NamedTuple):
    """A piece of text as read: the wording row that recognized it (None: not recognized)."""

    wording: str | None
    start: int
    end: int


class GuidelineReading(NamedTuple):
    mtus: tuple[str, ...]
    non_mtus: tuple[str, ...]
    no_evidence: bool
    sentences: tuple[Sentence, ...]
    mtus_spans: tuple[Span, ...]  # where each entry of `mtus` is written
    non_mtus_spans: tuple[Span, ...]
    no_evidence_spans: tuple[Span, ...]  # the sentences that say no medical evidence was cited

    @property
    def unrecognized(self) -> tuple[Sentence, ...]:
        return tuple(s for s in self.sentences if s.wording is None)

    @property
    def cited(self) -> bool | None:
        """True: it cites a guideline; False: it says no evidence was cited; None: neither is
        stated in a wording the table knows."""
        if self.mtus or self.non_mtus:
            return True
        return False if self.no_evidence else None


def _stripped(text: str, start: int, end: int) -> Span:
    """`start:end` without the whitespace at either end."""
    piece = text[start:end]
    return start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())


@_cached
def read_guideline(text: str) -> GuidelineReading:
    """A guideline paragraph, sentence by sentence: the text is cut at each known opening, and
    each piece is read by the first wording row that matches its start. Whatever a row does not
    take (a whole piece, or what follows a complete sentence) is an unrecognized sentence."""
    cuts = [m.start() for m in _GUIDELINE_OPENING.finditer(text)]
    bounds = list(zip([0, *cuts], [*cuts, len(text)], strict=True))
    cited_lists: dict[str, tuple[list[str], list[Span]]] = {"mtus": ([], []), "non_mtus": ([], [])}
    no_evidence: list[Span] = []
    sentences: list[Sentence] = []
    for piece_start, piece_end in bounds:
        start, end = _stripped(text, piece_start, piece_end)
        if start >= end:
            continue
        for row, pattern in _GUIDELINE_ROWS:
            match = pattern.match(text, start, end)
            if match is None:
                continue
            citation = match.groupdict().get("citation")
            kind = row.kind
            if citation is not None:
                collapsed = collapse(citation)
                cited = collapsed.removesuffix(".").strip()
                if kind == "citation":
                    kind = "mtus" if wording.MTUS_NAMES.search(match.group()) else "non_mtus"
                entries = mtus_entries(cited) if kind == "mtus" else [Entry(cited, 0, len(cited))] if cited else []
                values, spans = cited_lists[kind]
                values += [entry.text for entry in entries]
                at = match.start("citation")
                spans += [(at + a, at + b) for a, b in in_raw(citation, collapsed, [(e.start, e.end) for e in entries])]
            if kind == "no_evidence":
                no_evidence.append((start, match.end()))
            sentences.append(Sentence(row.name, start, match.end()))
            rest_start, rest_end = _stripped(text, match.end(), end)
            if rest_start < rest_end:
                sentences.append(Sentence(None, rest_start, rest_end))
            break
        else:
            sentences.append(Sentence(None, start, end))
    (mtus, mtus_spans), (non_mtus, non_mtus_spans) = cited_lists["mtus"], cited_lists["non_mtus"]
    return GuidelineReading(tuple(mtus), tuple(non_mtus), bool(no_evidence), tuple(sentences), tuple(mtus_spans),
                            tuple(non_mtus_spans), tuple(no_evidence))


class Entry(NamedTuple):
    """A value read out of a text, and where it is written in that text (`start:end`)."""

    text: str
    start: int
    end: int


def mtus_entries(citation: str) -> list[Entry]:
    """One entry per MTUS part when the citation is written "<part> <year>[, Section(s): ...]",
    parts joined by ", and"; otherwise the citation as written. Empty when nothing is cited.

    Read left to right, as a part name may itself hold ", and" ("Forearm, Wrist, and Hand
    Complaints 2004"): a part is the shortest run that ends in a year, and its sections run to
    the next ", and <part> <year>"."""
    if not citation:
        return []
    entries = []
    pos = 0
    while True:
        head = wording.MTUS_PART_HEAD.match(citation, pos)
        if head is None:
            return [Entry(citation, 0, len(citation))]
        following = wording.MTUS_NEXT_PART.search(citation, head.end())
        end = following.start() if following else len(citation)
        if head.group("sections"):
            entries.append(Entry(f"{head.group('part')}, Section(s): {citation[head.end():end]}", pos, end))
        elif head.end() == end:
            entries.append(Entry(head.group("part"), pos, end))
        else:
            return [Entry(citation, 0, len(citation))]
        if following is None:
            return entries
        pos = following.end()


class CredentialReading(NamedTuple):
    specialties: tuple[Entry, ...]  # each name with its place in the sentence
    licensure: tuple[Entry, ...]
    board_certified: bool
    unrecognized: tuple[Span, ...]


@_cached
def read_credential_sentence(text: str, subject: re.Pattern[str]) -> CredentialReading:
    """"The expert reviewer is Board Certified in X[, has a subspecialty in Y] and is licensed to
    practice in Z." After its `subject` (the grammar's CREDENTIAL_SUBJECT), clauses in any order;
    a clause no row knows is unrecognized, and the lists hold what the other clauses said."""
    opening = subject.match(text)
    body_start = len(text) - len(text[opening.end():].lstrip()) if opening else 0
    body_end = len(text.rstrip().removesuffix("."))
    lists: dict[str, list[Entry]] = {"specialties": [], "licensure": []}
    board = False
    unrecognized: list[Span] = []
    cuts = [(m.start(), m.end()) for m in wording.CREDENTIAL_CLAUSE_BREAK.finditer(text, body_start, body_end)]
    starts = [body_start, *(end for _, end in cuts)]
    ends = [*(start for start, _ in cuts), body_end]
    for clause_start, clause_end in zip(starts, ends, strict=True):
        for row, pattern in _CLAUSE_ROWS:
            match = pattern.fullmatch(text, clause_start, clause_end)
            if match is not None:
                at = match.start("names")
                lists[row.kind] += [Entry(name, at + start, at + end) for name, start, end in split_names(match.group("names"), row.kind)]
                board = board or row.board_certified
                break
        else:
            unrecognized.append(_stripped(text, clause_start, clause_end))
    return CredentialReading(tuple(lists["specialties"]), tuple(lists["licensure"]), board, tuple(unrecognized))


def split_names(text: str, kind: str = "specialties") -> list[Entry]:
    """A list of states or specialties as written: wrapped lines joined, split at commas (and,
    for states, at "and"); each name with its place in `text`."""
    collapsed = collapse(text)
    bounds = [0]
    for separator in wording.NAME_SEPARATORS[kind].finditer(collapsed):
        bounds += separator.span()
    pieces = [(start, end) for start, end in zip(bounds[::2], [*bounds[1::2], len(collapsed)], strict=True) if start < end]
    return [Entry(collapsed[a:b], start, end) for (a, b), (start, end) in zip(pieces, in_raw(text, collapsed, pieces), strict=True)]


class TitleReading(NamedTuple):
    treatment: str
    original_request: str | None
    authorized: str | None
    recognized: bool  # False: it reads like a partial authorization no row knows
    spans: tuple[tuple[str, Span], ...]  # where each of treatment, original_request and authorized is written


@_cached
def read_title(text: str) -> TitleReading:
    """An item's title: the treatment decided, and for a partial authorization the original
    request and what the Claims Administrator authorized."""
    for _, pattern in _TITLE_ROWS:
        match = pattern.fullmatch(text)
        if match is not None:
            return TitleReading(collapse(match.group("treatment")), collapse(match.group("original")),
                                collapse(match.group("authorized")), True,
                                tuple((field, _stripped(text, *match.span(group))) for field, group in _TITLE_GROUPS))
    whole = collapse(text)
    return TitleReading(whole, None, None, wording.PARTIAL_MARK.search(whole) is None, (("treatment", _stripped(text, 0, len(text))),))


_TITLE_GROUPS = (("treatment", "treatment"), ("original_request", "original"), ("authorized", "authorized"))
