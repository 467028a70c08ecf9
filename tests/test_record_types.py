"""The TypedDicts of imrparse/record.py agree with the JSON Schema: the same keys, the same
required keys, and None allowed exactly where the schema allows null. A typed library user and
a schema-validating ETL job see one record."""

from __future__ import annotations

import types
import typing
import zipfile
from pathlib import Path
from typing import Any

import pytest

import imrparse
from imrparse import record

SCHEMA = imrparse.record_schema()
DEFS = SCHEMA["$defs"]
PAIRS: list[tuple[Any, dict[str, Any]]] = [
    (record.Record, SCHEMA),
    (record.Source, SCHEMA["properties"]["source"]),
    (record.Case, SCHEMA["properties"]["case"]),
    (record.Reviewer, SCHEMA["properties"]["reviewer"]),
    (record.Summary, SCHEMA["properties"]["summary"]),
    (record.Diagnosis, SCHEMA["properties"]["summary"]["properties"]["diagnoses"]["items"]),
    (record.Decision, DEFS["decision"]),
    (record.Guideline, DEFS["guideline"]),
    (record.Unrecognized, DEFS["unrecognized"]["items"]),
    (record.Part, DEFS["part"]),
    (record.TreatmentParts, DEFS["treatment_parts"]),
    (record.Source, SCHEMA["properties"]["source"]),
    (record.Ocr, DEFS["ocr"]),
]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = DEFS[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _schema_allows_null(node: dict[str, Any]) -> bool:
    node = _resolve(node)
    kinds = node.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds) or None in node.get("enum", []):
        return True
    return any(_schema_allows_null(option) for option in node.get("oneOf", []) + node.get("anyOf", []))


def _hint_allows_none(hint: Any) -> bool:
    return hint is Any or (typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint))


@pytest.mark.parametrize(("typed", "schema"), PAIRS, ids=[typed.__name__ for typed, _ in PAIRS])
def test_a_typed_dict_has_the_schemas_keys_and_required_keys(typed: Any, schema: dict[str, Any]) -> None:
    assert set(typing.get_type_hints(typed)) == set(schema["properties"])
    assert set(typed.__required_keys__) == set(schema.get("required", []))


@pytest.mark.parametrize(("typed", "schema"), PAIRS, ids=[typed.__name__ for typed, _ in PAIRS])
def test_none_is_allowed_where_the_schema_allows_null(typed: Any, schema: dict[str, Any]) -> None:
    hints = typing.get_type_hints(typed)
    for key, node in schema["properties"].items():
        if "allOf" in node or key == "value":  # a part (never null), or a value of any JSON type
            continue
        assert _hint_allows_none(hints[key]) == _schema_allows_null(node), key


def test_the_wheel_ships_py_typed(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(root)], check=True, capture_output=True)
    [wheel] = tmp_path.glob("*.whl")
    assert "imrparse/py.typed" in zipfile.ZipFile(wheel).namelist()
