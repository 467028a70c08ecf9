"""The record's shape for type checkers: TypedDicts that mirror the JSON Schema
(`imrparse/schema/record.schema.json`; `tests/test_record_types.py` checks that they agree).

`imrparse.parse`, `parse_file` and `parse_normalized` return a `Record` (plain dicts at run
time), and `imrparse.validate` a list of `Finding`, so mypy or pyright check field names and
value types in the caller's code:

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


class SpecialtyCorrection(TypedDict):
    text: str
    canonical: str


class Reviewer(TypedDict):
    licensure: list[str]
    specialties: list[str]
    specialties_canonical: list[str]
    specialties_corrected: list[SpecialtyCorrection]
    board_certified: bool | None
    unrecognized: list[Unrecognized]
    span: Span | None
    spans: dict[str, list[Span]]  # "licensure", "specialties": where each name is written, parallel to the list


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
    spans: dict[str, Span]  # "age", "sex", "date_of_injury": where the narrative states each (when it does)


class Guideline(TypedDict):
    text: str
    mtus: list[str]
    non_mtus: list[str]
    cited: bool | None
    unrecognized: list[Unrecognized]
    span: Span
    # "mtus", "non_mtus": where each citation is written, parallel to the list; "cited" (when it is
    # false): the sentences that say no medical evidence was cited
    spans: dict[str, list[Span]]


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
    spans: dict[str, Span]  # "number", "treatment", "original_request", "authorized", "outcome": where each is written (when it is)


class Ocr(TypedDict):
    pages: list[int]
    engine: str
    mean_word_confidence: float | None


class Source(TypedDict, total=False):
    """Where a record was read from (`parse_file`, `parse_many`): the path as given (None for
    bytes), its bytes in base64 when the name is not UTF-8, the content's sha256 and size, and
    `ocr` when OCR read a page."""

    path: str | None
    path_bytes: str
    sha256: str | None
    bytes: int | None
    ocr: Ocr


class Landmark(TypedDict):
    terminal: str  # the grammar's terminal (grammar/imr_letter.lark): a heading, a label, an introduction
    span: Span


class _RecordRequired(TypedDict):
    schema_version: Literal[1]
    layout: str  # a layout module's name (imrparse/read/layouts/): "fdl-2014", "maximus-2013", "mpr-2013"
    case: Case
    reviewer: Reviewer
    summary: Summary | None
    decisions: list[Decision]
    span: Span


class Repair(TypedDict):
    kind: Literal["furniture", "debris", "landmark", "value", "label", "wording", "line-break"]
    text: str
    read_as: str
    span: Span


class Record(_RecordRequired, total=False):
    """One letter's record; `source` is there when it was read from a file (`parse_file`,
    `parse_many`), not from text (`parse`)."""

    source: Source
    repairs: list[Repair]  # only when the letter was read as a scanned, faxed or flattened copy
    landmarks: list[Landmark]  # only in a record built inside read.builder.keeping_landmarks (`debug show`'s)


class Finding(TypedDict):
    """One finding of `imrparse.validate`: a rule's code and severity, the message, and the
    original line and column (None only for an input with no place to point at)."""

    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    line: int | None
    column: int | None


# -- one constructor per part: every layout builds its parts with these, so a part's keys and
# their order (which the JSON output keeps) are written once.


def no_case() -> Case:
    """The case of a letter without a header: every field null."""
    return {"case_number": None, "date_assigned": None, "date_of_injury": None, "decision_date": None, "ur_denial_date": None,
            "priority": None, "application_received": None, "span": None, "spans": {}}


def reviewer(*, licensure: list[str], specialties: list[str], board_certified: bool | None, unrecognized: list[Unrecognized],
             specialties_canonical: list[str], specialties_corrected: list[SpecialtyCorrection], span: Span | None,
             spans: dict[str, list[Span]]) -> Reviewer:
    return {"licensure": licensure, "specialties": specialties, "board_certified": board_certified, "unrecognized": unrecognized,
            "specialties_canonical": specialties_canonical, "specialties_corrected": specialties_corrected, "span": span,
            "spans": spans}


def summary(*, text: str, age: int | None, sex: Literal["male", "female"] | None, diagnoses: list[Diagnosis], span: Span,
            spans: dict[str, Span]) -> Summary:
    """The clinical summary; its date of injury is read later, with the decision's year."""
    return {"text": text, "age": age, "sex": sex, "date_of_injury": None, "diagnoses": diagnoses, "span": span, "spans": spans}


def guideline(*, text: str, mtus: list[str], non_mtus: list[str], cited: bool | None, unrecognized: list[Unrecognized],
              span: Span, spans: dict[str, list[Span]]) -> Guideline:
    return {"text": text, "mtus": mtus, "non_mtus": non_mtus, "cited": cited, "unrecognized": unrecognized, "span": span,
            "spans": spans}


def decision(*, number: int | None, title: str, treatment: str | None, treatment_parts: TreatmentParts, category: str,
             drug_class: str | None, original_request: str | None, authorized: str | None, title_span: Span | None,
             outcome: str | None, medically_necessary: bool | None, claims_administrator_guideline: Guideline | None,
             reviewer_guideline: Guideline | None, rationale: str | None, rationale_span: Span | None, span: Span,
             spans: dict[str, Span]) -> Decision:
    return {"number": number, "title": title, "treatment": treatment, "treatment_parts": treatment_parts, "category": category,
            "drug_class": drug_class, "original_request": original_request, "authorized": authorized, "title_span": title_span,
            "outcome": outcome, "medically_necessary": medically_necessary,
            "claims_administrator_guideline": claims_administrator_guideline, "reviewer_guideline": reviewer_guideline,
            "rationale": rationale, "rationale_span": rationale_span, "span": span, "spans": spans}
