"""Where the shipped grammar files are: package data in an installed wheel, `grammar/` in a checkout."""

from __future__ import annotations

from pathlib import Path

LETTER_GRAMMAR = "imr_letter.lark"
TREATMENT_GRAMMAR = "treatment.lark"


def default_grammar_path(name: str = LETTER_GRAMMAR) -> Path:
    """A shipped grammar file (the letter's by default)."""
    here = Path(__file__).resolve().parent
    checkout = here.parent.parent / "grammar"
    for candidate in (here / name, checkout / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} is missing from {here} and {checkout}")
