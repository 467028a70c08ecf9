"""`imrparse summary DB.duckdb` and the `decision_facts` view, over the corpus loaded into DuckDB."""

from __future__ import annotations

import datetime
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import corpus_dir
from typer.testing import CliRunner

import imrparse
from imrparse.cli.commands import app

runner = CliRunner()
GLOB = "*.pdftotext.txt"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("summary") / "corpus.duckdb"
    result = runner.invoke(app, ["load", str(corpus_dir() / "text"), "--glob", GLOB, "--db", str(db), "--workers", "1", "-q"])
    assert result.exit_code == 0, result.stderr
    return db


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [imrparse.parse_file(path) for path in sorted((corpus_dir() / "text").glob(GLOB))]


def _days(record: dict[str, Any]) -> int:
    case = record["case"]
    return (datetime.date.fromisoformat(case["decision_date"]) - datetime.date.fromisoformat(case["application_received"])).days


def _rates(keys: list[tuple[Any, str]]) -> dict[Any, tuple[int, int]]:
    counts: Counter[Any] = Counter(key for key, _ in keys)
    overturned: Counter[Any] = Counter(key for key, outcome in keys if outcome == "overturned")
    return {key: (n, overturned[key]) for key, n in counts.items()}


@pytest.mark.corpus
def test_summary_json_gives_the_records_figures(database: Path, records: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["summary", str(database), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    decisions = [d for r in records for d in r["decisions"]]
    assert (data["cases"], data["decisions"]) == (49, 111) == (len(records), len(decisions))
    assert data["overturned"] == sum(d["outcome"] == "overturned" for d in decisions) == 11
    assert data["median_days_to_decision"] == statistics.median(_days(r) for r in records) == 33
    keys = (("by_year", "year"), ("by_category", "category"), ("by_drug_class", "drug_class"), ("by_specialty", "specialty"))
    by = {name: {row[key]: (row["decisions"], row["overturned"]) for row in data[name]} for name, key in keys}
    assert by["by_year"] == _rates([(int(r["case"]["decision_date"][:4]), d["outcome"]) for r in records for d in r["decisions"]])
    assert by["by_category"] == _rates([(d["category"], d["outcome"]) for d in decisions])
    assert by["by_drug_class"] == _rates([(d["drug_class"], d["outcome"]) for d in decisions if d["category"] == "pharmaceuticals"])
    assert by["by_specialty"] == _rates([(s, d["outcome"]) for r in records for s in r["reviewer"]["specialties_canonical"]
                                         for d in r["decisions"]])
    assert [row["year"] for row in data["by_year"]] == [2016, 2017]


@pytest.mark.corpus
def test_summary_prints_rich_tables(database: Path) -> None:
    result = runner.invoke(app, ["summary", str(database)])
    assert result.exit_code == 0, result.stderr
    for title in ("Archive", "Overturn rate by year decided", "Overturn rate by treatment category",
                  "Overturn rate by drug class", "Overturn rate by reviewer specialty", "Physical Medicine and Rehabilitation"):
        assert title in result.stdout
    assert "median days, application to decision" in result.stdout


@pytest.mark.corpus
def test_the_view_has_days_to_decision(database: Path, records: list[dict[str, Any]]) -> None:
    expected = {r["case"]["case_number"]: _days(r) for r in records}
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute("SELECT case_number, days_to_decision, decision_year FROM decision_facts").fetchall()
    assert len(rows) == 111
    assert all(days == expected[case] and year in (2016, 2017) for case, days, year in rows)


def test_summary_of_a_missing_or_foreign_database_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["summary", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "no such database" in result.stderr
    foreign = tmp_path / "foreign.duckdb"
    with duckdb.connect(str(foreign)) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    result = runner.invoke(app, ["summary", str(foreign)])
    assert result.exit_code == 2
    assert "not a database of imrparse's tables" in result.stderr
    assert runner.invoke(app, ["summary", str(foreign), "--format", "xml"]).exit_code == 2


def test_summary_of_anything_but_an_archive_is_a_clear_usage_error(tmp_path: Path) -> None:
    """Not DuckDB's "Catalog Error: Cannot launch in-memory database in read-only mode!"."""
    (tmp_path / "letter.txt").write_text("Case Number: CM16-0000001\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    for path, says in (("letter.txt", "not an archive"), ("folder", "a directory without the Parquet tables")):
        result = runner.invoke(app, ["summary", str(tmp_path / path)])
        assert result.exit_code == 2 and says in result.stderr and "Error" not in result.stderr, result.stderr
    assert runner.invoke(app, ["summary", str(tmp_path / "letter.txt"), "--by", "letter"]).exit_code == 2


@pytest.fixture(scope="module")
def two_extractions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each corpus letter from two of its extractions: as a database, JSON Lines and Parquet tables."""
    out = tmp_path_factory.mktemp("two")
    paths = [str(p) for glob in (GLOB, "*.pdfium.txt") for p in sorted((corpus_dir() / "text").glob(glob))]
    assert runner.invoke(app, ["parse", *paths, "--output", str(out / "two.jsonl"), "--workers", "2", "-q"]).exit_code == 0
    assert runner.invoke(app, ["parse", *paths, "--format", "parquet", "--output", str(out / "tables"), "--workers", "2",
                               "-q"]).exit_code == 0
    assert runner.invoke(app, ["load", str(out / "two.jsonl"), "--db", str(out / "two.duckdb"), "-q"]).exit_code == 0
    return out


@pytest.mark.corpus
def test_summary_counts_cases_and_with_by_source_every_source(two_extractions: Path, records: list[dict[str, Any]]) -> None:
    data = json.loads(runner.invoke(app, ["summary", str(two_extractions / "two.duckdb"), "--format", "json"]).stdout)
    decisions = sum(len(r["decisions"]) for r in records)
    assert (data["counted_by"], data["cases"], data["sources"], data["decisions"]) == ("case", 49, 98, decisions)
    assert sum(row["decisions"] for row in data["by_category"]) == decisions
    by_source = json.loads(runner.invoke(app, ["summary", str(two_extractions / "two.duckdb"), "--by", "source",
                                               "--format", "json"]).stdout)
    assert (by_source["counted_by"], by_source["letters"], by_source["decisions"]) == ("source", 98, 2 * decisions)
    shown = runner.invoke(app, ["summary", str(two_extractions / "two.duckdb")]).stdout
    assert "cases" in shown and "sources loaded" in shown


@pytest.mark.corpus
@pytest.mark.parametrize("by", ["case", "source"])
def test_summary_reads_json_lines_and_parquet_tables_as_the_database_says(two_extractions: Path, by: str) -> None:
    def summary(path: Path) -> Any:
        result = runner.invoke(app, ["summary", str(path), "--by", by, "--format", "json"])
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    assert summary(two_extractions / "two.jsonl") == summary(two_extractions / "tables") == summary(two_extractions / "two.duckdb")
