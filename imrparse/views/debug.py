"""What a grammar author needs to see how a letter is read: the normalized text, the token
stream, the tree with original line ranges, an outline, and an explanation of a failure."""

from __future__ import annotations

import functools
import html
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from imrparse.check.diagnosis import TokenRow, diagnose, item_starts, token_row, walk
from imrparse.errors import ParseError, caret_context
from imrparse.grammar.landmarks import HEADINGS, ITEM_LABELS, Landmarks, landmarks, of_parser
from imrparse.read.readers import read_credential_sentence, read_guideline, read_title
from imrparse.text.normalize import LineIndex, Normalized


def outline_terminals(lm: Landmarks) -> dict[str, str]:
    """Terminals that mark the outline of a letter, and how the outline names them: headings, the
    header and each paragraph label."""
    return {**{terminal: lm.phrase(terminal) for terminal in HEADINGS}, "CASE_NUMBER_LABEL": "header",
            **{terminal: "  " + lm.phrase(terminal).removesuffix(":") for terminal in ITEM_LABELS}}


@functools.lru_cache(maxsize=4)
def known_errors(lm: Landmarks) -> dict[str, list[str]]:
    """Known ways letters go wrong, as complete letters written in the grammar's own landmarks
    (with and without a header, as the first item and after another). A failure in a letter that
    stops needing the same terminals, on the same kind of token, matches the pattern."""
    ca, reviewer, rationale = (lm.phrase(terminal) for terminal in ITEM_LABELS)
    upheld = lm.phrase("UPHELD")
    guideline = "Decision based on MTUS Low Back Complaints 2004."

    def item(*, with_ca: bool = True, with_reviewer: bool = True, with_rationale: bool = True, after: str = "") -> str:
        return (f"MRI of the lumbar spine: {upheld}\n" + (f"{ca} {guideline}\n" if with_ca else "")
                + (f"{reviewer} {guideline}\n" if with_reviewer else "")
                + (f"{rationale} The request is not medically necessary.\n" if with_rationale else "") + after)

    fragments = {
        f"an item has no {ca!r} paragraph": item(with_ca=False),
        f"an item has no {reviewer!r} paragraph": item(with_reviewer=False),
        f"an item has no {rationale!r} paragraph before the next item":
            item(with_rationale=False, after=f"X-rays of the lumbar spine: {upheld}\n"),
        f"an item's title has no outcome (': {upheld}' or ': {lm.phrase('OVERTURNED')}'), so its paragraphs are out of place":
            item(after=f"X-rays of the lumbar spine\n{ca} {guideline}\n"),
    }
    header = (f"{lm.phrase('CASE_NUMBER_LABEL')} CM16-0000001\n{lm.phrase('DATE_ASSIGNED_LABEL')} 01/02/2016 "
              f"{lm.phrase('DATE_OF_INJURY_LABEL')} 01/01/2016\n")
    body = (f"{lm.phrase('_HOW_HEADING')}\nMAXIMUS Federal Services sent the case file.\n"
            f"{lm.phrase('_SUMMARY_HEADING')}\nThe injured worker is a 50 year old male.\n"
            f"{lm.phrase('_DECISIONS_HEADING')}\n{lm.phrase('_DECISIONS_INTRO')}\n")
    return {label: [head + body + before + fragment for head in ("", header) for before in ("", item())]
            for label, fragment in fragments.items()}


def tokens(normalized: Normalized, parser: Lark, start: str = "start") -> tuple[list[TokenRow], ParseError | None]:
    """The tokens the contextual lexer produced, up to the end or to the point of failure."""
    diagnosis = diagnose(normalized, parser, start)
    return diagnosis.rows, diagnosis.stop


def outline(rows: list[TokenRow], lm: Landmarks | None = None) -> list[str]:
    """Sections and items with the original lines where they start."""
    terminals = outline_terminals(lm or landmarks())
    starts = {id(row) for row in item_starts(rows)}
    lines: list[str] = []
    for row in rows:
        if row.terminal in terminals:
            lines.append(f"line {row.line:>4}  {terminals[row.terminal]}")
        elif id(row) in starts:
            lines.append(f"line {row.line:>4}  item: {' '.join(row.text.split())[:70]}")
    return lines


def known_error(normalized: Normalized, parser: Lark) -> str | None:
    """The `known_errors` label whose example fails like this letter does: needing exactly the
    same terminals, preferring one that fails on the same kind of token.

    Not Lark's match_examples: it compares parser states, which differ between a lexer failure
    and a parser failure at the same point, and LALR merges the states that end either
    guideline paragraph; with use_accepts it raises TypeError in lark 1.3.1."""
    failure = _failure(lambda: parser.parse(normalized.text, start="start"))
    if failure is None:
        return None
    fallback = None
    for label, examples in known_errors(of_parser(parser)).items():
        for example in examples:
            candidate = _failure(lambda example=example: parser.parse(example, start="start"))
            if candidate is None or candidate[0] != failure[0]:
                continue
            if candidate[1] == failure[1]:
                return label
            fallback = fallback or label
    return fallback


def _failure(run: Any) -> tuple[frozenset[str], str] | None:
    """(accepted terminals, found token type) of a failing parse, or None."""
    try:
        run()
    except UnexpectedInput as exc:
        interactive = getattr(exc, "interactive_parser", None)
        accepts = frozenset(interactive.accepts()) if interactive is not None else frozenset()
        token = getattr(exc, "token", None)
        return accepts, token.type if token is not None else "<characters>"
    return None


def explain(normalized: Normalized, parser: Lark) -> str:
    """The outline of what parsed; on failure, where and why, in the letter's terms."""
    diagnosis = diagnose(normalized, parser)
    rows, error = diagnosis.rows, diagnosis.stop
    parts = ["Outline:", *("  " + line for line in outline(rows, of_parser(parser)))]
    if error is None or diagnosis.error is None:
        parts.append("The letter parses.")
        return "\n".join(parts)
    parts.append("")
    where = f"line {error.line}, column {error.column}" if error.line is not None else "the input"
    parts.append(f"Parsing stopped at {where}:")
    if error.line is not None and error.column is not None:
        parts.append(caret_context(LineIndex(normalized.original), error.line, error.column))
    parts.append(f"The letter needed here: {of_parser(parser).describe(error.expected)}")
    parts.append(f"(terminals: {', '.join(error.expected)})")
    parts.append(f"In the letter's terms: {diagnosis.error}")
    label = known_error(normalized, parser)
    parts.append(f"Nearest known error: {label}" if label else "Nearest known error: none of the known patterns")
    return "\n".join(parts)


def tree_to_dict(tree: Tree[Token] | Token, normalized: Normalized, index: LineIndex) -> dict[str, Any]:
    """A JSON view of the parse tree: each node with its original line range."""
    if isinstance(tree, Token):
        return token_row(tree, normalized, index).to_dict()
    node: dict[str, Any] = {"rule": str(tree.data), "lines": _lines(tree, normalized, index)}
    node["children"] = [tree_to_dict(child, normalized, index) for child in tree.children]
    return node


def _lines(tree: Tree[Token], normalized: Normalized, index: LineIndex) -> list[int] | None:
    meta = tree.meta
    if getattr(meta, "empty", True):
        return None
    start = index.line_col(normalized.to_original(meta.start_pos))[0]
    end = index.line_col(normalized.to_original(max(meta.end_pos - 1, meta.start_pos)))[0]
    return [start, end]


def tree_svg(tree: dict[str, Any]) -> str:
    """The parse tree (`tree_to_dict`) drawn as a tree: a box per rule node with its lines and
    first words, below its parent, one level further right, joined to it by a connector. Each
    node's `<g>` holds its children's, so the SVG nests as the tree does. Tokens are left out
    (`debug tokens` lists them)."""
    rows = 0
    widest = 0

    def first_words(node: dict[str, Any]) -> str:
        for child in node["children"]:
            words = " ".join(child["text"].split()) if "terminal" in child else first_words(child)
            if words:
                return words[:48]
        return ""

    def draw(node: dict[str, Any], depth: int) -> str:
        nonlocal rows, widest
        x, y = 10 + 28 * depth, 10 + 28 * rows
        rows += 1
        lines = node["lines"]
        label = node["rule"] + (f"  lines {lines[0]}-{lines[1]}" if lines else "") + (f"  {words}" if (words := first_words(node)) else "")
        width = 16 + round(7.3 * len(label))
        widest = max(widest, x + width)
        parts = [f'<g class="node" data-rule="{html.escape(node["rule"])}">'
                 f'<rect x="{x}" y="{y}" width="{width}" height="22" rx="4" fill="#eef3fb" stroke="#4a6fa5"/>'
                 f'<text x="{x + 8}" y="{y + 15}" font-family="monospace" font-size="12">{html.escape(label)}</text>']
        for child in node["children"]:
            if "rule" in child:
                parts.append(f'<path d="M{x + 10},{y + 22} V{10 + 28 * rows + 11} H{x + 28}" fill="none" stroke="#4a6fa5"/>')
                parts.append(draw(child, depth + 1))
        return "".join(parts) + "</g>"

    body = draw(tree, 0)
    width, height = widest + 10, 10 + 28 * rows
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">{body}</svg>\n'


def wording(normalized: Normalized, parser: Lark) -> list[dict[str, Any]]:
    """How the text between landmarks was read: each guideline paragraph, credentials sentence
    and list, and title, cut into the pieces the wording table recognized (by row name) or did
    not (`wording: null`), each at its original line and column."""
    index = LineIndex(normalized.original)

    def at(offset: int) -> dict[str, int]:
        line, column = index.line_col(normalized.to_original(offset))
        return {"line": line, "column": column}

    readings: list[dict[str, Any]] = []
    for token in walk(parser, normalized.text).tokens:  # up to the failure; `debug explain` says why it stopped
        start = token.start_pos or 0
        pieces: list[dict[str, Any]]
        found: dict[str, Any]
        if token.type == "GUIDELINE_TEXT":
            guideline = read_guideline(token.value)
            pieces = [{"wording": s.wording, **at(start + s.start), "text": " ".join(token.value[s.start:s.end].split())}
                      for s in guideline.sentences]
            found = {"mtus": list(guideline.mtus), "non_mtus": list(guideline.non_mtus), "cited": guideline.cited}
        elif token.type == "CREDENTIAL_SENTENCE":
            credentials = read_credential_sentence(token.value, of_parser(parser).regex("CREDENTIAL_SUBJECT"))
            pieces = [{"wording": None, **at(start + a), "text": " ".join(token.value[a:b].split())}
                      for a, b in credentials.unrecognized]
            found = {"specialties": [name.text for name in credentials.specialties],
                     "licensure": [name.text for name in credentials.licensure]}
        elif token.type == "TITLE_TEXT":
            title = read_title(token.value)
            pieces = [] if title.recognized else [{"wording": None, **at(start), "text": " ".join(token.value.split())}]
            found = {"treatment": title.treatment, "original_request": title.original_request, "authorized": title.authorized}
        else:
            continue
        readings.append({"terminal": token.type, **at(start), "found": found, "pieces": pieces})
    return readings


def wording_text(readings: list[dict[str, Any]]) -> list[str]:
    """The readings as lines for a terminal."""
    lines = []
    for reading in readings:
        lines.append(f"line {reading['line']:>4}:{reading['column']:<3} {reading['terminal']}")
        for piece in reading["pieces"]:
            name = piece["wording"] or "UNRECOGNIZED"
            lines.append(f"    {piece['line']}:{piece['column']} {name}: {piece['text'][:90]}")
        for key, value in reading["found"].items():
            if value:
                lines.append(f"    -> {key}: {value}")
    return lines
