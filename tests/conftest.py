from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
LETTERS = FIXTURES / "letters"
RECORDS = FIXTURES / "records"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite fixtures/records from the current parser")


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def corpus_dir() -> Path:
    """The real letters: $IMRPARSE_CORPUS, else the copy shipped in fixtures/corpus."""
    return Path(os.environ.get("IMRPARSE_CORPUS", FIXTURES / "corpus"))


def corpus_files(kind: str) -> list[Path]:
    """The corpus' PDFs (`kind` "pdf") or text extractions ("text"), sorted. Called inside a
    test, never at import: a missing corpus is then one clear failure per test that reads it,
    not a collection error that stops every test."""
    found = sorted((corpus_dir() / kind).glob("*.pdf" if kind == "pdf" else "*.txt"))
    if not found:
        pytest.fail(f"the real-letter corpus has no {kind} files at {corpus_dir() / kind} (fixtures/corpus, or set IMRPARSE_CORPUS)")
    return found


def all_spans(node: Any) -> list[list[int]]:
    """Every span in a record, however deep: keys ending in "span", and in each `spans` (field ->
    a span, or a list of spans parallel to the field's list)."""
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k.endswith("span") and v is not None]
        for value in node.get("spans", {}).values():
            found += value if not value or isinstance(value[0], list) else [value]
        return found + [s for k, v in node.items() if not k.endswith("span") and k != "spans" for s in all_spans(v)]
    if isinstance(node, list):
        return [s for v in node for s in all_spans(v)]
    return []


def skip_because(reason: str, *, missing_privilege: bool = False) -> NoReturn:
    """Skip a test this machine cannot run. Under CI (CI=true) only a missing privilege may
    skip it (the reason then says so); anything else missing there is a failure, so CI never
    passes on tests it did not run."""
    if missing_privilege:
        pytest.skip(f"missing privilege: {reason}")
    if os.environ.get("CI") == "true":
        pytest.fail(f"under CI this test must run, not skip: {reason}")
    pytest.skip(reason)


def without_source(record: Any) -> Any:
    """A record as `parse` gives it: without the `source` that `parse_file` and `parse_many` add."""
    return {k: v for k, v in record.items() if k != "source"}


def without_positions(node: Any, drop: tuple[str, ...] = ()) -> Any:
    """A record (or any part of one) without its spans and without the keys in `drop`, however
    deep: what two readings of one letter (two extractions, an edit elsewhere) must agree on."""
    if isinstance(node, dict):
        return {k: without_positions(v, drop) for k, v in node.items() if not k.endswith("span") and k != "spans" and k not in drop}
    if isinstance(node, list):
        return [without_positions(v, drop) for v in node]
    return node
