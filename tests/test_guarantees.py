"""Nothing lost, nothing hangs: what imrparse promises about its outputs, resumed runs, DuckDB
loads and worker processes under kills, concurrent runs, a full disk and odd paths (the README's
"Guarantees"). Test names carry the number of the issue-15 item they pin down."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pty
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES, corpus_dir, skip_because
from typer.testing import CliRunner

import imrparse
from imrparse.cli.commands import app
from imrparse.errors import ParseError, extra_hint

# The fixture letters a run over fixtures/letters writes a line for.
FIXTURE_LETTERS = len(list((FIXTURES / "letters").glob("*.txt")))

LETTER = (FIXTURES / "rules" / "D403-duplicate-treatment.pass.txt").read_text(encoding="utf-8")
ENV = {**os.environ, "PYTHONPATH": str(FIXTURES.parent)}
IMRPARSE = str(Path(sys.executable).parent / "imrparse")  # the installed console script
runner = CliRunner()


def _cli(*args: str) -> Any:
    """`imrparse ARGS` in this process; never a traceback."""
    result = runner.invoke(app, [*args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    return result


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def _hidden(folder: Path) -> list[str]:
    """What a run left beside its output: temporary files and locks."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _wait_for(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _letters(folder: Path, count: int, filler: int = 0) -> list[Path]:
    """COUNT distinct letters in FOLDER, each with FILLER more words in a rationale."""
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        text = LETTER.replace("CM16-0999002", f"CM16-{i:07d}").replace("No such findings", "No such " + "findings " * filler, 1)
        paths.append(folder / f"{i:05d}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    return paths


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


# -- 12: a killed parent leaves no helper behind -------------------------------------------------


KEEP_PDEATHSIG = "import sys; from imrparse.cli import app; sys.argv[0] = 'imrparse'; app()"
NO_PDEATHSIG = "import imrparse.etl.pool as pool; pool._die_with_parent = lambda: None; " + KEEP_PDEATHSIG


@pytest.mark.parametrize("code", [KEEP_PDEATHSIG, NO_PDEATHSIG], ids=["linux", "without PR_SET_PDEATHSIG"])
def test_a_pipeline_ends_when_imrparse_is_killed(tmp_path: Path, code: str) -> None:
    """`imrparse parse ... | cat` ends although the helper was blocked sending big results to a
    parent that stopped reading and was then killed with -9."""
    if not os.path.isdir("/proc"):
        skip_because("finds the helper process in /proc")
    _letters(tmp_path / "in", 40, filler=30_000)  # ~300 KB each: a chunk's results overflow the pipe
    parse = subprocess.Popen([sys.executable, "-c", code, "parse", str(tmp_path / "in"), "--workers", "2", "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV, process_group=0)
    cat = subprocess.Popen(["cat"], stdin=parse.stdout, stdout=subprocess.PIPE)
    assert parse.stdout is not None
    parse.stdout.close()
    try:
        deadline = time.monotonic() + 30
        while not (helpers := _children(parse.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert helpers, "no helper was started"
        time.sleep(0.3)
        os.kill(parse.pid, signal.SIGSTOP)  # stops reading: the helper fills the pipe and blocks in a send
        time.sleep(1.5)
        os.kill(parse.pid, signal.SIGKILL)
        parse.wait()
        cat.communicate(timeout=10)  # every writer of the pipe (helpers included) is gone
        assert cat.returncode == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parse.pid, signal.SIGKILL)
        cat.kill()
        cat.wait()


# -- 14: invalid arguments -----------------------------------------------------------------------


@pytest.mark.parametrize("workers", [-1, 0, 1.5])
def test_invalid_workers_raise_value_error(workers: int) -> None:
    with pytest.raises(ValueError, match="workers must be"):
        imrparse.parse_many([LETTER.encode()] * 40, workers=workers)
    with pytest.raises(ValueError, match="workers must be"):
        imrparse.validate_many([LETTER.encode()] * 40, workers=workers)


def test_an_invalid_size_limit_raises_value_error() -> None:
    with pytest.raises(ValueError, match="max_bytes must be"):
        imrparse.parse_many([LETTER.encode()], max_bytes=0)


# -- 1: an output that is one of the inputs ------------------------------------------------------


@pytest.mark.parametrize("resume", [False, True], ids=["new", "resumed"])
def test_an_output_that_is_one_of_the_inputs_is_refused(tmp_path: Path, resume: bool) -> None:
    [letter, _] = _letters(tmp_path / "in", 2)
    before = letter.read_bytes()
    (tmp_path / "link.txt").symlink_to(letter)
    os.link(letter, tmp_path / "hard.txt")
    for output in (letter, tmp_path / "link.txt", tmp_path / "hard.txt"):
        result = _cli("parse", str(tmp_path / "in"), "-o", str(output), "--workers", "1", *(["--resume"] if resume else []))
        assert result.exit_code == 2 and f"the output {output} is also an input ({letter})" in result.stderr
        assert letter.read_bytes() == before
    result = _cli("validate", str(letter), "-o", str(tmp_path / "hard.txt"))
    assert result.exit_code == 2 and letter.read_bytes() == before


# -- 2: --resume over a line that is not a record -------------------------------------------------


@pytest.mark.parametrize("bad_line", [b"\n", b"not json\n", b'{"a": 1}\n'], ids=["blank", "not JSON", "not a record"])
def test_resume_stops_at_a_line_that_is_not_a_record_and_deletes_nothing(tmp_path: Path, bad_line: bytes) -> None:
    _letters(tmp_path / "in", 6)
    out = tmp_path / "out.jsonl"
    assert _cli("parse", str(tmp_path / "in"), "-o", str(out), "--workers", "1", "-q").exit_code == 0
    lines = out.read_bytes().splitlines(keepends=True)
    damaged = b"".join([*lines[:2], bad_line, *lines[2:]])
    out.write_bytes(damaged)
    _letters(tmp_path / "in", 8)  # two more to do
    result = _cli("parse", str(tmp_path / "in"), "-o", str(out), "--resume", "--workers", "1", "-q")
    assert result.exit_code == 2 and f"{out}:3: the line" in result.stderr
    assert out.read_bytes() == damaged  # all six records kept, nothing appended after the bad line


# -- 3: load into a file that is not an imrparse DuckDB database ----------------------------------


def test_load_refuses_a_file_that_is_not_a_duckdb_database(tmp_path: Path) -> None:
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")
    for _ in range(2):
        result = _cli("load", str(FIXTURES / "letters"), "--db", str(csv), "--workers", "1")
        assert result.exit_code == 2 and f"{csv} exists and is not a DuckDB database" in result.stderr
        assert "added" not in result.stderr and csv.read_text() == "a,b\n1,2\n"


def test_load_refuses_a_database_whose_letters_table_has_other_columns(tmp_path: Path) -> None:
    db = tmp_path / "other.duckdb"
    with duckdb.connect(str(db)) as connection:
        connection.execute("CREATE TABLE letters (id INTEGER, name VARCHAR)")
    result = _cli("load", str(FIXTURES / "letters"), "--db", str(db), "--workers", "1")
    assert result.exit_code == 2 and f"{db} has a table letters with other columns than imrparse's (id, name;" in result.stderr


# -- 4: an interrupted Parquet run ----------------------------------------------------------------


def _tables(directory: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: pq.read_table(directory / f"{name}.parquet").to_pylist() for name in ("letters", "decisions", "citations", "errors")}


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["SIGKILL", "SIGTERM", "SIGINT"])
def test_an_interrupted_parquet_run_leaves_the_previous_tables(tmp_path: Path, signum: int) -> None:
    [letter] = _letters(tmp_path / "in", 1)
    tables = tmp_path / "tables"
    assert _cli("parse", str(letter), str(letter), "--format", "parquet", "-o", str(tables), "-q").exit_code == 0
    before = _tables(tables)
    assert len(before["letters"]) == 2
    run = subprocess.Popen([IMRPARSE, "parse", *[str(letter)] * 20000, "--format", "parquet", "-o", str(tables),
                            "--workers", "1", "-q"], stderr=subprocess.DEVNULL)
    started = time.monotonic()
    _wait_for(lambda: list(tmp_path.glob(".tables.*.partial/letters.parquet")) or time.monotonic() - started > 3)
    time.sleep(0.5)  # well into the run
    run.send_signal(signum)
    assert run.wait(timeout=30) != 0
    assert _tables(tables) == before
    if signum != signal.SIGKILL:
        assert _hidden(tmp_path) == []


# -- 5: outputs that are not regular files --------------------------------------------------------


def test_a_character_device_is_written_not_replaced(tmp_path: Path) -> None:
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        skip_because("making a character device needs root (CAP_MKNOD)", missing_privilege=True)
    assert _cli("parse", str(FIXTURES / "letters"), "-o", str(null), "--workers", "1", "-q").exit_code == 0
    assert stat.S_ISCHR(null.stat().st_mode) and _hidden(tmp_path) == []


def _read_all(open_stream: Any, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open_stream() as stream:
            into.append(b"".join(iter(lambda: stream.read(65536), b"")))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_a_fifo_is_written_to_its_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_all(functools.partial(open, fifo, "rb"), got)
    assert _cli("parse", str(FIXTURES / "letters"), "-o", str(fifo), "--workers", "1", "-q").exit_code == 0
    reader.join(timeout=10)
    assert len(got[0].splitlines()) == FIXTURE_LETTERS and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_socket_is_sent_the_output(tmp_path: Path) -> None:
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    got: list[bytes] = []
    reader = _read_all(lambda: server.accept()[0].makefile("rb"), got)
    try:
        assert _cli("parse", str(FIXTURES / "letters"), "-o", str(path), "--workers", "1", "-q").exit_code == 0
        reader.join(timeout=10)
    finally:
        server.close()
    assert len(got[0].splitlines()) == FIXTURE_LETTERS and stat.S_ISSOCK(path.stat().st_mode)


def test_dash_and_dev_stdout_are_standard_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _cli("parse", str(FIXTURES / "letters"), "-o", "-", "--workers", "1", "-q")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == FIXTURE_LETTERS and list(tmp_path.iterdir()) == []
    run = subprocess.run([IMRPARSE, "parse", str(FIXTURES / "letters"), "-o", "/dev/stdout", "-q"], capture_output=True, timeout=60)
    assert run.returncode == 0 and len(run.stdout.splitlines()) == FIXTURE_LETTERS, run.stderr


def test_a_link_is_followed_and_a_directory_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    link = tmp_path / "records.jsonl"
    link.symlink_to(tmp_path / "real" / "records.jsonl")
    assert _cli("parse", str(FIXTURES / "letters"), "-o", str(link), "-q").exit_code == 0
    assert link.is_symlink() and len(_jsonl(tmp_path / "real" / "records.jsonl")) == FIXTURE_LETTERS
    result = _cli("parse", str(FIXTURES / "letters"), "-o", str(tmp_path / "real"), "-q")
    assert result.exit_code == 2 and f"cannot write {tmp_path / 'real'}: it is a directory" in result.stderr


# -- 6: --on-error fail over an existing output ---------------------------------------------------


def test_on_error_fail_leaves_the_previous_output(tmp_path: Path) -> None:
    paths = _letters(tmp_path / "in", 4)
    paths[2].write_text("not a letter")
    out = tmp_path / "out.jsonl"
    out.write_text("previous complete output\n")
    result = _cli("parse", str(tmp_path / "in"), "-o", str(out), "--on-error", "fail", "--workers", "1", "-q")
    assert result.exit_code == 1 and f"{paths[2]}:1:1:" in result.stderr
    assert out.read_text() == "previous complete output\n" and _hidden(tmp_path) == []


# -- 7: two runs on one output at once ------------------------------------------------------------


def test_a_second_run_on_the_same_output_exits_2_naming_the_first(tmp_path: Path) -> None:
    paths = _letters(tmp_path / "in", 300)
    out = tmp_path / "out.jsonl"
    command = [IMRPARSE, "parse", str(tmp_path / "in"), "-o", str(out), "--resume", "-q", "--workers", "1"]
    first = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: out.exists() and out.stat().st_size > 0)
        first.send_signal(signal.SIGSTOP)  # mid-run, holding the lock
        for second_command in (command, [*command[:-4], "--workers", "1"]):  # resumed, and a new output
            second = subprocess.run(second_command, capture_output=True, text=True, timeout=60)
            assert second.returncode == 2 and f"being written by another run (process {first.pid})" in second.stderr
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=60) == 0
    assert sorted(r["source"]["path"] for r in _jsonl(out)) == sorted(map(str, paths))  # each once
    assert _hidden(tmp_path) == []


# -- 8: a missing extra is a usage error, never a record -------------------------------------------


def test_pdfs_without_the_pdf_extra_are_a_usage_error_not_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdfium2", None)
    pdf = sorted((corpus_dir() / "pdf").glob("*.pdf"))[0].read_bytes()
    _letters(tmp_path / "in", 2)
    (tmp_path / "in" / "letter.pdf").write_bytes(pdf)
    out, db = tmp_path / "out.jsonl", tmp_path / "x.duckdb"
    for command in (["parse", "-o", str(out), "--resume"], ["load", "--db", str(db)]):
        result = _cli(command[0], str(tmp_path / "in"), *command[1:], "--workers", "1")
        assert result.exit_code == 2 and f"reading PDFs needs the pdf extra: {extra_hint('pdf')}" in result.stderr
    assert not out.exists() and not db.exists()  # checked before the run
    disguised = tmp_path / "other" / "scan.txt"  # a PDF by its content, under a text file's name
    disguised.parent.mkdir()
    disguised.write_bytes(pdf)
    result = _cli("parse", str(tmp_path / "in" / "00000.txt"), str(disguised), "-o", str(out), "--resume", "--workers", "1")
    assert result.exit_code == 2 and extra_hint("pdf") in result.stderr
    assert not out.exists()  # found by its first bytes before the run, too


# -- 9: load after a fix ------------------------------------------------------------------------


def _counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return {name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
                for name in ("letters", "decisions", "citations", "errors")}


def test_a_reload_parses_failed_inputs_again_and_replaces_their_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _letters(tmp_path / "in", 3)
    db = tmp_path / "x.duckdb"

    def older_grammar(text: str, grammar: Path | None = None) -> dict[str, Any]:
        raise ParseError("this grammar does not read these letters yet")

    with monkeypatch.context() as patch:
        patch.setattr(imrparse.etl.batch, "parse", older_grammar)
        assert _cli("load", str(tmp_path / "in"), "--db", str(db), "--workers", "1").exit_code == 1  # they failed
    assert _counts(db) == {"letters": 0, "decisions": 0, "citations": 0, "errors": 3}
    result = _cli("load", str(tmp_path / "in"), "--db", str(db), "--workers", "1")
    assert result.exit_code == 0 and "replacing 3 rows" in result.stderr
    assert _counts(db) == {"letters": 3, "decisions": 6, "citations": 12, "errors": 0}


def test_a_reload_skips_loaded_letters_before_parsing_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _letters(tmp_path / "in", 3)
    db = tmp_path / "x.duckdb"
    assert _cli("load", str(tmp_path / "in"), "--db", str(db), "--workers", "1").exit_code == 0
    loaded = _counts(db)
    parsed: list[str] = []
    real_parse = imrparse.etl.batch.parse

    def counting(text: str, grammar: Path | None = None) -> dict[str, Any]:
        parsed.append(text)
        return real_parse(text, grammar=grammar)

    monkeypatch.setattr(imrparse.etl.batch, "parse", counting)
    result = _cli("load", str(tmp_path / "in"), "--db", str(db), "--workers", "1")
    assert result.exit_code == 0 and "3 inputs, 3 already loaded" in result.stderr and parsed == []
    result = _cli("load", str(tmp_path / "in"), "--db", str(db), "--workers", "1", "--replace")
    assert result.exit_code == 0 and len(parsed) == 3 and _counts(db) == loaded


def test_load_with_no_paths_and_a_terminal_on_standard_input_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    terminal, stdin = pty.openpty()
    run = subprocess.Popen([IMRPARSE, "load", "--db", str(db)], stdin=stdin, stderr=subprocess.PIPE, text=True)
    os.close(stdin)
    try:
        _, stderr = run.communicate(timeout=20)
    except subprocess.TimeoutExpired:  # it waits for letters typed at the terminal: end them
        os.write(terminal, b"\x04")
        _, stderr = run.communicate(timeout=20)
    finally:
        os.close(terminal)
    assert run.returncode == 2 and "Usage: imrparse load" in stderr and "standard input is a terminal" in stderr
    assert not db.exists()


# -- 10: file modes -----------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_are_created_as_open_would_under_the_umask(tmp_path: Path) -> None:
    letters = str(FIXTURES / "letters")
    umask = os.umask(0o027)
    try:
        assert _cli("parse", letters, "-o", str(tmp_path / "out.jsonl"), "-q").exit_code == 0
        assert _cli("validate", letters, "-o", str(tmp_path / "report.txt"), "-q").exit_code == 0
        assert _cli("parse", letters, "--format", "parquet", "-o", str(tmp_path / "tables"), "-q").exit_code == 0
        assert _cli("parse", letters, "-o", str(tmp_path / "resumed.jsonl"), "--resume", "-q").exit_code == 0
        files = ["out.jsonl", "report.txt", "tables/letters.parquet", "tables/errors.parquet", "resumed.jsonl"]
        assert [_mode(tmp_path / name) for name in files] == [0o640] * len(files)
        assert _mode(tmp_path / "tables") == 0o750
        (tmp_path / "out.jsonl").chmod(0o604)  # an existing file keeps its mode
        assert _cli("parse", letters, "-o", str(tmp_path / "out.jsonl"), "-q").exit_code == 0
        assert _mode(tmp_path / "out.jsonl") == 0o604
    finally:
        os.umask(umask)


# -- 11: what killed runs leave ------------------------------------------------------------------


def test_a_run_removes_what_a_killed_run_to_the_same_output_left(tmp_path: Path) -> None:
    [letter] = _letters(tmp_path / "in", 1)
    out = tmp_path / "out.jsonl"
    out.write_text("previous complete output\n")
    run = subprocess.Popen([IMRPARSE, "parse", *[str(letter)] * 20000, "-o", str(out), "--workers", "1", "-q"])
    _wait_for(lambda: list(tmp_path.glob(".out.jsonl.*.partial")))
    time.sleep(0.3)
    run.kill()
    run.wait()
    assert out.read_text() == "previous complete output\n"  # SIGKILL too leaves the previous output
    [stale] = tmp_path.glob(".out.jsonl.*.partial")
    others = [tmp_path / ".out.jsonl.x.abcd1234.partial", tmp_path / ".other.jsonl.abcd1234.partial"]  # other outputs'
    for other in others:
        other.write_text("another output's")
    assert _cli("parse", str(letter), "-o", str(out), "-q").exit_code == 0
    assert not stale.exists() and all(other.exists() for other in others)
    assert _hidden(tmp_path) == sorted(other.name for other in others)


# -- 13: a FIFO among the inputs ---------------------------------------------------------------


def test_a_fifo_in_an_input_folder_is_an_error_record_not_a_hang(tmp_path: Path) -> None:
    _letters(tmp_path / "in", 2)
    os.mkfifo(tmp_path / "in" / "pipe.txt")
    run = subprocess.run([sys.executable, "-m", "imrparse", "parse", str(tmp_path / "in"), "-q", "--workers", "1"],
                         capture_output=True, env=ENV, timeout=30)
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 1 and len(records) == 3
    assert records[2]["source"]["path"].endswith("pipe.txt")
    assert "is not a regular file" in records[2]["error"]["message"]


# -- guarantees beyond the numbered items: a full disk, the CI rule for skips -------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A filesystem of 1 MiB of its own (tmpfs), to fill."""
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True, text=True)
    except FileNotFoundError:
        skip_because("no mount command")
    if mounted.returncode != 0:
        refused = os.geteuid() != 0 or "permission denied" in mounted.stderr.lower()
        skip_because(f"mounting a tmpfs needs root (CAP_SYS_ADMIN): {mounted.stderr.strip()}", missing_privilege=refused)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)  # pyarrow's file of a failed run may await the collector


def test_a_full_disk_is_exit_2_and_leaves_the_previous_output(small_disk: Path) -> None:
    folder = small_disk.parent / "in"
    _letters(folder, 60)
    out, tables = small_disk / "out.jsonl", small_disk / "tables"
    out.write_text("previous complete output\n")
    assert _cli("parse", str(folder / "00000.txt"), "--format", "parquet", "-o", str(tables), "-q").exit_code == 0
    before = _tables(tables)
    with contextlib.suppress(OSError), (small_disk / "filler").open("wb", buffering=0) as filler:
        while True:  # until the disk is full
            filler.write(b"x" * 4096)
    result = _cli("parse", str(folder), "-o", str(out), "--workers", "1", "-q")
    assert result.exit_code == 2 and f"imrparse: cannot write {out}: No space left on device" in result.stderr
    result = _cli("parse", str(folder), "--format", "parquet", "-o", str(tables), "--workers", "1", "-q")
    assert result.exit_code == 2 and f"imrparse: cannot write {tables}: " in result.stderr and "No space left on device" in result.stderr
    assert out.read_text() == "previous complete output\n" and _tables(tables) == before
    assert _hidden(small_disk) == []


def test_a_full_disk_under_resume_keeps_every_finished_line(small_disk: Path) -> None:
    paths = _letters(small_disk.parent / "in", 60)
    out = small_disk / "out.jsonl"
    (small_disk / "filler").write_bytes(b"x" * 900_000)
    command = ["parse", str(small_disk.parent / "in"), "-o", str(out), "--resume", "--workers", "1", "-q"]
    result = _cli(*command)
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    kept = out.read_bytes()
    finished = kept[: kept.rfind(b"\n") + 1]
    assert 0 < finished.count(b"\n") < len(paths)
    (small_disk / "filler").unlink()
    assert _cli(*command).exit_code == 0
    assert out.read_bytes().startswith(finished)
    assert sorted(r["source"]["path"] for r in _jsonl(out)) == sorted(map(str, paths))


def test_under_ci_only_a_missing_privilege_may_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI this test must run"):
        skip_because("no mount command")
    with pytest.raises(pytest.skip.Exception, match="missing privilege: needs root"):
        skip_because("needs root", missing_privilege=True)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no mount command"):
        skip_because("no mount command")
