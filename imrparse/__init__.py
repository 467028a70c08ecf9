"""imrparse: California DWC IMR Final Determination Letters -> exact, source-linked records."""

__version__ = "0.1.0"  # the one place the version is written: pyproject.toml reads it (hatch)

from imrparse.api import decode, dumps, parse, parse_file, parse_normalized, parse_tree, record_schema
from imrparse.check.validate import validate  # last: the function shadows the submodule of the same name
from imrparse.errors import InputError, ParseError
from imrparse.etl.batch import parse_many, parse_one, validate_many, validate_one
from imrparse.read.builder import SCHEMA_VERSION, to_record
from imrparse.record import Case, Decision, Finding, Guideline, Record, Reviewer, Source, Summary, TreatmentParts
from imrparse.text.normalize import normalize

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
