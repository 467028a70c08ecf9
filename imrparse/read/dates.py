"""Dates as the letters write them, made ISO (YYYY-MM-DD): the one place a calendar is consulted."""

from __future__ import annotations

import datetime
import functools
import re

_PADDED = re.compile(r"(\d\d)/(\d\d)/(\d{4})")
_UNPADDED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def iso_date(year: int, month: int, day: int) -> str | None:
    """The ISO date, or None when there is no such day."""
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)  # a day's letters share their dates
def us_date(written: str, *, padded: bool = True) -> str | None:
    """MM/DD/YYYY (or M/D/YYYY when not `padded`, as the 2013 letters write) -> YYYY-MM-DD; None
    when it is not written so or names no calendar day."""
    match = (_PADDED if padded else _UNPADDED).fullmatch(written)
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    return iso_date(year, month, day)
