"""Two installs' end-to-end text path, measured in alternating rounds: the check that a change
did not slow the text path (issue 26: by no more than 5%).

    python bench/versus.py BASE_PYTHON NEW_PYTHON [CORPUS_TEXT_DIR] [--rounds 31] [--passes 5]

Each Python (a virtual environment's, with its own checkout installed) runs this file as a child
that stays alive: it reads the corpus' text extractions once, warms up, and on each request times
`passes` passes of bench/run.py's end-to-end measure (bytes -> `letter_text` -> `imrparse.parse`
-> orjson bytes) over all of them. The parent asks the two children in turn, the order swapped
every round (ABBA), so that the machine's drift (this machine is shared) hits both alike; the
result is the median of the rounds' ratios. Only one child runs at a time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from rss import default_corpus


def child(corpus: Path, passes: int) -> None:
    """Serve timed rounds over stdin/stdout: one line in, one rate (letters/s) out."""
    import time

    import orjson

    import imrparse
    try:
        from imrparse.text.inputs import letter_text
    except ImportError:  # the layout before issue 25's folders
        from imrparse.inputs import letter_text  # type: ignore[no-redef]

    files = [(p.name, p.read_bytes()) for p in sorted(corpus.glob("*.txt"))]

    def one_pass() -> None:
        for name, data in files:
            orjson.dumps(imrparse.parse(letter_text(data, name=name)))

    one_pass()
    one_pass()
    print(imrparse.__file__, len(files), flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        for _ in range(passes):
            one_pass()
        print(passes * len(files) / (time.perf_counter() - start), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="the Python of the install to compare against")
    parser.add_argument("new", help="the Python of the install under test")
    parser.add_argument("corpus", nargs="?", default=default_corpus(), type=Path)
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.corpus, args.passes)
        return
    children = [subprocess.Popen([python, __file__, python, python, str(args.corpus), "--passes", str(args.passes), "--child"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
                for python in (args.base, args.new)]
    for label, process in zip(("base", "new"), children, strict=True):
        assert process.stdout is not None
        print(f"{label}: {process.stdout.readline().strip()}")

    def rate(process: subprocess.Popen[str]) -> float:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("go\n")
        return float(process.stdout.readline())

    rates: list[list[float]] = [[], []]
    for i in range(args.rounds):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            rates[which].append(rate(children[which]))
    for process in children:
        assert process.stdin is not None
        process.stdin.close()
        process.wait()
    base, new = rates
    ratio = statistics.median(n / b for b, n in zip(base, new, strict=True))
    print(f"base {statistics.median(base):,.0f} letters/s (spread {min(base):,.0f}-{max(base):,.0f}), "
          f"new {statistics.median(new):,.0f} letters/s (spread {min(new):,.0f}-{max(new):,.0f})")
    print(f"new / base letters/s, median of {args.rounds} rounds' ratios: {ratio:.3f}; time per letter {1 / ratio - 1:+.1%}")


if __name__ == "__main__":
    main()
