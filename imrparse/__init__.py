"""imrparse: California DWC IMR Final Determination Letters -> exact, source-linked records.

The names below are imported on first use (PEP 562), so that `import imrparse.cli` costs no more
than the command line needs before it can handle Ctrl-C (`imrparse.cli.main`).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads it so too)
__version__ = "0.1.0"  # the one place the version is written: pyproject.toml reads it (hatch)

if TYPE_CHECKING:
    from typing import Any

    from imrparse.api import decode, dumps, parse, parse_file, parse_normalized, parse_tree, record_schema
    from imrparse.check.validate import validate
    from imrparse.errors import InputError, ParseError
    from imrparse.etl.batch import parse_many, parse_one, validate_many, validate_one
    from imrparse.read.builder import SCHEMA_VERSION, to_record
    from imrparse.record import Case, Decision, Finding, Guideline, Record, Reviewer, Source, Summary, TreatmentParts
    from imrparse.text.normalize import normalize

_MODULES = {
    "imrparse.api": ("decode", "dumps", "parse", "parse_file", "parse_normalized", "parse_tree", "record_schema"),
    "imrparse.check.validate": ("validate",),
    "imrparse.errors": ("InputError", "ParseError"),
    "imrparse.etl.batch": ("parse_many", "parse_one", "validate_many", "validate_one"),
    "imrparse.read.builder": ("SCHEMA_VERSION", "to_record"),
    "imrparse.record": ("Case", "Decision", "Finding", "Guideline", "Record", "Reviewer", "Source", "Summary", "TreatmentParts"),
    "imrparse.text.normalize": ("normalize",),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'imrparse' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "SCHEMA_VERSION",
    "Case",
    "Decision",
    "Finding",
    "Guideline",
    "InputError",
    "ParseError",
    "Record",
    "Reviewer",
    "Source",
    "Summary",
    "TreatmentParts",
    "__version__",
    "decode",
    "dumps",
    "normalize",
    "parse",
    "parse_file",
    "parse_many",
    "parse_normalized",
    "parse_one",
    "parse_tree",
    "record_schema",
    "to_record",
    "validate",
    "validate_many",
    "validate_one",
]
