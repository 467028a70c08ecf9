"""Finding the grammar file and building its parsers once per process.

Two parsers are built from one grammar (and one on-disk cache entry):
  * the record parser runs the record callbacks inline while it parses (LALR `transformer=`):
    no tree, no position propagation; `parse` uses it;
  * the tree parser builds the parse tree with positions on every node; `imrparse debug`,
    `validate` and every error report use it, because errors are reported by re-parsing a
    failing letter with plain Lark (its interactive parser says what was expected).
Both keep every token, so the callbacks see the same children either way.

The record parser runs on lark-cython (a compiled LALR parser and lexer for Lark) when it is
installed, the `imrparse[fast]` extra, unless IMRPARSE_PURE_PYTHON=1; otherwise on plain Lark.
Errors never come from lark-cython, whose exceptions lack what reporting needs (with lark
1.3.1, `str(e)` and `accepts` fail): a letter it rejects is parsed again by the tree parser.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from lark import Lark

from .transformer import RecordBuilder

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


def compiled_plugins() -> dict[str, Any]:
    """lark-cython's parser and lexer classes, or {} when it is absent or turned off."""
    if os.environ.get("IMRPARSE_PURE_PYTHON") == "1":
        return {}
    try:
        import lark_cython
    except ImportError:
        return {}
    return dict(lark_cython.plugins)


def build_parser(grammar_text: str, *, strict: bool = False, cache: bool = True, records: bool = False,
                 compiled: bool = True) -> Lark:
    """Compile the grammar: LALR, contextual lexer, every token kept.

    `records=True` builds the record parser (callbacks inline, no tree), on lark-cython when
    it is available, unless `compiled=False`; otherwise the tree parser, with
    positions on every node, always on plain Lark. `strict=True` refuses LALR conflicts and terminal
    collisions (the test suite and `imrparse grammar check` build that way); the everyday
    parsers skip the check and reuse Lark's on-disk cache, keyed by the grammar's hash, so a
    new process does not recompile the grammar.
    """
    return Lark(
        grammar_text,
        parser="lalr",
        lexer="contextual",
        start=list(START_SYMBOLS),
        keep_all_tokens=True,
        maybe_placeholders=False,
        propagate_positions=not records,
        transformer=RecordBuilder() if records else None,
        strict=strict,
        cache=cache and not strict,
        _plugins=compiled_plugins() if records and compiled else {},
    )


@functools.lru_cache(maxsize=8)
def get_parser(grammar_path: Path | None = None) -> Lark:
    """The tree parser for a grammar file, built once per process and path."""
    path = grammar_path or default_grammar_path()
    return build_parser(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def get_record_parser(grammar_path: Path | None = None) -> Lark:
    """The record parser for a grammar file, built once per process and path."""
    path = grammar_path or default_grammar_path()
    return build_parser(path.read_text(encoding="utf-8"), records=True)
