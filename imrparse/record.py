"""The record's shape for type checkers: TypedDicts that mirror the JSON Schema
(`imrparse/schema/record.schema.json`; `tests/test_record_types.py` checks that they agree).

`imrparse.parse` returns plain dicts; annotate them with these to have mypy or pyright check
field names and value types:

    record: imrparse.Record = imrparse.parse(text)
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

Span = list[int]  # [start, end): character offsets into the original text


class Case(TypedDict):
    case_number: str | None
    date_assigned: str | None
    date_of_injury: str | None
    decision_date: str | None
    ur_denial_date: str | None
    application_received: str | None
    priority: str | None
    span: Span | None
    spans: dict[str, Span]


class Unrecognized(TypedDict):
    text: str
    span: Span


class Reviewer(TypedDict):
    licensure: list[str]
    specialties: list[str]
    specialties_canonical: list[str]
    board_certified: bool | None
    unrecognized: list[Unrecognized]
    span: Span | None


class Diagnosis(TypedDict):
    text: str
    span: Span


class Summary(TypedDict):
    text: str
    age: int | None
    sex: Literal["male", "female"] | None
    date_of_injury: str | None
    diagnoses: list[Diagnosis]
    span: Span


class Guideline(TypedDict):
    text: str
    mtus: list[str]
    non_mtus: list[str]
    cited: bool | None
    unrecognized: list[Unrecognized]
    span: Span


class _PartRequired(TypedDict):
    text: str
    span: Span


class Part(_PartRequired, total=False):
    value: Any  # a count, true, an ISO date, or a form or side by its usual name


class _TreatmentPartsRequired(TypedDict):
    name: Part


class TreatmentParts(_TreatmentPartsRequired, total=False):
    strength: Part
    form: Part
    quantity: Part
    refills: Part
    sessions: Part
    frequency: Part
    duration: Part
    body_part: Part
    laterality: Part
    retrospective: Part
    service_date: Part


class Decision(TypedDict):
    number: int | None
    title: str
    treatment: str | None
    treatment_parts: TreatmentParts
    category: str
    drug_class: str | None
    outcome: str | None
    medically_necessary: bool | None
    original_request: str | None
    authorized: str | None
    claims_administrator_guideline: Guideline | None
    reviewer_guideline: Guideline | None
    rationale: str | None
    rationale_span: Span | None
    span: Span
    title_span: Span | None


class Ocr(TypedDict):
    pages: list[int]
    engine: str
    mean_word_confidence: float | None


class Source(TypedDict, total=False):
    """Batch results' `path`, `sha256` and `bytes`; `ocr` when OCR read a page."""

    path: str | None
    path_bytes: str
    sha256: str | None
    bytes: int | None
    ocr: Ocr


class _RecordRequired(TypedDict):
    schema_version: Literal[1]
    layout: Literal["fdl-2014", "maximus-2013", "mpr-2013"]
    case: Case
    reviewer: Reviewer
    summary: Summary | None
    decisions: list[Decision]
    span: Span


class Record(_RecordRequired, total=False):
    source: Source
