"""Loading the five tables into an embedded DuckDB database: created on first use, appended to
after, one transaction per batch, idempotent on the source's sha256 (loading the same letters
twice adds nothing). A new result for an input replaces its earlier error row, so a letter that
failed is loaded once the grammar reads it. Needs the `imrparse[duckdb]` extra (and pyarrow,
which it brings)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from imrparse.errors import MissingExtra
from imrparse.etl.outputs import OutputError
from imrparse.etl.results import STDIN, result_key
from imrparse.etl.stored import TABLE_ROWS
from imrparse.etl.tables import TABLES, arrow_schemas, rows

BATCH = 2000  # results per transaction

# One row per case number. The same letter loaded from several sources (its PDF and its text
# extractions) has one `letters` row per source; of those this view keeps one: the latest
# decision date (a later letter on the case supersedes an earlier one), then the reading with the
# most decisions, then the PDF (the posted original) over a text extracted from it, then the
# first path, so the choice never depends on load order. Letters without a case number are left out.
CASE_VIEW = "letters_by_case"
_CASE_VIEW_SQL = f"""CREATE OR REPLACE VIEW {CASE_VIEW} AS
SELECT * FROM letters WHERE case_number IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY case_number ORDER BY decision_date DESC NULLS LAST, decisions DESC,
                           lower(source_path) LIKE '%.pdf' DESC, source_path, source_sha256) = 1"""


# The marker `load` writes: a database holding it was made by imrparse, with this version of the
# tables. A database without it holds imrparse's tables only if `foreign_tables` finds none.
META = "imrparse_meta"
SCHEMA_VERSION = 1
# A column of the errors table that only the database has: the absolute path of the input
# (NULL for standard input), so that a later result for the same file replaces its error row.
ABSPATH = "source_abspath"


def connect(database: Path) -> Any:
    """The database, with the five tables created if missing (types from the Arrow schemas).
    An existing file that is not a DuckDB database, or that holds tables with imrparse's names
    that imrparse did not make (`foreign_tables`), is refused (OutputError) before it is opened
    for writing: it is never written into, or silently not written."""
    try:
        import duckdb
    except ImportError:
        raise MissingExtra("loading into DuckDB needs the duckdb extra: pip install 'imrparse[duckdb]'") from None
    _require_duckdb_file(database)
    if database.exists():
        with duckdb.connect(str(database), read_only=True) as existing:
            problem = foreign_tables(existing)
        if problem:
            raise OutputError(f"{database} {problem}: load into a new database")
    connection = duckdb.connect(str(database))
    try:
        for name, schema in arrow_schemas().items():
            columns = _columns(connection, name)
            if not columns:
                connection.register("empty_table", schema.empty_table())
                connection.execute(f"CREATE TABLE {name} AS SELECT * FROM empty_table")
                connection.unregister("empty_table")
            elif set(columns) - {ABSPATH} < set(schema.names):  # made by an earlier imrparse: it gains the newer columns
                _add_columns(connection, name, schema, columns)
        connection.execute(f"ALTER TABLE errors ADD COLUMN IF NOT EXISTS {ABSPATH} VARCHAR")
        _mark(connection)
        create_views(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def foreign_tables(connection: Any) -> str | None:
    """Why the database's tables are not imrparse's (None when they are, or there are none): a
    table with one of imrparse's names whose columns are not a subset of imrparse's with the same
    types, or, in a database without the `imrparse_meta` marker, without `source_sha256`.
    `load` would mix its rows with another tool's, and `summary` misread them."""
    marked = bool(_columns(connection, META))
    for name, types in _imrparse_types(connection).items():
        found = dict(connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? "
            "ORDER BY ordinal_position", [name]).fetchall())
        if not found:
            continue
        if set(found) - set(types):
            return (f"has a table {name} with other columns than imrparse's ({', '.join(found)}; imrparse's: "
                    f"{', '.join(types)})")
        if other := [f"{column} {kind}" for column, kind in found.items() if types[column] != kind]:
            return (f"has a table {name} whose columns have other types than imrparse's ({', '.join(other)}; imrparse's: "
                    f"{', '.join(f'{column} {types[column]}' for column, _ in (c.split(' ', 1) for c in other))})")
        if not marked and "source_sha256" not in found:
            return f"has a table {name} that imrparse did not make (no {META} marker, and no source_sha256 column)"
    return None


def _imrparse_types(connection: Any) -> dict[str, dict[str, str]]:
    """Each table's columns and their DuckDB types, as `connect` creates them."""
    types = {}
    for name, schema in arrow_schemas().items():
        connection.register("empty_table", schema.empty_table())
        types[name] = dict((row[0], row[1]) for row in connection.execute("DESCRIBE empty_table").fetchall())
        connection.unregister("empty_table")
    types["errors"][ABSPATH] = "VARCHAR"
    return types


def _columns(connection: Any, name: str) -> list[str]:
    return [row[0] for row in connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? "
        "ORDER BY ordinal_position", [name]).fetchall()]


def _mark(connection: Any) -> None:
    """Write the marker: these tables are imrparse's, version SCHEMA_VERSION."""
    connection.execute(f"CREATE TABLE IF NOT EXISTS {META} (schema_version INTEGER)")
    connection.execute(f"DELETE FROM {META}")
    connection.execute(f"INSERT INTO {META} VALUES (?)", [SCHEMA_VERSION])


def create_views(connection: Any) -> None:
    """`decision_facts`: one row per decision with its letter's dates and reviewer, the year
    decided and `days_to_decision` (application received to decision date, in days); and
    `letters_by_case`: one source per case number."""
    connection.execute("""
        CREATE OR REPLACE VIEW decision_facts AS
        SELECT d.*, l.source_path, l.decision_date, l.application_received, l.date_of_injury,
               year(l.decision_date) AS decision_year,
               date_diff('day', l.application_received, l.decision_date) AS days_to_decision,
               l.reviewer_specialties, l.reviewer_specialties_canonical, l.age, l.sex
        FROM decisions d JOIN letters l USING (source_sha256)""")
    connection.execute(_CASE_VIEW_SQL)


def memory_database() -> Any:
    """An empty in-memory database with the five tables and the views: what `summary` loads
    a file of records or a directory of Parquet tables into, as `load` would load them."""
    import duckdb

    connection = duckdb.connect()
    for name, schema in arrow_schemas().items():
        connection.register("empty_table", schema.empty_table())
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM empty_table")
        connection.unregister("empty_table")
    connection.execute(f"ALTER TABLE errors ADD COLUMN {ABSPATH} VARCHAR")  # as `connect` makes it
    create_views(connection)
    return connection


def duplicate_cases(connection: Any) -> tuple[int, int, list[str]]:
    """Case numbers loaded from more than one source: how many, their `letters` rows, and a few of them."""
    found = connection.execute(
        "SELECT case_number, count(*) FROM letters WHERE case_number IS NOT NULL GROUP BY case_number HAVING count(*) > 1 "
        "ORDER BY case_number").fetchall()
    return len(found), sum(n for _, n in found), [case for case, _ in found[:3]]


def _add_columns(connection: Any, name: str, schema: Any, columns: list[str]) -> None:
    """Add the columns of `schema` that table `name` lacks, typed as a new table would be."""
    connection.register("empty_table", schema.empty_table())
    types = {row[0]: row[1] for row in connection.execute("DESCRIBE empty_table").fetchall()}
    connection.unregister("empty_table")
    for column in schema.names:
        if column not in columns:
            connection.execute(f'ALTER TABLE {name} ADD COLUMN "{column}" {types[column]}')


def _require_duckdb_file(database: Path) -> None:
    """An existing DATABASE must be a regular file that begins like a DuckDB database (an
    8-byte checksum, then "DUCK")."""
    try:
        info = os.stat(database)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot open {database}: {exc.strerror or exc}") from None
    head = b""
    if stat.S_ISREG(info.st_mode):
        with open(database, "rb") as stream:
            head = stream.read(12)
    if head[8:12] != b"DUCK":
        raise OutputError(f"{database} exists and is not a DuckDB database: give a new file, or a database imrparse created")


def loaded_letters(connection: Any, keys: list[str]) -> set[str]:
    """Which of these sha256 keys are loaded as letters: their inputs need not be parsed."""
    found: set[str] = set()
    for start in range(0, len(keys), BATCH):
        found.update(row[0] for row in connection.execute(
            "SELECT source_sha256 FROM letters WHERE source_sha256 IN (SELECT UNNEST(?))", [keys[start:start + BATCH]]).fetchall())
    return found


def load(connection: Any, results: Iterable[dict[str, Any]], *, replace: bool = False) -> tuple[dict[str, int], int]:
    """Insert the results' rows. Each result replaces its input's rows in `errors` (same key, or
    same path) and, with `replace`, its letter's rows; a letter already loaded is not added
    again. The rows added per table, and the number of rows removed."""
    added = dict.fromkeys(TABLES, 0)
    removed = 0
    batch: list[dict[str, Any]] = []
    for result in results:
        batch.append(result)
        if len(batch) >= BATCH:
            removed += _load_batch(connection, batch, added, replace)
            batch = []
    if batch:
        removed += _load_batch(connection, batch, added, replace)
    return added, removed


def _load_batch(connection: Any, batch: list[dict[str, Any]], added: dict[str, int], replace: bool) -> int:
    import pyarrow as pa

    keys = list({_error_key(r["source"]) for r in batch})
    paths = list({path for r in batch if (path := absolute_path(r["source"]["path"])) is not None})
    connection.execute("BEGIN TRANSACTION")
    try:
        removed = _delete(connection, "errors", f"coalesce(source_sha256, 'path:' || {ABSPATH}) IN (SELECT UNNEST(?)) "
                                                f"OR {ABSPATH} IN (SELECT UNNEST(?))", [keys, paths])
        if replace:
            removed += sum(_delete(connection, name, "source_sha256 IN (SELECT UNNEST(?))", [keys])
                           for name in TABLES if name != "errors")
        known = loaded_letters(connection, keys)
        fresh: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for result in batch:
            key = result_key(result)
            if key in known:
                continue
            known.add(key)  # the same input twice in one batch
            for name, table_rows in (result[TABLE_ROWS] if TABLE_ROWS in result else rows(result)).items():
                fresh[name].extend(table_rows)
        schemas = arrow_schemas()
        for name, table_rows in fresh.items():
            if table_rows:
                incoming = pa.Table.from_pylist(table_rows, schema=schemas[name])
                if name == "errors":
                    incoming = incoming.append_column(ABSPATH, pa.array([absolute_path(row["source_path"]) for row in table_rows],
                                                                        pa.string()))
                connection.register("incoming", incoming)
                connection.execute(f"INSERT INTO {name} BY NAME SELECT * FROM incoming")  # columns added later sit last
                connection.unregister("incoming")
                added[name] += len(table_rows)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")  # a commit that fails ends the transaction itself: no ROLLBACK after it
    return removed


def forget_errors_of(connection: Any, paths: list[str]) -> int:
    """Remove the `errors` rows of these files of parse's output (lines that were not records),
    before they are loaded again: the new load states its failures anew. The rows removed."""
    connection.execute("BEGIN TRANSACTION")
    removed = _delete(connection, "errors", "source_path IN (SELECT UNNEST(?))", [paths])
    connection.execute("COMMIT")
    return removed


def absolute_path(path: str | None) -> str | None:
    """What identifies a file input across loads besides its content: its absolute path (a
    relative one names another file from another folder). Standard input has none."""
    return None if path is None or path == STDIN else os.path.abspath(path)


def _error_key(source: dict[str, Any]) -> str:
    """`result_key` with the absolute path for an input that could not be read."""
    return str(source["sha256"] or f"path:{absolute_path(source['path'])}")


def _delete(connection: Any, table: str, where: str, parameters: list[Any]) -> int:
    deleted: int = connection.execute(f"DELETE FROM {table} WHERE {where}", parameters).fetchone()[0]
    return deleted
