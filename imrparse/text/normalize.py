"""Normalization in front of the grammar, with a map back to the original text.

Extractors disagree on line ends (LF, CRLF), page breaks (form feeds, sometimes mid-line),
trailing spaces, NBSP and zero-width characters. The grammar reads one canonical form; every
position it reports is mapped back through `Normalized.to_original`, so users always see
offsets, lines and columns of the text they passed in.

The steps:
  spaces       tab, NBSP and other fixed-width spaces -> " "; form feed, lone CR -> "\\n";
               a CRLF -> "\\n" (the map counts the CRs back); the CR before a form feed -> " "
               (then trailing, so a CR and form feed end up "\\n")
  blank_lines  three or more line ends, with only spaces between -> "\\n\\n"
  trailing     spaces before a line end or the end of the text -> removed
  space_run    two or more spaces inside a line -> " "
  invisible    runs of BOM, zero-width spaces/joiners -> removed
  hyphens      where an extractor writes a hyphen as another character -> "-" (one for one):
               pypdfium2's U+FFFE for a soft hyphen, U+00AD, U+2010, U+2011
  ligatures    "ﬁ", "ﬂ", "ﬀ", "ﬃ", "ﬄ" -> the letters they join ("fi", ...)

Whitespace carries no meaning in the grammar beyond "a line ends here", so the runs collapse.
That also bounds every whitespace run the grammar's look-aheads scan to a few characters, which
keeps lexing linear however long a run a hostile or broken input has.

Speed: a letter has a space every six characters, and a scan that stops at each one costs more
than the rest of the step. So each step is found by its own search that starts with a literal
the text rarely has ("  ", " \\n", a line end), steps that cannot occur are skipped (ASCII
only), and the pieces found are merged in one pass. A CRLF's CR is not one of those pieces
(pypdfium2's text has one on every line, so it would make a piece per line): the CRs are taken
out first, in C (`split` and `join`), and the map counts them back (a bisect over where they
were) on the way out to the original.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from itertools import accumulate

# One character for one: positions are unchanged. (A `str.replace` per character costs a tenth
# of one `str.translate`.)
_ASCII_ONE_FOR_ONE = (("\t", " "), ("\f", "\n"))
_HYPHENS = (("\ufffe", "-"), ("\u00ad", "-"), ("\u2010", "-"), ("\u2011", "-"))
_ONE_FOR_ONE = (*_ASCII_ONE_FOR_ONE, ("\u00a0", " "), ("\u2007", " "), ("\u202f", " "), *_HYPHENS)
_INVISIBLE_CHARS = "\ufeff\u200b\u200c\u200d\u2060"
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}

# After the one-for-one step a space is " " and a line end is "\n".
_SPACE_RUN = re.compile(r"  ++")  # trailing when a line end or the end of the text follows
_BLANK_LINES = re.compile(r"\n(?: *+\n){2,}+")
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]+")
_LIGATURE = re.compile(f"[{''.join(_LIGATURES)}]")


def _steps(text: str) -> list[tuple[int, int, str]]:
    """Where each step applies in `text` (after the one-for-one step): (start, end, replacement),
    sorted, overlaps resolved in favour of the piece that starts first (and is longest)."""
    found: list[tuple[int, int, str]] = []
    for m in _SPACE_RUN.finditer(text):
        after = text[m.end() : m.end() + 1]
        found.append((m.start(), m.end(), "" if after in ("\n", "") else " "))
    at = text.find(" \n")
    while at >= 0:
        found.append((at, at + 1, ""))  # inside a longer run when text[at - 1] is a space
        at = text.find(" \n", at + 2)
    if text.endswith(" "):
        found.append((len(text) - 1, len(text), ""))
    found += [(m.start(), m.end(), "\n\n") for m in _BLANK_LINES.finditer(text)]
    if not text.isascii() and any(char in text for char in _INVISIBLE_CHARS):
        found += [(m.start(), m.end(), "") for m in _INVISIBLE.finditer(text)]
    if not text.isascii() and any(char in text for char in _LIGATURES):
        found += [(m.start(), m.end(), _LIGATURES[m.group()]) for m in _LIGATURE.finditer(text)]
    found.sort(key=lambda piece: (piece[0], -piece[1]))
    merged: list[tuple[int, int, str]] = []
    end = 0
    for piece in found:
        if piece[0] >= end:
            merged.append(piece)
            end = piece[1]
    return merged


@dataclass(frozen=True)
class Normalized:
    """The normalized text and the map from its offsets to the original's.

    The map has two layers. `_norm_starts[i]` / `_orig_starts[i]` are the starts of the i-th
    segment in the normalized text and in the text with its CRLFs made LFs; within a segment the
    two agree character for character, except in a replaced piece, whose every offset maps to the
    piece's start. `_crlf_ends` are the offsets just past each LF that was a CRLF, in that text:
    an offset there is moved right by the number of them at or before it, so a line end maps to
    its CR in the original (as in LF text it maps to the LF).
    """

    text: str
    original: str
    _norm_starts: tuple[int, ...]
    _orig_starts: tuple[int, ...]
    _crlf_ends: tuple[int, ...] = ()

    def to_original(self, offset: int) -> int:
        """Map an offset of the normalized text to the original text."""
        starts = self._orig_starts
        i = bisect.bisect_right(self._norm_starts, offset) - 1
        orig = starts[i] + (offset - self._norm_starts[i])
        if i + 1 < len(starts) and orig >= starts[i + 1]:  # inside a replacement longer than what it replaced ("ﬁ" -> "fi")
            orig = starts[i + 1] - 1
        if self._crlf_ends:
            orig += bisect.bisect_right(self._crlf_ends, orig)
        return min(orig, len(self.original))

    def span(self, start: int, end: int) -> list[int]:
        """Map a half-open normalized span to the original text. (`to_original` twice, written
        out: a record maps some twenty spans.)"""
        if end <= start:
            orig = self.to_original(start)
            return [orig, orig]
        norm_starts, starts, crlf_ends = self._norm_starts, self._orig_starts, self._crlf_ends
        limit = len(self.original)
        mapped = []
        # The end is exclusive: map the last character, then step past it in the original.
        for offset in (start, end - 1):
            i = bisect.bisect_right(norm_starts, offset) - 1
            orig = starts[i] + (offset - norm_starts[i])
            if i + 1 < len(starts) and orig >= starts[i + 1]:
                orig = starts[i + 1] - 1
            if crlf_ends:
                orig += bisect.bisect_right(crlf_ends, orig)
            mapped.append(orig if orig < limit else limit)
        last = mapped[1]
        mapped[1] = last + (2 if crlf_ends and self.original.startswith("\r\n", last) else 1)
        return mapped


def normalize(original: str) -> Normalized:
    """Return the canonical text the grammar reads, with its offset map."""
    text = original
    crlf_ends: tuple[int, ...] = ()
    if "\r" in text:
        if "\r\f" in text:  # a page break's line end: the CR is a (trailing) space, the form feed the line end
            text = text.replace("\r\f", " \f")
        if "\r\n" in text:
            lines = text.split("\r\n")
            text = "\n".join(lines)
            # Just past the i-th joining LF: the lengths of lines 0..i, plus i + 1 LFs.
            crlf_ends = tuple(accumulate(map(_plus_one, map(len, lines[:-1]))))
        text = text.replace("\r", "\n")
    for char, replacement in _ASCII_ONE_FOR_ONE if original.isascii() else _ONE_FOR_ONE:
        text = text.replace(char, replacement)
    replaced, norm_starts, orig_starts = _replaced(text, _steps(text))
    return Normalized(replaced, original, norm_starts, orig_starts, crlf_ends)


def _replaced(text: str, pieces: list[tuple[int, int, str]]) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """`text` with each (start, end, replacement) piece replaced (sorted, not overlapping), and the
    segment starts that map the result's offsets back: each replaced piece is a segment of its
    own, and the text after it starts a new one."""
    parts: list[str] = []
    new_starts, old_starts = [0], [0]
    pos = last = 0
    for start, end, replacement in pieces:
        parts.append(text[last:start])
        pos += start - last
        new_starts.append(pos)
        old_starts.append(start)
        parts.append(replacement)
        pos += len(replacement)
        new_starts.append(pos)
        old_starts.append(end)
        last = end
    parts.append(text[last:])
    return "".join(parts), tuple(new_starts), tuple(old_starts)


_plus_one = (1).__add__


def edit(normalized: Normalized, pieces: list[tuple[int, int, str]]) -> Normalized:
    """`normalized` with each (start, end, replacement) piece of its text replaced (sorted, not
    overlapping), its map composed: offsets of the result still map to the original text."""
    edited, new_starts, old_starts = _replaced(normalized.text, pieces)
    layer = Normalized(edited, normalized.text, new_starts, old_starts)
    return Edited(edited, normalized.original, (), (), (), layer, normalized)


@dataclass(frozen=True)
class Edited(Normalized):
    """A normalized text edited again (repairs of a scanned or flattened copy): its offsets map
    through the edit's layer to the text it edited, and from there to the original."""

    layer: Normalized | None = None
    base: Normalized | None = None

    def to_original(self, offset: int) -> int:
        assert self.layer is not None and self.base is not None
        return self.base.to_original(self.layer.to_original(offset))

    def span(self, start: int, end: int) -> list[int]:
        assert self.layer is not None and self.base is not None
        inner = self.layer.span(start, end)
        return self.base.span(inner[0], inner[1])


# Starts with the literal "-\n" so the scan jumps between candidates instead of trying a
# look-behind at every character.
_HYPHEN_WRAP = re.compile(r"-\n\s*")


def _join_hyphen(match: re.Match[str]) -> str:
    before = match.string[match.start() - 1 : match.start()]
    return "-" if before.isascii() and before.isalnum() else match.group()


def collapse(text: str) -> str:
    """A value as the record holds it: wrapped lines joined. A word hyphenated at a line end
    keeps its hyphen and joins the next line without a space ("Platelet-" / "rich" ->
    "Platelet-rich"); other whitespace runs become one space. (`str.split` splits on exactly
    the characters regex `\\s` matches, at a fraction of a regex substitution's cost.)"""
    if "-\n" in text:
        text = _HYPHEN_WRAP.sub(_join_hyphen, text)
    # Normalized text mostly has single spaces and line ends between words: then joining the
    # lines is all there is to do, a fourth of the time of splitting into words. (ASCII text
    # without the other ASCII whitespace, with its line ends made spaces, no two spaces in a row
    # and none at either end, has no whitespace run but single spaces. Each test is one C scan;
    # `isprintable` would be three times slower than all of them.)
    joined = text.replace("\n", " ")
    if (joined.isascii() and "  " not in joined and joined[:1] != " " and joined[-1:] != " "
            and not any(char in joined for char in _OTHER_ASCII_SPACE)):
        return joined
    return " ".join(text.split())


_OTHER_ASCII_SPACE = "\t\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.split splits at, besides " " and "\n"


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
