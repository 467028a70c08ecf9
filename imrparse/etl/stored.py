"""What `imrparse parse` wrote, read back as results for `imrparse load` and `imrparse summary`:
its records (JSON Lines, or JSON) and its Parquet tables. Nothing is parsed again: each result
keeps the `source` (path and sha256) it was written with, so it is loaded under the same key a
letter's own result has, and loading the letters and then their records adds nothing.

A result read here carries its table rows ready (`TABLE_ROWS`), checked against the tables'
types as it is read: a line that is not a record imrparse wrote becomes an error result naming
the file and the line, never a failed transaction.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from imrparse.errors import InputError
from imrparse.etl.tables import TABLES, arrow_schemas, require_pyarrow, rows

TABLE_ROWS = "table_rows"  # a result's rows per table, computed when it was read
RECORD_SUFFIXES = (".jsonl", ".ndjson", ".json")
_RECORD_START = b'{"source":'  # how every line of parse's JSON Lines begins
_GROUPED = ("decisions", "citations", "diagnoses")  # the tables with rows per letter, besides letters


def is_records(path: str) -> bool:
    """A file of records: named *.jsonl, *.ndjson or *.json, or a regular file that begins as
    parse's JSON Lines do (`{"source":`). Only regular files are opened (a FIFO would block)."""
    if path.lower().endswith(RECORD_SUFFIXES):
        return True
    try:
        if not os.path.isfile(path):
            return False
        with open(path, "rb") as stream:
            return stream.read(len(_RECORD_START)) == _RECORD_START
    except OSError:
        return False  # its own error record, as a letter


def starts_as_records(data: bytes) -> bool:
    """Standard input that holds parse's JSON Lines."""
    return data.startswith(_RECORD_START)


def is_tables(path: str) -> bool:
    """A directory holding parse's Parquet tables (letters.parquet at least)."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "letters.parquet"))


def count_records(name: str, data: bytes | None = None) -> int:
    """About how many results a records file holds (its lines), for the progress display."""
    if data is not None:
        return data.count(b"\n") + (not data.endswith(b"\n"))
    try:
        with open(name, "rb") as stream:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
    except OSError:
        return 1


def read_records(name: str, data: bytes | None = None) -> Iterator[dict[str, Any]]:
    """The results in a file of records (or in `data`, standard input's bytes): JSON Lines, or
    for *.json one record or an array of them. Lines that are not results imrparse wrote are
    skipped, and after the others come as one error result for the file (keyed by its sha256),
    naming the first of them by line; a file that cannot be read is one error result too."""
    digest = hashlib.sha256()
    size = 0
    bad: list[tuple[int | None, str]] = []
    try:
        stream = io.BytesIO(data) if data is not None else open(name, "rb")  # noqa: SIM115 - closed below
        with stream:
            if data is None and name.lower().endswith(".json"):
                content = stream.read()
                digest.update(content)
                size = len(content)
                yield from _json_document(content, bad)
            else:
                for number, line in enumerate(stream, start=1):
                    digest.update(line)
                    size += len(line)
                    if line.strip():
                        result = _checked(line, f"line {number}", bad, number)
                        if result is not None:
                            yield result
    except OSError as exc:
        yield _failed(f"cannot be read: {exc.strerror or exc}", None, {"path": name, "sha256": None, "bytes": None})
        return
    if bad:
        first, why = bad[0]
        more = f" ({len(bad) - 1} more are not either)" if len(bad) > 1 else ""
        yield _failed(f"{why}{more}", first,
                      {"path": name, "sha256": digest.hexdigest(), "bytes": size})


def _json_document(content: bytes, bad: list[tuple[int | None, str]]) -> Iterator[dict[str, Any]]:
    """A JSON file `parse --format json` wrote: one record, or an array of them."""
    try:
        document = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        bad.append((None, f"is not JSON ({exc})"))
        return
    for position, item in enumerate(document if isinstance(document, list) else [document], start=1):
        result = _checked(orjson.dumps(item), f"element {position}", bad, None)
        if result is not None:
            yield result


def _checked(line: bytes, where: str, bad: list[tuple[int | None, str]], number: int | None) -> dict[str, Any] | None:
    """The result on a line, with its table rows; None, and why in `bad`, when it is not one."""
    try:
        result = orjson.loads(line)
    except orjson.JSONDecodeError:
        cut = "" if line.endswith(b"\n") or number is None else " (the last line, cut short: was the run that wrote it killed?)"
        bad.append((number, f"{where} is not JSON{cut}"))
        return None
    if not (isinstance(result, dict) and isinstance(result.get("source"), dict)
            and all(isinstance(result["source"].get(key), str | None) for key in ("path", "sha256"))
            and (result["source"].get("sha256") or result["source"].get("path"))):
        bad.append((number, f"{where} is not a result imrparse wrote (no source with a path or sha256)"))
        return None
    try:
        table_rows = rows(result)
        problem = _type_problem(table_rows)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem is not None:
        bad.append((number, f"{where} is not a record of this imrparse's schema ({problem})"))
        return None
    return {**result, TABLE_ROWS: table_rows}


def _failed(message: str, line: int | None, source: dict[str, Any]) -> dict[str, Any]:
    """An error result for the records file itself."""
    error = InputError(message, line=line, column=1 if line is not None else None)
    return {"source": source, "error": error.to_dict()}


@functools.lru_cache(maxsize=1)
def _column_types() -> dict[str, list[tuple[str, type | tuple[type, ...], bool]]]:
    """Each table's columns: the Python type its values must have, and whether it is a list."""
    pa = require_pyarrow()
    out: dict[str, list[tuple[str, type | tuple[type, ...], bool]]] = {}
    for name, schema in arrow_schemas().items():
        columns: list[tuple[str, type | tuple[type, ...], bool]] = []
        for field in schema:
            kind = field.type.value_type if pa.types.is_list(field.type) else field.type
            python: type = (str if pa.types.is_string(kind) else bool if pa.types.is_boolean(kind)
                            else int if pa.types.is_integer(kind) else datetime.date)
            columns.append((field.name, python, pa.types.is_list(field.type)))
        out[name] = columns
    return out


def _type_problem(table_rows: dict[str, list[dict[str, Any]]]) -> str | None:
    """What in a record's rows the tables' types cannot take (checked as it is read, so a
    record of another schema is its own error, not a failed transaction); None when all fit."""
    types = _column_types()
    for name, table in table_rows.items():
        for row in table:
            for column, python, is_list in types[name]:
                value = row.get(column)
                if value is None:
                    continue
                values = value if is_list and isinstance(value, list) else [value] if not is_list else [None]
                for item in values:
                    if not isinstance(item, python) or (isinstance(item, int) and (isinstance(item, bool) is not (python is bool)
                                                                                    or not -(2**31) <= item < 2**31)):
                        return f"{name}.{column} is {value!r}"
    return None


def read_tables(directory: Path) -> Iterator[dict[str, Any]]:
    """The results in a directory of parse's Parquet tables, read with DuckDB: one per letter (its
    rows of every table, in the order written) in the order the letters were written, then one per
    row of errors. An input written twice (the same sha256) gives its rows once."""
    import duckdb

    def parquet(name: str) -> str:
        return "'" + str(directory / f"{name}.parquet").replace("'", "''") + "'"

    present = [name for name in _GROUPED if (directory / f"{name}.parquet").is_file()]
    joins = "".join(f" LEFT JOIN (SELECT source_sha256, list(t ORDER BY t.file_row_number) AS {name} "
                    f"FROM read_parquet({parquet(name)}, file_row_number = true) t GROUP BY source_sha256) USING (source_sha256)"
                    for name in present)
    query = (f"SELECT letters{''.join(', ' + name for name in present)} FROM "
             f"(SELECT source_sha256, list(t ORDER BY t.file_row_number) AS letters, min(t.file_row_number) AS first "
             f"FROM read_parquet({parquet('letters')}, file_row_number = true) t WHERE source_sha256 IS NOT NULL "
             f"GROUP BY source_sha256){joins} ORDER BY first")
    with duckdb.connect() as connection:
        cursor = connection.execute(query)
        while chunk := cursor.fetchmany(1000):
            for letters, *grouped in chunk:
                copies = len(letters)
                table_rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
                table_rows["letters"] = [_row(letters[0])]
                for name, found in zip(present, grouped, strict=True):
                    found = found or []
                    table_rows[name] = [_row(row) for row in found[:len(found) // copies]]
                first = table_rows["letters"][0]
                source = {"path": first["source_path"], "path_bytes": first["source_path_bytes"], "sha256": first["source_sha256"]}
                yield {"source": source, TABLE_ROWS: table_rows}
        if (directory / "errors.parquet").is_file():
            cursor = connection.execute(f"SELECT t FROM read_parquet({parquet('errors')}, file_row_number = true) t "
                                        "ORDER BY t.file_row_number")
            while chunk := cursor.fetchmany(1000):
                for (found,) in chunk:
                    row = _row(found)
                    source = {"path": row["source_path"], "path_bytes": row["source_path_bytes"], "sha256": row["source_sha256"]}
                    error = {key: row[key] for key in ("kind", "code", "message", "line", "column")}
                    yield {"source": source, "error": error, TABLE_ROWS: {**{name: [] for name in TABLES}, "errors": [row]}}


def _row(found: dict[str, Any]) -> dict[str, Any]:
    """A table row as DuckDB gives it, without the row number it was ordered by."""
    return {key: value for key, value in found.items() if key != "file_row_number"}
