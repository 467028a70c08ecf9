"""The conformance rules `imrparse validate` checks: a stable code, a default severity and a
one-line description each. Codes never change meaning; new rules get new codes.

S: structure (the letter does not parse), H: header, R: reviewer, D: decision items,
N: narrative (case summary), L: the parts of a layout, O: how a copy of the letter was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    description: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "severity": self.severity, "description": self.description}


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("S000", "unreadable-input", "error",
             "The input cannot be read as text: binary data, a directory, a missing or unreadable file."),
        Rule("S100", "structure", "error", "The letter does not follow the structure of a final determination letter."),
        Rule("S101", "not-a-letter", "error", "The input is empty or does not begin like a final determination letter."),
        Rule("S102", "missing-paragraph", "error", "A decision item lacks its guideline or rationale paragraph, or has them out of order."),
        Rule("S103", "missing-section", "error", "A section heading is missing, misspelled or out of order."),
        Rule("S104", "truncated", "error", "The letter ends before its last section or item is complete."),
        Rule("S105", "title-without-outcome", "error", "A decision item's title has no outcome, so its paragraphs belong to no item."),
        Rule("S106", "header-pairing", "error", "A header label has no value, a value of the wrong kind, or is repeated."),
        Rule("S107", "second-letter", "error", "Another letter begins before this one ends: one file holds two letters."),
        Rule("L601", "layout-part-missing", "error",
             "A 2013 letter lacks a part of its layout (maximus-2013: the decision and rationale heading, the reviewer's "
             "qualifications, the case summary; mpr-2013: its six headings). Reads the headings; the 2013 layouts are known "
             "from few samples (README)."),
        Rule("O701", "read-as-a-copy", "info",
             "The letter was read as a scanned, faxed or flattened copy: page furniture or debris left out, a landmark or a value "
             "whose OCR reading had one meaning repaired, a landmark that was mid-line put on its own line. The record lists each "
             "repair (`repairs`); `validate --strict-text` reads the text as it is, and reports what this rule repairs as errors."),
        Rule("H201", "no-header", "warning", "The letter has no header block (case number and dates)."),
        Rule("H202", "header-field-missing", "error", "The header lacks one of its seven fields."),
        Rule("H203", "date-invalid", "error", "A header date is not a calendar date written MM/DD/YYYY."),
        Rule("H204", "dates-out-of-order", "error",
             "Header dates are out of order (injury <= UR denial <= application received <= assigned <= decision)."),
        Rule("H205", "case-number-malformed", "error", "The case number is not written CMyy-nnnnnnn."),
        Rule("R301", "licensure-missing", "error", "The reviewer's state of licensure is missing."),
        Rule("R302", "specialty-missing", "error", "The reviewer's certification or specialty is missing."),
        Rule("R303", "credentials-wording-unknown", "warning",
             "The credentials sentence has a clause in none of its known wordings; the lists hold what the rest said."),
        Rule("D401", "outcome-invalid", "error",
             "A decision's outcome is not written 'Upheld' or 'Overturned'. Reads the word after the title's last colon."),
        Rule("D402", "outcome-contradicts-rationale", "error",
             "The rationale concludes the opposite of the outcome (Upheld but necessary, Overturned but not necessary). Reads the "
             "rationale's last clause that states necessity: a copula ('is', 'cannot be', 'is determined to be'), an optional "
             "'not' or 'non-' bound to it, 'medically necessary'. Cannot judge a rationale with no such clause ('is not "
             "medically appropriate'): no finding; nor whether the clause's subject is the item decided."),
        Rule("D403", "duplicate-treatment", "error",
             "The same treatment is decided twice in one letter. Compares treatments case- and space-insensitively; cannot judge "
             "two wordings of one treatment."),
        Rule("D404", "paragraph-empty", "error",
             "A case summary, guideline paragraph, guideline citation or rationale has no words (no run of two letters)."),
        Rule("D405", "guideline-wording-unknown", "warning",
             "A guideline paragraph has a sentence in none of the known wordings of a citation; it is kept as text."),
        Rule("D406", "title-wording-unknown", "warning",
             "A title reads like a partial authorization ('original request') in none of its known wordings."),
        Rule("D407", "text-cut-short", "error",
             "The letter looks cut short: a rationale ends mid-sentence, or states no conclusion on medical necessity where "
             "every other item of the letter states one, or the letter's text ends mid-sentence. A sentence ends with '.', '!' "
             "or '?' (or the words 'medically necessary'); a conclusion is a clause D402 reads, or 'medically appropriate', "
             "'indicated', 'reasonable' or 'warranted'. Cannot tell a letter cut at the end of a concluded item."),
        Rule("N501", "injury-date-mismatch", "warning",
             "The case summary gives a different date of injury than the header. Reads the summary's first 'industrial, "
             "work-related or occupational injury or claim (on, of, from, dated) DATE' or 'date of injury (is, was) DATE'; "
             "cannot judge a date stated otherwise."),
    )
}


def _matches(rule: Rule, pattern: str) -> bool:
    """A pattern is a code ("D402"), a prefix ("D", "S1") or a name ("duplicate-treatment")."""
    return rule.code.startswith(pattern.upper()) or rule.name == pattern.lower()


def select_rules(select: list[str] | None, ignore: list[str] | None) -> set[str]:
    """The codes in force: those `select` names (all by default) that `ignore` does not."""
    chosen = {code for code, rule in RULES.items() if not select or any(_matches(rule, p) for p in select)}
    return {code for code in chosen if not ignore or not any(_matches(RULES[code], p) for p in ignore)}


def unknown_patterns(patterns: list[str]) -> list[str]:
    """The entries of --select/--ignore that name no rule (a typo should not silently select nothing)."""
    return [p for p in patterns if not any(_matches(rule, p) for rule in RULES.values())]
