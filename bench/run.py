"""The speed benchmark: ratios measured in one run, because this machine is shared and noisy.

    python bench/run.py [CORPUS_TEXT_DIR] [--rounds 5] [--json bench/results.json] [--quick]

1. Throughput of parse -> record -> orjson bytes over the real letters (all three extractions),
   each read as bytes and made text as the command line does (`letter_text`: pdfium's CRLF
   included), one process, after a warm-up; the rounds alternate with those of
   2. a plain regular-expression splitter that only finds the section headings and guideline
   labels in the same texts, already decoded (the floor cost of reading a letter in Python).
   Target: parse >= 1/14 of the splitter (the median of the rounds' ratios; issue 25's bound).
3. PDFs: `imrparse parse DIR --workers 1` over the corpus' PDFs (repeated) against a bare
   pypdfium2 extraction of the same files (a fresh Python process that reads each file and
   takes its pages' text), wall times of each, letters/s as a ratio. Target >= 85%.
4. Cold start: `imrparse parse <one letter>` as a fresh process against
   `python -c "import lark, typer, orjson"`, median wall time of each, as a ratio; and the same
   with an empty temporary directory each time (as on the first run after installation: no
   cache of any kind). Target <= 1.8x both (issue 25's bound).
5. Scaling: `imrparse parse --workers 2` over 2,000 letters (the corpus repeated) against the
   ceiling for this machine, two independent `--workers 1` processes on half the letters each,
   started together, each against `--workers 1` in the same round (median of the rounds'
   ratios). Target: `--workers 2` >= 90% of the ceiling. And peak RSS for 500 against 5,000
   letters (bench/rss.py), target <= 1.3x.

Prints a table, and with `--json FILE` writes the numbers there as JSON (the checkout stays
clean without it). `--quick` uses fewer letters and rounds.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

import imrparse
from imrparse.grammar import loader
from imrparse.read.builder import building
from imrparse.text.inputs import letter_text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rss import default_corpus, peak_rss_mib

SPLITTER = re.compile(
    r"HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE|CLINICAL\s+CASE\s+SUMMARY|IMR\s+ISSUES,\s+DECISIONS\s+AND\s+RATIONALES"
    r"|Claims\s+Administrator\s+guideline:|MAXIMUS\s+guideline:|Decision\s+rationale:"
)


def split(text: str) -> list[tuple[str, int]]:
    """The floor: where each heading and label is, nothing more."""
    return [(m.group(), m.start()) for m in SPLITTER.finditer(text)]


File = tuple[str, bytes]


def full(file: File) -> bytes:
    """A letter file's bytes to its record's JSON, as the command line makes it."""
    return orjson.dumps(imrparse.parse(letter_text(file[1], name=file[0])))


# The record parser's other engines, each as the environment selects it (README "How a letter is read").
LARK_PARSERS = {
    "lark-cython (IMRPARSE_ENGINE=lark)":
        loader.build_parser(loader.default_grammar_path().read_text(encoding="utf-8"), records=True, compiled=True),
    "plain Lark (IMRPARSE_ENGINE=lark IMRPARSE_PURE_PYTHON=1)":
        loader.build_parser(loader.default_grammar_path().read_text(encoding="utf-8"), records=True, compiled=False),
}
COLD_BOUND = 1.8  # a new process's first letter against bare `import lark, typer, orjson` (issue 25)


def full_on(parser: object) -> Callable[[File], bytes]:
    """`full` with the record parser on Lark (IMRPARSE_ENGINE=lark), for letters that parse."""
    def run(file: File) -> bytes:
        normalized = imrparse.normalize(letter_text(file[1], name=file[0]))
        with building(normalized):
            return orjson.dumps(parser.parse(normalized.text, start="start").value)  # type: ignore[attr-defined]
    return run


def interleaved_rates(functions: list[tuple[Callable[[Any], object], list[Any]]], rounds: int) -> list[list[float]]:
    """Letters per second of each function over its inputs, in alternating rounds after a warm-up."""
    for function, inputs in functions:
        for item in inputs[:20]:
            function(item)
    rates: list[list[float]] = [[] for _ in functions]
    for _ in range(rounds):
        for (function, inputs), rate in zip(functions, rates, strict=True):
            start = time.perf_counter()
            for item in inputs:
                function(item)
            rate.append(len(inputs) / (time.perf_counter() - start))
    return rates


BARE_PDFIUM = """
import os, sys
import pypdfium2 as pdfium
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), "rb") as stream:
        document = pdfium.PdfDocument(stream.read(), password="")
    pages = []
    for page in document:
        textpage = page.get_textpage()
        pages.append(textpage.get_text_range())
        textpage.close()
        page.close()
    document.close()
    "\f".join(pages)
"""


def walls(jobs: list[list[list[str]]], runs: int, fresh_tmpdir: list[bool] | None = None) -> tuple[list[list[float]], list[list[float]]]:
    """Wall times of each job (its commands started together, timed until the last one ends),
    and the "N letters/s" each job's first command reported (imrparse parse, after its
    start-up). The jobs run in turn, `runs` rounds, so the machine's drift hits all alike.

    Each job runs once untimed first, with bytecode writing allowed: a fresh process then loads
    compiled modules, as it does after `pip install` (an editable checkout, or an environment with
    PYTHONDONTWRITEBYTECODE set, would otherwise recompile imrparse on every start). A job
    marked in `fresh_tmpdir` runs with TMPDIR set to a new empty directory each time: no cache
    of any kind in it, as on the first run after installation.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: list[list[float]] = [[] for _ in jobs]
    rates: list[list[float]] = [[] for _ in jobs]
    for timed in [False] + [True] * runs:
        for i, (job, spent, rate) in enumerate(zip(jobs, times, rates, strict=True)):
            job_env = env
            if fresh_tmpdir and fresh_tmpdir[i]:
                job_env = {**env, "TMPDIR": tempfile.mkdtemp(prefix="imrparse-first-run-")}
            start = time.perf_counter()
            running = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=job_env)
                       for command in job]
            reports = [process.communicate()[1] for process in running]
            for command, report in zip(job, reports, strict=True):
                # A measure of letters that were refused is no measure (links out of a folder were, once).
                if re.search(r"\b[1-9]\d* failed", report):
                    raise SystemExit(f"{' '.join(command)}: {report.strip().splitlines()[-1]}")
            if job_env is not env:
                shutil.rmtree(job_env["TMPDIR"], ignore_errors=True)
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
    parser.add_argument("corpus", nargs="?", default=default_corpus(), type=Path)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here (bench/results.json is the "
                                                                  "tracked copy the README quotes); none by default")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    paths = sorted(args.corpus.glob("*.txt"))
    files = [(p.name, p.read_bytes()) for p in paths]
    texts = [letter_text(data, name=name) for name, data in files]
    megabytes = sum(len(data) for _, data in files) / 1e6
    per_mb = megabytes / len(files)
    rows: list[tuple[str, str, str]] = []
    results: dict[str, Any] = {}

    # 1-2. parse -> JSON against the splitter, rounds alternating, each round of the splitter
    # over the texts ten times so that both last about as long (a short round is at the mercy of
    # whatever else the machine runs); then on Lark, for comparison.
    parse_rates, split_rates = interleaved_rates([(full, files), (split, texts * 10)], args.rounds)
    parse_rate, split_rate = statistics.median(parse_rates), statistics.median(split_rates)
    share = statistics.median(p / s for p, s in zip(parse_rates, split_rates, strict=True))
    rows.append(("parse -> record -> JSON (bytes, as the CLI reads them)", f"{parse_rate:,.0f} letters/s, {parse_rate * per_mb:.2f} MB/s",
                 f"spread {min(parse_rates):,.0f}-{max(parse_rates):,.0f}"))
    rows.append(("regex splitter (floor)", f"{split_rate:,.0f} letters/s, {split_rate * per_mb:.1f} MB/s",
                 f"spread {min(split_rates):,.0f}-{max(split_rates):,.0f}"))
    rows.append(("parse / splitter", f"1/{1 / share:.1f} = {share:.3f}", f"target >= 1/14 = 0.071: {_met(share >= 1 / 14)}"))
    for name, lark_parser in LARK_PARSERS.items():
        # Alternating with imrparse's engine, round by round: a rate measured minutes apart says
        # more about the neighbours than about the engines.
        ours, lark_rates = interleaved_rates([(full, files), (full_on(lark_parser), files)], max(5, args.rounds // 2))
        gain = statistics.median(o / lr for o, lr in zip(ours, lark_rates, strict=True))
        rows.append((f"  same on {name}", f"{statistics.median(lark_rates):,.0f} letters/s",
                     f"imrparse's engine is {gain:.2f}x as fast (alternating rounds)"))
        results[f"engine_gain_over {name}"] = gain
    results.update(parse_rates=parse_rates, split_rates=split_rates, parse_share=share)

    imrparse_cmd = str(Path(sys.executable).parent / "imrparse")
    runs = 5 if args.quick else 11
    with tempfile.TemporaryDirectory() as tmp:
        # 3. PDFs: the command against a bare extraction, over the same files.
        pdfs = sorted((args.corpus.parent / "pdf").glob("*.pdf"))
        if pdfs:
            folder = Path(tmp) / "pdfs"
            folder.mkdir()
            copies = 4 if args.quick else 10
            for i, (copy, pdf) in enumerate(itertools.product(range(copies), pdfs)):
                shutil.copy(pdf, folder / f"{i:05d}-{copy}-{pdf.name}")
            count = copies * len(pdfs)
            (cli_runs, bare_runs), _ = walls([[[imrparse_cmd, "parse", str(folder), "--workers", "1", "-o", str(Path(tmp) / "pdfs.jsonl")]],
                                             [[sys.executable, "-c", BARE_PDFIUM, str(folder)]]], 3 if args.quick else 5)
            pdf_share = median_ratio(bare_runs, cli_runs)
            rows.append((f"{count} PDFs: imrparse parse --workers 1 vs bare pypdfium2 extraction",
                         f"{count / statistics.median(cli_runs):,.0f} vs {count / statistics.median(bare_runs):,.0f} letters/s",
                         f"{pdf_share:.0%} (target >= 85%): {_met(pdf_share >= 0.85)}"))
            results.update(pdf_seconds={"imrparse": cli_runs, "bare": bare_runs}, pdf_share=pdf_share)

        # 4. Cold start, with and without whatever the temporary directory holds.
        bare_imports = [sys.executable, "-c", "import lark, typer, orjson"]
        one_letter = [imrparse_cmd, "parse", str(paths[0])]
        (cold_runs, first_runs, bare_runs), _ = walls([[one_letter], [one_letter], [bare_imports]], runs, fresh_tmpdir=[False, True, False])
        cold, first = median_ratio(cold_runs, bare_runs), median_ratio(first_runs, bare_runs)
        rows.append(("cold start: parse one letter", f"{statistics.median(cold_runs) * 1000:.0f} ms vs bare imports "
                     f"{statistics.median(bare_runs) * 1000:.0f} ms", f"{cold:.2f}x (target <= 1.8x): {_met(cold <= COLD_BOUND)}"))
        rows.append(("  same, empty temp directory (first run after install)", f"{statistics.median(first_runs) * 1000:.0f} ms",
                     f"{first:.2f}x (target <= 1.8x): {_met(first <= COLD_BOUND)}"))
        results.update(cold_seconds=cold_runs, first_run_seconds=first_runs, bare_seconds=bare_runs)

        # 5. Two workers against the machine's ceiling, and memory.
        n = 600 if args.quick else 2000
        batch = Path(tmp) / "batch"
        halves = [Path(tmp) / "first-half", Path(tmp) / "second-half"]
        for directory in (batch, *halves):
            directory.mkdir()
        for i, path in zip(range(n), itertools.cycle(paths)):
            shutil.copy(path, batch / f"{i:05d}.txt")
            # A hard link, not a symbolic one: `parse DIR` refuses a link that leads out of DIR.
            os.link(batch / f"{i:05d}.txt", halves[i * 2 // n] / f"{i:05d}.txt")

        def parse(inputs: Path, workers: int) -> list[str]:
            return [imrparse_cmd, "parse", str(inputs), "--workers", str(workers), "-o", str(Path(tmp) / f"{inputs.name}-{workers}.jsonl")]

        # The ceiling: two independent one-worker processes, each on half the letters, at once.
        # No pool can beat it on this machine: both pay the whole start-up, nothing is shared.
        (one, two, halved), rates = walls([[parse(batch, 1)], [parse(batch, 2)], [parse(half, 1) for half in halves]],
                                         3 if args.quick else 7)
        scaling, ceiling = median_ratio(one, two), median_ratio(one, halved)
        reached = statistics.median(h / t for h, t in zip(halved, two, strict=True))
        rows.append((f"{n} letters, --workers 1 vs 2", f"{n / statistics.median(one):,.0f} vs {n / statistics.median(two):,.0f} letters/s",
                     f"{scaling:.2f}x"))
        rows.append(("  ceiling: 2 processes, half the letters each", f"{n / statistics.median(halved):,.0f} letters/s",
                     f"{ceiling:.2f}x; --workers 2 reaches {reached:.0%} of it (target >= 90%): {_met(reached >= 0.9)}"))
        # The rate the command itself reports: after start-up (imports, parser load), which both pay.
        after = [statistics.median(r) for r in rates[:2]]
        rows.append(("  rate after start-up", f"{after[0]:,.0f} vs {after[1]:,.0f} letters/s", f"{after[1] / after[0]:.2f}x"))
        small, large = (100, 1000) if args.quick else (500, 5000)
        rss_small = peak_rss_mib(small, paths, 2, Path(tmp))
        rss_large = peak_rss_mib(large, paths, 2, Path(tmp))
        rows.append((f"peak RSS {small} vs {large} letters", f"{rss_small:.0f} vs {rss_large:.0f} MiB",
                     f"{rss_large / rss_small:.2f}x (target <= 1.3x): {_met(rss_large / rss_small <= 1.3)}"))
        results.update(workers_seconds={"1": one, "2": two, "two_halves": halved}, workers_share_of_ceiling=reached,
                       rss_mib=[rss_small, rss_large])

    machine = f"{os.cpu_count()} cores ({_cpu()}), Python {sys.version.split()[0]}"
    header = f"imrparse benchmark, {datetime.date.today()}, {machine}, {len(files)} letters"
    print(header)
    print("| measure | result | ratio |\n|---|---|---|")
    for row in rows:
        print(f"| {' | '.join(row)} |")
    if args.json is not None:
        args.json.write_text(json.dumps({"header": header, "rows": rows, **results}, indent=2) + "\n")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    main()
