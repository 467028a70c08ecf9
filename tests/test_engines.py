"""The record parser runs on imrparse's engine (engine.py, with the shipped tables); on Lark with
IMRPARSE_ENGINE=lark: lark-cython when it is installed, plain Lark otherwise. All three must give
the same records and, because errors always come from the plain-Lark tree parser, the same error
messages and positions."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, LETTERS, corpus_dir
from lark import Lark

import imrparse
from imrparse import api
from imrparse.errors import ParseError
from imrparse.grammar import engine, loader
from imrparse.read.builder import RecordBuilder

# The parsers are built on first use, inside a test: building one at import would turn a fault
# in it into a collection error that stops every test.


@functools.cache
def _grammar() -> str:
    return loader.default_grammar_path().read_text(encoding="utf-8")


@functools.cache
def _compiled() -> Lark:
    return loader.build_parser(_grammar(), records=True, compiled=True)


@functools.cache
def _pure() -> Lark:
    return loader.build_parser(_grammar(), records=True, compiled=False)


@functools.cache
def _shipped() -> dict[str, Any] | None:
    return loader.shipped_tables(_grammar())


@functools.cache
def _lean() -> engine.LeanParser:
    return engine.LeanParser(_shipped() or {}, RecordBuilder())


TEXTS = sorted((corpus_dir() / "text").glob("*.txt")) + sorted(LETTERS.glob("*.txt"))
FAILING = sorted((FIXTURES / "bad").glob("*.txt")) + sorted((FIXTURES / "rules").glob("S1*.fail.txt"))


def _engine(parser: Lark | engine.LeanParser) -> str:
    if isinstance(parser, engine.LeanParser):
        return "imrparse"
    return type(parser.parser.parser).__module__.split(".")[0]


def test_the_shipped_tables_belong_to_the_shipped_grammar() -> None:
    assert _shipped() is not None, ("imrparse/grammar/imr_letter.lalr.json was not made from grammar/imr_letter.lark: run "
                                 "python -c 'from imrparse import loader; loader.write_shipped_tables()'")


def test_the_record_parser_is_the_engine_and_lark_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _engine(loader.get_record_parser()) == "imrparse"
    assert _engine(loader.get_parser()) == "lark"  # trees and errors: always plain Lark
    monkeypatch.setenv("IMRPARSE_ENGINE", "lark")
    loader.get_record_parser.cache_clear()
    try:
        assert _engine(loader.get_record_parser()) == "lark_cython"  # the test extra installs it
    finally:
        loader.get_record_parser.cache_clear()


def test_the_compiled_engine_is_lark_cython_and_the_fallback_plain_lark() -> None:
    assert _engine(_compiled()) == "lark_cython"
    assert _engine(_pure()) == "lark"


def test_tables_compiled_at_run_time_match_the_shipped_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a grammar other than the shipped one gets: tables compiled from its Lark parser.
    (Lark numbers its states differently from one process to the next, so the tables are
    compared by what they parse.)"""
    compiled = engine.compile_tables(loader.get_parser())
    tables = _shipped()
    assert compiled is not None and tables is not None
    assert compiled["terminals"] == tables["terminals"] and len(compiled["states"]) == len(tables["states"])
    lean = engine.LeanParser(compiled, RecordBuilder())
    for path in TEXTS[:20]:
        text = path.read_text(encoding="utf-8")
        assert _parse_with(lean, monkeypatch, text) == _parse_with(_pure(), monkeypatch, text)


def test_without_lark_cython_the_record_parser_is_plain_lark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lark_cython", None)  # import fails as if not installed
    assert loader.compiled_plugins() == {}
    assert _engine(loader.build_parser(_grammar(), records=True)) == "lark"


def test_pure_python_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMRPARSE_PURE_PYTHON", "1")
    assert _engine(loader.build_parser(_grammar(), records=True)) == "lark"


def _parse_with(parser: Lark | engine.LeanParser, monkeypatch: pytest.MonkeyPatch, text: str) -> dict[str, Any]:
    monkeypatch.setattr(api, "get_record_parser", lambda grammar=None: parser)
    return imrparse.parse(text)


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_every_engine_builds_the_same_record(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    lean = _parse_with(_lean(), monkeypatch, text)
    assert lean == _parse_with(_compiled(), monkeypatch, text) == _parse_with(_pure(), monkeypatch, text)
    assert lean["decisions"]


def _error_with(parser: Lark | engine.LeanParser, monkeypatch: pytest.MonkeyPatch, text: str) -> dict[str, Any]:
    with pytest.raises(ParseError) as caught:
        _parse_with(parser, monkeypatch, text)
    error = caught.value
    return {"str": str(error), "code": error.code, "line": error.line, "column": error.column,
            "expected": error.expected, "found": error.found, "context": error.context}


@pytest.mark.parametrize("path", FAILING, ids=lambda p: p.name)
def test_every_engine_reports_the_same_error(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    lean = _error_with(_lean(), monkeypatch, text)
    assert lean == _error_with(_compiled(), monkeypatch, text) == _error_with(_pure(), monkeypatch, text)
    assert lean["line"] is not None and lean["column"] is not None


def test_threads_parsing_at_once_get_their_own_records() -> None:
    """The inline callbacks read the letter being parsed from a context variable, so threads
    sharing the one record parser do not mix up each other's text and spans."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [path.read_text(encoding="utf-8") for path in TEXTS] * 3
    expected = [imrparse.parse(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(imrparse.parse, texts)) == expected


def test_the_shipped_lexer_code_is_this_pythons_own() -> None:
    """The lexers' compiled code ships with the tables (a new process skips `re`'s compiler);
    on the Python it was made with, each pattern from it is the pattern `re.compile` makes."""
    import re

    tables = _shipped()
    assert tables is not None
    sources = engine.lexer_sources(tables)
    shipped = engine._usable_sre(tables.get("sre"), sources)
    if shipped is None:
        pytest.skip(f"the shipped lexer code was made on {tables['sre']['python']}, not this Python")
    text = (LETTERS / "seed_000_3ff69cc2fa494158.txt").read_text(encoding="utf-8")
    for source, entry in zip(sources, shipped, strict=True):
        pattern = engine.from_sre(source, entry)
        assert pattern is not None
        compiled = re.compile(source)
        assert (pattern.pattern, pattern.flags, pattern.groupindex) == (compiled.pattern, compiled.flags, compiled.groupindex)
        for pos in range(0, len(text), 97):
            found, expected = pattern.match(text, pos), compiled.match(text, pos)
            assert (found and (found.lastgroup, found.span())) == (expected and (expected.lastgroup, expected.span()))


def test_lexer_code_that_does_not_fit_is_compiled_from_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = _shipped()
    assert tables is not None
    sources = engine.lexer_sources(tables)
    entry = dict(tables["sre"]["lexers"][0])
    assert engine.from_sre(sources[0] + " ", entry) is None  # another pattern's code
    entry["code"] = "AAAAAA=="  # code the regular-expression engine refuses
    assert engine.from_sre(sources[0], entry) is None
    assert engine._usable_sre({**tables["sre"], "magic": 0}, sources) is None
    text = (LETTERS / "seed_000_3ff69cc2fa494158.txt").read_text(encoding="utf-8")
    expected = imrparse.parse(text)
    assert _parse_with(engine.LeanParser({**tables, "sre": None}, RecordBuilder()), monkeypatch, text) == expected


def test_the_precompiled_patterns_are_what_re_compile_makes() -> None:
    """imrparse/precompiled.json: the patterns imrparse compiles at start, with their code for
    the Python it was made on, put in re's cache at import; each must be re.compile's own."""
    import re

    import orjson

    from imrparse import precompiled

    shipped = orjson.loads(precompiled.PATH.read_bytes())
    if not engine.sre_header_matches(shipped):
        pytest.skip(f"the precompiled patterns were made on {shipped['python']}, not this Python")
    assert len(shipped["patterns"]) >= 30
    sample = (LETTERS / "seed_000_3ff69cc2fa494158.txt").read_text(encoding="utf-8")
    for entry in shipped["patterns"]:
        pattern = engine.from_sre(entry["pattern"], entry)
        assert pattern is not None, entry["pattern"]
        compiled = re._compiler.compile(entry["pattern"], entry["flags"])  # type: ignore[attr-defined]  # not from re's cache
        assert (pattern.pattern, pattern.flags, pattern.groupindex) == (compiled.pattern, compiled.flags, compiled.groupindex)
        assert [m.span() for m in pattern.finditer(sample)] == [m.span() for m in compiled.finditer(sample)]
    assert precompiled.fill_re_cache(Path("/nonexistent")) == 0
