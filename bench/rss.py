"""Peak memory of `imrparse parse` for a small and a large batch, as a ratio.

    python bench/rss.py [CORPUS_TEXT_DIR] [--small 500] [--large 5000] [--workers 2]

The batch is the corpus' letters repeated; the target is large/small <= 1.3 (memory flat in the
number of inputs: parse_many streams and keeps only a few inputs per worker in flight).
Peak RSS is the largest of the command's processes (wait4's ru_maxrss), in MiB.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def default_corpus() -> Path:
    """The real letters' text extractions: $IMRPARSE_CORPUS/text, else the checkout's fixtures/corpus/text."""
    return Path(os.environ.get("IMRPARSE_CORPUS", Path(__file__).resolve().parents[1] / "fixtures" / "corpus")) / "text"


def peak_rss_mib(n: int, letters: list[Path], workers: int, scratch: Path) -> float:
    batch = scratch / f"batch-{n}"
    batch.mkdir()
    for i, letter in zip(range(n), itertools.cycle(letters)):
        shutil.copy(letter, batch / f"{i:06d}.txt")
    script = Path(sys.executable).parent / "imrparse"
    process = subprocess.Popen([str(script), "parse", str(batch), "--workers", str(workers), "-q", "-o", str(scratch / f"out-{n}.jsonl")])
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"imrparse parse failed on the {n}-letter batch")
    return usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", default=default_corpus(), type=Path)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    letters = sorted(args.corpus.glob("*.txt"))
    if not letters:
        raise SystemExit(f"no letters in {args.corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        small = peak_rss_mib(args.small, letters, args.workers, Path(tmp))
        large = peak_rss_mib(args.large, letters, args.workers, Path(tmp))
    print(f"peak RSS  {args.small} letters: {small:.1f} MiB   {args.large} letters: {large:.1f} MiB")
    print(f"ratio {large / small:.2f} (target <= 1.30)")


if __name__ == "__main__":
    main()
