"""`imrparse summary`: what an archive says, in the terminal.

The archive is a DuckDB file `imrparse load` wrote (opened read-only: it is not changed), or what
`imrparse parse` wrote, a file of records (JSON Lines, JSON) or a directory of Parquet tables,
loaded into an in-memory database as `load` would load it. The figures are computed by SQL over
its tables: cases (by default, one source per case number: the `letters_by_case` view) or
sources (`--by source`: every row of `letters`, so a letter loaded from its PDF and three text
extractions counts four times), decisions, the overturn rate by year decided, by treatment
category, by drug class and by reviewer specialty (canonical, ABMS), and the median days from
application received to decision. `figures` returns them as plain data (`--format json`);
`render` prints them as rich tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imrparse.errors import InputError

_OVERTURNED = "sum(CASE WHEN d.outcome = 'overturned' THEN 1 ELSE 0 END)"
_RATE = f"round(100.0 * {_OVERTURNED} / count(*), 1)"
BY = ("case", "source")  # what `--by` counts: the view of one source per case, or the letters table
_LETTERS = {"case": "letters_by_case", "source": "letters"}

# Each breakdown: its name, the column it groups by (as the JSON and the table name it), the
# FROM clause ({letters} is the counted letters, as l; every clause has the decision as d), and
# the grouping expression.
BREAKDOWNS: tuple[tuple[str, str, str, str], ...] = (
    ("by_year", "year", "decisions d JOIN {letters} l USING (source_sha256)", "year(l.decision_date)"),
    ("by_category", "category", "decisions d JOIN {letters} l USING (source_sha256)", "d.category"),
    ("by_drug_class", "drug_class", "decisions d JOIN {letters} l USING (source_sha256) WHERE d.category = 'pharmaceuticals'",
     "d.drug_class"),
    ("by_specialty", "specialty",
     "(SELECT source_sha256, unnest(reviewer_specialties_canonical) AS specialty FROM {letters}) s "
     "JOIN decisions d USING (source_sha256)", "s.specialty"),
)
TITLES = {"by_year": "Overturn rate by year decided", "by_category": "Overturn rate by treatment category",
          "by_drug_class": "Overturn rate by drug class (pharmaceuticals)", "by_specialty": "Overturn rate by reviewer specialty"}


def connect(path: Path) -> Any:
    """The archive at PATH as a DuckDB connection: a DuckDB file read-only, or a file of records or
    a directory of Parquet tables loaded into memory. An InputError when it is missing, is none
    of these, or is a database without imrparse's tables."""
    from imrparse.etl import stored

    try:
        import duckdb
    except ImportError:
        raise InputError("reading an archive needs duckdb: pip install 'imrparse[duckdb]'") from None
    if path.is_dir():
        if not stored.is_tables(str(path)):
            raise InputError(f"{path}: a directory without the Parquet tables `imrparse parse --format parquet` writes "
                             "(letters.parquet)")
        return _loaded(stored.read_tables(path))
    if not path.exists():
        raise InputError(f"{path}: no such database or file (create a database with `imrparse load`)")
    if _is_duckdb(path):
        return _database(path, duckdb)
    if stored.is_records(str(path)):
        return _loaded(stored.read_records(str(path)))
    raise InputError(f"{path}: not an archive: give a DuckDB database `imrparse load` wrote, or what `imrparse parse` "
                     "wrote (JSON Lines, JSON, or a directory of Parquet tables)")


def _is_duckdb(path: Path) -> bool:
    """A regular file that begins like a DuckDB database (an 8-byte checksum, then "DUCK")."""
    if not path.is_file():  # a FIFO would block the open
        return False
    try:
        with open(path, "rb") as stream:
            return stream.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def _database(path: Path, duckdb: Any) -> Any:
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise InputError(f"{path}: cannot open it: {error}") from None
    try:
        connection.execute("SELECT category, treatment_name FROM decisions LIMIT 0")
        connection.execute("SELECT reviewer_specialties_canonical, application_received FROM letters LIMIT 0")
        connection.execute("SELECT case_number FROM letters_by_case LIMIT 0")
    except duckdb.Error as error:
        connection.close()  # not left for the garbage collector (of a process forked later, too)
        raise InputError(f"{path}: not a database of imrparse's tables with the current columns ({error})") from None
    _refuse_foreign_tables(path, connection)
    return connection


def _refuse_foreign_tables(database: Path, connection: Any) -> None:
    """Tables with imrparse's names but other types would fail in the queries (a BinderException)."""
    from imrparse.etl.duck import foreign_tables

    if problem := foreign_tables(connection):
        connection.close()
        raise InputError(f"{database} {problem}: not a database `imrparse load` wrote")


def _loaded(results: Any) -> Any:
    """An in-memory database holding these results, loaded as `imrparse load` loads them."""
    from imrparse.etl.duck import load, memory_database

    connection = memory_database()
    load(connection, results)
    return connection


def figures(connection: Any, by: str = "case") -> dict[str, Any]:
    """The summary as plain data (what `--format json` prints), counting cases or sources."""
    letters = _LETTERS[by]
    counted, median_days, mean_days = connection.execute(
        "SELECT count(*), median(date_diff('day', application_received, decision_date)), "
        f"round(avg(date_diff('day', application_received, decision_date)), 1) FROM {letters}").fetchone()
    decisions, overturned = connection.execute(
        f"SELECT count(*), coalesce({_OVERTURNED}, 0) FROM decisions d JOIN {letters} l USING (source_sha256)").fetchone()
    out: dict[str, Any] = {"counted_by": by}
    if by == "case":
        sources, without = connection.execute("SELECT count(*), count(*) FILTER (WHERE case_number IS NULL) FROM letters").fetchone()
        out.update(cases=counted, sources=sources, sources_without_case_number=without)
    else:
        out["letters"] = counted
    out.update({
        "decisions": decisions,
        "overturned": int(overturned),
        "pct_overturned": round(100.0 * overturned / decisions, 1) if decisions else None,
        "median_days_to_decision": float(median_days) if median_days is not None else None,
        "mean_days_to_decision": float(mean_days) if mean_days is not None else None,
    })
    for name, column, source, key in BREAKDOWNS:
        rows = connection.execute(
            f"SELECT {key} AS k, count(*) AS decisions, {_OVERTURNED} AS overturned, {_RATE} AS pct "
            f"FROM {source.format(letters=letters)} GROUP BY k ORDER BY decisions DESC, k NULLS LAST").fetchall()
        if name == "by_year":
            rows.sort(key=lambda row: (row[0] is None, row[0]))
        out[name] = [{column: k, "decisions": n, "overturned": int(o), "pct_overturned": float(p)} for k, n, o, p in rows]
    return out


def render(data: dict[str, Any]) -> None:
    """Print the summary as rich tables."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    head = Table(title="Archive", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column(justify="right")
    if data["counted_by"] == "case":
        head.add_row("cases", f"{data['cases']:,}")
        left_out = data["sources_without_case_number"]
        head.add_row("sources loaded", f"{data['sources']:,}" + (f" ({left_out:,} without a case number, left out)" if left_out else ""))
    else:
        head.add_row("letters (sources)", f"{data['letters']:,}")
    head.add_row("decisions", f"{data['decisions']:,}")
    pct = data["pct_overturned"]
    head.add_row("overturned", f"{data['overturned']:,}" + (f" ({pct:.1f}%)" if pct is not None else ""))
    days = data["median_days_to_decision"]
    head.add_row("median days, application to decision", f"{days:g}" if days is not None else "-")
    console.print(head)
    for name, column, _, _ in BREAKDOWNS:
        table = Table(title=TITLES[name], title_justify="left")
        table.add_column(column.replace("_", " "))
        for header in ("decisions", "overturned", "% overturned"):
            table.add_column(header, justify="right")
        for row in data[name]:
            key = row[column]
            table.add_row("-" if key is None else str(key), f"{row['decisions']:,}", f"{row['overturned']:,}",
                          f"{row['pct_overturned']:.1f}")
        console.print(table)
