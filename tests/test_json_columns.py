"""`imrparse schema --duckdb`: the `columns =` struct that makes DuckDB's read_json read parse's
JSON Lines with every field typed, including those null in every line (which read_json alone
types "NULL") and `error`, absent where every letter parsed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from conftest import corpus_dir
from typer.testing import CliRunner

from imrparse.api import record_schema
from imrparse.cli.commands import app
from imrparse.etl.json_columns import columns

runner = CliRunner()


def _without_nulls(node: Any) -> Any:
    """A JSON value without null members: read with columns, an absent field is a null one."""
    if isinstance(node, dict):
        return {key: _without_nulls(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [_without_nulls(value) for value in node]
    return node


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus' 147 texts and one input that is not a letter, as parse writes them."""
    out = tmp_path_factory.mktemp("jsonl")
    (out / "not-a-letter.txt").write_text("Dear Sir,\n", encoding="utf-8")
    result = runner.invoke(app, ["parse", str(corpus_dir() / "text"), str(out / "not-a-letter.txt"), "--output",
                                 str(out / "all.jsonl"), "--workers", "2", "-q"])
    assert result.exit_code == 1, result.stderr
    return out / "all.jsonl"


@pytest.fixture(scope="module")
def printed() -> str:
    result = runner.invoke(app, ["schema", "--duckdb"])
    assert result.exit_code == 0
    return result.stdout.strip()


@pytest.mark.corpus
def test_without_columns_read_json_leaves_always_null_fields_untyped(jsonl: Path) -> None:
    """What the columns are for: the same query without them."""
    types = dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT decisions[1].number AS number, "
                            f"reviewer.board_certified AS board_certified FROM read_json('{jsonl}'))").fetchall())
    assert types == {"number": '"NULL"', "board_certified": '"NULL"'}


@pytest.mark.corpus
def test_the_printed_columns_type_every_field_and_read_every_line_back(jsonl: Path, printed: str) -> None:
    relation = duckdb.sql(f"SELECT decisions[1].number AS number, reviewer.board_certified AS board_certified, "
                          f"\"case\".decision_date AS decided, error.line AS line FROM read_json('{jsonl}', columns = {printed})")
    assert [str(t) for t in relation.types] == ["BIGINT", "BOOLEAN", "DATE", "BIGINT"]
    assert '"NULL"' not in printed
    read = [orjson.loads(row) for (row,) in duckdb.sql(f"SELECT to_json(t) FROM read_json('{jsonl}', columns = {printed}) t").fetchall()]
    written = [orjson.loads(line) for line in jsonl.read_bytes().splitlines()]
    assert len(read) == len(written) == 148
    assert [_without_nulls(r) for r in read] == [_without_nulls(w) for w in written]  # every field, at its type
    assert list(columns()) == list(dict.fromkeys(["source", *record_schema()["properties"], "error"]))


def test_the_case_key_must_be_quoted(tmp_path: Path) -> None:
    """The README's first point: `case` is an SQL keyword."""
    path = tmp_path / "one.jsonl"
    path.write_bytes(orjson.dumps({"source": {"path": "a.txt", "sha256": "ab" * 32, "bytes": 1},
                                   "case": {"case_number": "CM16-0000001"}}) + b"\n")
    with pytest.raises(duckdb.ParserException):
        duckdb.sql(f"SELECT case.case_number FROM read_json('{path}')")
    assert duckdb.sql(f"SELECT \"case\".case_number FROM read_json('{path}')").fetchall() == [("CM16-0000001",)]
