"""`imrparse grammar check`: build the grammar as `strict=True` would, but report every LALR
conflict and terminal collision in plain words at the grammar file's own line numbers, and
warn about rules and terminals nothing uses.

Lark stops at the first problem and names rules by their compiled form
(`<__summary_text_plus_2 : NARRATIVE_TEXT>`); here the build runs without `strict`, its log
is collected, and each problem is traced back to the definition it comes from.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import lark
from lark.exceptions import GrammarError

from imrparse.errors import extra_hint
from imrparse.grammar import lark_seam
from imrparse.grammar.loader import START_SYMBOLS, build_parser

GRAMMAR_EXTRA = f"terminal collisions were not checked: that needs interegular: {extra_hint('grammar')}"


@dataclass
class Finding:
    line: int | None
    severity: str  # "error" or "warning"
    message: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    rules: int = 0
    terminals: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


@dataclass
class _Definitions:
    lines: dict[str, int]  # rule or terminal name -> the line that defines it
    uses: dict[str, set[str]]  # name -> the rules and terminals its definition names
    roots: set[str]  # %ignore'd and %declare'd terminals, used without a reference


def collisions_checkable() -> bool:
    """Lark looks for terminal collisions only with interegular installed (`imrparse[grammar]`)."""
    from lark import lexer

    return bool(lexer.has_interegular)


def check(text: str) -> Report:
    """Every conflict, collision and unused definition of a grammar. Lark's own errors (a syntax
    error in the grammar, an undefined name) are raised as they are."""
    definitions = _definitions(text)
    report = Report()
    with _lark_log() as log:
        try:
            parser = build_parser(text, cache=False)
        except GrammarError as exc:
            if "Reduce/Reduce collision" not in str(exc):
                raise
            report.findings += _reduce_reduce(str(exc), definitions)
            parser = None
    report.findings += _from_log(log, definitions)
    if parser is not None:
        report.rules = len({rule.origin.name for rule in parser.rules})
        report.terminals = len(parser.terminals)
    report.findings += _unused(definitions)
    if not report.errors and collisions_checkable():
        build_parser(text, strict=True)  # Lark's strict build has the last word on anything missed above
    report.findings.sort(key=lambda f: (f.severity != "error", f.line or 0))
    return report


@contextmanager
def _lark_log() -> Iterator[list[str]]:
    """Lark's log messages (conflicts resolved as shift are logged at DEBUG), kept off stderr."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = lark.logger
    handlers, level, propagate = logger.handlers[:], logger.level, logger.propagate
    logger.handlers, logger.propagate = [Keep()], False
    logger.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        logger.handlers, logger.propagate = handlers, propagate
        logger.setLevel(level)


def _definitions(text: str) -> _Definitions:
    """Where each rule and terminal is defined, and what each definition refers to, read from
    the grammar's syntax tree before Lark inlines terminals into one another."""
    from lark.lexer import Token

    tree = lark_seam.grammar_syntax_tree(text)
    lines: dict[str, int] = {}
    uses: dict[str, set[str]] = {}
    roots: set[str] = set()
    for statement in tree.children:
        names = [t for t in statement.scan_values(lambda v: isinstance(v, Token) and v.type in ("RULE", "TERMINAL"))]
        if statement.data in ("rule", "term") and names:
            name = names[0]
            lines.setdefault(str(name), name.line or 0)
            uses.setdefault(str(name), set()).update(str(n) for n in names[1:])
        elif statement.data != "import":  # %ignore, %declare: their terminals are used as such
            roots.update(str(n) for n in names)
    return _Definitions(lines, uses, roots)


def _unused(definitions: _Definitions) -> list[Finding]:
    reached: set[str] = set()
    todo = [*START_SYMBOLS, *definitions.roots]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(definitions.uses.get(name, ()))
    findings = []
    for name, line in definitions.lines.items():
        if name not in reached:
            kind = "terminal" if name.lstrip("_")[:1].isupper() else "rule"
            findings.append(Finding(line, "warning", f"the {kind} {name} is never used: no rule reachable from "
                                                     f"{', '.join(START_SYMBOLS)} refers to it"))
    return findings


_GENERATED = re.compile(r"__(?P<rule>.+)_(?:plus|star|inline|opt)_\d+$")
_RULE = re.compile(r"<(?P<origin>\S+) : (?P<expansion>[^>]*)>")


def _rule_name(origin: str) -> str:
    """The rule a compiled rule comes from: `__summary_text_plus_2` (NARRATIVE_TEXT+ in summary_text) is summary_text."""
    generated = _GENERATED.match(origin)
    return generated["rule"] if generated else origin


def _at(name: str, definitions: _Definitions) -> str:
    line = definitions.lines.get(name)
    return f"{name} (line {line})" if line else name


def _from_log(log: list[str], definitions: _Definitions) -> list[Finding]:
    findings = []
    for position, message in enumerate(log):
        shift_reduce = re.match(r"Shift/Reduce conflict for terminal (\S+): \(resolving as shift\)", message)
        if shift_reduce and position + 1 < len(log) and (rule := _RULE.search(log[position + 1])):
            name, terminal = _rule_name(rule["origin"]), shift_reduce[1]
            findings.append(Finding(definitions.lines.get(name), "error", (
                f"conflict in {name}: after reading '{rule['expansion']}', when the next token is {terminal} the parser "
                f"cannot tell whether {name} ends there or the {terminal} belongs to it (shift/reduce; Lark would "
                "silently read it into the rule). Make the repetition unambiguous, or give one alternative a priority.")))
        collision = re.match(r"Collision between Terminals (\S+) and (\S+)\.", message)
        if collision:
            # Reported at the later definition (more often the new one), whichever order Lark found them in.
            second, first = sorted((collision[1], collision[2]), key=lambda name: (definitions.lines.get(name, 0), name))
            example = message.split("arbitrarily.", 1)[-1].strip("\n").replace("Example Collision: ", "")
            findings.append(Finding(definitions.lines.get(first), "error", (
                f"the terminals {_at(first, definitions)} and {_at(second, definitions)} can match the same text, "
                f"and have the same priority, so the lexer would choose between them arbitrarily. Give one a higher "
                f"priority ({first}.N) or make them disjoint. Both match:\n" + _indent(example))))
    return findings


def _reduce_reduce(message: str, definitions: _Definitions) -> list[Finding]:
    """One finding per set of rules that collide, naming every next token they collide on."""
    collisions: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for part in message.split("\n\n"):
        terminal = re.search(r"Reduce/Reduce collision in Terminal\('([^']+)'", part)
        rules = tuple(sorted((_rule_name(m["origin"]), m["expansion"]) for m in _RULE.finditer(part)))
        if terminal and len(rules) > 1:
            collisions.setdefault(rules, []).append("the end of the input" if terminal[1] == "$END" else terminal[1])
    findings = []
    for rules, terminals in collisions.items():
        names = sorted({name for name, _ in rules}, key=lambda n: definitions.lines.get(n, 0))
        read = " or ".join(f"{name}: '{expansion}'" for name, expansion in rules)
        findings.append(Finding(definitions.lines.get(names[0]), "error", (
            f"conflict between {' and '.join(_at(n, definitions) for n in names)}: the same tokens can be read as "
            f"{read}, and when the next token is {' or '.join(terminals)} the parser cannot tell which it has read "
            "(reduce/reduce). Merge the alternatives, or make one of them longer.")))
    return findings


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
