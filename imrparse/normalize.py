"""Normalization in front of the grammar, with a map back to the original text.

Extractors disagree on line ends (LF, CRLF), page breaks (form feeds, sometimes mid-line),
trailing spaces, NBSP and zero-width characters. The grammar reads one canonical form; every
position it reports is mapped back through `Normalized.to_original`, so users always see
offsets, lines and columns of the text they passed in.

The steps, each a named alternative of one regular expression applied in a single pass:
  blank_lines  three or more line ends, with only spaces between -> "\\n\\n"
  line_end     CRLF, CR, form feed        -> "\\n"
  trailing     spaces/tabs before a line end or the end of the text -> removed
  space_run    two or more spaces/tabs (any kind) inside a line -> " "
  nbsp         NBSP and other fixed-width spaces -> " "
  invisible    runs of BOM, zero-width spaces/joiners, soft hyphens -> removed

Whitespace carries no meaning in the grammar beyond "a line ends here", so the runs collapse.
That also bounds every whitespace run the grammar's look-aheads scan to a few characters, which
keeps lexing linear however long a run a hostile or broken input has.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_SPACE = "[ \t\u00a0\u2007\u202f]"
# Every step starts at one of these characters; checking for one first lets the scan skip the
# rest of the text quickly (five times faster than trying each step at every position).
_TRIGGER = "[ \t\u00a0\u2007\u202f\r\n\f\ufeff\u200b\u200c\u200d\u2060\u00ad]"
_STEPS = re.compile(
    rf"(?={_TRIGGER})(?:"
    rf"(?P<blank_lines>(?:{_SPACE}*+(?:\r\n|[\r\n\f])){{3,}}+)"
    r"|(?P<line_end>\r\n|[\r\f])"
    rf"|(?P<trailing>{_SPACE}+)(?=\r\n|[\r\n\f]|\Z)"
    rf"|(?P<space_run>{_SPACE}{{2,}})"
    r"|(?P<nbsp>[\u00a0\u2007\u202f])"
    r"|(?P<invisible>[\ufeff\u200b\u200c\u200d\u2060\u00ad]+)"
    r")"
)
_REPLACEMENT = {"blank_lines": "\n\n", "line_end": "\n", "trailing": "", "space_run": " ", "nbsp": " ", "invisible": ""}


@dataclass(frozen=True)
class Normalized:
    """The normalized text and the map from its offsets to the original's.

    `_norm_starts[i]` / `_orig_starts[i]` are the starts of the i-th segment in each text;
    within a segment the texts agree character for character, except in a replaced piece,
    whose every offset maps to the piece's original start.
    """

    text: str
    original: str
    _norm_starts: tuple[int, ...]
    _orig_starts: tuple[int, ...]

    def to_original(self, offset: int) -> int:
        """Map an offset of the normalized text to the original text."""
        i = bisect.bisect_right(self._norm_starts, offset) - 1
        return min(self._orig_starts[i] + (offset - self._norm_starts[i]), len(self.original))

    def span(self, start: int, end: int) -> list[int]:
        """Map a half-open normalized span to the original text."""
        if end <= start:
            orig = self.to_original(start)
            return [orig, orig]
        # The end is exclusive: map the last character, then step past it in the original.
        last = self.to_original(end - 1)
        return [self.to_original(start), last + _char_len(self.original, last)]


def _char_len(original: str, at: int) -> int:
    """Length of the original piece at `at` that one normalized character stands for."""
    return 2 if original.startswith("\r\n", at) else 1


def normalize(original: str) -> Normalized:
    """Return the canonical text the grammar reads, with its offset map."""
    parts: list[str] = []
    norm_starts = [0]
    orig_starts = [0]
    norm_pos = 0
    last = 0
    for m in _STEPS.finditer(original):
        start, end = m.span()
        kept = original[last:start]
        parts.append(kept)
        norm_pos += len(kept)
        replacement = _REPLACEMENT[m.lastgroup or ""]
        # The replaced piece is its own segment; the text after it starts a new one.
        norm_starts.append(norm_pos)
        orig_starts.append(start)
        parts.append(replacement)
        norm_pos += len(replacement)
        norm_starts.append(norm_pos)
        orig_starts.append(end)
        last = end
    parts.append(original[last:])
    return Normalized("".join(parts), original, tuple(norm_starts), tuple(orig_starts))


class LineIndex:
    """1-based line and column of an offset in the original text (CRLF, CR and LF end lines)."""

    _BREAK = re.compile(r"\r\n|\r|\n")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0] + [m.end() for m in self._BREAK.finditer(text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1

    def offset(self, line: int, column: int) -> int:
        """The offset of a 1-based line and column."""
        return self._starts[line - 1] + column - 1

    def line_text(self, line: int) -> str:
        start = self._starts[line - 1]
        end = self._starts[line] if line < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")
