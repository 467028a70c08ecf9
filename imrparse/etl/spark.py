"""Parsing letters in Spark, for archives larger than one machine (extra `imrparse[spark]`).

    tables = parse_dataframe(spark.read.format("binaryFile").load("letters/"))
    tables["decisions"].groupBy("outcome").count().show()

Each letter is parsed once, in `mapInArrow` (the parser is built once per Python worker and
reused); the five tables are then cut from the cached results with the same Arrow schemas as
the Parquet files, so their Spark types match them exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from imrparse.etl.batch import parse_one
from imrparse.etl.tables import TABLES, arrow_schemas, rows


def parse_dataframe(
    frame: Any, *, content: str = "content", path: str = "path", grammar: Path | None = None
) -> dict[str, Any]:
    """DataFrames `letters`, `decisions`, `citations` and `errors` from a DataFrame with a
    column of letter PDFs or texts (binary or string; `binaryFile` gives `content`) and a
    column naming each (`path`)."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    def parse_batches(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            names, letters = batch.column(path).to_pylist(), batch.column(content).to_pylist()
            results = []
            for name, letter in zip(names, letters, strict=True):
                result = parse_one((name, letter) if isinstance(letter, str) else letter, grammar)
                result["source"]["path"] = name
                results.append(orjson.dumps(result))
            yield pa.RecordBatch.from_pydict({"result": results}, schema=pa.schema([("result", pa.binary())]))

    parsed = frame.select(path, content).mapInArrow(parse_batches, "result binary").cache()
    schemas = arrow_schemas()

    def table(name: str) -> Any:
        def cut(batches: Iterator[Any]) -> Iterator[Any]:
            for batch in batches:
                table_rows = [row for data in batch.column("result").to_pylist() for row in rows(orjson.loads(data))[name]]
                yield pa.RecordBatch.from_pylist(table_rows, schema=schemas[name])

        return parsed.mapInArrow(cut, from_arrow_schema(schemas[name]))

    return {name: table(name) for name in TABLES}
