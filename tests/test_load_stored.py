"""`imrparse load` of what `imrparse parse` wrote (its JSON Lines, JSON and Parquet tables): the
records are loaded as written, not parsed again, under the same sha256 rules as letters; and
`load`'s exit status follows ruff's and pytest's (0 all loaded, 1 an input failed, 2 usage)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from conftest import LETTERS, RECORDS, corpus_dir
from typer.testing import CliRunner

from imrparse.cli.commands import app

runner = CliRunner()
TABLES = ("letters", "decisions", "citations", "diagnoses", "errors")


def _cli(*args: str) -> Any:
    return runner.invoke(app, [*args, "--workers", "1"])


def _rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, without the source path (which differs between copies)."""
    with duckdb.connect(str(db), read_only=True) as connection:
        out = {}
        for name in TABLES:
            columns = [c for (c,) in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [name]).fetchall()
                if c != "source_path"]
            out[name] = sorted(connection.execute(f"SELECT {', '.join(repr(c).replace(chr(39), chr(34)) for c in columns)} "
                                                  f"FROM {name}").fetchall(), key=repr)
        return out


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six corpus letters and one that is not a letter, in a folder of their own."""
    folder = tmp_path_factory.mktemp("letters")
    for path in sorted((corpus_dir() / "text").glob("*.pdftotext.txt"))[:6]:
        shutil.copy(path, folder / path.name)
    (folder / "not-a-letter.txt").write_text("Dear Sir,\nthis is no letter.\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def parsed(letters: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """What parse wrote of the letters (JSON Lines and Parquet tables), and the letters loaded as letters."""
    out = tmp_path_factory.mktemp("parsed")
    assert _cli("parse", str(letters), "-o", str(out / "all.jsonl")).exit_code == 1  # the one that is not a letter
    assert _cli("parse", str(letters), "--format", "parquet", "-o", str(out / "tables")).exit_code == 1
    assert _cli("load", str(letters), "--db", str(out / "letters.duckdb")).exit_code == 1
    return out / "all.jsonl", out / "tables", out / "letters.duckdb"


@pytest.mark.corpus
@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_load_takes_what_parse_wrote_and_gives_the_rows_the_letters_give(kind: str, parsed: tuple[Path, Path, Path],
                                                                         letters: Path, tmp_path: Path) -> None:
    jsonl, tables, from_letters = parsed
    moved = tmp_path / "moved"
    shutil.copytree(letters, moved)
    shutil.rmtree(letters)  # the letters are gone: what parse wrote is loaded, not parsed again
    try:
        db = tmp_path / "stored.duckdb"
        result = _cli("load", str(jsonl if kind == "jsonl" else tables), "--db", str(db))
        assert result.exit_code == 1, result.stderr  # the stored error record is a failed input
        assert "7 results read from what parse wrote; 1 failed" in result.stderr
        assert _rows(db) == _rows(from_letters)
        assert len(_rows(db)["letters"]) == 6 and len(_rows(db)["errors"]) == 1
    finally:
        shutil.copytree(moved, letters)


@pytest.mark.corpus
def test_loading_the_letters_after_their_records_adds_nothing(parsed: tuple[Path, Path, Path], letters: Path,
                                                              tmp_path: Path) -> None:
    jsonl, tables, _ = parsed
    db = tmp_path / "x.duckdb"
    _cli("load", str(jsonl), "--db", str(db))
    first = _rows(db)
    for again in (jsonl, tables):
        result = _cli("load", str(again), "--db", str(db))
        assert "added 0 letters, 0 decisions, 0 citations, 1 errors, 0 diagnoses" in result.stderr  # the failure, replaced
        assert _rows(db) == first
    result = _cli("load", str(letters), "--db", str(db))
    assert "7 inputs, 6 already loaded" in result.stderr and _rows(db) == first


def test_a_record_is_loaded_as_written_not_parsed_again(tmp_path: Path) -> None:
    """A record whose letter does not exist, with an outcome no parse of it would give."""
    record = orjson.loads(next(RECORDS.glob("*.json")).read_bytes())
    record = {"source": {"path": "nowhere/letter.txt", "sha256": "ab" * 32, "bytes": 1}, **record}
    record["decisions"][0]["rationale"] = "Written here, not in any letter."
    (tmp_path / "one.jsonl").write_bytes(orjson.dumps(record) + b"\n")
    db = tmp_path / "x.duckdb"
    result = _cli("load", str(tmp_path / "one.jsonl"), "--db", str(db))
    assert result.exit_code == 0, result.stderr
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT source_path, rationale FROM decisions JOIN letters USING (source_sha256) "
                                  "WHERE position = 1").fetchall() == [("nowhere/letter.txt", "Written here, not in any letter.")]


def test_records_on_standard_input_and_a_json_array(tmp_path: Path) -> None:
    record = orjson.loads(next(RECORDS.glob("*.json")).read_bytes())
    lines = [orjson.dumps({"source": {"path": f"{n}.txt", "sha256": f"{n:064x}", "bytes": 1}, **record}) for n in (1, 2)]
    db = tmp_path / "x.duckdb"
    result = runner.invoke(app, ["load", "-", "--db", str(db)], input=b"\n".join(lines) + b"\n")
    assert result.exit_code == 0, result.stderr
    (tmp_path / "three.json").write_bytes(b"[" + lines[0] + b"," + lines[1].replace(b"2.txt", b"3.txt").replace(
        b"0" * 63 + b"2", b"0" * 63 + b"3") + b"]")
    assert _cli("load", str(tmp_path / "three.json"), "--db", str(db)).exit_code == 0
    with duckdb.connect(str(db), read_only=True) as connection:
        assert [p for (p,) in connection.execute("SELECT source_path FROM letters ORDER BY 1").fetchall()] == ["1.txt", "2.txt", "3.txt"]


def test_a_line_that_is_not_a_record_fails_its_file_and_the_others_load(tmp_path: Path) -> None:
    record = orjson.loads(next(RECORDS.glob("*.json")).read_bytes())
    good = orjson.dumps({"source": {"path": "a.txt", "sha256": "ab" * 32, "bytes": 1}, **record})
    broken = {**record, "case": {**record["case"], "decision_date": "not a date"}}
    bad = orjson.dumps({"source": {"path": "b.txt", "sha256": "cd" * 32, "bytes": 1}, **broken})
    records = tmp_path / "out.jsonl"
    records.write_bytes(good + b"\n" + bad + b"\n" + b'{"source": {"path": "c.txt"}, "nothing": 1}\n' + b"{cut")
    db = tmp_path / "x.duckdb"
    result = _cli("load", str(records), "--db", str(db))
    assert result.exit_code == 1
    assert f"{records}:2:1: S000 line 2 is not a record of this imrparse's schema" in result.stderr
    assert "(2 more are not either)" in result.stderr
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT source_path FROM letters").fetchall() == [("a.txt",)]
        assert connection.execute("SELECT source_path, line FROM errors").fetchall() == [(str(records), 2)]
    records.write_bytes(good + b"\n")  # fixed: its error row goes
    assert _cli("load", str(records), "--db", str(db)).exit_code == 0
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM errors").fetchone() == (0,)


def test_load_exits_1_when_an_input_failed_0_when_all_loaded_2_on_usage(tmp_path: Path) -> None:
    letter = next(LETTERS.glob("seed_*.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_text("Dear Sir,\n", encoding="utf-8")
    db = tmp_path / "x.duckdb"
    assert _cli("load", str(letter), "--db", str(db)).exit_code == 0
    result = _cli("load", str(letter), str(bad), "--db", str(db))
    assert result.exit_code == 1 and "1 failed" in result.stderr
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT source_path, code FROM errors").fetchall() == [(str(bad), "S101")]
    assert _cli("load", str(bad), "--db", str(db)).exit_code == 1  # still failing: still 1
    foreign = tmp_path / "foreign.duckdb"
    foreign.write_text("not a database", encoding="utf-8")
    assert _cli("load", str(letter), "--db", str(foreign)).exit_code == 2


def test_the_same_letter_twice_in_parquet_tables_is_loaded_once(tmp_path: Path) -> None:
    letter = next(LETTERS.glob("seed_*.txt"))
    for name in ("a.txt", "b.txt"):
        shutil.copy(letter, tmp_path / name)
    assert _cli("parse", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--format", "parquet", "-o", str(tmp_path / "t")).exit_code == 0
    db = tmp_path / "x.duckdb"
    assert _cli("load", str(tmp_path / "t"), "--db", str(db)).exit_code == 0
    single = tmp_path / "single.duckdb"
    assert _cli("load", str(letter), "--db", str(single)).exit_code == 0
    assert _rows(db) == _rows(single)
