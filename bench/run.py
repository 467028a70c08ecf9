"""The speed benchmark: ratios measured in one run, because this machine is shared and noisy.

    python bench/run.py [CORPUS_TEXT_DIR] [--rounds 5] [--json bench/results.json] [--quick]

1. Throughput of imrparse.parse -> record -> orjson bytes over the real letters, one process,
   after a warm-up: letters/s and MB/s, median of the rounds and their spread.
2. In the same run, a plain regular-expression splitter that only finds the section headings
   and guideline labels (the floor cost of reading a letter in Python); the ratio of the two.
3. Cold start: `imrparse parse <one letter>` as a fresh process against
   `python -c "import lark, typer, orjson"`, median wall time of each, as a ratio.
4. Scaling: `imrparse parse --workers 1` against `--workers 2` over 2,000 letters (the corpus
   repeated), as a ratio; and peak RSS for 500 against 5,000 letters (bench/rss.py).

Prints a table and writes the numbers as JSON. `--quick` uses fewer letters for 3 and 4.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

import imrparse
from imrparse import loader
from imrparse.transformer import building

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rss import peak_rss_mib

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "text"
SPLITTER = re.compile(
    r"HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE|CLINICAL\s+CASE\s+SUMMARY|IMR\s+ISSUES,\s+DECISIONS\s+AND\s+RATIONALES"
    r"|Claims\s+Administrator\s+guideline:|MAXIMUS\s+guideline:|Decision\s+rationale:"
)


def split(text: str) -> list[tuple[str, int]]:
    """The floor: where each heading and label is, nothing more."""
    return [(m.group(), m.start()) for m in SPLITTER.finditer(text)]


def full(text: str) -> bytes:
    return orjson.dumps(imrparse.parse(text))


PURE_PARSER = loader.build_parser(loader.default_grammar_path().read_text(encoding="utf-8"), records=True, compiled=False)


def full_pure_python(text: str) -> bytes:
    """`full` on plain Lark, the fallback when lark-cython is not installed (letters that parse)."""
    normalized = imrparse.normalize(text)
    with building(normalized):
        return orjson.dumps(PURE_PARSER.parse(normalized.text, start="start").value)  # type: ignore[attr-defined]


def rounds_per_second(function: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    """Letters per second for each round over all texts."""
    for text in texts[:20]:
        function(text)
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            function(text)
        rates.append(len(texts) / (time.perf_counter() - start))
    return rates


def walls(commands: list[list[str]], runs: int, reported: list[list[float]] | None = None) -> list[float]:
    """Median wall time of each command, run in turn so the machine's drift hits all alike.

    Each runs once untimed first, with bytecode writing allowed: a fresh process then loads
    compiled modules, as it does after `pip install` (an editable checkout, or an environment with
    PYTHONDONTWRITEBYTECODE set, would otherwise recompile imrparse on every start). With
    `reported`, each timed run's "N letters/s" summary line (imrparse parse) is collected there.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: list[list[float]] = [[] for _ in commands]
    for timed in [False] + [True] * runs:
        for command, spent in zip(commands, times, strict=True):
            start = time.perf_counter()
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False, env=env)
            if timed:
                spent.append(time.perf_counter() - start)
                if reported is not None:
                    rate = re.search(r"([\d.]+) letters/s", done.stderr)
                    reported[commands.index(command)].append(float(rate.group(1)) if rate else float("nan"))
    return [statistics.median(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS, type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=Path(__file__).resolve().parent / "results.json")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    paths = sorted(args.corpus.glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in paths]
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    rows: list[tuple[str, str, str]] = []

    parse_rates = rounds_per_second(full, texts, args.rounds)
    split_rates = rounds_per_second(split, texts, args.rounds)
    parse_rate, split_rate = statistics.median(parse_rates), statistics.median(split_rates)
    per_mb = megabytes / len(texts)
    rows.append(("parse -> record -> JSON", f"{parse_rate:,.0f} letters/s, {parse_rate * per_mb:.2f} MB/s",
                 f"spread {min(parse_rates):,.0f}-{max(parse_rates):,.0f}"))
    rows.append(("regex splitter (floor)", f"{split_rate:,.0f} letters/s, {split_rate * per_mb:.1f} MB/s",
                 f"spread {min(split_rates):,.0f}-{max(split_rates):,.0f}"))
    rows.append(("splitter / parse", f"{split_rate / parse_rate:.1f}x", "target <= 25x"))
    engine = type(loader.get_record_parser().parser.parser).__module__.split(".")[0]
    pure_rate = statistics.median(rounds_per_second(full_pure_python, texts, args.rounds))
    rows.append(("same, plain Lark (no lark-cython)", f"{pure_rate:,.0f} letters/s, {pure_rate * per_mb:.2f} MB/s",
                 f"splitter / parse {split_rate / pure_rate:.1f}x; parse above ran on {engine}"))

    imrparse_cmd = str(Path(sys.executable).parent / "imrparse")
    runs = 5 if args.quick else 11
    cold, bare = walls([[imrparse_cmd, "parse", str(paths[0])], [sys.executable, "-c", "import lark, typer, orjson"]], runs)
    rows.append(("cold start: parse one letter", f"{cold * 1000:.0f} ms vs bare imports {bare * 1000:.0f} ms",
                 f"{cold / bare:.2f}x (target <= 1.5x)"))

    n = 600 if args.quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "batch"
        batch.mkdir()
        for i, path in zip(range(n), itertools.cycle(paths)):
            shutil.copy(path, batch / f"{i:05d}.txt")
        commands = [[imrparse_cmd, "parse", str(batch), "--workers", str(workers), "-o", str(Path(tmp) / "out.jsonl")]
                    for workers in (1, 2)]
        reported: list[list[float]] = [[], []]
        timings = dict(zip((1, 2), walls(commands, 1 if args.quick else 3, reported), strict=True))
        rows.append((f"{n} letters, --workers 1 vs 2", f"{n / timings[1]:,.0f} vs {n / timings[2]:,.0f} letters/s",
                     f"{timings[1] / timings[2]:.2f}x (target >= 1.8x)"))
        # The rate the command itself reports: after start-up (imports, parser load), which both pay.
        rates = [statistics.median(r) for r in reported]
        rows.append(("  same, rate after start-up", f"{rates[0]:,.0f} vs {rates[1]:,.0f} letters/s", f"{rates[1] / rates[0]:.2f}x"))
        small, large = (100, 1000) if args.quick else (500, 5000)
        rss_small = peak_rss_mib(small, paths, 2, Path(tmp))
        rss_large = peak_rss_mib(large, paths, 2, Path(tmp))
        rows.append((f"peak RSS {small} vs {large} letters", f"{rss_small:.0f} vs {rss_large:.0f} MiB",
                     f"{rss_large / rss_small:.2f}x (target <= 1.3x)"))

    header = f"imrparse benchmark, {datetime.date.today()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, {len(texts)} letters"
    print(header)
    print("| measure | result | ratio |\n|---|---|---|")
    for row in rows:
        print(f"| {' | '.join(row)} |")
    args.json.write_text(json.dumps({"header": header, "rows": rows, "parse_rates": parse_rates, "split_rates": split_rates,
                                     "cold_seconds": cold, "bare_seconds": bare, "workers_seconds": timings,
                                     "rss_mib": [rss_small, rss_large]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
