"""The record parser's engine: Lark's LALR tables run by a lean loop, with a lean contextual lexer.

Lark builds the grammar's tables (`compile_tables`); this module runs them. It gives the same
tokens, the same reductions and so the same callbacks' children as Lark's LALR parser with its
contextual lexer, and every record the same, with less work per token:

  * one regular-expression match per token: each parser state's pattern skips the ignored
    whitespace itself (`[ \\t\\n]*+` before the state's terminals, in Lark's order), where Lark
    matches the whitespace as a token of its own and loops (56 of 124 matches per letter);
  * no line or column counting (the callbacks read offsets only), and tokens that are plain
    named tuples (type, value, start_pos, end_pos) instead of Lark's `Token` (a str subclass);
  * a reduction calls the rule's callback with its children directly: no `Tree` for a `_rule`
    or a `+` helper (their children are spliced into the parent's list, as Lark does), no
    wrapper per callback, no `assert` comparing a `Rule` with a state on every reduction.

The tables are plain data (JSON): the shipped grammar's are made from it ahead
(`loader.write_shipped_tables`) and shipped beside it (`imrparse/grammar/imr_letter.lalr.json`), so a
new process, even the first after installation, neither builds the grammar nor reads a cache.
Another grammar's are compiled from its Lark parser when it is loaded. Lark's parse table is read
through `lark_seam.parse_table`, the one place imrparse reaches into Lark.

This module is an accelerator, nothing more: without it (`IMRPARSE_ENGINE=lark`, or a grammar it
cannot run) the record parser is Lark's own, and `tests/test_engines.py` runs the corpus both ways.

Skipping whitespace inside a state's pattern is exact only where no terminal that Lark tries
before the ignored one can start with whitespace; `compile_tables` checks that on each terminal's
parsed regular expression and, for a state where it cannot prove it, keeps Lark's way (the
ignored terminal as one more alternative, matched and skipped). A grammar this engine cannot run
exactly (string terminals, lexer callbacks, a postlexer, placeholders) gets no tables, and the
loader runs Lark instead.

Errors are not this module's business: on any input it cannot parse it raises `Rejected` (an
`UnexpectedInput`), and the caller explains the failure with plain Lark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from lark.exceptions import UnexpectedInput

from imrparse.grammar import lark_seam

TABLES_FORMAT = 1

# What a re pattern's CATEGORY items match, to test a character against them.
_CATEGORIES = {"CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D",
               "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


class Token(NamedTuple):
    """A token as the callbacks read it (the attributes of Lark's `Token` they use)."""

    type: str
    value: str
    start_pos: int
    end_pos: int


class Rejected(UnexpectedInput):
    """The text is not in the grammar's language (or a callback refused it): explained by Lark."""

    def __init__(self, pos: int) -> None:
        super().__init__(f"rejected at offset {pos}")
        self.pos = pos


# -- building the tables from a Lark parser -------------------------------------------------


def compile_tables(lark: Any) -> dict[str, Any] | None:
    """The tables of a Lark parser built with parser="lalr", lexer="contextual", as plain data;
    None if this engine cannot run its grammar exactly as Lark does."""
    options = lark.options
    conf = lark.lexer_conf
    if (options.parser != "lalr" or options.lexer != "contextual" or options.postlex is not None or options.maybe_placeholders
            or conf.callbacks or conf.g_regex_flags or conf.use_bytes or len(conf.ignore) > 1):
        return None
    terminals = {t.name: t for t in lark.terminals}
    if any(t.pattern.type != "re" for t in terminals.values()):
        return None  # string terminals: Lark's "unless" retyping is not reproduced here
    table = lark_seam.parse_table(lark)
    ignore = list(conf.ignore)

    lexers: list[list[str]] = []
    skips: list[bool] = []
    lexer_of: dict[frozenset[str], int] = {}
    states: dict[int, list[Any]] = {}
    rules: list[Any] = []
    rule_index: dict[Any, int] = {}
    for state, row in table.states.items():
        accepts = frozenset(name for name in row if name in terminals) | frozenset(ignore)
        if accepts not in lexer_of:
            ordered = sorted((terminals[name] for name in accepts),
                             key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
            names = [t.name for t in ordered]
            lexer_of[accepts] = len(lexers)
            lexers.append(names)
            skips.append(_whitespace_skippable(names, ignore, terminals))
        actions: dict[str, int] = {}
        gotos: dict[str, int] = {}
        for name, (action, arg) in row.items():
            if action.name == "Shift":
                (actions if name in terminals or name == "$END" else gotos)[name] = arg
            else:
                if arg not in rule_index:
                    rule_index[arg] = len(rules)
                    rules.append(_rule_entry(arg))
                actions[name] = -1 - rule_index[arg]
        states[state] = [lexer_of[accepts], actions, gotos]
    return {
        "format": TABLES_FORMAT,
        "terminals": {name: t.pattern.to_regexp() for name, t in sorted(terminals.items())},
        "ignore": ignore,
        "lexers": lexers,
        "skip_ignored": skips,
        "states": {str(state): states[state] for state in sorted(states)},
        "rules": rules,
        "starts": {start: [table.start_states[start], table.end_states[start]] for start in sorted(table.start_states)},
    }


def _rule_entry(rule: Any) -> list[Any]:
    """[origin, size, callback name (None: a `_rule`, spliced into its parent), expand a single
    child (`?rule`), the children kept as [position, splice] (None: all, as they are)]."""
    keep = [[i, not sym.is_term and sym.name.startswith("_")] for i, sym in enumerate(rule.expansion)
            if rule.options.keep_all_tokens or not (sym.is_term and sym.filter_out)]
    plain = len(keep) == len(rule.expansion) and not any(splice for _, splice in keep)
    inline = rule.origin.name.startswith("_")
    name = None if inline else (rule.alias or rule.options.template_source or rule.origin.name)
    return [rule.origin.name, len(rule.expansion), name, bool(rule.options.expand1 and not rule.alias), None if plain else keep]


def _whitespace_skippable(names: list[str], ignore: list[str], terminals: dict[str, Any]) -> bool:
    """Whether a state's pattern may skip the ignored terminal before its alternatives: no
    terminal tried before it can start with a character it starts with."""
    if len(ignore) != 1:
        return False
    firsts = [char for char in " \t\n\r\f\v" if _may_start_with(terminals[ignore[0]].pattern.to_regexp(), char)]
    for name in names[: names.index(ignore[0])]:
        if any(_may_start_with(terminals[name].pattern.to_regexp(), char) for char in firsts):
            return False
    return True


def _may_start_with(regexp: str, char: str) -> bool:
    """False only if no match of `regexp` can start with `char` (conservative: True when unsure)."""
    from re import _parser as parser

    try:
        parsed = parser.parse(regexp)
    except re.error:
        return True
    if parsed.state.flags & re.IGNORECASE and char.lower() != char.upper():
        return True
    may, _ = _sequence(list(parsed), char)
    return may


def _sequence(items: Sequence[Any], char: str) -> tuple[bool, bool]:
    """(may start with `char`, may match the empty string) for a sequence of parsed items."""
    for op, av in items:
        may, empty = _item(str(op), av, char)
        if may:
            return True, False
        if not empty:
            return False, False
    return False, True


def _item(op: str, av: Any, char: str) -> tuple[bool, bool]:
    if op == "LITERAL":
        return chr(av) == char, False
    if op == "NOT_LITERAL":
        return chr(av) != char, False
    if op == "ANY":
        return True, False
    if op == "IN":
        return _in_set(av, char), False
    if op in ("AT", "ASSERT", "ASSERT_NOT"):
        return False, True  # zero-width: what follows decides (a look-ahead only narrows it)
    if op == "BRANCH":
        results = [_sequence(list(branch), char) for branch in av[1]]
        return any(may for may, _ in results), any(empty for _, empty in results)
    if op == "SUBPATTERN":
        return _sequence(list(av[3]), char)
    if op == "ATOMIC_GROUP":
        return _sequence(list(av), char)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _, inner = av
        may, empty = _sequence(list(inner), char)
        return may, empty or low == 0
    return True, True  # anything else (a back reference, a conditional): unsure


def _in_set(members: list[Any], char: str) -> bool:
    negate = False
    found = False
    for op, av in members:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            found = found or chr(av) == char
        elif name == "RANGE":
            found = found or av[0] <= ord(char) <= av[1]
        elif name == "CATEGORY":
            category = _CATEGORIES.get(str(av))
            found = found or category is None or re.match(category, char) is not None
        else:
            return True
    return found != negate


def lexer_sources(tables: dict[str, Any]) -> list[str]:
    """Each lexer's pattern: the ignored terminal skipped first where that is exact, then the
    state's terminals as named groups, in Lark's order."""
    terminals: dict[str, str] = tables["terminals"]
    ignore = set(tables["ignore"])
    skip = "".join(f"(?:{terminals[name]})*+" for name in tables["ignore"])
    return [
        (skip if skippable else "") + "(?:" + "|".join(
            f"(?P<{name}>{terminals[name]})" for name in names if not (skippable and name in ignore)) + ")"
        for names, skippable in zip(tables["lexers"], tables["skip_ignored"], strict=True)
    ]


# -- running them -------------------------------------------------------------------------


_new_token = tuple.__new__


class LeanParser:
    """Parses with `tables`, calling `builder`'s method for each rule (a Lark `Transformer` used
    as `transformer=`: same names, same children); `parse` returns the start rule's value."""

    def __init__(self, tables: dict[str, Any], builder: Any) -> None:
        if tables.get("format") != TABLES_FORMAT:
            raise ValueError(f"tables of format {tables.get('format')!r}, not {TABLES_FORMAT}")
        self.tables = tables
        terminals: dict[str, str] = tables["terminals"]
        ignore: list[str] = tables["ignore"]
        self._ignore = frozenset(ignore)
        self._rest_ignored = re.compile("".join(f"(?:{terminals[name]})*+" for name in ignore) + r"\Z")
        self._sources = lexer_sources(tables)
        self._compiled: list[re.Pattern[str] | None] = [None] * len(self._sources)
        size = max(int(state) for state in tables["states"]) + 1
        self._lexer_of = [0] * size
        self._actions: list[dict[str, int]] = [{} for _ in range(size)]
        self._gotos: list[dict[str, int]] = [{} for _ in range(size)]
        for state, (lexer, actions, gotos) in tables["states"].items():
            self._lexer_of[int(state)] = lexer
            self._actions[int(state)] = actions
            self._gotos[int(state)] = gotos
        # Per state, its pattern once compiled (None until the state is first reached).
        self._patterns: list[re.Pattern[str] | None] = [None] * size
        self._rules = [(origin, count, self._callback(builder, name), expand1, keep)
                       for origin, count, name, expand1, keep in tables["rules"]]
        self._starts: dict[str, tuple[int, int]] = {start: (pair[0], pair[1]) for start, pair in tables["starts"].items()}

    @staticmethod
    def _callback(builder: Any, name: str | None) -> Callable[[list[Any]], Any] | None:
        if name is None:
            return None
        method = getattr(builder, name, None)
        if method is None:
            default = builder.__default__
            return lambda children: default(name, children, None)
        if getattr(method, "visit_wrapper", None) is not None:
            raise ValueError(f"the callback {name!r} takes its arguments through v_args, which this engine does not support")
        return method  # type: ignore[no-any-return]

    def _pattern(self, state: int) -> re.Pattern[str]:
        """A state's pattern, compiled when the state is first reached (a letter reaches a few of
        them; compiling all would cost a new process more than it parses)."""
        lexer = self._lexer_of[state]
        compiled = self._compiled[lexer]
        if compiled is None:
            compiled = self._compiled[lexer] = re.compile(self._sources[lexer])
        self._patterns[state] = compiled
        return compiled

    def parse(self, text: str, start: str = "start") -> Any:
        state, end_state = self._starts[start]
        patterns, actions, gotos, rules, ignore = self._patterns, self._actions, self._gotos, self._rules, self._ignore
        state_stack = [state]
        values: list[Any] = []
        pos = 0
        while True:
            pattern = patterns[state] or self._pattern(state)
            match = pattern.match(text, pos)
            if match is not None:
                kind = match.lastgroup
                assert kind is not None
                start_pos, pos = match.span(kind)
                if kind in ignore:
                    continue
                token: Any = _new_token(Token, (kind, text[start_pos:pos], start_pos, pos))
            elif self._rest_ignored.match(text, pos):
                kind, token = "$END", None
            else:
                raise Rejected(pos)
            action = actions[state].get(kind)
            while action is not None and action < 0:  # reduce
                origin, size, callback, expand1, keep = rules[-1 - action]
                if size:
                    children = values[-size:]
                    del values[-size:]
                    del state_stack[-size:]
                else:
                    children = []
                if keep is not None:
                    children = _kept(children, keep)
                if callback is None:
                    value = children
                elif expand1 and len(children) == 1:
                    value = children[0]
                else:
                    value = callback(children)
                state = gotos[state_stack[-1]][origin]
                state_stack.append(state)
                values.append(value)
                if token is None and state == end_state:
                    return value
                action = actions[state].get(kind)
            if action is None or token is None:
                raise Rejected(pos if token is None else token.start_pos)
            state = action
            state_stack.append(state)
            values.append(token)


def _kept(children: list[Any], keep: list[list[Any]]) -> list[Any]:
    """The children a rule's callback gets: `_rule` children spliced in, filtered tokens left
    out (Lark's ChildFilterLALR_NoPlaceholders, reusing a left-recursive list as it does)."""
    kept: list[Any] = []
    for position, splice in keep:
        if not splice:
            kept.append(children[position])
        elif kept:
            kept += children[position]
        else:
            kept = children[position]
    return kept
