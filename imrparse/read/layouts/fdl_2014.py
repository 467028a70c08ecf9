"""The Final Determination Letter as posted from 2014 on: a header table, then the sections
HOW THE IMR FINAL DETERMINATION WAS MADE, CLINICAL CASE SUMMARY and IMR ISSUES, DECISIONS AND
RATIONALES. The grammar reads each part into a rule of its own, so the record is its parts."""

from __future__ import annotations

from typing import Any

from imrparse.grammar.landmarks import Landmarks
from imrparse.read.layouts import Layout
from imrparse.text.normalize import Normalized


def read(children: list[Any], normalized: Normalized, landmarks: Landmarks) -> dict[str, Any]:
    return dict(child.value for child in children)


LAYOUT = Layout(
    name="fdl-2014",
    rule="fdl_2014",
    opening=lambda lm: f"the header ('{lm.phrase('CASE_NUMBER_LABEL')} ...') or '{lm.phrase('_HOW_HEADING')}' (2014 on)",
    read=read,
    header_required=True,
    outcome_after_title=True,
)
