"""The four analyst tables: every record field of the real letters is recoverable from the
Parquet files, and row counts match the records' decisions and citations."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import corpus_dir
from typer.testing import CliRunner

import imrparse
from imrparse.cli.commands import app
from imrparse.etl.tables import PART_COLUMNS, arrow_schemas, rows

runner = CliRunner()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    texts = sorted((corpus_dir() / "text").glob("*.txt"))
    bad = tmp_path_factory.mktemp("bad") / "bad.txt"
    bad.write_text("Dear Sir,\n")
    out = tmp_path_factory.mktemp("tables")
    result = runner.invoke(app, ["parse", *map(str, texts), str(bad), "--format", "parquet", "-o", str(out), "--workers", "2", "-q"])
    assert result.exit_code == 1  # the one bad input
    return out, list(imrparse.parse_many([*map(str, texts), str(bad)], workers=1))


def _read(out: Path, name: str) -> list[dict[str, Any]]:
    table = pq.read_table(out / f"{name}.parquet")
    assert table.schema.equals(arrow_schemas()[name])
    return table.to_pylist()  # type: ignore[no-any-return]


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


@pytest.mark.corpus
def test_letters_table_round_trips(written: tuple[Path, list[dict[str, Any]]]) -> None:
    out, results = written
    letters = {row["source_path"]: row for row in _read(out, "letters")}
    records = [r for r in results if "error" not in r]
    assert len(letters) == len(records) == 147
    for record in records:
        row = letters[record["source"]["path"]]
        assert row["source_sha256"] == record["source"]["sha256"] and row["layout"] == record["layout"]
        for field in ("case_number", "priority"):
            assert row[field] == record["case"][field]
        for field in ("date_assigned", "date_of_injury", "decision_date", "ur_denial_date", "application_received"):
            assert _iso(row[field]) == record["case"][field]
        assert (row["reviewer_licensure"], row["reviewer_specialties"], row["board_certified"]) == (
            record["reviewer"]["licensure"], record["reviewer"]["specialties"], record["reviewer"]["board_certified"])
        assert (row["age"], row["sex"], _iso(row["summary_date_of_injury"])) == (
            record["summary"]["age"], record["summary"]["sex"], record["summary"]["date_of_injury"])
        outcomes = [d["outcome"] for d in record["decisions"]]
        counts = (len(outcomes), outcomes.count("upheld"), outcomes.count("overturned"))
        assert (row["decisions"], row["upheld"], row["overturned"]) == counts


@pytest.mark.corpus
def test_decisions_and_citations_round_trip(written: tuple[Path, list[dict[str, Any]]]) -> None:
    out, results = written
    records = [r for r in results if "error" not in r]
    decisions = {(row["source_sha256"], row["position"]): row for row in _read(out, "decisions")}
    citations = _read(out, "citations")
    assert len(decisions) == sum(len(r["decisions"]) for r in records)
    expected_citations = sum(len(d[g][k]) for r in records for d in r["decisions"]
                             for g in ("claims_administrator_guideline", "reviewer_guideline") for k in ("mtus", "non_mtus"))
    assert len(citations) == expected_citations
    for record in records:
        for position, decision in enumerate(record["decisions"], start=1):
            row = decisions[(record["source"]["sha256"], position)]
            assert row["case_number"] == record["case"]["case_number"]
            for field in ("number", "treatment", "title", "outcome", "medically_necessary", "original_request", "authorized", "rationale"):
                assert row[field] == decision[field]
            assert (row["ca_cited"], row["ca_text"]) == (decision["claims_administrator_guideline"]["cited"],
                                                          decision["claims_administrator_guideline"]["text"])
            assert (row["reviewer_cited"], row["reviewer_text"]) == (decision["reviewer_guideline"]["cited"],
                                                                      decision["reviewer_guideline"]["text"])
            assert (row["category"], row["drug_class"]) == (decision["category"], decision["drug_class"])
            for part, column in PART_COLUMNS.items():
                stated = decision["treatment_parts"].get(part, {})
                value = stated.get("value", stated.get("text"))
                assert (_iso(row[column]) if column == "service_date" else row[column]) == value, (column, decision["treatment"])
            mine = [(c["cited_by"], c["kind"], c["citation"]) for c in citations
                    if c["source_sha256"] == record["source"]["sha256"] and c["decision_position"] == position]
            assert mine == [(who, kind, text) for who, key in (("claims_administrator", "claims_administrator_guideline"),
                                                                ("reviewer", "reviewer_guideline"))
                            for kind in ("mtus", "non_mtus") for text in decision[key][kind]]


@pytest.mark.corpus
def test_diagnoses_table_and_canonical_specialties(written: tuple[Path, list[dict[str, Any]]]) -> None:
    out, results = written
    records = [r for r in results if "error" not in r]
    diagnoses = _read(out, "diagnoses")
    expected = [(r["source"]["sha256"], r["case"]["case_number"], i, d["text"])
                for r in records for i, d in enumerate(r["summary"]["diagnoses"], start=1)]
    assert sorted((d["source_sha256"], d["case_number"], d["position"], d["diagnosis"]) for d in diagnoses) == sorted(expected)
    letters = {row["source_sha256"]: row for row in _read(out, "letters")}
    for record in records:
        assert letters[record["source"]["sha256"]]["reviewer_specialties_canonical"] == record["reviewer"]["specialties_canonical"]


@pytest.mark.corpus
def test_errors_table(written: tuple[Path, list[dict[str, Any]]]) -> None:
    out, _ = written
    errors = _read(out, "errors")
    assert len(errors) == 1
    assert (errors[0]["kind"], errors[0]["code"], errors[0]["line"], errors[0]["column"]) == ("parse", "S101", 1, 1)
    assert errors[0]["source_path"].endswith("bad.txt")


def test_rows_of_an_error_record_go_only_to_errors() -> None:
    result = imrparse.parse_one(b"\x89PNG\r\n")
    tables = rows(result)
    assert [len(tables[name]) for name in ("letters", "decisions", "citations")] == [0, 0, 0]
    assert tables["errors"][0]["code"] == "S000" and tables["errors"][0]["line"] is None


def test_parquet_needs_an_output_directory() -> None:
    assert runner.invoke(app, ["parse", "x.txt", "--format", "parquet"]).exit_code == 2


PARTIAL = {"case": {"case_number": "CM16-0000001", "decision_date": "2016-12-09"}, "decisions": [{"treatment": "MRI"}]}


def _error_record(partial: object, with_key: bool = True) -> dict[str, Any]:
    error = {"kind": "parse", "code": "S104", "message": "the letter ends early", "line": 3, "column": 1, "expected": []}
    return {"source": {"path": "cut.txt", "sha256": "ab" * 32, "bytes": 10}, "error": error | ({"partial": partial} if with_key else {})}


def test_the_errors_table_carries_the_partial_record_as_json(tmp_path: Path) -> None:
    """Issue 14: an error record's `partial` (the record as far as it was read) is the errors
    table's `partial` column, as JSON text; null when the record has none."""
    from imrparse.etl.tables import ParquetTables

    results = [_error_record(PARTIAL), _error_record(None), _error_record(None, with_key=False)]
    with ParquetTables(tmp_path) as tables:
        for result in results:
            tables.add(result)
    written = pq.read_table(tmp_path / "errors.parquet").column("partial").to_pylist()
    assert json.loads(written[0]) == PARTIAL and written[1:] == [None, None]


def test_parquet_refuses_a_directory_holding_other_files(tmp_path: Path) -> None:
    """The new tables replace the whole directory, so one holding anything else is refused."""
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["parse", str(tmp_path / "notes.txt"), "--format", "parquet", "-o", str(tmp_path), "-q"])
    assert result.exit_code == 2 and f"{tmp_path} holds other files than the tables (notes.txt)" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
