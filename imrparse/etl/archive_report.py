"""`imrparse summary DB.duckdb`: what a loaded archive says, in the terminal.

The figures are computed by SQL over the tables `imrparse load` writes (read-only: the database
is not changed): letters and decisions, the overturn rate by year decided, by treatment
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

# Each breakdown: its name, the column it groups by (as the JSON and the table name it), the
# FROM clause (every one has the decision as d), and the grouping expression.
BREAKDOWNS: tuple[tuple[str, str, str, str], ...] = (
    ("by_year", "year", "decisions d JOIN letters l USING (source_sha256)", "year(l.decision_date)"),
    ("by_category", "category", "decisions d", "d.category"),
    ("by_drug_class", "drug_class", "decisions d WHERE d.category = 'pharmaceuticals'", "d.drug_class"),
    ("by_specialty", "specialty",
     "(SELECT source_sha256, unnest(reviewer_specialties_canonical) AS specialty FROM letters) s JOIN decisions d USING (source_sha256)",
     "s.specialty"),
)
TITLES = {"by_year": "Overturn rate by year decided", "by_category": "Overturn rate by treatment category",
          "by_drug_class": "Overturn rate by drug class (pharmaceuticals)", "by_specialty": "Overturn rate by reviewer specialty"}


def connect(database: Path) -> Any:
    """The database, read-only; an InputError when it is missing or holds no loaded letters."""
    try:
        import duckdb
    except ImportError:
        raise InputError("reading a database needs duckdb: pip install 'imrparse[duckdb]'") from None
    if not database.is_file():
        raise InputError(f"{database}: no such database (create it with `imrparse load`)")
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as error:
        raise InputError(f"{database}: cannot open it: {error}") from None
    try:
        connection.execute("SELECT category, treatment_name FROM decisions LIMIT 0")
        connection.execute("SELECT reviewer_specialties_canonical, application_received FROM letters LIMIT 0")
    except duckdb.Error as error:
        connection.close()  # not left for the garbage collector (of a process forked later, too)
        raise InputError(f"{database}: not a database of imrparse's tables with the current columns ({error})") from None
    _refuse_foreign_tables(database, connection)
    return connection


def _refuse_foreign_tables(database: Path, connection: Any) -> None:
    """Tables with imrparse's names but other types would fail in the queries (a BinderException)."""
    from imrparse.etl.duck import foreign_tables

    if problem := foreign_tables(connection):
        connection.close()
        raise InputError(f"{database} {problem}: not a database `imrparse load` wrote")


def figures(connection: Any) -> dict[str, Any]:
    """The summary as plain data (what `--format json` prints)."""
    letters, median_days, mean_days = connection.execute(
        "SELECT count(*), median(date_diff('day', application_received, decision_date)), "
        "round(avg(date_diff('day', application_received, decision_date)), 1) FROM letters").fetchone()
    decisions, overturned = connection.execute(f"SELECT count(*), coalesce({_OVERTURNED}, 0) FROM decisions d").fetchone()
    out: dict[str, Any] = {
        "letters": letters,
        "decisions": decisions,
        "overturned": int(overturned),
        "pct_overturned": round(100.0 * overturned / decisions, 1) if decisions else None,
        "median_days_to_decision": float(median_days) if median_days is not None else None,
        "mean_days_to_decision": float(mean_days) if mean_days is not None else None,
    }
    for name, column, source, key in BREAKDOWNS:
        rows = connection.execute(
            f"SELECT {key} AS k, count(*) AS decisions, {_OVERTURNED} AS overturned, {_RATE} AS pct FROM {source} "
            f"GROUP BY k ORDER BY decisions DESC, k NULLS LAST").fetchall()
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
    head.add_row("letters", f"{data['letters']:,}")
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
