"""The record parser runs on lark-cython when it is installed and on plain Lark otherwise; both
must give the same records and, because errors always come from the plain-Lark tree parser,
the same error messages and positions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, LETTERS, corpus_dir
from lark import Lark

import imrparse
from imrparse import api, loader
from imrparse.errors import ParseError

GRAMMAR = loader.default_grammar_path().read_text(encoding="utf-8")
COMPILED = loader.build_parser(GRAMMAR, records=True, compiled=True)
PURE = loader.build_parser(GRAMMAR, records=True, compiled=False)
TEXTS = sorted((corpus_dir() / "text").glob("*.txt")) + sorted(LETTERS.glob("*.txt"))
FAILING = sorted((FIXTURES / "bad").glob("*.txt")) + sorted((FIXTURES / "rules").glob("S1*.fail.txt"))


def _engine(parser: Lark) -> str:
    return type(parser.parser.parser).__module__.split(".")[0]


def test_the_compiled_engine_is_lark_cython_and_the_fallback_plain_lark() -> None:
    assert _engine(COMPILED) == "lark_cython"  # the test extra installs it
    assert _engine(PURE) == "lark"
    assert _engine(loader.get_record_parser()) == "lark_cython"
    assert _engine(loader.get_parser()) == "lark"  # trees and errors: always plain Lark


def test_without_lark_cython_the_record_parser_is_plain_lark(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lark_cython", None)  # import fails as if not installed
    assert loader.compiled_plugins() == {}
    assert _engine(loader.build_parser(GRAMMAR, records=True)) == "lark"


def test_pure_python_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMRPARSE_PURE_PYTHON", "1")
    assert _engine(loader.build_parser(GRAMMAR, records=True)) == "lark"


def _parse_with(parser: Lark, monkeypatch: pytest.MonkeyPatch, text: str) -> dict[str, Any]:
    monkeypatch.setattr(api, "get_record_parser", lambda grammar=None: parser)
    return imrparse.parse(text)


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_both_engines_build_the_same_record(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    compiled = _parse_with(COMPILED, monkeypatch, text)
    assert compiled == _parse_with(PURE, monkeypatch, text)
    assert compiled["decisions"]


def _error_with(parser: Lark, monkeypatch: pytest.MonkeyPatch, text: str) -> dict[str, Any]:
    with pytest.raises(ParseError) as caught:
        _parse_with(parser, monkeypatch, text)
    error = caught.value
    return {"str": str(error), "code": error.code, "line": error.line, "column": error.column,
            "expected": error.expected, "found": error.found, "context": error.context}


@pytest.mark.parametrize("path", FAILING, ids=lambda p: p.name)
def test_both_engines_report_the_same_error(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    compiled = _error_with(COMPILED, monkeypatch, text)
    assert compiled == _error_with(PURE, monkeypatch, text)
    assert compiled["line"] is not None and compiled["column"] is not None


def test_threads_parsing_at_once_get_their_own_records() -> None:
    """The inline callbacks read the letter being parsed from a context variable, so threads
    sharing the one record parser do not mix up each other's text and spans."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [path.read_text(encoding="utf-8") for path in TEXTS] * 3
    expected = [imrparse.parse(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(imrparse.parse, texts)) == expected
