"""`imrparse load`: the corpus into DuckDB, idempotent, and the README's queries give the
answers the README shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, corpus_dir
from typer.testing import CliRunner

from imrparse.cli.commands import app

runner = CliRunner()


def _load(db: Path) -> None:
    result = runner.invoke(app, ["load", str(corpus_dir() / "text"), "--glob", "*.pdftotext.txt", "--db", str(db), "--workers", "2"])
    assert result.exit_code == 0, result.stderr


def _counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return {name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
                for name in ("letters", "decisions", "citations", "errors")}


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("duck") / "corpus.duckdb"
    _load(db)
    return db


@pytest.mark.corpus
def test_loading_twice_adds_nothing(database: Path) -> None:
    first = _counts(database)
    assert first == {"letters": 49, "decisions": 111, "citations": 253, "errors": 0}
    _load(database)
    assert _counts(database) == first


def test_failures_are_rows_of_errors_and_reloading_them_adds_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("Dear Sir,\n")
    db = tmp_path / "x.duckdb"
    for _ in range(2):
        assert runner.invoke(app, ["load", str(bad), str(tmp_path / "missing.txt"), "--db", str(db), "--workers", "1"]).exit_code == 1
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT code, line FROM errors ORDER BY code").fetchall() == [("S000", None), ("S101", 1)]


README_QUERY = re.compile(r"<!-- duckdb:query -->\n```sql\n(.*?);\n```\n(\|.*?\n)\n", re.DOTALL)


@pytest.mark.corpus
def test_the_readme_queries_give_the_readme_answers(database: Path) -> None:
    found = README_QUERY.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(found) == 8
    with duckdb.connect(str(database), read_only=True) as connection:
        for query, table in found:
            lines = table.strip().split("\n")
            result = connection.sql(query)
            assert lines[0] == "| " + " | ".join(result.columns) + " |"
            assert lines[2:] == ["| " + " | ".join(str(v) for v in row) + " |" for row in result.fetchall()]


def test_the_errors_table_carries_the_partial_record_as_json(tmp_path: Path) -> None:
    """Issue 14: `partial`, the record as far as it was read, is JSON text in `errors.partial`."""
    from imrparse.etl.duck import connect, load

    partial = {"case": {"case_number": "CM16-0000001"}, "decisions": []}
    error = {"kind": "parse", "code": "S104", "message": "the letter ends early", "line": 3, "column": 1, "expected": []}
    results = [{"source": {"path": "cut.txt", "sha256": "ab" * 32, "bytes": 10}, "error": error | {"partial": partial}},
               {"source": {"path": "bad.txt", "sha256": "cd" * 32, "bytes": 10}, "error": error | {"partial": None}}]
    with connect(tmp_path / "x.duckdb") as connection:
        load(connection, results)
        stored = connection.execute("SELECT source_path, partial FROM errors ORDER BY source_path").fetchall()
    assert stored[0] == ("bad.txt", None)
    assert stored[1][0] == "cut.txt" and json.loads(stored[1][1]) == partial


def test_a_database_from_an_earlier_imrparse_gains_the_newer_columns(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as connection:
        connection.execute("CREATE TABLE errors (source_path VARCHAR, source_sha256 VARCHAR, kind VARCHAR, code VARCHAR, "
                           "message VARCHAR, line INTEGER, \"column\" INTEGER)")
        connection.execute("INSERT INTO errors VALUES ('old.txt', NULL, 'input', 'S000', 'cannot be read', NULL, NULL)")
    bad = tmp_path / "bad.txt"
    bad.write_text("Dear Sir,\n")
    assert runner.invoke(app, ["load", str(bad), "--db", str(db), "--workers", "1"]).exit_code == 1
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT source_path, code, partial FROM errors ORDER BY source_path").fetchall() == [
            (str(bad), "S101", None), ("old.txt", "S000", None)]
