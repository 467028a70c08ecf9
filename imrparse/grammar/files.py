"""Where the shipped grammar files are: package data in an installed wheel, `grammar/` in a checkout."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

import orjson

LETTER_GRAMMAR = "imr_letter.lark"
# The shipped letter grammar's tables (for grammar/engine.py) and its terminals' expressions (for
# grammar/landmarks.py), made from it by `loader.write_shipped_tables()`.
TABLES_PATH = Path(__file__).resolve().parent / "imr_letter.lalr.json"
TREATMENT_GRAMMAR = "treatment.lark"


def default_grammar_path(name: str = LETTER_GRAMMAR) -> Path:
    """A shipped grammar file (the letter's by default)."""
    here = Path(__file__).resolve().parent
    checkout = here.parent.parent / "grammar"
    for candidate in (here / name, checkout / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} is missing from {here} and {checkout}")


def grammar_digest(grammar_text: str) -> str:
    return hashlib.sha256(grammar_text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def _shipped() -> dict[str, Any] | None:
    try:
        tables: dict[str, Any] = orjson.loads(TABLES_PATH.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return tables


def shipped_tables(grammar_text: str) -> dict[str, Any] | None:
    """The shipped tables, if they were made from this grammar text (read once per process)."""
    tables = _shipped()
    return tables if tables is not None and tables.get("grammar_sha256") == grammar_digest(grammar_text) else None
