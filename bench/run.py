"""The speed benchmark: ratios measured in one run, because this machine is shared and noisy.

    python bench/run.py [CORPUS_TEXT_DIR] [--rounds 5] [--json bench/results.json] [--quick]

1. Throughput of imrparse.parse -> record -> orjson bytes over the real letters, one process,
   after a warm-up: letters/s and MB/s, median of the rounds and their spread.
2. In the same run, a plain regular-expression splitter that only finds the section headings
   and guideline labels (the floor cost of reading a letter in Python); the ratio of the two.
3. Cold start: `imrparse parse <one letter>` as a fresh process against
   `python -c "import lark, typer, orjson"`, median wall time of each, as a ratio.
4. Scaling: `imrparse parse --workers 1` against `--workers 2` over 2,000 letters (the corpus
   repeated), as the median of the rounds' ratios; beside it the ceiling for this machine, two
   independent `--workers 1` processes on half the letters each, started together; and peak
   RSS for 500 against 5,000 letters (bench/rss.py).

Prints a table, and with `--json FILE` writes the numbers there as JSON (the checkout stays
clean without it). `--quick` uses fewer letters for 3 and 4.
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


def walls(jobs: list[list[list[str]]], runs: int) -> tuple[list[list[float]], list[list[float]]]:
    """Wall times of each job (its commands started together, timed until the last one ends),
    and the "N letters/s" each job's first command reported (imrparse parse, after its
    start-up). The jobs run in turn, `runs` rounds, so the machine's drift hits all alike.

    Each job runs once untimed first, with bytecode writing allowed: a fresh process then loads
    compiled modules, as it does after `pip install` (an editable checkout, or an environment with
    PYTHONDONTWRITEBYTECODE set, would otherwise recompile imrparse on every start).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: list[list[float]] = [[] for _ in jobs]
    rates: list[list[float]] = [[] for _ in jobs]
    for timed in [False] + [True] * runs:
        for job, spent, rate in zip(jobs, times, rates, strict=True):
            start = time.perf_counter()
            running = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
                       for command in job]
            reports = [process.communicate()[1] for process in running]
            if timed:
                spent.append(time.perf_counter() - start)
                found = re.search(r"([\d.]+) letters/s", reports[0])
                rate.append(float(found.group(1)) if found else float("nan"))
    return times, rates


def median_ratio(slow: list[float], fast: list[float]) -> float:
    """The median of the rounds' ratios: each round's pair ran back to back, so drift between
    rounds (±30% here) cancels out of it."""
    return statistics.median(a / b for a, b in zip(slow, fast, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS, type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here (bench/results.json is the "
                                                                  "tracked copy the README quotes); none by default")
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
    bare_imports = [sys.executable, "-c", "import lark, typer, orjson"]
    (cold_runs, bare_runs), _ = walls([[[imrparse_cmd, "parse", str(paths[0])]], [bare_imports]], runs)
    cold, bare = statistics.median(cold_runs), statistics.median(bare_runs)
    rows.append(("cold start: parse one letter", f"{cold * 1000:.0f} ms vs bare imports {bare * 1000:.0f} ms",
                 f"{cold / bare:.2f}x (target <= 1.5x)"))

    n = 600 if args.quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "batch"
        halves = [Path(tmp) / "first-half", Path(tmp) / "second-half"]
        for directory in (batch, *halves):
            directory.mkdir()
        for i, path in zip(range(n), itertools.cycle(paths)):
            shutil.copy(path, batch / f"{i:05d}.txt")
            (halves[i * 2 // n] / f"{i:05d}.txt").symlink_to(batch / f"{i:05d}.txt")

        def parse(inputs: Path, workers: int) -> list[str]:
            return [imrparse_cmd, "parse", str(inputs), "--workers", str(workers), "-o", str(Path(tmp) / f"{inputs.name}-{workers}.jsonl")]

        # The ceiling: two independent one-worker processes, each on half the letters, at once.
        # No pool can beat it on this machine: both pay the whole start-up, nothing is shared.
        (one, two, halved), rates = walls([[parse(batch, 1)], [parse(batch, 2)], [parse(half, 1) for half in halves]],
                                         1 if args.quick else 5)
        scaling, ceiling = median_ratio(one, two), median_ratio(one, halved)
        rows.append((f"{n} letters, --workers 1 vs 2", f"{n / statistics.median(one):,.0f} vs {n / statistics.median(two):,.0f} letters/s",
                     f"{scaling:.2f}x (target >= 1.8x)"))
        rows.append(("  ceiling: 2 processes, half the letters each", f"{n / statistics.median(halved):,.0f} letters/s",
                     f"{ceiling:.2f}x; --workers 2 reaches {scaling / ceiling:.0%} of it"))
        # The rate the command itself reports: after start-up (imports, parser load), which both pay.
        after = [statistics.median(r) for r in rates[:2]]
        rows.append(("  rate after start-up", f"{after[0]:,.0f} vs {after[1]:,.0f} letters/s", f"{after[1] / after[0]:.2f}x"))
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
    if args.json is None:
        return
    args.json.write_text(json.dumps({"header": header, "rows": rows, "parse_rates": parse_rates, "split_rates": split_rates,
                                     "cold_seconds": cold, "bare_seconds": bare,
                                     "workers_seconds": {"1": one, "2": two, "two_halves": halved},
                                     "rss_mib": [rss_small, rss_large]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
