"""The record parser runs on imrparse's engine (engine.py, with the shipped tables); on Lark with
IMRPARSE_ENGINE=lark: lark-cython when it is installed, plain Lark otherwise. All three must give
the same records and, because errors always come from the plain-Lark tree parser, the same error
messages and positions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, LETTERS, corpus_dir
from lark import Lark

import imrparse
from imrparse import api
from imrparse.errors import ParseError
from imrparse.grammar import engine, lark_seam, loader
from imrparse.read.builder import RecordBuilder

GRAMMAR = loader.default_grammar_path().read_text(encoding="utf-8")
TEXTS = sorted((corpus_dir() / "text").glob("*.txt")) + sorted(LETTERS.glob("*.txt"))
FAILING = sorted((FIXTURES / "bad").glob("*.txt")) + sorted((FIXTURES / "rules").glob("S1*.fail.txt"))


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    """The shipped tables; a stale file fails here, with what to run, not at collection."""
    tables = loader.shipped_tables(GRAMMAR)
    assert tables is not None, ("imrparse/grammar/imr_letter.lalr.json was not made from grammar/imr_letter.lark: run "
                                "python -c 'from imrparse.grammar import loader; loader.write_shipped_tables()'")
    return tables


@pytest.fixture(scope="module")
def parsers(shipped: dict[str, Any]) -> dict[str, Lark | engine.LeanParser]:
    """The record parser three ways: imrparse's engine, Lark on lark-cython, plain Lark."""
    return {"lean": engine.LeanParser(shipped, RecordBuilder()),
            "compiled": loader.build_parser(GRAMMAR, records=True, compiled=True),
            "pure": loader.build_parser(GRAMMAR, records=True, compiled=False)}


def _engine(parser: Lark | engine.LeanParser) -> str:
    if isinstance(parser, engine.LeanParser):
        return "imrparse"
    return type(parser.parser.parser).__module__.split(".")[0]


def test_the_shipped_tables_belong_to_the_shipped_grammar(shipped: dict[str, Any]) -> None:
    assert shipped["grammar_sha256"] == loader.grammar_digest(GRAMMAR)


def test_the_record_parser_is_the_engine_and_lark_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _engine(loader.get_record_parser()) == "imrparse"
    assert _engine(loader.get_parser()) == "lark"  # trees and errors: always plain Lark
    monkeypatch.setenv("IMRPARSE_ENGINE", "lark")
    loader.get_record_parser.cache_clear()
    try:
        assert _engine(loader.get_record_parser()) == "lark_cython"  # the test extra installs it
    finally:
        loader.get_record_parser.cache_clear()


def test_the_compiled_engine_is_lark_cython_and_the_fallback_plain_lark(parsers: dict[str, Any]) -> None:
    assert _engine(parsers["compiled"]) == "lark_cython"
    assert _engine(parsers["pure"]) == "lark"


def test_tables_compiled_at_run_time_match_the_shipped_ones(monkeypatch: pytest.MonkeyPatch, shipped: dict[str, Any],
                                                            parsers: dict[str, Any]) -> None:
    """What a grammar other than the shipped one gets: tables compiled from its Lark parser.
    (Lark numbers its states differently from one process to the next, so the tables are
    compared by what they parse.)"""
    compiled = engine.compile_tables(loader.get_parser())
    assert compiled is not None
    assert compiled["terminals"] == shipped["terminals"] and len(compiled["states"]) == len(shipped["states"])
    lean = engine.LeanParser(compiled, RecordBuilder())
    for path in TEXTS[:20]:
        text = path.read_text(encoding="utf-8")
        assert _parse_with(lean, monkeypatch, text) == _parse_with(parsers["pure"], monkeypatch, text)


def test_without_lark_cython_the_record_parser_is_plain_lark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lark_cython", None)  # import fails as if not installed
    assert lark_seam.compiled_plugins() == {}
    assert _engine(loader.build_parser(GRAMMAR, records=True)) == "lark"


def test_pure_python_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMRPARSE_PURE_PYTHON", "1")
    assert _engine(loader.build_parser(GRAMMAR, records=True)) == "lark"


def _parse_with(parser: Lark | engine.LeanParser, monkeypatch: pytest.MonkeyPatch, text: str) -> dict[str, Any]:
    monkeypatch.setattr(api, "get_record_parser", lambda grammar=None: parser)
    return imrparse.parse(text)


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_every_engine_builds_the_same_record(path: Path, monkeypatch: pytest.MonkeyPatch, parsers: dict[str, Any]) -> None:
    """Plain Lark is what imrparse runs on with the engine deleted: the corpus parses the same."""
    text = path.read_text(encoding="utf-8")
    lean, compiled, pure = (_parse_with(parsers[name], monkeypatch, text) for name in ("lean", "compiled", "pure"))
    assert lean == compiled == pure
    assert lean["decisions"]


def _error_with(parser: Lark | engine.LeanParser, monkeypatch: pytest.MonkeyPatch, text: str) -> dict[str, Any]:
    with pytest.raises(ParseError) as caught:
        _parse_with(parser, monkeypatch, text)
    error = caught.value
    return {"str": str(error), "code": error.code, "line": error.line, "column": error.column,
            "expected": error.expected, "found": error.found, "context": error.context}


@pytest.mark.parametrize("path", FAILING, ids=lambda p: p.name)
def test_every_engine_reports_the_same_error(path: Path, monkeypatch: pytest.MonkeyPatch, parsers: dict[str, Any]) -> None:
    text = path.read_text(encoding="utf-8")
    lean, compiled, pure = (_error_with(parsers[name], monkeypatch, text) for name in ("lean", "compiled", "pure"))
    assert lean == compiled == pure
    assert lean["line"] is not None and lean["column"] is not None


def test_threads_parsing_at_once_get_their_own_records() -> None:
    """The inline callbacks read the letter being parsed from a context variable, so threads
    sharing the one record parser do not mix up each other's text and spans."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [path.read_text(encoding="utf-8") for path in TEXTS] * 3
    expected = [imrparse.parse(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(imrparse.parse, texts)) == expected


def test_every_lark_seam_reaches_what_it_reads() -> None:
    """lark_seam is the one place imrparse reads Lark's private parts: each of its functions must
    still find them in the installed Lark (a release that moves one fails here, by name)."""
    from lark import Tree

    parser = loader.get_parser()
    table = lark_seam.parse_table(parser)
    assert set(table.start_states) >= {"start", "item"} and table.states
    interactive = parser.parse_interactive("HOW THE IMR FINAL DETERMINATION WAS MADE", start="start")
    for _ in interactive.iter_parse():
        pass
    assert isinstance(lark_seam.values_so_far(interactive), list)
    tree = lark_seam.grammar_syntax_tree(GRAMMAR)
    assert isinstance(tree, Tree) and tree.children


def test_a_moved_lark_attribute_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    class Moved:
        parser = None

    with pytest.raises(lark_seam.LarkChanged, match=r"lark_seam\.parse_table"):
        lark_seam.parse_table(Moved())  # type: ignore[arg-type]
