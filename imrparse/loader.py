"""Finding the grammar file and building its parser once per process."""

from __future__ import annotations

import functools
from pathlib import Path

from lark import Lark

GRAMMAR_NAME = "imr_letter.lark"

# Extra start symbols let a grammar author parse one part of a letter alone.
START_SYMBOLS = ("start", "header", "how_section", "summary_section", "decisions_section", "item")


def default_grammar_path() -> Path:
    """The shipped grammar: package data in an installed wheel, `grammar/` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammar" / GRAMMAR_NAME, here.parent / "grammar" / GRAMMAR_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{GRAMMAR_NAME} is missing from {here} and {here.parent / 'grammar'}")


def build_parser(grammar_text: str, *, strict: bool = False, cache: bool = True) -> Lark:
    """Compile the grammar: LALR, contextual lexer, positions on every node.

    `strict=True` refuses LALR conflicts and terminal collisions (the test suite and
    `imrparse grammar check` build that way); the everyday parser skips the check and
    reuses Lark's on-disk cache, keyed by the grammar's hash, so a new process does
    not recompile the grammar.
    """
    return Lark(
        grammar_text,
        parser="lalr",
        lexer="contextual",
        start=list(START_SYMBOLS),
        propagate_positions=True,
        maybe_placeholders=False,
        strict=strict,
        cache=cache and not strict,
    )


@functools.lru_cache(maxsize=8)
def get_parser(grammar_path: Path | None = None) -> Lark:
    """The parser for a grammar file, built once per process and path."""
    path = grammar_path or default_grammar_path()
    return build_parser(path.read_text(encoding="utf-8"))
