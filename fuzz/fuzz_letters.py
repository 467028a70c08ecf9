"""Coverage-guided fuzzing of `imrparse.parse` and `imrparse.validate` with atheris.

    python fuzz/fuzz_letters.py -max_total_time=60          # the short run CI does
    python fuzz/fuzz_letters.py -max_total_time=36000 -jobs=2 fuzz/corpus   # a long run

The seed inputs are the fixture letters (fixtures/letters, fixtures/rules, fixtures/fuzz). Any input that
makes either function raise something other than ParseError is a crash: libFuzzer writes it
to crash-<sha1>; make it a fixture in fixtures/fuzz/ (tests/test_fuzz_fixtures.py runs them all).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import imrparse
    from imrparse.check.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
STRUCTURE_CODES = {code for code in RULES if code.startswith("S")}


def test_one(data: bytes) -> None:
    try:
        record = imrparse.parse(data)
    except imrparse.ParseError:
        record = None
    findings = imrparse.validate(data)
    if record is None:
        assert findings and findings[0]["code"] in STRUCTURE_CODES, findings
    else:
        assert not any(f["code"] in STRUCTURE_CODES for f in findings), findings
        imrparse.dumps(record)


def main() -> None:
    seeds = Path(tempfile.mkdtemp(prefix="imrparse-fuzz-seeds-"))
    for letter in [*(ROOT / "fixtures" / "letters").glob("*.txt"), *(ROOT / "fixtures" / "rules").glob("*.txt"),
                   *(ROOT / "fixtures" / "fuzz").glob("*.txt")]:
        shutil.copy(letter, seeds / letter.name)
    corpora = [arg for arg in sys.argv[1:] if not arg.startswith("-")] or [str(seeds)]
    flags = [arg for arg in sys.argv[1:] if arg.startswith("-")]
    atheris.Setup([sys.argv[0], "-max_len=65536", *flags, *corpora], test_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
