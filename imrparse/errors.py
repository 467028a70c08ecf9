"""Errors that point at the original text, in the letter's own words."""

from __future__ import annotations

from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .normalize import LineIndex, Normalized

# What each terminal is, in the letter's words, for "expected ..." messages.
TERMINAL_DESCRIPTIONS: dict[str, str] = {
    "_HOW_HEADING": "the heading 'HOW THE IMR FINAL DETERMINATION WAS MADE'",
    "_SUMMARY_HEADING": "the heading 'CLINICAL CASE SUMMARY'",
    "_DECISIONS_HEADING": "the heading 'IMR ISSUES, DECISIONS AND RATIONALES'",
    "_SUMMARY_INTRO": "the summary's introduction ('The expert reviewer developed ...')",
    "_DECISIONS_INTRO": "the decisions' introduction ('The Final Determination was based on ...')",
    "CASE_NUMBER_LABEL": "'Case Number:'",
    "DATE_ASSIGNED_LABEL": "'Date Assigned:'",
    "DATE_OF_INJURY_LABEL": "'Date of Injury:'",
    "DECISION_DATE_LABEL": "'Decision Date:'",
    "UR_DENIAL_DATE_LABEL": "'UR Denial Date:'",
    "PRIORITY_LABEL": "'Priority:'",
    "APPLICATION_RECEIVED_LABEL": "'Application Received:'",
    "_RECEIVED": "'Received:'",
    "CASE_NUMBER": "a case number (CM16-0213037)",
    "DATE": "a date (MM/DD/YYYY)",
    "PRIORITY": "a priority (Standard or Expedited)",
    "_CREDENTIALS_INTRO": "'The Expert Reviewer has the following credentials:'",
    "_LICENSURE_LABEL": "'State(s) of Licensure:'",
    "_SPECIALTY_LABEL": "'Certification(s)/Specialty:'",
    "_BOARD_CERTIFIED_IN": "'The expert reviewer is Board Certified in ...'",
    "_LICENSED_IN": "'and is licensed to practice in ...'",
    "_CA_GUIDELINE_LABEL": "a 'Claims Administrator guideline:' paragraph",
    "_REVIEWER_GUIDELINE_LABEL": "a 'MAXIMUS guideline:' paragraph",
    "_RATIONALE_LABEL": "a 'Decision rationale:' paragraph",
    "NO_EVIDENCE": "'... did not cite any medical evidence for its decision.'",
    "OUTSIDE_MTUS": "'... based their decision on recommendation(s) outside of the MTUS Guidelines.'",
    "NOT_MTUS": "'... did not base their decision on the MTUS.'",
    "_MTUS_BASED": "'Decision based on MTUS ...'",
    "_NON_MTUS_BASED": "'Decision based on Non-MTUS Citation ...'",
    "_SECTIONS": "', Section(s):'",
    "_AND_ALSO": "', and' before another MTUS part",
    "MTUS_PART": "an MTUS part and year (Low Back Complaints 2004)",
    "SECTION_TEXT": "MTUS section names",
    "CITATION_TEXT": "a citation",
    "_WAS_ORIGINAL": "'was the original request.'",
    "_WAS_AUTHORIZED": "'was authorized by the Claims Administrator.'",
    "_REMAINING": "'The remaining IMR eligible portion of the original request,'",
    "_CA_AUTHORIZED": "'The Claims Administrator authorized'",
    "_LEAVING": "', leaving the original request IMR eligible.'",
    "_THE_ORIGINAL": "'The original request,'",
    "_OUTCOME_COLON": "the ':' before the outcome",
    "OUTCOME": "an outcome (Upheld or Overturned)",
    "TITLE_TEXT": "a decision item's title ('<item>: Upheld' or '<item>: Overturned')",
    "ITEM_NUMBER": "an item number",
    "_COMMA": "','",
    "_SENTENCE_END": "'.'",
    "HOW_TEXT": "the determination boilerplate",
    "BOARD_SPECIALTY": "a specialty",
    "BOARD_STATE": "a state",
    "NAME": "a name",
    "NARRATIVE_TEXT": "the text of the case summary",
    "RATIONALE_TEXT": "the text of the rationale",
    "$END": "the end of the letter",
}


# Structure codes (see imrparse/rules.py): what kind of failure a ParseError is.
STRUCTURE = "S100"
NOT_A_LETTER = "S101"
MISSING_PARAGRAPH = "S102"
MISSING_SECTION = "S103"
TRUNCATED = "S104"
TITLE_WITHOUT_OUTCOME = "S105"
HEADER_PAIRING = "S106"
SECOND_LETTER = "S107"
UNREADABLE = "S000"

ITEM_LABELS = ("_CA_GUIDELINE_LABEL", "_REVIEWER_GUIDELINE_LABEL", "_RATIONALE_LABEL")
HEADINGS = ("_HOW_HEADING", "_SUMMARY_HEADING", "_DECISIONS_HEADING")
LETTER_STARTS = ("CASE_NUMBER_LABEL", "_HOW_HEADING")


class ParseError(ValueError):
    """The text is not a letter the grammar accepts.

    `line` and `column` are 1-based positions in the ORIGINAL input (None when the input
    has no text at all); `expected` names the grammar terminals that would have been
    accepted there; `found` the terminal found instead ("$END" at the end, None when no
    terminal matched); `offset` is the character offset in the original input; `code`
    the structure rule it breaks.
    """

    kind = "parse"

    def __init__(
        self,
        message: str,
        *,
        code: str = STRUCTURE,
        line: int | None = None,
        column: int | None = None,
        offset: int | None = None,
        expected: list[str] | None = None,
        found: str | None = None,
        context: str = "",
    ) -> None:
        self.message = message
        self.code = code
        self.line = line
        self.column = column
        self.offset = offset
        self.expected = expected or []
        self.found = found
        self.context = context
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{where}{message}" + (f"\n{context}" if context else ""))

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "expected": self.expected,
        }


class InputError(ParseError):
    """The input cannot be read as text (binary data, undecodable bytes, too large)."""

    kind = "input"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, code=UNREADABLE, line=line, column=column)


def caret_context(index: LineIndex, line: int, column: int) -> str:
    """The original line, then a caret under the column."""
    text = index.line_text(line).replace("\f", " ").replace("\t", " ")
    return f"    {text}\n    {' ' * (column - 1)}^"


def error_at(
    message: str,
    normalized: Normalized,
    norm_offset: int,
    *,
    code: str = STRUCTURE,
    expected: list[str] | None = None,
    found: str | None = None,
) -> ParseError:
    """A ParseError at an offset of the normalized text, located in the original."""
    offset = normalized.to_original(norm_offset)
    index = LineIndex(normalized.original)
    line, column = index.line_col(offset)
    return ParseError(
        message,
        code=code,
        line=line,
        column=column,
        offset=offset,
        expected=expected,
        found=found,
        context=caret_context(index, line, column),
    )


def describe(names: list[str]) -> str:
    """The expected terminals in words, most specific first, without repeats."""
    words: list[str] = []
    for name in names:
        word = TERMINAL_DESCRIPTIONS.get(name, name)
        if word not in words:
            words.append(word)
    return "; or ".join(words)


def _found(text: str, pos: int) -> str:
    snippet = text[pos : pos + 40].split("\n", 1)[0]
    return repr(snippet) if snippet else "a line break"


def from_lark(exc: UnexpectedInput, normalized: Normalized) -> ParseError:
    """Translate a Lark error into the letter's terms, at the original position."""
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
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:  # exact, unlike the LALR-merged lookahead sets above
        expected = sorted(interactive.accepts())
    expected = [name for name in expected if name != "WS"]
    at_start = not text[:pos].strip()
    if at_start:
        message = (
            "this is not an IMR Final Determination Letter: it should begin with the header "
            "('Case Number: ...') or 'HOW THE IMR FINAL DETERMINATION WAS MADE'; found " + found
        )
    elif found_type in LETTER_STARTS:
        message = f"another letter begins here ({found}) before this one has ended: a file must hold one letter"
    else:
        message = f"found {found}; expected {describe(expected)}"
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
