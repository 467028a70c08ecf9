"""Records as flat tables for analysts -- letters, decisions, citations, errors, diagnoses -- with one
Arrow schema, written as Parquet in row groups so memory stays flat however many letters.

`rows(result)` is plain Python (no pyarrow); `ParquetTables` and `CsvTables` (the same tables as
CSV for spreadsheets, written by pyarrow's CSV writer) need the `imrparse[parquet]` extra.
"""

from __future__ import annotations

import contextlib
import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from imrparse.errors import MissingExtra, extra_hint

TABLES = ("letters", "decisions", "citations", "errors", "diagnoses")
TABLE_FILES = {f"{name}.parquet" for name in TABLES}
CSV_FILES = {f"{name}.csv" for name in TABLES}
LIST_SEPARATOR = "; "  # how a CSV cell holds a list column's items (reviewer_licensure, reviewer_specialties, ...)
# decisions.treatment_parts as columns: part -> column (the part's value; null where not stated)
PART_COLUMNS = {"name": "treatment_name", "strength": "strength", "form": "form", "quantity": "quantity", "refills": "refills",
                "sessions": "sessions", "frequency": "frequency", "duration": "duration", "body_part": "body_part",
                "laterality": "laterality", "retrospective": "retrospective", "service_date": "service_date"}
ROW_GROUP = 2000  # letters per row group


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def rows(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The table rows of one `parse_many` result (a record with `source`, or an error record)."""
    source = result["source"]
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    if "error" in result:
        error = result["error"]
        out["errors"].append({"source_path": source["path"], "source_path_bytes": source.get("path_bytes"),
                              "source_sha256": source["sha256"], "kind": error["kind"],
                              "code": error.get("code"), "message": error["message"], "line": error.get("line"),
                              "column": error.get("column"), "partial": _json(error.get("partial"))})
        return out
    case, reviewer, decisions = result["case"], result["reviewer"], result["decisions"]
    summary = result["summary"] or {}  # a 2013 letter may state none
    ocr = source.get("ocr") or {}  # only a letter read by OCR
    out["letters"].append({
        "source_path": source["path"], "source_path_bytes": source.get("path_bytes"), "source_sha256": source["sha256"],
        "layout": result["layout"],
        "case_number": case["case_number"], "date_assigned": _date(case["date_assigned"]),
        "date_of_injury": _date(case["date_of_injury"]), "decision_date": _date(case["decision_date"]),
        "ur_denial_date": _date(case["ur_denial_date"]), "priority": case["priority"],
        "application_received": _date(case["application_received"]),
        "reviewer_licensure": reviewer["licensure"], "reviewer_specialties": reviewer["specialties"],
        "board_certified": reviewer["board_certified"], "age": summary.get("age"), "sex": summary.get("sex"),
        "summary_date_of_injury": _date(summary.get("date_of_injury")), "decisions": len(decisions),
        "upheld": sum(d["outcome"] == "upheld" for d in decisions),
        "overturned": sum(d["outcome"] == "overturned" for d in decisions),
        "reviewer_specialties_canonical": reviewer["specialties_canonical"],
        # (a record parse wrote before this field existed has none)
        "reviewer_specialties_corrected": [c["text"] for c in reviewer.get("specialties_corrected", [])],
        "ocr_pages": len(ocr["pages"]) if ocr else None, "ocr_engine": ocr.get("engine"),
        "ocr_mean_word_confidence": ocr.get("mean_word_confidence"),
    })
    key = {"case_number": case["case_number"], "source_sha256": source["sha256"]}
    for position, decision in enumerate(decisions, start=1):
        # A 2013 layout may have no guideline paragraphs: their columns are null.
        ca, reviewer_guideline = decision["claims_administrator_guideline"] or {}, decision["reviewer_guideline"] or {}
        out["decisions"].append({
            **key, "position": position, "number": decision["number"], "treatment": decision["treatment"],
            "title": decision["title"], "outcome": decision["outcome"], "medically_necessary": decision["medically_necessary"],
            "original_request": decision["original_request"], "authorized": decision["authorized"],
            "rationale": decision["rationale"], "ca_cited": ca.get("cited"), "ca_text": ca.get("text"),
            "reviewer_cited": reviewer_guideline.get("cited"), "reviewer_text": reviewer_guideline.get("text"),
            "category": decision["category"], "drug_class": decision["drug_class"],
            **_part_columns(decision["treatment_parts"]),
        })
        for cited_by, guideline in (("claims_administrator", ca), ("reviewer", reviewer_guideline)):
            for kind in ("mtus", "non_mtus"):
                out["citations"].extend({**key, "decision_position": position, "cited_by": cited_by, "kind": kind,
                                         "citation": citation} for citation in guideline.get(kind, []))
    out["diagnoses"].extend({**key, "position": position, "diagnosis": diagnosis["text"]}
                            for position, diagnosis in enumerate(summary.get("diagnoses", []), start=1))
    return out


def _part_columns(parts: dict[str, Any]) -> dict[str, Any]:
    columns = {column: parts[part].get("value", parts[part]["text"]) if part in parts else None for part, column in PART_COLUMNS.items()}
    columns["service_date"] = _date(columns["service_date"])
    return columns


def arrow_schemas() -> dict[str, Any]:
    """The tables' Arrow schemas (pyarrow)."""
    pa = require_pyarrow()
    text, date, count = pa.string(), pa.date32(), pa.int32()
    key = [("case_number", text), ("source_sha256", text)]
    return {
        "letters": pa.schema([
            ("source_path", text), ("source_path_bytes", text), ("source_sha256", text), ("layout", text), ("case_number", text),
            ("date_assigned", date), ("date_of_injury", date), ("decision_date", date), ("ur_denial_date", date),
            ("priority", text), ("application_received", date), ("reviewer_licensure", pa.list_(text)),
            ("reviewer_specialties", pa.list_(text)), ("board_certified", pa.bool_()), ("age", count), ("sex", text),
            ("summary_date_of_injury", date), ("decisions", count), ("upheld", count), ("overturned", count),
            ("reviewer_specialties_canonical", pa.list_(text)), ("reviewer_specialties_corrected", pa.list_(text)),
            ("ocr_pages", count), ("ocr_engine", text), ("ocr_mean_word_confidence", pa.float64()),
        ]),
        "decisions": pa.schema([
            *key, ("position", count), ("number", count), ("treatment", text), ("title", text), ("outcome", text),
            ("medically_necessary", pa.bool_()), ("original_request", text), ("authorized", text), ("rationale", text),
            ("ca_cited", pa.bool_()), ("ca_text", text), ("reviewer_cited", pa.bool_()), ("reviewer_text", text),
            ("category", text), ("drug_class", text), ("treatment_name", text), ("strength", text), ("form", text),
            ("quantity", count), ("refills", count), ("sessions", count), ("frequency", text), ("duration", text),
            ("body_part", text), ("laterality", text), ("retrospective", pa.bool_()), ("service_date", date),
        ]),
        "citations": pa.schema([*key, ("decision_position", count), ("cited_by", text), ("kind", text), ("citation", text)]),
        "errors": pa.schema([("source_path", text), ("source_path_bytes", text), ("source_sha256", text), ("kind", text),
                             ("code", text), ("message", text), ("line", count), ("column", count), ("partial", text)]),
        "diagnoses": pa.schema([*key, ("position", count), ("diagnosis", text)]),
    }


def require_pyarrow() -> Any:
    """pyarrow, or MissingExtra naming the extra."""
    try:
        import pyarrow
    except ImportError:
        raise MissingExtra(f"Parquet output needs pyarrow: {extra_hint('parquet')}") from None
    return pyarrow


class ParquetTables:
    """A Parquet file per table in a directory (letters.parquet, ...), written a row group at a time."""

    def __init__(self, directory: Path, row_group: int = ROW_GROUP) -> None:
        self.schemas = arrow_schemas()  # first: without pyarrow, InputError naming the extra
        import pyarrow.parquet as pq

        directory.mkdir(parents=True, exist_ok=True)
        self.writers = {name: pq.ParquetWriter(directory / f"{name}.parquet", schema) for name, schema in self.schemas.items()}
        self.pending: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self.row_group = row_group
        self.letters = 0

    def add(self, result: dict[str, Any]) -> None:
        for name, table_rows in rows(result).items():
            self.pending[name].extend(table_rows)
        self.letters += 1
        if self.letters % self.row_group == 0:
            self.flush()

    def flush(self) -> None:
        pa = require_pyarrow()
        for name, pending in self.pending.items():
            if pending:
                self.writers[name].write_table(pa.Table.from_pylist(pending, schema=self.schemas[name]))
                pending.clear()

    def __enter__(self) -> ParquetTables:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        """Write what is pending (unless the run failed: then the tables are discarded) and close
        every file, even when writing one fails (a full disk)."""
        with contextlib.ExitStack() as closing:
            for writer in self.writers.values():
                closing.callback(_close, writer)
            if kind is None:
                self.flush()


class CsvTables(ParquetTables):
    """The five tables as CSV files (letters.csv, ...) with the Parquet tables' columns, for
    spreadsheets: a header row, dates as YYYY-MM-DD, booleans as true/false, null as an empty
    cell, and a list column's items joined with LIST_SEPARATOR. A text cell that a spreadsheet
    would run as a formula is defused (`defuse_formula`)."""

    def __init__(self, directory: Path, row_group: int = ROW_GROUP) -> None:
        self.schemas = arrow_schemas()
        pa = require_pyarrow()
        import pyarrow.csv as csv

        self.csv_schemas = {name: pa.schema([(f.name, pa.string() if pa.types.is_list(f.type) else f.type) for f in schema])
                            for name, schema in self.schemas.items()}
        directory.mkdir(parents=True, exist_ok=True)
        self.writers = {name: csv.CSVWriter(directory / f"{name}.csv", schema) for name, schema in self.csv_schemas.items()}
        self.pending = {name: [] for name in TABLES}
        self.row_group = row_group
        self.letters = 0

    def flush(self) -> None:
        pa = require_pyarrow()
        import pyarrow.compute as pc

        for name, pending in self.pending.items():
            if pending:
                table = pa.Table.from_pylist(pending, schema=self.schemas[name])
                columns = [pc.binary_join(column, LIST_SEPARATOR) if pa.types.is_list(column.type) else column
                           for column in table.columns]
                columns = [defuse_formula(column) if pa.types.is_string(column.type) else column for column in columns]
                self.writers[name].write_table(pa.Table.from_arrays(columns, schema=self.csv_schemas[name]))
                pending.clear()


# A cell a spreadsheet reads as a formula (or, after a tab or carriage return, may): OWASP's list.
FORMULA_START = "^[=+\\-@\t\r]"


def defuse_formula(column: Any) -> Any:
    """A text column with a `'` before each cell that begins like a formula, as OWASP recommends
    for CSV: a letter's words (`=HYPERLINK(...)` in a title) are shown, never run."""
    import pyarrow.compute as pc

    starts = pc.match_substring_regex(column, FORMULA_START)
    return pc.if_else(starts, pc.binary_join_element_wise("'", column, ""), column)


def _close(writer: Any) -> None:
    """Close a Parquet writer once: after a failed close, pyarrow's __del__ would try again at
    exit and print the error with a traceback."""
    try:
        writer.close()
    finally:
        with contextlib.suppress(AttributeError):  # a CSV writer has no such flag
            writer.is_open = False

