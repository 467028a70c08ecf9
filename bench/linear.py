"""Parsing time per MB, from 10 KB to 10 MB inputs, for inputs shaped to find super-linear
behaviour: a letter with very many items, one huge line, huge whitespace runs, and hostile
repetitions aimed at each look-ahead of the grammar.

    python bench/linear.py [--max-mb 10] [--rounds 3] [--json OUT.json]

For each shape it prints seconds per MB at every size and the ratio of the largest size's to
the smallest's. Linear parsing keeps the ratio near 1; a quadratic terminal makes it grow ~10x
per size step. Exits 1 if any ratio exceeds --limit (default 3), so CI can run it
(`--max-mb 1`). Ratios, not absolute times, because this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import imrparse

ROOT = Path(__file__).resolve().parents[1]
LETTER = (ROOT / "fixtures" / "rules" / "D403-duplicate-treatment.pass.txt").read_text(encoding="utf-8")
HEAD, ITEMS = LETTER.split("The Final Determination was based on decisions for the disputed items/services set forth below:\n")
HEAD += "The Final Determination was based on decisions for the disputed items/services set forth below:\n"
CITATION = "Disability Guidelines (ODG), Low Back chapter."
RATIONALE = "No such findings are documented."


def many_items(size: int) -> str:
    """A real-looking letter with as many (distinct) items as fit."""
    parts, i = [HEAD], 0
    while sum(map(len, parts)) < size:
        parts.append(ITEMS.replace("MRI of the", f"Study {i}: MRI of the").replace("Physical therapy", f"Course {i} of physical therapy"))
        i += 1
    return "".join(parts)


def _grow(marker: str, filler: str) -> Callable[[int], str]:
    def build(size: int) -> str:
        return LETTER.replace(marker, marker + filler * max(1, (size - len(LETTER)) // len(filler)), 1)
    build.__doc__ = f"The letter with {filler[:20]!r}... repeated after {marker[:30]!r}."
    return build


def _scanned(build: Callable[[int], str]) -> Callable[[int], str]:
    """The same, as a scan reads: the logo's debris before it, so the copy's repairs run too."""
    def scan(size: int) -> str:
        return "MAXIMUS |\nFederal Services | JH!\n" + build(size)
    scan.__doc__ = f"{build.__doc__} As a scan."
    return scan


SHAPES: dict[str, Callable[[int], str]] = {
    "many items": many_items,
    "one huge rationale line": _grow("No such", " findings"),
    "spaces inside a citation": _grow("Disability Guidelines", " "),
    "blank lines inside a citation": _grow("Disability Guidelines", "\n"),
    "numbered upper-case lines in a rationale": _grow(RATIONALE, "\n1 MRI OF THE LUMBAR SPINE AND"),
    "commas and 'and' in MTUS sections": _grow("Section(s): Special\nStudies", ", and Special Studies"),
    "colons in a title": _grow("MRI of the cervical spine", ": MRI"),
    "one huge line of text (not a letter)": lambda size: "x" * size,
    "a scan's header of many values": _scanned(_grow("Case Number:", " | 11/09/2016 _ CM16-021")),
    "a scan's lines ending in marks": _scanned(_grow("No such", " findings : |\n")),
}


def seconds_per_mb(text: str, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        with contextlib.suppress(imrparse.ParseError):
            imrparse.parse(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / (len(text.encode()) / 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-mb", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=float, default=3.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = [s for s in (10_000, 100_000, 1_000_000, 10_000_000) if s <= args.max_mb * 1e6]
    imrparse.parse(LETTER)  # build the parser before timing
    print(f"{'shape':<42}" + "".join(f"{s // 1000:>9,} KB" for s in sizes) + "   ratio  (s/MB)")
    results, worst = {}, 0.0
    for name, build in SHAPES.items():
        row = [seconds_per_mb(build(size), args.rounds if size < 5_000_000 else 1) for size in sizes]
        ratio = row[-1] / row[0]
        worst = max(worst, ratio)
        results[name] = {"seconds_per_mb": dict(zip(map(str, sizes), row, strict=True)), "ratio": ratio}
        print(f"{name:<42}" + "".join(f"{v:>12.3f}" for v in row) + f"   {ratio:5.2f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if worst > args.limit:
        print(f"NOT LINEAR: a ratio of {worst:.2f} exceeds {args.limit}", file=sys.stderr)
        return 1
    print(f"linear: every ratio <= {args.limit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
