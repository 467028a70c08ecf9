"""Mapping many spans of one stretch of the normalized text back to the original, cheaply.

`Normalized.span` maps each end through the offset map (a bisection and a few steps each). A
letter now has dozens of small spans (a treatment's parts, a summary's diagnoses), and most
lie in stretches that normalization left as they were: where the original text from the
stretch's mapped start reads exactly as the normalized stretch, every offset in it maps by the
same shift. (Normalization changes what it touches -- a CR dropped, a space removed, a
ligature spelled out, NBSP made a space -- so an unchanged stretch is one it did not touch.)
Anywhere else the offset map is used, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from imrparse.text.normalize import Normalized


def spans_within(normalized: Normalized, start: int, end: int) -> Callable[[int, int], list[int]]:
    """A function mapping normalized spans inside `start:end` to the original text."""
    origin = normalized.to_original(start)
    if normalized.original.startswith(normalized.text[start:end], origin):
        shift = origin - start
        return lambda a, b: [a + shift, b + shift]
    return normalized.span

