"""The bad-input table: every malformed, hostile or huge input gets a specific error (with the
original line and column where one applies) or parses; the CLI never shows a traceback, exits 1
for a bad letter and 2 for an unusable input; in a batch each becomes that input's error record."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from conftest import LETTERS as LETTERS_DIR
from typer.testing import CliRunner

import imrparse
from imrparse.cli.commands import app

LETTER = (FIXTURES / "rules" / "D403-duplicate-treatment.pass.txt").read_text(encoding="utf-8")
runner = CliRunner()


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _values(record: dict[str, object]) -> object:
    """The record without positions: what must not change when only the encoding does."""
    if isinstance(record, dict):
        return {k: _values(v) for k, v in record.items() if "span" not in k}
    if isinstance(record, list):
        return [_values(v) for v in record]
    return record


@dataclass
class Case:
    name: str
    data: bytes
    kind: str | None = None  # None: the input parses
    code: str | None = None
    message: str = ""
    line: int | None = None
    column: int | None = None


def _section_removed(heading: str, next_heading: str) -> Case:
    """The section is missing: the error is where its heading should be, and names it."""
    text = LETTER[: LETTER.index(heading)] + LETTER[LETTER.index(next_heading) :]
    return Case(f"without {heading.split()[0]} section", text.encode(), "parse", "S103", heading,
                _line_of(text, next_heading), 1)


def _shuffled_item() -> Case:
    start = LETTER.index("Claims Administrator guideline: Decision based on MTUS Low Back")
    ca_end = LETTER.index("MAXIMUS guideline: Decision based on MTUS Low Back")
    rationale = LETTER.index("Decision rationale: The MTUS supports imaging")
    end = LETTER.index("MRI of the cervical spine")
    ca, reviewer, why = LETTER[start:ca_end], LETTER[ca_end:rationale], LETTER[rationale:end]
    text = LETTER[:start] + why + ca + reviewer + LETTER[end:]
    return Case("item paragraphs shuffled", text.encode(), "parse", "S102", "'Claims Administrator guideline:'",
                _line_of(text, "Decision rationale: The MTUS supports imaging"), 1)


def _swapped_sections() -> Case:
    summary = LETTER.index("CLINICAL CASE SUMMARY")
    decisions = LETTER.index("IMR ISSUES, DECISIONS AND RATIONALES")
    text = LETTER[:summary] + LETTER[decisions:] + LETTER[summary:decisions]
    return Case("summary and decisions swapped", text.encode(), "parse", "S103", "CLINICAL CASE SUMMARY",
                _line_of(text, "IMR ISSUES, DECISIONS"), 1)


nul_at = LETTER.index("lifting boxes")
CASES = [
    Case("empty file", b"", "parse", "S101", "the input is empty"),
    Case("whitespace only", b" \r\n\t\n\f  \n", "parse", "S101", "the input is empty"),
    Case("PNG renamed .txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "input", "S000", "a PNG image"),
    Case("ZIP renamed .txt", b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "input", "S000", "a ZIP archive"),
    Case("NUL byte inside a letter", (LETTER[:nul_at] + "\x00" + LETTER[nul_at:]).encode(), "input", "S000",
         "NUL byte", _line_of(LETTER, "lifting boxes"), LETTER.split("\n")[_line_of(LETTER, "lifting boxes") - 1].index("lifting") + 1),
    Case("cp1252 curly quotes and NBSP", LETTER.replace("red flags", "\u201cred flags\u201d").replace("8 sessions", "8\u00a0sessions")
         .encode("cp1252")),
    Case("Latin-1", LETTER.replace("lifting boxes", "lifting boxes at the caf\u00e9 \u0081").encode("latin-1")),
    Case("UTF-8 with BOM", b"\xef\xbb\xbf" + LETTER.encode()),
    Case("UTF-16 LE with BOM", LETTER.encode("utf-16")),
    Case("UTF-16 BE with BOM", b"\xfe\xff" + LETTER.encode("utf-16-be")),
    Case("CR-only line ends", LETTER.replace("\n", "\r").encode()),
    Case("mixed line ends", "".join(line + ("\r\n", "\r", "\n")[i % 3] for i, line in enumerate(LETTER.split("\n"))).encode()),
    Case("tabs and zero-width characters", LETTER.replace(" ", "\t", 40).replace("MRI", "M\u200bR\u200dI\ufeff").encode()),
    _section_removed("HOW THE IMR FINAL DETERMINATION WAS MADE", "CLINICAL CASE SUMMARY"),
    _section_removed("CLINICAL CASE SUMMARY", "IMR ISSUES, DECISIONS AND RATIONALES"),
    Case("without decisions section", LETTER[: LETTER.index("IMR ISSUES")].encode(), "parse", "S104", "before the heading 'IMR ISSUES",
         _line_of(LETTER, "IMR ISSUES") - 1),
    _swapped_sections(),
    _shuffled_item(),
    Case("two letters in one file", (LETTER + LETTER).encode(), "parse", "S107", "another letter begins",
         LETTER.count("\n") + 1, 1),
    Case("10 MB single line", b"x" * (10 * 1024 * 1024), "parse", "S101", "not an IMR Final Determination Letter", 1, 1),
    Case("10 MB rationale line", LETTER.replace("No such findings", "No such " + "findings " * 1_200_000, 1).encode()),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_library(case: Case) -> None:
    if case.kind is None:
        record = imrparse.parse(case.data)
        if "rationale line" not in case.name:
            assert _values(record) == _values(imrparse.parse(LETTER)) or "\u201c" in str(record) or "caf\u00e9" in str(record)
        return
    with pytest.raises(imrparse.ParseError) as info:
        imrparse.parse(case.data)
    error = info.value
    assert isinstance(error, imrparse.InputError) == (case.kind == "input")
    assert error.code == case.code and case.message in error.message, error.message
    if case.line is not None:
        assert (error.line, error.column if case.column else None) == (case.line, case.column)


def test_decoding_keeps_every_character() -> None:
    cp1252 = imrparse.parse(CASES[5].data)
    assert "\u201cred flags\u201d" in cp1252["decisions"][0]["rationale"]
    assert cp1252["decisions"][1]["treatment"] == "MRI of the cervical spine without contrast"
    latin1 = imrparse.parse(CASES[6].data)
    assert "caf\u00e9 \u0081" in latin1["summary"]["text"]
    for case in CASES[7:13]:
        assert _values(imrparse.parse(case.data)) == _values(imrparse.parse(LETTER)), case.name


SMALL = [c for c in CASES if len(c.data) < 1024 * 1024]  # the 10 MB ones take the same path, at 4 s each


@pytest.mark.parametrize("case", SMALL, ids=[c.name for c in SMALL])
def test_cli(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_bytes(case.data)
    result = runner.invoke(app, ["parse", str(path), "--workers", "1"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    if case.kind is None:
        assert result.exit_code == 0
        return
    assert result.exit_code == (2 if case.kind == "input" else 1)
    where = f":{case.line}:{case.column}:" if case.line and case.column else ""
    assert result.stderr.startswith(f"{path}{where}") and case.message in result.stderr


def test_a_batch_accounts_for_every_input(tmp_path: Path) -> None:
    paths = []
    for i, case in enumerate(CASES):
        paths.append(tmp_path / f"{i:02d}.txt")
        paths[-1].write_bytes(case.data)
    results = list(imrparse.parse_many([str(p) for p in paths], workers=2))
    assert [r["source"]["path"] for r in results] == [str(p) for p in paths]
    for case, result in zip(CASES, results, strict=True):
        if case.kind is None:
            assert "error" not in result, case.name
        else:
            assert (result["error"]["kind"], result["error"]["code"]) == (case.kind, case.code), case.name


# -- paths that are not letters ---------------------------------------------------------------


def _parse_cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["parse", "--workers", "1", *args])
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stderr


def test_directory_without_letters(tmp_path: Path) -> None:
    status, stderr = _parse_cli(str(tmp_path))
    assert status == 2 and f"{tmp_path}: no *.txt or *.pdf or *.tif or *.tiff or *.png or *.jpg or *.jpeg files in this directory" in stderr


def test_missing_path(tmp_path: Path) -> None:
    status, stderr = _parse_cli(str(tmp_path / "missing.txt"))
    assert status == 2 and "cannot be read: No such file or directory" in stderr


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_text(LETTER)
    real_open = os.open

    def refuse(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, Path)) and str(file) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)  # root reads any file, so permissions cannot stop it
    status, stderr = _parse_cli(str(path))
    assert status == 2 and f"{path}: S000 cannot be read: Permission denied" in stderr


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    status, stderr = _parse_cli(str(tmp_path / "a.txt"))
    assert status == 2 and "cannot be read: Too many levels of symbolic links" in stderr
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # a directory loop is walked once
    (tmp_path / "sub" / "letter.txt").write_text(LETTER)
    status, _ = _parse_cli(str(tmp_path), "-o", str(tmp_path / "out.jsonl"))
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert status == 1 and len(lines) == 3  # the letter once, and each end of the file loop


def test_a_200_mb_file_is_refused_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as stream:
        stream.truncate(200 * 1024 * 1024)  # sparse: no disk used
    peak = tmp_path / "peak-kib"
    # The command in a fresh process that records its own peak memory when it exits.
    # (VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking pytest process.)
    code = ("import atexit, re, sys; from imrparse.cli import app; out = sys.argv[1]; "
            "atexit.register(lambda: open(out, 'w').write(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])); "
            "sys.argv = ['imrparse', 'parse', sys.argv[2]]; app()")
    run = subprocess.run([sys.executable, "-c", code, str(peak), str(big)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(FIXTURES.parent)})
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "larger than the size limit of 33,554,432 bytes (209,715,200 bytes)" in run.stderr
    assert int(peak.read_text()) < 150 * 1024  # KiB: the 200 MB were never held in memory
    assert runner.invoke(app, ["parse", str(big), "--max-bytes", "100"]).exit_code == 2


def test_the_size_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_text(LETTER)
    assert _parse_cli(str(path), "--max-bytes", str(len(LETTER.encode())))[0] == 0
    status, stderr = _parse_cli(str(path), "--max-bytes", str(len(LETTER.encode()) - 1))
    assert status == 2 and "--max-bytes" in stderr
    result = imrparse.parse_one(LETTER.encode(), max_bytes=10)
    assert result["error"]["kind"] == "input" and result["source"]["bytes"] == len(LETTER.encode())



# -- nothing lost ------------------------------------------------------------------------------


def _batch(tmp_path: Path, n: int) -> list[Path]:
    """n inputs, distinct in content: good letters, bad letters, binary and an unreadable link."""
    folder = tmp_path / "in"
    folder.mkdir()
    paths = []
    for i in range(n):
        path = folder / f"{i:04d}.txt"
        kind = i % 10
        if kind == 7:
            path.write_text(LETTER.replace("Decision rationale: The MTUS supports", "The MTUS supports") + f"\n{i}\n")
        elif kind == 8:
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + i.to_bytes(4, "big"))
        else:
            path.write_text(LETTER.replace("CM16-0999002", f"CM16-{i:07d}"))
        paths.append(path)
    (folder / "broken.txt").symlink_to(folder / "missing.txt")
    return [*paths, folder / "broken.txt"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_run_resumed_has_every_input_exactly_once(tmp_path: Path, seed: int) -> None:
    paths = _batch(tmp_path, 600)
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "imrparse", "parse", str(tmp_path / "in"), "-o", str(out), "--resume", "-q", "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(FIXTURES.parent)}
    kill_at = random.Random(seed).randrange(1, len(paths) - 100)  # a random moment, in lines written
    run = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    while run.poll() is None and (not out.exists() or out.read_bytes().count(b"\n") < kill_at):
        time.sleep(0.005)
    run.kill()  # SIGKILL: no clean-up at all, a line may be cut short
    run.wait()
    before = out.read_bytes()
    finished = before[: before.rfind(b"\n") + 1]  # a last line may be cut short
    assert kill_at <= finished.count(b"\n") < len(paths)
    assert subprocess.run(command, env=env, capture_output=True).returncode in (0, 1)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["source"]["path"] for r in records) == sorted(str(p) for p in paths)
    assert out.read_bytes().startswith(finished)  # the killed run's finished lines are kept, not redone
    assert sum("error" in r for r in records) == 60 + 60 + 1


def test_resume_needs_a_json_lines_output_file(tmp_path: Path) -> None:
    assert _parse_cli(str(LETTERS_DIR), "--resume")[0] == 2
    assert _parse_cli(str(LETTERS_DIR), "--resume", "-o", str(tmp_path / "x.json"), "--format", "json")[0] == 2
    out = tmp_path / "out.jsonl"
    assert _parse_cli(str(LETTERS_DIR), "-o", str(out), "--resume")[0] == 0
    first = out.read_text()
    assert _parse_cli(str(LETTERS_DIR), "-o", str(out), "--resume")[0] == 0
    assert out.read_text() == first  # nothing left to do, nothing appended
