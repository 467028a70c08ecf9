"""The DuckDB types of the JSON Lines `imrparse parse` writes, for `read_json(..., columns = ...)`
(`imrparse schema --duckdb`). Left to infer them, read_json types a field that is null in every
line it samples as "NULL" (a 2016 letter's item `number`, `board_certified` where no letter says
it) and a field absent from them not at all; given these, every column has its real type.

The record's types come from its JSON Schema (imrparse/schema/record.schema.json); `source` and
`error`, which `parse` adds around a record, are written here (they are not in that schema).
"""

from __future__ import annotations

from typing import Any

from imrparse.api import record_schema

# What parse writes around the record (etl/batch.py): where it came from, or why it failed.
SOURCE = 'STRUCT("path" VARCHAR, "path_bytes" VARCHAR, "sha256" VARCHAR, "bytes" BIGINT)'
ERROR = ('STRUCT("kind" VARCHAR, "code" VARCHAR, "message" VARCHAR, "line" BIGINT, "column" BIGINT, "expected" VARCHAR[], '
         '"partial" JSON)')
_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def columns() -> dict[str, str]:
    """Each top-level key of a line of parse's JSON Lines and its DuckDB type, in the order written."""
    schema = record_schema()
    record = {name: _duckdb_type(node, schema) for name, node in schema["properties"].items()}
    return {"source": SOURCE, **record, "error": ERROR}


def columns_literal() -> str:
    """`columns()` as the DuckDB struct literal read_json's `columns =` takes."""
    return "{" + ", ".join(_quote(name, "'") + ": " + _quote(kind, "'") for name, kind in columns().items()) + "}"


def _quote(text: str, mark: str) -> str:
    return mark + text.replace(mark, mark * 2) + mark


def _duckdb_type(node: dict[str, Any], schema: dict[str, Any]) -> str:
    """The DuckDB type of the values a JSON Schema node describes (null aside: every DuckDB type
    takes NULL)."""
    node = _resolved(node, schema)
    if "allOf" in node:
        return _duckdb_type(_merged([_resolved(part, schema) for part in node["allOf"]]), schema)
    for key in ("oneOf", "anyOf"):
        if key in node:
            return _duckdb_type(next(alt for alt in (_resolved(n, schema) for n in node[key]) if alt.get("type") != "null"), schema)
    if "const" in node:
        value = node["const"]
        return "BOOLEAN" if isinstance(value, bool) else "BIGINT" if isinstance(value, int) else "VARCHAR"
    if "enum" in node:
        return "VARCHAR"
    kinds = node.get("type")
    kind = next((k for k in kinds if k != "null"), None) if isinstance(kinds, list) else kinds
    if kind == "string":
        return "DATE" if node.get("pattern") == _DATE_PATTERN else "VARCHAR"
    if kind == "integer":
        return "BIGINT"
    if kind == "number":
        return "DOUBLE"
    if kind == "boolean":
        return "BOOLEAN"
    if kind == "array":
        items = node.get("items") or node["prefixItems"][0]
        return f"{_duckdb_type(items, schema)}[]"
    if kind == "object" and "properties" in node:
        fields = ", ".join(_quote(name, '"') + " " + _duckdb_type(child, schema) for name, child in node["properties"].items())
        return f"STRUCT({fields})"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"MAP(VARCHAR, {_duckdb_type(node['additionalProperties'], schema)})"
    return "JSON"  # any value ({}), or an object of any keys


def _resolved(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The node a `$ref` ("#/$defs/name") points to; other nodes as they are."""
    while "$ref" in node:
        target: Any = schema
        for step in node["$ref"].removeprefix("#/").split("/"):
            target = target[step]
        node = target
    return node


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """An allOf's parts as one node: their properties together, a later part's typed property
    over an earlier untyped one (a part's `value`, any value in #/$defs/part, is an integer in
    `quantity`). `not` parts restrict values, not types: left out."""
    merged: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                for name, child in value.items():
                    if name not in properties or child:
                        properties[name] = child
            elif key not in ("not", "required"):
                merged[key] = value
    if properties:
        merged["properties"] = properties
    return merged
