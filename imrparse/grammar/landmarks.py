"""The letter's landmarks, read from the loaded grammar: the one place their words are written.

Headings, labels, openings and outcome words are terminals of `grammar/imr_letter.lark`. Python
never spells them: it asks this module for a terminal's `phrase` (the words as a conforming
letter writes them, derived from the terminal's regular expression), its `pattern` (to find it
in text) or its `description` (how a message names it). Editing a landmark in the grammar edits
every message, check, synthetic letter and mark that uses it; a terminal whose expression this
module cannot turn into words fails loudly (`LandmarkError`), never silently.

For the shipped grammar the terminals' expressions ship with its tables (`imr_letter.lalr.json`),
so reading them costs a new process nothing; another grammar's are compiled from its text once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from lark import Lark

from imrparse.grammar import files

# Terminals by the part they play in a 2014 letter: what failures and outlines are described by.
HEADINGS = ("_HOW_HEADING", "_SUMMARY_HEADING", "_DECISIONS_HEADING")
ITEM_LABELS = ("_CA_GUIDELINE_LABEL", "_REVIEWER_GUIDELINE_LABEL", "_RATIONALE_LABEL")
LETTER_STARTS = ("CASE_NUMBER_LABEL", "_HOW_HEADING")
TITLE_PARTS = ("TITLE_TEXT", "ITEM_NUMBER")


class LandmarkError(ValueError):
    """A terminal is missing, or its expression has no single phrase (an edit broke a landmark)."""


# How a message names a terminal. `{phrase}` is the grammar's own words for it, `{phrase:4}` their
# first four words, `{NAME}` another terminal's phrase, `{choices}` its alternatives joined by
# " or ". A terminal not listed is named by its phrase in quotes. Free text has no phrase: it is
# described by what it is.
_DESCRIPTIONS: Mapping[str, str] = {
    "_HOW_HEADING": "the heading '{phrase}'",
    "_SUMMARY_HEADING": "the heading '{phrase}'",
    "_DECISIONS_HEADING": "the heading '{phrase}'",
    "M13_DECISION_HEADING": "the heading '{phrase}'",
    "_SUMMARY_INTRO": "the summary's introduction ('{phrase:4} ...')",
    "_DECISIONS_INTRO": "the decisions' introduction ('{phrase:6} ...')",
    "CASE_NUMBER": "a case number (CM16-0213037)",
    "DATE": "a date (MM/DD/YYYY)",
    "PRIORITY": "a priority ({choices})",
    "CREDENTIAL_SENTENCE": "the credentials sentence ('{CREDENTIAL_OPENING} ...')",
    "CREDENTIAL_LIST": "a list of states or specialties",
    "_CA_GUIDELINE_LABEL": "a '{phrase}' paragraph",
    "_REVIEWER_GUIDELINE_LABEL": "a '{phrase}' paragraph",
    "_RATIONALE_LABEL": "a '{phrase}' paragraph",
    "_OUTCOME_COLON": "the '{phrase}' before the outcome",
    "OUTCOME": "an outcome ({UPHELD} or {OVERTURNED})",
    "TITLE_TEXT": "a decision item's title ('<item>: {UPHELD}' or '<item>: {OVERTURNED}')",
    "ITEM_NUMBER": "an item number",
    "GUIDELINE_TEXT": "the text of a guideline paragraph",
    "HOW_TEXT": "the determination boilerplate",
    "NARRATIVE_TEXT": "the text of the case summary",
    "RATIONALE_TEXT": "the text of the rationale",
    "_MAXIMUS_OPENING": "'{phrase}' (a 2013 letter)",
    "_MPR_OPENING": "'{phrase}' (a 2013 letter)",
    "DETERMINATION": "a numbered determination ('{DETERMINATION_OPENING:7} ...')",
    "NOTICE": "'{phrase} ...'",
    "M13_TEXT": "the text of a 2013 letter",
    "$END": "the end of the letter",
}
_FIELD = re.compile(r"\{(phrase|choices|[A-Z_]+)(?::(\d+))?\}")


class Landmarks:
    """The terminals of one grammar, by name: their expressions, phrases and descriptions."""

    def __init__(self, patterns: Mapping[str, str]) -> None:
        self.patterns = dict(patterns)

    def pattern(self, terminal: str) -> str:
        """The terminal's regular expression as Lark compiled it (named terminals inlined)."""
        try:
            return self.patterns[terminal]
        except KeyError:
            raise LandmarkError(f"the grammar has no terminal {terminal}") from None

    @functools.lru_cache(maxsize=256)  # noqa: B019  # one Landmarks per grammar, kept for the process
    def regex(self, terminal: str) -> re.Pattern[str]:
        return re.compile(self.pattern(terminal))

    @functools.lru_cache(maxsize=256)  # noqa: B019
    def phrase(self, terminal: str) -> str:
        """The words a conforming letter writes for the terminal: each choice its first
        alternative, each optional part left out, any whitespace one space."""
        return phrase_of(self.pattern(terminal), terminal)

    def choices(self, terminal: str) -> list[str]:
        """The phrase of each top-level alternative ("Standard", "Expedited")."""
        return [phrase_of(branch, terminal) for branch in _top_level_branches(self.pattern(terminal))]

    def description(self, terminal: str) -> str:
        """How a message names the terminal ("the heading 'CLINICAL CASE SUMMARY'")."""
        template = _DESCRIPTIONS.get(terminal)
        if template is None:
            return f"'{self.phrase(terminal)}'" if terminal in self.patterns else terminal

        def field(match: re.Match[str]) -> str:
            name, words = match.group(1), match.group(2)
            if name == "choices":
                return " or ".join(self.choices(terminal))
            phrase = self.phrase(terminal if name == "phrase" else name)
            return " ".join(phrase.split()[: int(words)]) if words else phrase

        return _FIELD.sub(field, template)

    def describe(self, terminals: Iterable[str]) -> str:
        """Terminals in the letter's words, without repeats: "'Decision rationale:'; or ..."."""
        words: list[str] = []
        for name in terminals:
            word = self.description(name)
            if word not in words:
                words.append(word)
        return "; or ".join(words)


@functools.lru_cache(maxsize=8)
def landmarks(grammar: Path | None = None) -> Landmarks:
    """The landmarks of a grammar file (the shipped one by default), read once per process."""
    return from_text((grammar or files.default_grammar_path()).read_text(encoding="utf-8"))


def of_parser(parser: Lark) -> Landmarks:
    """The landmarks of the grammar a Lark parser was built from."""
    return from_text(parser.source_grammar)


@functools.lru_cache(maxsize=8)
def from_text(grammar_text: str) -> Landmarks:
    shipped = files.shipped_tables(grammar_text)
    if shipped is not None and "landmarks" in shipped:
        return Landmarks(shipped["landmarks"])
    return Landmarks(terminal_patterns(grammar_text))


def terminal_patterns(grammar_text: str) -> dict[str, str]:
    """Every terminal of a grammar, used by a rule or only inside another terminal, as the
    regular expression Lark compiles it to."""
    from lark.load_grammar import load_grammar

    grammar, _ = load_grammar(grammar_text, "<grammar>", [], False)  # type: ignore[no-untyped-call]
    terminals, _, _ = grammar.compile(["start"], "*")
    return {t.name: t.pattern.to_regexp() for t in terminals}


# -- a regular expression's phrase --------------------------------------------------------------

_ESCAPED_SPACE = {"s", "t", "n"}
_ESCAPED_CLASS = {"d": "1", "w": "a"}  # a digit, a word character: a value's shape, as written in an example
_ZERO_WIDTH = {"b", "B", "A", "Z"}


def phrase_of(pattern: str, terminal: str = "?") -> str:
    """The words `pattern` matches when every choice takes its first alternative and every
    optional part is left out; whitespace classes become one space. Only what a landmark needs
    is understood (literals, escapes, groups, look-arounds, character classes, quantifiers);
    anything else raises LandmarkError naming the terminal."""
    words, end = _sequence(pattern, 0, terminal)
    if end != len(pattern):
        raise LandmarkError(f"terminal {terminal}: unbalanced ')' at {end} in {pattern!r}")
    return " ".join(words.split())


def _sequence(pattern: str, pos: int, terminal: str) -> tuple[str, int]:
    """The phrase of the first alternative from `pos` to the end of its group; the position of
    the group's closing parenthesis (or the pattern's end)."""
    out: list[str] = []
    while pos < len(pattern):
        char = pattern[pos]
        if char == ")":
            return "".join(out), pos
        if char == "|":  # the first alternative is the phrase: skip the others
            pos = _skip_to_group_end(pattern, pos)
            continue
        atom, pos = _atom(pattern, pos, terminal)
        times, pos = _quantifier(pattern, pos)
        out.append(atom * times)
    return "".join(out), pos


def _atom(pattern: str, pos: int, terminal: str) -> tuple[str, int]:
    char = pattern[pos]
    if char == "\\":
        escaped = pattern[pos + 1]
        if escaped in _ESCAPED_SPACE:
            return " ", pos + 2
        if escaped in _ZERO_WIDTH:
            return "", pos + 2
        if escaped in _ESCAPED_CLASS:
            return _ESCAPED_CLASS[escaped], pos + 2
        if escaped.isalnum():
            raise LandmarkError(f"terminal {terminal}: the class \\{escaped} in {pattern!r} has no one phrase")
        return escaped, pos + 2
    if char == "(":
        if pattern.startswith(("(?=", "(?!"), pos) or pattern.startswith(("(?<=", "(?<!"), pos):
            return "", _skip_to_group_end(pattern, pos + 1) + 1
        start = pos + 1
        if pattern.startswith("(?:", pos):
            start = pos + 3
        elif pattern.startswith("(?P<", pos):
            start = pattern.index(">", pos) + 1
        elif pattern.startswith("(?", pos):
            flags = re.match(r"\(\?([aiLmsux-]+)(:|\))", pattern[pos:])
            if flags is None:
                raise LandmarkError(f"terminal {terminal}: the group at {pos} of {pattern!r} has no one phrase")
            if flags.group(2) == ")":
                return "", pos + len(flags.group())
            start = pos + len(flags.group())
        words, end = _sequence(pattern, start, terminal)
        return words, end + 1
    if char == "[":
        if pattern.startswith("[^", pos):
            raise LandmarkError(f"terminal {terminal}: the negated class at {pos} of {pattern!r} has no one phrase")
        first = pattern[pos + 1]
        if first == "\\":
            first = " " if pattern[pos + 2] in _ESCAPED_SPACE else pattern[pos + 2]
        return first, _class_end(pattern, pos)
    if char in ".^$":
        if char == ".":
            raise LandmarkError(f"terminal {terminal}: '.' in {pattern!r} has no one phrase")
        return "", pos + 1
    return char, pos + 1


def _quantifier(pattern: str, pos: int) -> tuple[int, int]:
    """How many times the atom before `pos` is written in the phrase, and where the quantifier ends."""
    if pos >= len(pattern):
        return 1, pos
    char = pattern[pos]
    if char in "?*+":
        times = 1 if char == "+" else 0
        pos += 1
    elif char == "{" and (bound := re.match(r"\{(\d*)(?:,(\d*))?\}", pattern[pos:])):
        times = int(bound.group(1) or 0)
        pos += len(bound.group())
    else:
        return 1, pos
    if pos < len(pattern) and pattern[pos] in "?+":  # lazy or possessive
        pos += 1
    return times, pos


def _class_end(pattern: str, pos: int) -> int:
    """Just past the character class that opens at `pos` (a "]" right after "[" is a member)."""
    end = pos + 1
    while end < len(pattern) and (pattern[end] != "]" or end == pos + 1):
        end += 2 if pattern[end] == "\\" else 1
    return end + 1


def _skip_to_group_end(pattern: str, pos: int) -> int:
    """The position of the ')' that closes the group `pos` is in (or the pattern's end)."""
    depth = 0
    while pos < len(pattern):
        char = pattern[pos]
        if char == "\\":
            pos += 2
        elif char == "[":
            pos = _class_end(pattern, pos)
        elif char == ")" and depth == 0:
            return pos
        else:
            depth += {"(": 1, ")": -1}.get(char, 0)
            pos += 1
    return pos


def _top_level_branches(pattern: str) -> list[str]:
    """The pattern's alternatives outside any group."""
    branches, start, pos = [], 0, 0
    while pos < len(pattern):
        char = pattern[pos]
        if char == "\\":
            pos += 2
        elif char == "[":
            pos = _class_end(pattern, pos)
        elif char == "(":
            pos = _skip_to_group_end(pattern, pos + 1) + 1
        else:
            if char == "|":
                branches.append(pattern[start:pos])
                start = pos + 1
            pos += 1
    return [*branches, pattern[start:]]
