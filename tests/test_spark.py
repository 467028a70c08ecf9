"""`imrparse.etl.spark` on a local Spark session (local[2]): the corpus PDFs and texts give the
same rows, with the same types, as the Parquet writer. The slow part of the suite (~30 s)."""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from conftest import corpus_dir
from pyspark.sql import SparkSession

import imrparse
from imrparse.etl.spark import parse_dataframe
from imrparse.etl.tables import TABLES, arrow_schemas, rows


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers use this environment
    session = (SparkSession.builder.master("local[2]").appName("imrparse-test")
               .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC").getOrCreate())
    yield session
    session.stop()


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    """A row without its path (Spark names files file:/...), comparable across both writers."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in row.items() if k != "source_path"))


@pytest.mark.corpus
def test_spark_gives_the_parquet_writers_rows(spark: Any) -> None:
    files = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(str(corpus_dir()))
    files = files.filter(files.path.endswith(".pdf") | files.path.endswith(".txt"))
    tables = parse_dataframe(files)
    paths = [*sorted((corpus_dir() / "pdf").glob("*.pdf")), *sorted((corpus_dir() / "text").glob("*.txt"))]
    expected: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    for result in imrparse.parse_many([str(p) for p in paths], workers=2):
        for name, table_rows in rows(result).items():
            expected[name].extend(table_rows)
    assert len(expected["letters"]) == 49 + 147
    for name in TABLES:
        frame = tables[name]
        assert pa.schema(frame.toArrow().schema).equals(arrow_schemas()[name])  # exact Arrow types
        got = [row.asDict(recursive=True) for row in frame.collect()]
        assert sorted(map(_key, got), key=repr) == sorted(map(_key, expected[name]), key=repr), name


def test_a_text_column_of_strings(spark: Any) -> None:
    letter = (corpus_dir() / "text" / "CM16-0213037.pdftotext.txt").read_text(encoding="utf-8")
    frame = spark.createDataFrame([("a.txt", letter), ("b.txt", "not a letter")], "path string, content string")
    tables = parse_dataframe(frame)
    decided = datetime.date.fromisoformat(imrparse.parse(letter)["case"]["decision_date"])
    assert [(r.source_path, r.case_number, r.decision_date) for r in tables["letters"].collect()] == [("a.txt", "CM16-0213037", decided)]
    assert [(r.source_path, r.code) for r in tables["errors"].collect()] == [("b.txt", "S101")]
