"""parse_many and `imrparse parse` over many inputs: one result per input, nothing lost."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import LETTERS, corpus_dir, without_positions
from typer.testing import CliRunner

import imrparse
from imrparse.cli.commands import app
from imrparse.errors import MissingExtra, extra_hint

SEED = LETTERS / "seed_000_3ff69cc2fa494158.txt"
runner = CliRunner()


def test_every_kind_of_input_gives_one_result_in_order(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("not a letter")
    empty = tmp_path / "empty"  # a folder with no letter in it is an input of its own
    empty.mkdir()
    inputs = [str(SEED), SEED.read_bytes(), ("my-id", SEED.read_text()), str(bad), str(tmp_path / "missing.txt"), str(empty)]
    results = list(imrparse.parse_many(inputs, workers=1))
    assert len(results) == len(inputs)
    assert [r["source"]["path"] for r in results] == [str(SEED), None, "my-id", str(bad), str(tmp_path / "missing.txt"), str(empty)]
    assert [("error" in r) for r in results] == [False, False, False, True, True, True]
    assert results[3]["error"]["kind"] == "parse" and results[3]["error"]["line"] == 1
    assert results[4]["error"]["kind"] == "input" and "cannot be read" in results[4]["error"]["message"]
    assert "directory" in results[5]["error"]["message"]
    assert results[0]["source"]["sha256"] == results[1]["source"]["sha256"]
    assert results[0]["source"]["bytes"] == SEED.stat().st_size


@pytest.mark.parametrize("ordered", [True, False])
def test_pool_gives_the_same_results_as_in_process(ordered: bool) -> None:
    inputs = [str(p) for p in sorted(LETTERS.glob("*.txt"))] * 5
    serial = list(imrparse.parse_many(inputs, workers=1))
    pooled = list(imrparse.parse_many(iter(inputs), workers=2, ordered=ordered))
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    if ordered:
        assert pooled == serial
    else:
        assert sorted(map(key, pooled)) == sorted(map(key, serial))


def test_pdf_gives_the_same_record_as_the_corpus_extractions() -> None:
    pdfs = sorted((corpus_dir() / "pdf").glob("*.pdf"))
    assert len(pdfs) == 49
    for result in imrparse.parse_many([str(p) for p in pdfs], workers=2):
        assert "error" not in result, result
        stem = Path(result["source"]["path"]).stem
        for extraction in ("pdfium", "pdftotext"):
            text_record = imrparse.parse_file(corpus_dir() / "text" / f"{stem}.{extraction}.txt")
            if extraction == "pdfium":
                assert without_positions(result, ("source",)) == without_positions(text_record, ("source",))
            assert result["case"] == result["case"] | {"case_number": stem}
            assert [d["outcome"] for d in result["decisions"]] == [d["outcome"] for d in text_record["decisions"]]


def test_pdf_without_the_extra_raises_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not an error record: --resume and load would then skip the PDF for good (issue 15, item 8)."""
    monkeypatch.setitem(sys.modules, "pypdfium2", None)
    [pdf] = sorted((corpus_dir() / "pdf").glob("*.pdf"))[:1]
    with pytest.raises(MissingExtra, match=re.escape(extra_hint("pdf"))):  # the environment's fault, not the letter's
        list(imrparse.parse_many([str(pdf)], workers=1))


def test_cli_jsonl_for_a_directory_and_exit_1_on_a_failure(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(SEED.read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("garbage")
    (tmp_path / "ignored.md").write_text("not picked by the default globs")
    result = runner.invoke(app, ["parse", str(tmp_path), "--workers", "1"])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["source"]["path"]).name for r in lines] == ["a.txt", "b.txt"]
    assert "error" in lines[1]
    assert "1 parsed, 1 failed" in result.stderr


def test_cli_on_error_skip_and_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("garbage")
    skipped = runner.invoke(app, ["parse", str(bad), str(SEED), "--on-error", "skip", "--workers", "1", "-q"])
    assert skipped.exit_code == 1 and len(skipped.stdout.splitlines()) == 1
    failed = runner.invoke(app, ["parse", str(bad), str(SEED), "--on-error", "fail", "--workers", "1", "-q"])
    assert failed.exit_code == 1 and failed.stdout == "" and f"{bad}:1:1:" in failed.stderr


def test_cli_json_array_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "records.json"
    result = runner.invoke(app, ["parse", str(SEED), str(SEED), "--format", "json", "-o", str(out), "-q"])
    assert result.exit_code == 0 and result.stdout == ""
    records = json.loads(out.read_text())
    assert len(records) == 2 and records[0] == records[1]
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_cli_unusable_output_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["parse", str(SEED), "-o", str(tmp_path / "no" / "such" / "dir" / "x.json")])
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_cli_one_input_is_a_json_object() -> None:
    result = runner.invoke(app, ["parse", str(SEED)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"]["path"] == str(SEED)


def test_a_mixed_batch_of_1000_accounts_for_every_input(tmp_path: Path) -> None:
    kinds = {
        "valid": SEED.read_bytes(),
        "invalid": b"Case Number: CM16-0000001\nnothing else\n",
        "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        "empty": b"",
    }
    paths = []
    for i in range(1000):
        kind = ["valid", "invalid", "binary", "empty", "unreadable"][i % 5]
        path = tmp_path / f"{i:04d}-{kind}.txt"
        if kind != "unreadable":  # a path that does not exist
            path.write_bytes(kinds[kind])
        paths.append(str(path))
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["parse", *paths, "--workers", "2", "-o", str(out), "-q"])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["source"]["path"] for r in lines] == paths
    assert [("error" in r) for r in lines] == [not p.endswith("-valid.txt") for p in paths]
    kinds_seen = {Path(r["source"]["path"]).stem.split("-")[1]: r["error"]["kind"] for r in lines if "error" in r}
    assert kinds_seen == {"invalid": "parse", "binary": "input", "empty": "parse", "unreadable": "input"}


def test_workers_2_output_is_byte_identical_to_workers_1() -> None:
    paths = [str(p) for p in sorted(LETTERS.glob("*.txt"))] * 4 + [str(SEED.parent / "missing.txt")]
    one = runner.invoke(app, ["parse", *paths, "--workers", "1", "-q"])
    two = runner.invoke(app, ["parse", *paths, "--workers", "2", "-q"])
    assert one.exit_code == two.exit_code == 1
    assert one.stdout_bytes == two.stdout_bytes and len(one.stdout_bytes.splitlines()) == len(paths)


def _console_script() -> str:
    """The installed `imrparse` script of this interpreter's environment."""
    script = Path(sys.executable).parent / "imrparse"
    assert script.is_file(), "the imrparse console script is not installed"
    return str(script)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_the_previous_output_in_place(tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("previous complete output\n")
    script = _console_script()
    paths = [str(SEED)] * 20000
    process = subprocess.Popen([script, "parse", *paths, "--workers", "1", "-q", "-o", str(out)],
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".out.jsonl.*.partial")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signum)
    process.communicate(timeout=30)
    assert process.returncode != 0
    assert out.read_text() == "previous complete output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_installed_console_script_runs_as_a_subprocess() -> None:
    script = _console_script()
    done = subprocess.run([script, "parse", str(SEED), str(SEED), "--format", "jsonl", "-q"], capture_output=True, check=True)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 2 and records[0]["summary"]["age"] == 56


def test_a_file_is_read_whole_whatever_its_stat_says(tmp_path: Path) -> None:
    """Reads are sized from the file's stat, and go on past it: a file that grew since (here: a
    stat that says less), or one whose stat says 0 bytes (procfs), is still read to its end, and
    one past the limit is still refused."""
    import os

    from imrparse.text import inputs

    letter = SEED.read_bytes()
    fd = os.open(SEED, os.O_RDONLY)
    try:
        assert inputs._read_to_end(fd, 10, len(letter)) == letter
    finally:
        os.close(fd)
    fd = os.open(SEED, os.O_RDONLY)
    try:
        assert inputs._read_to_end(fd, 0, 100) == letter[:101]  # just past a limit of 100 bytes
    finally:
        os.close(fd)
    if Path("/proc/self/status").exists():
        assert inputs.read_regular_file("/proc/self/status", 1 << 20).startswith(b"Name:")
    assert imrparse.parse_one(str(SEED))["source"]["bytes"] == len(letter)
