"""The record's parts read from a span of the normalized letter, for every layout alike: the
layouts differ in where a part lies, not in how it is read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from imrparse import record
from imrparse.grammar.landmarks import Landmarks
from imrparse.read import narrative, readers, taxonomy, treatment
from imrparse.text import spanmap
from imrparse.text.normalize import Normalized, collapse


def unrecognized(normalized: Normalized, start: int, end: int) -> record.Unrecognized:
    """Text no wording row knows, kept with its span."""
    return {"text": collapse(normalized.text[start:end]), "span": normalized.span(start, end)}


# A name of a credentials list as written, with its span in the original text.
Named = tuple[str, record.Span]


def reviewer(*, licensure: list[Named], specialties: list[Named], board_certified: bool | None, unrecognized: list[record.Unrecognized],
             span: record.Span | None) -> record.Reviewer:
    """The reviewer's credentials as written, with their canonical specialties (and the
    corrections of misspelled ones that reaching them took), and where each name is written."""
    names = [name for name, _ in specialties]
    return record.reviewer(licensure=[name for name, _ in licensure], specialties=names, board_certified=board_certified,
                           unrecognized=unrecognized, specialties_canonical=taxonomy.canonical_specialties(names),
                           specialties_corrected=taxonomy.corrected_specialties(names),  # type: ignore[arg-type]
                           span=span, spans={"licensure": [at for _, at in licensure], "specialties": [at for _, at in specialties]})


def names(normalized: Normalized, entries: Iterable[readers.Entry], offset: int, end: int) -> list[Named]:
    """Names read from the normalized text at `offset` (up to `end`), with their original spans."""
    span = spanmap.spans_within(normalized, offset, end)
    return [(entry.text, span(offset + entry.start, offset + entry.end)) for entry in entries]


def credentials_sentence(normalized: Normalized, start: int, end: int, landmarks: Landmarks) -> dict[str, Any]:
    """What a credentials sentence says: specialties, licensure, board certification."""
    reading = readers.read_credential_sentence(normalized.text[start:end], landmarks.regex("CREDENTIAL_SUBJECT"))
    return {"specialties": names(normalized, reading.specialties, start, end),
            "licensure": names(normalized, reading.licensure, start, end),
            "board_certified": True if reading.board_certified else None,
            "unrecognized": [unrecognized(normalized, start + a, start + b) for a, b in reading.unrecognized]}


def summary(normalized: Normalized, start: int, end: int, span: tuple[int, int]) -> tuple[record.Summary, re.Match[str] | None]:
    """The clinical summary whose prose is `start:end` (`span` is the whole section's), with its
    facts' spans where the narrative states them; and the narrative's statement of the date of
    injury, which the builder's `letter_record` reads with the decision's year."""
    raw = normalized.text[start:end]
    text = collapse(raw)
    age, sex, *facts = narrative.age_and_sex(text)
    injury = narrative.injury_statement(text)
    found = [(field, at) for field, at in zip(("age", "sex", "date_of_injury"), (*facts, injury and narrative.date_written(injury)),
                                               strict=True) if at is not None]
    stated = narrative.diagnoses(raw)
    to_original = spanmap.spans_within(normalized, start + stated[0].start, start + stated[-1].end) if stated else normalized.span
    diagnoses: list[record.Diagnosis] = [{"text": collapse(raw[d.start:d.end]), "span": to_original(start + d.start, start + d.end)}
                                         for d in stated]
    spans = {field: normalized.span(start + a, start + b)
             for (field, _), (a, b) in zip(found, readers.in_raw(raw, text, [at for _, at in found]), strict=True)}
    return record.summary(text=text, age=age, sex=sex, diagnoses=diagnoses, span=normalized.span(*span),  # type: ignore[arg-type]
                          spans=spans), injury


def guideline(normalized: Normalized, start: int, end: int) -> record.Guideline:
    """A guideline paragraph, `start:end`, read sentence by sentence (readers.read_guideline)."""
    reading = readers.read_guideline(normalized.text[start:end])
    span = spanmap.spans_within(normalized, start, end)
    spans: dict[str, list[record.Span]] = {"mtus": [span(start + a, start + b) for a, b in reading.mtus_spans],
                                           "non_mtus": [span(start + a, start + b) for a, b in reading.non_mtus_spans]}
    if reading.cited is False:
        spans["cited"] = [span(start + a, start + b) for a, b in reading.no_evidence_spans]
    return record.guideline(text=collapse(normalized.text[start:end]), mtus=list(reading.mtus), non_mtus=list(reading.non_mtus),
                            cited=reading.cited, unrecognized=[unrecognized(normalized, start + s.start, start + s.end)
                                                               for s in reading.unrecognized],
                            span=normalized.span(start, end), spans=spans)


def empty_guideline(normalized: Normalized, at: int) -> record.Guideline:
    """A guideline label with no paragraph after it (`validate` reports it)."""
    return record.guideline(text="", mtus=[], non_mtus=[], cited=None, unrecognized=[], span=normalized.span(at, at),
                            spans={"mtus": [], "non_mtus": []})


def treatment_fields(normalized: Normalized, written: str, at: int, end: int, name: str) -> dict[str, Any]:
    """treatment_parts of the treatment `written` at `at:end`; category and drug_class of its `name`."""
    kind = taxonomy.classify(name)
    return {"treatment_parts": treatment.record_parts(written, at, spanmap.spans_within(normalized, at, end)),
            "category": kind.category, "drug_class": kind.drug_class}


def necessity(outcome: str | None, landmarks: Landmarks) -> bool | None:
    """An Upheld denial means the treatment is not medically necessary, an Overturned one that it
    is; any other outcome word (which `validate` reports) says nothing."""
    if outcome is None:
        return None
    return {landmarks.phrase("UPHELD").lower(): False, landmarks.phrase("OVERTURNED").lower(): True}.get(outcome)
