"""`imrparse debug show`: the letter as imrparse reads it.

The original text, with every span of the record highlighted by kind (the values, and the
landmarks the grammar read, which the record lists when it is built to be shown): the letter is
parsed once, and drawn from its record; `validate`'s findings, from that same record, at their line and column; for a letter
that does not parse, the partial record and the point where reading stopped. Rendered with rich, to the
terminal or (`Console.export_html`) as one self-contained HTML page, in which each highlighted
piece names the fields it belongs to and their values in a `title` attribute (shown on hover,
no script) and a `data-fields` attribute.

Letter text is untrusted. Rich escapes the text it exports; control characters are shown as
visible symbols before rich sees them (rich would drop some of them and pass others, such as
ESC, to the terminal); the attributes this module adds are escaped here.
"""

from __future__ import annotations

import html
import io
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from rich.console import Console
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from rich.text import Text

from imrparse.api import parse_normalized
from imrparse.check.validate import failure_finding, findings_of
from imrparse.errors import ParseError
from imrparse.grammar.landmarks import Landmarks, landmarks
from imrparse.read.builder import keeping_landmarks
from imrparse.record import Finding
from imrparse.text.inputs import letter_text
from imrparse.text.normalize import LineIndex, normalize


@dataclass(frozen=True)
class Kind:
    label: str  # as the legend and the hover text name it
    layer: int  # nesting: a piece's style is its marks' styles from the lowest layer up
    style: str  # rich style (colours for a light and a dark terminal alike)


KINDS: dict[str, Kind] = {
    "letter": Kind("letter", -2, "#000000 on #fcfcf7"),
    "unread": Kind("not read", -1, "#8a8a8a"),
    "case": Kind("header block", 0, "#000000 on #eef2f7"),
    "reviewer": Kind("determination and reviewer", 0, "#000000 on #f3eff8"),
    "summary": Kind("clinical case summary", 0, "#000000 on #f5f1e6"),
    "decision": Kind("decision", 0, "#000000 on #edf5ed"),
    "credentials": Kind("credentials", 1, "#000000 on #dcc4f2"),
    "title": Kind("title", 1, "bold #4a2300 on #ffd9b3"),
    "guideline": Kind("guideline paragraph", 1, "#000000 on #e4e4e4"),
    "rationale": Kind("rationale", 1, "#000000 on #f4e9c8"),
    "treatment": Kind("treatment", 2, "bold underline #4a2300 on #ffd9b3"),
    "landmark": Kind("landmark", 3, "bold #1f3b73 on #d5dbe5"),
    "header": Kind("header value", 3, "bold #000000 on #8fd3ff"),
    "fact": Kind("summary fact", 3, "bold #000000 on #ffd166"),
    "part": Kind("treatment part", 3, "bold #000000 on #c8e6c9"),
    "number": Kind("item number", 3, "bold #000000 on #ffd166"),
    "upheld": Kind("outcome: upheld", 3, "bold #ffffff on #b23a48"),
    "overturned": Kind("outcome: overturned", 3, "bold #ffffff on #2a7f3e"),
    "outcome": Kind("outcome: other word", 3, "bold #000000 on #ff9f1c"),
    "mtus": Kind("MTUS citation", 3, "#000000 on #a7e3b8"),
    "non_mtus": Kind("non-MTUS citation", 3, "#000000 on #aed4fb"),
    "no_evidence": Kind("no evidence cited", 3, "italic #000000 on #bdbdbd"),
    "unrecognized": Kind("unrecognized wording", 3, "bold underline #5a3d00 on #ffe066"),
    "control": Kind("control character", 3, "bold #ffffff on #555555"),
    "repair": Kind("repaired copy (OCR, flattened)", 3, "bold underline #ffffff on #6a4c93"),
    "finding": Kind("finding", 4, "bold #ffffff on #d62828"),
    "failure": Kind("parsing stopped here", 5, "bold #ffffff on #7b00c4"),
}
LEGEND = (("header", "landmark", "credentials", "fact", "title", "treatment", "upheld", "overturned"),
          ("mtus", "non_mtus", "no_evidence", "unrecognized", "rationale", "control", "repair", "finding", "failure", "unread"))
_STYLES = {name: Style.parse(kind.style) for name, kind in KINDS.items()}


@dataclass(frozen=True)
class Mark:
    """A highlighted span of the original text: what kind of thing it is, which field of the
    record (or which landmark) it is, and the value read from it."""

    start: int
    end: int
    kind: str
    field: str
    value: str


@dataclass(frozen=True)
class Note:
    """A line shown below line `line` of the letter (a finding, or where parsing stopped)."""

    line: int
    column: int
    kind: str
    text: str


@dataclass
class View:
    name: str
    text: str  # the original text, as every span counts it
    record: dict[str, Any] | None  # the record, or the partial record of a letter that does not parse
    error: ParseError | None
    findings: list[Finding]
    marks: list[Mark] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


# -- reading ---------------------------------------------------------------------------------


def read_letter(path: str) -> str:
    """The text of a letter file: '-' is standard input; a PDF (by its suffix or its first
    bytes) is extracted with pypdfium2. Raises OSError or InputError."""
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    return letter_text(data, name=path)


def build_view(text: str, *, name: str = "", grammar: Path | None = None) -> View:
    """Parse and validate one letter, and collect what to highlight from its record."""
    normalized = normalize(text)
    error: ParseError | None = None
    try:  # parsed once, its landmarks kept: validate's rules run on this very record
        with keeping_landmarks():
            parsed = parse_normalized(normalized, grammar=grammar)
        record: dict[str, Any] | None = cast(dict[str, Any], parsed)
        findings = findings_of(parsed, normalized, grammar)
    except ParseError as exc:
        error, record, findings = exc, exc.partial, [failure_finding(exc)]
    view = View(name, text, record, error, findings)
    index = LineIndex(text)
    marks = record_marks(record, landmarks(grammar)) if record else []
    view.notes = _notes(view, index, marks)
    marks += control_marks(text)
    seen: set[tuple[int, int, str]] = set()
    for mark in marks:  # a span marked twice as one kind (two findings at one character) is shown once
        if mark.start < mark.end and (mark.start, mark.end, mark.kind) not in seen:
            seen.add((mark.start, mark.end, mark.kind))
            view.marks.append(mark)
    return view


def _show(value: Any, limit: int = 240) -> str:
    """A record value as the hover text and the field list show it."""
    if value is None:
        shown = "null"
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, list):
        shown = " | ".join(_show(v, limit) for v in value) if value else "[]"
    else:
        shown = str(value)
    shown = visible(shown)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def record_marks(record: dict[str, Any], lm: Landmarks) -> list[Mark]:
    """Every span of the record (or partial record), with the value read from it; `lm` describes
    the landmarks."""
    marks: list[Mark] = []

    def add(span: list[int] | None, kind: str, name: str, value: str) -> None:
        if span is not None:
            marks.append(Mark(span[0], span[1], kind, name, value))

    decisions = record.get("decisions") or []
    add(record.get("span"), "letter", "letter", f"layout {_show(record.get('layout'))}; {len(decisions)} decisions")
    for i, repair in enumerate(record.get("repairs", [])):
        start, end = repair["span"]
        read = f"read as {_show(repair['read_as'])}" if repair["read_as"].strip() else "left out"
        add([start, max(end, start + 1)], "repair", f"repairs[{i}]", f"{repair['kind']}: {_show(repair['text'])} {read}")
    for landmark in record.get("landmarks", []):
        terminal = landmark["terminal"]
        add(landmark["span"], "landmark", terminal.lstrip("_"), lm.description(terminal))
    case = record.get("case")
    if case and case.get("span"):
        add(case["span"], "case", "case", f"case {_show(case.get('case_number'))}")
        for key, span in case.get("spans", {}).items():
            value = case.get(key)
            add(span, "header", f"case.{key}", _show(value) + (" (not a calendar date written MM/DD/YYYY)" if value is None else ""))
    reviewer = record.get("reviewer")
    if reviewer:
        add(reviewer.get("span"), "reviewer", "reviewer", f"licensure: {_show(reviewer['licensure'])}; specialties: "
            f"{_show(reviewer['specialties'])}; board certified: {_show(reviewer['board_certified'])}")
        for key in ("licensure", "specialties"):
            for i, (value, span) in enumerate(zip(reviewer[key], reviewer["spans"][key], strict=True)):
                add(span, "credentials", f"reviewer.{key}[{i}]", _show(value))
        for i, piece in enumerate(reviewer.get("unrecognized", [])):
            add(piece["span"], "unrecognized", f"reviewer.unrecognized[{i}]", _show(piece["text"]))
    summary = record.get("summary")
    if summary:
        add(summary.get("span"), "summary", "summary", f"age: {_show(summary['age'])}; sex: {_show(summary['sex'])}; "
            f"date of injury: {_show(summary['date_of_injury'])}")
        for key, span in summary["spans"].items():
            add(span, "fact", f"summary.{key}", _show(summary[key]))
        for i, diagnosis in enumerate(summary.get("diagnoses", [])):
            add(diagnosis["span"], "fact", f"summary.diagnoses[{i}]", _show(diagnosis["text"]))
    for i, decision in enumerate(decisions):
        where = f"decisions[{i}]"
        add(decision["span"], "decision", where, f"{_show(decision['treatment'])}: {_show(decision['outcome'])}")
        title = f"treatment: {_show(decision['treatment'])}"
        if decision.get("original_request") is not None:
            title += f"; original request: {_show(decision['original_request'])}; authorized: {_show(decision['authorized'])}"
        if decision.get("number") is not None:
            title += f"; number: {decision['number']}"
        add(decision["title_span"], "title", f"{where}.title", title)
        for key, span in decision["spans"].items():
            value = decision[key]
            kind = {"number": "number", "outcome": value if value in ("upheld", "overturned") else "outcome"}.get(key, "treatment")
            add(span, kind, f"{where}.{key}", _show(value))
        for part, read in decision.get("treatment_parts", {}).items():
            add(read["span"], "part", f"{where}.treatment_parts.{part}", _show(read.get("value", read["text"])))
        for key in ("claims_administrator_guideline", "reviewer_guideline"):
            guideline = decision[key]
            if guideline is None:  # a 2013 layout without this paragraph
                continue
            add(guideline["span"], "guideline", f"{where}.{key}", f"cited: {_show(guideline['cited'])}; MTUS: "
                f"{_show(guideline['mtus'])}; non-MTUS: {_show(guideline['non_mtus'])}")
            for kind in ("mtus", "non_mtus"):
                for j, (citation, span) in enumerate(zip(guideline[kind], guideline["spans"][kind], strict=True)):
                    add(span, kind, f"{where}.{key}.{kind}[{j}]", _show(citation))
            for span in guideline["spans"].get("cited", []):
                add(span, "no_evidence", f"{where}.{key}.cited", "false")
            for j, piece in enumerate(guideline.get("unrecognized", [])):
                add(piece["span"], "unrecognized", f"{where}.{key}.unrecognized[{j}]", _show(piece["text"]))
        add(decision["rationale_span"], "rationale", f"{where}.rationale",
            f"medically necessary: {_show(decision['medically_necessary'])}; {_show(decision['rationale'])}")
    return marks


def _notes(view: View, index: LineIndex, marks: list[Mark]) -> list[Note]:
    """The findings and the failure point, each marked at its character and noted below its line."""
    notes: list[Note] = []
    error = view.error
    stop = (error.line, error.column) if error is not None and error.line is not None and error.column is not None else None
    for finding in view.findings:
        line, column = finding["line"] or 1, finding["column"] or 1
        text = f"{finding['code']} {finding['severity']}: {finding['message']}"
        at_stop = stop == (line, column)
        if at_stop:
            text += " (parsing stopped here: the text after it was not read)"
        notes.append(Note(line, column, "failure" if at_stop else "finding", text))
        offset = _offset(index, view.text, line, column)
        if offset < len(view.text) and view.text[offset] not in "\r\n":
            marks.append(Mark(offset, offset + 1, "failure" if at_stop else "finding", f"finding {finding['code']}", _show(text)))
    if error is not None and stop is not None:
        if not any(note.kind == "failure" for note in notes):
            notes.append(Note(*stop, "failure", f"parsing stopped here ({error.code}): {error.message}"))
        offset = _offset(index, view.text, *stop)
        marks.append(Mark(offset, len(view.text), "unread", "not read", "the parser stopped before this text"))
    return notes


def control_marks(text: str) -> list[Mark]:
    """Each control character other than a line end or tab, shown as a symbol: named on hover."""
    marks = []
    for match in _SPECIAL.finditer(text):
        char = match.group()
        if char != "\r":
            name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "a control character")
            marks.append(Mark(match.start(), match.end(), "control", f"U+{ord(char):04X}", name))
    return marks


_CONTROL_NAMES = {"\f": "FORM FEED (a page break)", "\x1b": "ESCAPE", "\x07": "BELL", "\x0b": "VERTICAL TAB", "\x00": "NULL",
                  "\x7f": "DELETE"}


def _offset(index: LineIndex, text: str, line: int, column: int) -> int:
    """The offset of a line and column, at most the end of the text (a letter cut short is
    reported just past its end)."""
    try:
        return min(index.offset(line, column), len(text))
    except IndexError:
        return len(text)


# -- showing ---------------------------------------------------------------------------------

_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _symbol(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ … ␟
    return "␡" if code == 0x7F else "\ufffd"


def visible(text: str) -> str:
    """A value with control characters as visible symbols (and line ends as spaces)."""
    return _SPECIAL.sub(lambda m: " " if m.group() in "\r\n\u2028\u2029" else _symbol(m.group()), text)


def display(text: str, start: int, end: int) -> str:
    """The original text[start:end] as shown: CRLF and CR line ends as LF, tabs expanded,
    every other control character a visible symbol (a form feed is ␌). Character by character,
    so that the display of a span is the display of its pieces joined."""
    piece = text[start:end]
    if "\t" not in piece and not _SPECIAL.search(piece):
        return piece
    out: list[str] = []
    for i in range(start, end):
        char = text[i]
        if char == "\r":
            out.append("" if text.startswith("\n", i + 1) else "\n")
        elif char == "\t":
            column = i - (max(text.rfind("\n", 0, i), text.rfind("\r", 0, i)) + 1)
            out.append(" " * (8 - column % 8))
        elif char != "\n" and _SPECIAL.match(char):
            out.append(_symbol(char))
        else:
            out.append(char)
    return "".join(out)


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


def _stack_key(mark: Mark) -> tuple[int, int, int]:
    return KINDS[mark.kind].layer, mark.start, -mark.end


def letter(view: View, *, links: bool = False) -> tuple[Text, dict[int, list[Mark]]]:
    """The letter as styled text, its notes below their lines. With `links`, each piece carries
    a link `#s<k>` naming the stack of marks over it (returned), for the HTML export to turn
    into attributes."""
    text = view.text
    starts = _line_starts(text)
    notes_at: dict[int, list[Note]] = {}
    for note in view.notes:
        after = starts[note.line] if note.line < len(starts) else len(text)
        notes_at.setdefault(after, []).append(note)
    opening: dict[int, list[Mark]] = {}
    for mark in view.marks:
        opening.setdefault(mark.start, []).append(mark)
    points = sorted({0, len(text), *(m.start for m in view.marks), *(m.end for m in view.marks), *notes_at})
    stacks: dict[tuple[int, ...], int] = {}
    stack_marks: dict[int, list[Mark]] = {}
    ids = {id(mark): n for n, mark in enumerate(view.marks)}
    active: list[Mark] = []
    out = Text(no_wrap=True, end="")
    for p, q in zip(points, [*points[1:], len(text) + 1], strict=True):
        for note in notes_at.get(p, []):
            if p == len(text) and text and text[-1] not in "\r\n":
                out.append("\n")
            line_start = starts[note.line - 1] if note.line - 1 < len(starts) else len(text)
            caret = len(display(text, line_start, min(line_start + note.column - 1, len(text))))
            out.append(" " * caret + "^ " + visible(note.text) + "\n", _STYLES[note.kind])
        if p >= len(text):
            break
        active = [m for m in active if m.end > p] + opening.get(p, [])
        piece = display(text, p, q)
        if not active:
            out.append(piece)
            continue
        stack = sorted(active, key=_stack_key)
        style = Style.combine(_STYLES[m.kind] for m in stack)
        if links:
            key = tuple(ids[id(m)] for m in stack)
            number = stacks.setdefault(key, len(stacks))
            stack_marks[number] = stack
            style += Style(link=f"#s{number}")
        out.append(piece, style)
    return out, stack_marks


def heading(view: View) -> Text:
    """What the letter is, whether it parses, and the legend."""
    out = Text(end="")
    out.append(f"imrparse debug show: {visible(view.name) or 'letter'}\n", "bold")
    errors, warnings, infos = (sum(f["severity"] == severity for f in view.findings) for severity in ("error", "warning", "info"))
    counts = f"{len(view.findings)} finding{'s' * (len(view.findings) != 1)} ({errors} error{'s' * (errors != 1)}, " \
             f"{warnings} warning{'s' * (warnings != 1)}" + (f", {infos} info)" if infos else ")")
    record = view.record
    decisions = len((record or {}).get("decisions") or [])
    if view.error is None:
        out.append(f"The letter parses: {decisions} decision{'s' * (decisions != 1)}; {counts}.\n")
    else:
        where = f"line {view.error.line}, column {view.error.column}" if view.error.line is not None else "the start"
        out.append(f"The letter does not parse: reading stopped at {where} ({view.error.code}): {visible(view.error.message)}\n",
                   _STYLES["failure"])
        if record is None:
            out.append("Nothing was read into a record.\n")
        else:
            parts = [name for name in ("case", "reviewer", "summary") if record.get(name)]
            out.append(f"The partial record below holds: {', '.join(parts) or 'no section'}, {decisions} complete "
                       f"decision{'s' * (decisions != 1)}; the text after the stop is grey.\n")
    for row, names in enumerate(LEGEND):
        out.append("Key: " if row == 0 else "     ")
        for name in names:
            out.append(f" {KINDS[name].label} ", _STYLES[name])
            out.append(" ")
        out.append("\n")
    out.append("\n")
    return out


def fields(view: View) -> Text:
    """Every highlighted field with its line, column and value: the hover text of the HTML view,
    for a terminal."""
    index = LineIndex(view.text)
    out = Text(end="")
    out.append("\nFields read\n", "bold")
    for mark in sorted(view.marks, key=lambda m: (m.start, -m.end)):
        if mark.kind in ("letter", "landmark", "unread", "finding", "failure", "control"):
            continue
        line, column = index.line_col(mark.start)
        out.append(f"{line:>5}:{column:<4} ")
        out.append(f" {mark.field} ", _STYLES[mark.kind])
        out.append(f" {mark.value}\n")
    out.append("\nFindings\n", "bold")
    if not view.findings:
        out.append("  none: the letter conforms\n")
    for finding in view.findings:
        out.append(f"{finding['line'] or '-':>5}:{finding['column'] or '-':<4} ")
        out.append(f" {finding['code']} {finding['severity']} ", _STYLES["finding"])
        out.append(f" {visible(finding['message'])}\n")
    return out


def print_view(view: View, console: Console | None = None) -> None:
    """The view on a terminal (standard output by default)."""
    console = console or Console(highlight=False, soft_wrap=True)
    console.print(heading(view), soft_wrap=True, highlight=False)
    console.print(letter(view)[0], soft_wrap=True, highlight=False)
    console.print(fields(view), soft_wrap=True, highlight=False)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>{title}</title>
<style>
{{stylesheet}}
body {{{{ color: {{foreground}}; background-color: {{background}}; margin: 1em; }}}}
pre {{{{ font-family: 'DejaVu Sans Mono', Menlo, Consolas, 'Courier New', monospace; font-size: 13px; line-height: 1.35;
      white-space: pre-wrap; overflow-wrap: anywhere; }}}}
span[data-fields] {{{{ cursor: help; }}}}
span[data-fields]:hover {{{{ outline: 1px solid #333; }}}}
</style>
</head>
<body>
<pre><code>{{code}}</code></pre>
</body>
</html>
"""
_ANCHOR = re.compile(r'<a class="(r\d+)" href="#s(\d+)">')


def to_html(view: View) -> str:
    """The view as one self-contained HTML page: no external assets, no script. Each
    highlighted piece is a `<span>` whose `title` lists the fields it belongs to, innermost
    first, with their values, and whose `data-fields` holds the marks' numbers (`m<n>`, the
    index in `view.marks`)."""
    console = Console(record=True, file=io.StringIO(), width=200, color_system="truecolor", force_terminal=True,
                      highlight=False, soft_wrap=True)
    body, stacks = letter(view, links=True)
    console.print(heading(view), soft_wrap=True)
    console.print(body, soft_wrap=True)
    console.print(fields(view), soft_wrap=True)
    ids = {id(mark): n for n, mark in enumerate(view.marks)}
    title = html.escape(f"imrparse: {visible(view.name) or 'letter'}").replace("{", "{{").replace("}", "}}")
    page = console.export_html(theme=DEFAULT_TERMINAL_THEME, code_format=_PAGE.format(title=title))

    def attributes(match: re.Match[str]) -> str:
        stack = stacks[int(match.group(2))]
        hover = "\n".join(f"{m.field} ({KINDS[m.kind].label}): {m.value}" for m in reversed(stack))
        names = " ".join(f"m{ids[id(m)]}" for m in stack)
        return (f'<span class="{match.group(1)}" data-kind="{stack[-1].kind}" data-fields="{names}" '
                f'title="{html.escape(hover, quote=True)}">')

    # Rich escapes every character of the text it exports, so `<a ` and `</a>` here are its own
    # anchors, made from the links `letter` set: they become spans with the hover attributes.
    return _ANCHOR.sub(attributes, page).replace("</a>", "</span>")
