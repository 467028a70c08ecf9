"""Finding the grammar file and building its parsers once per process.

Two parsers are built from one grammar:
  * the record parser runs the record callbacks inline while it parses (as Lark's LALR
    `transformer=`): no tree, no position propagation; `parse` uses it;
  * the tree parser builds the parse tree with positions on every node; `imrparse debug`,
    `validate` and every error report use it, because errors are reported by re-parsing a
    failing letter with plain Lark (its interactive parser says what was expected).
Both keep every token, so the callbacks see the same children either way.

The record parser runs on imrparse's own engine (`engine.py`: Lark's LALR tables, a lean loop
and lexer). For the shipped grammar its tables ship in the package (`imr_letter.lalr.json`, made
by `loader.write_shipped_tables()`), so no process builds the grammar or reads a cache to parse; a
test checks they belong to the grammar. Another grammar's tables come from its Lark parser
(built once per process, through Lark's on-disk cache). IMRPARSE_ENGINE=lark runs the record
parser on Lark itself instead: on lark-cython (a compiled LALR parser and lexer, the
`imrparse[fast]` extra) when it is installed, unless IMRPARSE_PURE_PYTHON=1, else on plain Lark.
Errors never come from the record parser: a letter it rejects is parsed again by the tree parser.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, cast

from lark import Lark
from lark.exceptions import GrammarError, LexError, UnexpectedInput

from imrparse.errors import ParseError
from imrparse.grammar import landmarks, lark_seam
from imrparse.grammar.engine import LeanParser, compile_tables
from imrparse.grammar.files import TABLES_PATH, grammar_digest, shipped_tables
from imrparse.grammar.files import default_grammar_path as default_grammar_path
from imrparse.read.builder import RecordBuilder

# What `parse` runs: the engine of engine.py, or a Lark parser (IMRPARSE_ENGINE=lark).
RecordParser = LeanParser | Lark

# Extra start symbols let a grammar author parse one part of a letter alone.
START_SYMBOLS = ("start", "header", "how_section", "summary_section", "decisions_section", "item")


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
        _plugins=lark_seam.compiled_plugins() if records and compiled else {},
    )


@functools.lru_cache(maxsize=8)
def get_parser(grammar_path: Path | None = None) -> Lark:
    """The tree parser for a grammar file, built once per process and path."""
    path = grammar_path or default_grammar_path()
    return build_parser(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def get_record_parser(grammar_path: Path | None = None) -> RecordParser:
    """The record parser for a grammar file, built once per process and path: the engine with
    the shipped tables when the file is the shipped grammar (byte for byte), else with tables
    compiled from its tree parser; a Lark parser if the engine cannot run the grammar exactly,
    or with IMRPARSE_ENGINE=lark."""
    path = grammar_path or default_grammar_path()
    text = path.read_text(encoding="utf-8")
    if os.environ.get("IMRPARSE_ENGINE") == "lark":
        return build_parser(text, records=True)
    tables = shipped_tables(text)
    if tables is None:
        tables = compile_tables(get_parser(grammar_path))
    if tables is None:
        return build_parser(text, records=True)
    return LeanParser(tables, RecordBuilder())


def load_grammar(path: Path | None, *, records: bool = False) -> Lark:
    """The tree parser (or with `records=True` the record parser) for a grammar file, the shipped
    one by default; a grammar that does not compile is a ParseError naming the grammar file's
    own line and column."""
    try:
        if records:
            # The record parser is built (so a broken grammar fails here), but it is imrparse's
            # engine unless IMRPARSE_ENGINE=lark; callers only build it, and read nothing from it.
            return cast(Lark, get_record_parser(path))
        return get_parser(path)
    except (GrammarError, LexError, UnexpectedInput) as exc:  # UnexpectedInput: the grammar's own syntax
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        raise ParseError(f"the grammar {path or 'shipped'} does not compile: {exc}", line=line, column=column) from None


def write_shipped_tables() -> Path:
    """Make the shipped grammar's tables and the treatment grammar's scanner (after a grammar
    changes; tests say when)."""
    text = default_grammar_path().read_text(encoding="utf-8")
    tables = compile_tables(build_parser(text, cache=False))
    if tables is None:
        raise SystemExit("the engine cannot run this grammar exactly; the record parser will run on Lark")
    tables["grammar_sha256"] = grammar_digest(text)
    tables["landmarks"] = landmarks.terminal_patterns(text)
    _write_json(TABLES_PATH, tables)
    from imrparse.read import treatment

    treatment.write_shipped_scanner()
    return TABLES_PATH


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """A line per key, compact within: the file is data, made and checked by code."""
    lines = (f"{json.dumps(key)}: {json.dumps(data[key], sort_keys=True, separators=(',', ':'))}" for key in sorted(data))
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
