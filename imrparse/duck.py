"""Loading the four tables into an embedded DuckDB database: created on first use, appended to
after, one transaction per batch, idempotent on the source's sha256 (loading the same letters
twice adds nothing). Needs the `imrparse[duckdb]` extra (and pyarrow, which it brings)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .batch import result_key
from .errors import InputError
from .tables import TABLES, arrow_schemas, rows

BATCH = 2000  # results per transaction


def connect(database: Path) -> Any:
    """The database, with the four tables created if missing (types from the Arrow schemas)."""
    try:
        import duckdb
    except ImportError:
        raise InputError("loading into DuckDB needs duckdb: pip install 'imrparse[duckdb]'") from None
    connection = duckdb.connect(str(database))
    for name, schema in arrow_schemas().items():
        connection.register("empty_table", schema.empty_table())
        connection.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM empty_table")
        connection.unregister("empty_table")
    create_views(connection)
    return connection


def create_views(connection: Any) -> None:
    """`decision_facts`: one row per decision with its letter's dates and reviewer, the year
    decided and `days_to_decision` (application received to decision date, in days)."""
    connection.execute("""
        CREATE OR REPLACE VIEW decision_facts AS
        SELECT d.*, l.source_path, l.decision_date, l.application_received, l.date_of_injury,
               year(l.decision_date) AS decision_year,
               date_diff('day', l.application_received, l.decision_date) AS days_to_decision,
               l.reviewer_specialties, l.reviewer_specialties_canonical, l.age, l.sex
        FROM decisions d JOIN letters l USING (source_sha256)""")


def load(connection: Any, results: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Insert the results' rows, skipping sources already loaded; the rows added per table."""
    added = dict.fromkeys(TABLES, 0)
    batch: list[dict[str, Any]] = []
    for result in results:
        batch.append(result)
        if len(batch) >= BATCH:
            _load_batch(connection, batch, added)
            batch = []
    if batch:
        _load_batch(connection, batch, added)
    return added



def _load_batch(connection: Any, batch: list[dict[str, Any]], added: dict[str, int]) -> None:
    import pyarrow as pa

    keys = list({result_key(r) for r in batch})
    connection.execute("BEGIN TRANSACTION")
    try:
        known = {row[0] for row in connection.execute(
            "SELECT source_sha256 FROM letters WHERE source_sha256 IN (SELECT UNNEST(?)) "
            "UNION SELECT coalesce(source_sha256, 'path:' || source_path) FROM errors "
            "WHERE coalesce(source_sha256, 'path:' || source_path) IN (SELECT UNNEST(?))", [keys, keys]).fetchall()}
        fresh: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for result in batch:
            key = result_key(result)
            if key in known:
                continue
            known.add(key)  # the same letter twice in one batch
            for name, table_rows in rows(result).items():
                fresh[name].extend(table_rows)
        schemas = arrow_schemas()
        for name, table_rows in fresh.items():
            if table_rows:
                connection.register("incoming", pa.Table.from_pylist(table_rows, schema=schemas[name]))
                connection.execute(f"INSERT INTO {name} SELECT * FROM incoming")
                connection.unregister("incoming")
                added[name] += len(table_rows)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
