"""The command line: `imrparse parse` and `python -m imrparse`."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import LETTERS
from typer.testing import CliRunner

from imrparse.cli.commands import app

SEED = LETTERS / "seed_002_c9bea6becccd0840.txt"
runner = CliRunner()


def test_parse_prints_the_record() -> None:
    result = runner.invoke(app, ["parse", str(SEED)])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["decisions"][0]["treatment"] == "PLATELET RICH PLASMA INJECTION FOR BILATERAL NECK AND SHOULDER"


def test_parse_reads_standard_input() -> None:
    result = runner.invoke(app, ["parse", "-"], input=SEED.read_bytes())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["reviewer"]["specialties"] == ["Family Medicine"]


def test_bad_letter_exits_1_with_position_and_no_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.txt"
    bad.write_text(SEED.read_text().replace("MAXIMUS guideline:", "MAXIMUS guidelines:"))
    result = runner.invoke(app, ["parse", str(bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = SEED.read_text().split("\n").index("MAXIMUS guideline: The Expert Reviewer did not base their decision on the MTUS.  ") + 1
    assert f"{bad}:{line}:1: S102 line {line} reads 'MAXIMUS guidelines:' where the letter needs 'MAXIMUS guideline:'" in result.stderr
    assert json.loads(result.stdout)["error"]["line"] == line


def test_missing_file_exits_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["parse", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "cannot be read" in result.stderr


def test_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "imrparse", "parse", str(SEED)], capture_output=True, check=True)
    assert json.loads(done.stdout)["decisions"][0]["number"] == 1
