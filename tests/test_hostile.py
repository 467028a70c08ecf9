"""A hostile or careless input never ends a run, never reaches outside its folder, and never
corrupts an output: one PDF page too large for memory, a killed helper, FIFOs, deep and
symlinked folders, grammars the record builder does not expect, names and cells that would
forge or inject output (the README's "Bad input" and "Guarantees")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, skip_because, without_source

import imrparse

LETTER = (FIXTURES / "rules" / "D403-duplicate-treatment.pass.txt").read_text(encoding="utf-8")
ENV = {**os.environ, "PYTHONPATH": str(FIXTURES.parent)}
IMRPARSE = str(Path(sys.executable).parent / "imrparse")  # the installed console script


def _jsonl(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines()]


def hostile_pdf(chars: int) -> bytes:
    """A one-page PDF of ~chars/300 bytes whose page draws CHARS characters, 20 to a text object."""
    content = zlib.compress(b"BT /F1 1 Tf 0 0 Td " + b"(AAAAAAAAAAAAAAAAAAAA) Tj " * (chars // 20) + b"ET", 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


# What the command may address at most: the unbounded extraction of the hostile page needs ~4.5 GB,
# so without a bound the command dies here (as under the 2.5 GB) instead of taking the machine.
ADDRESS_SPACE = 2 << 30
PEAK_RSS = 500 << 20

_MEASURED = """
import resource, subprocess, sys
limit = int(sys.argv[1])
done = subprocess.run(sys.argv[2:], capture_output=True,
                      preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
sys.stdout.buffer.write(done.stdout)
sys.stderr.buffer.write(done.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, file=sys.stderr)
sys.exit(done.returncode & 0xFF if done.returncode >= 0 else 128 - done.returncode)
"""


def _measured(*command: str) -> tuple[int, bytes, str, int]:
    """Exit status, stdout, stderr and peak RSS (bytes, of the largest process) of COMMAND run
    under an ADDRESS_SPACE limit."""
    done = subprocess.run([sys.executable, "-c", _MEASURED, str(ADDRESS_SPACE), *command], capture_output=True, env=ENV,
                          timeout=300)
    *stderr, peak = done.stderr.decode(errors="replace").rstrip("\n").split("\n")
    return done.returncode, done.stdout, "\n".join(stderr), int(peak)


@pytest.fixture(scope="module")
def oversized_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not sys.platform.startswith("linux"):
        skip_because("bounds pdfium's memory with RLIMIT_AS, which only Linux enforces")
    path = tmp_path_factory.mktemp("hostile") / "huge-page.pdf"
    path.write_bytes(hostile_pdf(30_000_000))
    assert path.stat().st_size < 200_000
    return path


@pytest.mark.parametrize("workers, letters", [(1, 2), (2, 2), (2, 40)], ids=["--workers 1", "a small batch", "helpers"])
def test_a_page_too_large_for_memory_is_an_error_record_and_the_run_goes_on(
        tmp_path: Path, oversized_pdf: Path, workers: int, letters: int) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(letters):
        (folder / f"{i:03d}.txt").write_text(LETTER.replace("CM16-0999002", f"CM16-{i:07d}"), encoding="utf-8")
    (folder / "050-huge-page.pdf").write_bytes(oversized_pdf.read_bytes())
    status, stdout, stderr, peak = _measured(IMRPARSE, "parse", str(folder), "--format", "jsonl", "--workers", str(workers), "-q")
    assert status == 1, stderr
    results = _jsonl(stdout)
    assert len(results) == letters + 1
    failed = [r for r in results if "error" in r]
    assert [r["source"]["path"] for r in failed] == [str(folder / "050-huge-page.pdf")]
    assert "cannot be extracted within 384 MiB of memory" in failed[0]["error"]["message"]
    assert peak <= PEAK_RSS, f"peak RSS {peak >> 20} MB"


def test_parse_file_on_a_page_too_large_for_memory_raises_input_error(oversized_pdf: Path) -> None:
    code = ("import sys, imrparse\n"
            "try:\n    imrparse.parse_file(sys.argv[1])\n"
            "except imrparse.InputError as exc:\n    print(exc.message)\n"
            "print(imrparse.parse(sys.argv[2])['case']['case_number'])\n")
    status, stdout, stderr, peak = _measured(sys.executable, "-c", code, str(oversized_pdf), LETTER)
    assert status == 0, stderr
    message, case_number = stdout.decode().splitlines()
    assert message.startswith("the PDF cannot be extracted within 384 MiB of memory (a letter's needs a few MB): "
                              "its extraction ended with signal")
    assert case_number == "CM16-0999002"
    assert peak <= PEAK_RSS, f"peak RSS {peak >> 20} MB"


def test_the_pdf_after_a_page_too_large_for_memory_is_read(oversized_pdf: Path) -> None:
    """The extractor that died is replaced: the next PDF in the same process is read."""
    from conftest import corpus_dir

    pdfs = sorted((corpus_dir() / "pdf").glob("*.pdf"))
    if not pdfs:
        skip_because("needs the corpus PDFs")
    with pytest.raises(imrparse.InputError, match="cannot be extracted within"):
        imrparse.parse_file(oversized_pdf)
    text = (corpus_dir() / "text" / f"{pdfs[0].stem}.pdfium.txt").read_bytes().decode()
    assert without_source(imrparse.parse_file(pdfs[0])) == imrparse.parse(text)


# -- resumed runs --------------------------------------------------------------------------------


def _cli(*args: str) -> Any:
    """`imrparse ARGS` in this process; never a traceback."""
    from typer.testing import CliRunner

    from imrparse.cli.commands import app

    result = CliRunner().invoke(app, [*args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    return result


def _two_letters(folder: Path) -> list[Path]:
    folder.mkdir()
    good, bad = folder / "good.txt", folder / "bad.txt"
    good.write_text(LETTER, encoding="utf-8")
    bad.write_text("not a letter at all\n", encoding="utf-8")
    return [good, bad]


def test_resume_parses_again_a_letter_whose_helper_was_killed_up_to_a_limit(tmp_path: Path) -> None:
    from imrparse.etl.batch import lost_one_serialized
    from imrparse.etl.results import DIED_LIMIT

    good, _ = _two_letters(tmp_path / "in")
    out = tmp_path / "out.jsonl"
    died = lost_one_serialized(str(good), "signal 9 (SIGKILL)")[0] + b"\n"
    out.write_bytes(died)
    result = _cli("parse", str(tmp_path / "in"), "-o", str(out), "--resume")
    assert result.exit_code == 1  # bad.txt fails
    lines = _jsonl(out.read_bytes())
    assert [("error" in r, Path(r["source"]["path"]).name) for r in lines] == [(True, "good.txt"), (True, "bad.txt"),
                                                                               (False, "good.txt")]
    # An input that killed its process DIED_LIMIT times stays an error record.
    out.write_bytes(died * DIED_LIMIT)
    _cli("parse", str(good), "-o", str(out), "--resume")
    assert out.read_bytes() == died * DIED_LIMIT


def test_a_resume_with_nothing_left_counts_the_earlier_failures_and_exits_1(tmp_path: Path) -> None:
    _two_letters(tmp_path / "in")
    out = tmp_path / "out.jsonl"
    assert _cli("parse", str(tmp_path / "in"), "-o", str(out), "--resume").exit_code == 1
    again = _cli("parse", str(tmp_path / "in"), "-o", str(out), "--resume")
    assert "0 parsed, 0 failed; 2 done before, 1 of them failed" in again.stderr
    assert again.exit_code == 1


# -- --on-error for tables -----------------------------------------------------------------------


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_on_error_fail_leaves_the_previous_tables_and_skip_writes_no_error_rows(tmp_path: Path, fmt: str) -> None:
    import pyarrow.csv
    import pyarrow.parquet

    good, _ = _two_letters(tmp_path / "in")
    tables = tmp_path / "tables"
    assert _cli("parse", str(good), "--format", fmt, "-o", str(tables)).exit_code == 0
    before = _tree(tables)
    failed = _cli("parse", str(tmp_path / "in"), "--format", fmt, "-o", str(tables), "--on-error", "fail", "-q")
    assert failed.exit_code == 1 and "bad.txt" in failed.stderr
    assert _tree(tables) == before
    assert _cli("parse", str(tmp_path / "in"), "--format", fmt, "-o", str(tables), "--on-error", "skip").exit_code == 1
    read = pyarrow.parquet.read_table if fmt == "parquet" else pyarrow.csv.read_csv
    assert read(tables / f"errors.{fmt}").num_rows == 0
    assert read(tables / f"letters.{fmt}").num_rows == 1


# -- nothing blocks, nothing reads without a limit -----------------------------------------------

_WITHOUT_PDF_EXTRA = ("import importlib.util as u, sys; find = u.find_spec; "
                      "u.find_spec = lambda name, *a: None if name == 'pypdfium2' else find(name, *a); "
                      "from imrparse.cli import app; sys.argv[0] = 'imrparse'; app()")


@pytest.mark.parametrize("command", ["parse", "validate", "load"])
def test_a_fifo_is_not_opened_without_the_pdf_extra(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(LETTER, encoding="utf-8")
    os.mkfifo(folder / "b.txt")
    extra = ["--db", str(tmp_path / "x.duckdb")] if command == "load" else []
    done = subprocess.run([sys.executable, "-c", _WITHOUT_PDF_EXTRA, command, str(folder), "-q", *extra], capture_output=True,
                          env=ENV, timeout=60)
    assert done.returncode in (0, 1, 2) and b"Traceback" not in done.stderr, done.stderr
    if command == "parse":
        [_, fifo] = _jsonl(done.stdout)
        assert "is not a regular file" in fifo["error"]["message"]


@pytest.mark.parametrize("command", [["text"], ["debug", "show"], ["debug", "explain"], ["debug", "tree"]])
def test_every_command_refuses_a_device_and_honours_max_bytes(tmp_path: Path, command: list[str]) -> None:
    if not os.path.exists("/dev/zero"):
        skip_because("needs /dev/zero")
    refused = _cli(*command, "/dev/zero")
    assert refused.exit_code == 2 and "/dev/zero: is not a regular file" in refused.stderr
    letter = tmp_path / "a.txt"
    letter.write_text(LETTER, encoding="utf-8")
    large = _cli(*command, str(letter), "--max-bytes", "100")
    assert large.exit_code == 2 and "is larger than the size limit of 100 bytes" in large.stderr


def test_a_stream_of_zeros_is_read_only_up_to_max_bytes() -> None:
    with open("/dev/zero", "rb") as zeros:
        done = subprocess.run([IMRPARSE, "text", "-", "--max-bytes", "1000"], stdin=zeros, capture_output=True, env=ENV, timeout=60)
    assert done.returncode == 2 and b"<stdin>: is larger than the size limit of 1,000 bytes" in done.stderr


def test_parse_file_refuses_a_fifo_and_a_device(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(imrparse.InputError, match=r"pipe\.txt is not a regular file"):
        imrparse.parse_file(tmp_path / "pipe.txt")
    with pytest.raises(imrparse.InputError, match=r"/dev/zero is not a regular file"):
        imrparse.parse_file("/dev/zero")
    (tmp_path / "a.txt").write_text(LETTER, encoding="utf-8")
    with pytest.raises(imrparse.InputError, match=r"a\.txt is larger than the size limit of 100 bytes"):
        imrparse.parse_file(tmp_path / "a.txt", max_bytes=100)


# -- folders: deep, linked ----------------------------------------------------------------------


def test_a_folder_nested_1100_deep_is_walked(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["d"] * 1100)
    fd = os.open(tmp_path, os.O_RDONLY)
    for _ in range(1100):  # one level at a time: Path.mkdir(parents=True) recurses too
        os.mkdir("d", dir_fd=fd)
        fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(parent)
    with open(os.open("a.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w", encoding="utf-8") as stream:
        stream.write(LETTER)
    os.close(fd)
    (tmp_path / "b.txt").write_text(LETTER.replace("CM16-0999002", "CM16-0999003"), encoding="utf-8")
    try:
        result = _cli("parse", str(tmp_path), "--format", "jsonl")
        assert result.exit_code == 0, result.stderr
        assert [r["source"]["path"] for r in _jsonl(result.stdout_bytes)] == [str(tmp_path / "b.txt"), str(deep / "a.txt")]
    finally:  # pytest's own removal of tmp_path recurses
        fds = [os.open(tmp_path, os.O_RDONLY)]
        for _ in range(1100):
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        os.unlink("a.txt", dir_fd=fds[-1])
        while len(fds) > 1:
            os.close(fds.pop())
            os.rmdir("d", dir_fd=fds[-1])
        os.close(fds[0])


def _linked_folders(tmp_path: Path) -> tuple[Path, Path]:
    """in/ with a letter, a link to a folder outside it, a link to a file outside it (a secret),
    a link to a folder inside it, and a link loop."""
    outside = tmp_path / "letters"
    outside.mkdir()
    for i in range(3):
        (outside / f"{i}.txt").write_text(LETTER.replace("CM16-0999002", f"CM16-000000{i}"), encoding="utf-8")
    (tmp_path / "shadow.txt").write_text("SECRET:*:19000:0:99999:7:::\n", encoding="utf-8")
    top = tmp_path / "in"
    (top / "sub").mkdir(parents=True)
    (top / "sub" / "a.txt").write_text(LETTER, encoding="utf-8")
    (top / "2017").symlink_to(outside)
    (top / "secret.txt").symlink_to(tmp_path / "shadow.txt")
    (top / "again").symlink_to(top / "sub")
    (top / "sub" / "loop").symlink_to(top)
    return top, outside


def test_links_out_of_the_folder_are_error_records_that_quote_nothing(tmp_path: Path) -> None:
    top, _ = _linked_folders(tmp_path)
    result = _cli("parse", str(top), "--format", "jsonl")
    assert result.exit_code == 1
    results = {Path(r["source"]["path"]).relative_to(top).as_posix(): r for r in _jsonl(result.stdout_bytes)}
    assert sorted(results) == ["2017", "again/a.txt", "secret.txt"]  # sub/ walked once, through the first link to it
    assert "error" not in results["again/a.txt"]
    assert results["2017"]["error"]["message"] == (f"is a link to a folder outside {top}, so it is not read; give "
                                                   "--follow-links to read what it leads to")
    assert results["secret.txt"]["error"]["message"].startswith("is a link to a file outside")
    assert "SECRET" not in result.stdout and "SECRET" not in result.stderr


def test_follow_links_reads_what_links_lead_to_once(tmp_path: Path) -> None:
    top, _ = _linked_folders(tmp_path)
    result = _cli("parse", str(top), "--format", "jsonl", "--follow-links", "-q")
    names = sorted(Path(r["source"]["path"]).relative_to(top).as_posix() for r in _jsonl(result.stdout_bytes))
    assert names == ["2017/0.txt", "2017/1.txt", "2017/2.txt", "again/a.txt", "secret.txt"]


# -- a grammar the record builder does not expect ------------------------------------------------


def test_a_record_builder_failure_is_an_error_record_naming_the_rule(tmp_path: Path) -> None:
    from imrparse.grammar.loader import default_grammar_path

    shipped = default_grammar_path().read_text(encoding="utf-8")
    edited = shipped.replace("item: title ca_guideline reviewer_guideline rationale\n",
                             "item: title ca_guideline reviewer_guideline rationale?\n")
    assert edited != shipped
    grammar = tmp_path / "optional-rationale.lark"
    grammar.write_text(edited, encoding="utf-8")
    start = LETTER.index("Decision rationale:")
    without_rationale = LETTER[:start] + LETTER[LETTER.index("\n", LETTER.index("not medically necessary.", start)) + 1:]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(LETTER, encoding="utf-8")
    (folder / "b.txt").write_text(without_rationale, encoding="utf-8")
    result = _cli("parse", str(folder), "--format", "jsonl", "--grammar", str(grammar))
    assert result.exit_code == 1
    good, failed = _jsonl(result.stdout_bytes)
    assert "error" not in good
    assert failed["error"]["message"].startswith("the record builder cannot read the grammar rule 'item': ValueError")
    with pytest.raises(imrparse.ParseError, match="the grammar rule 'item'"):
        imrparse.parse(without_rationale, grammar=grammar)


# -- DuckDB: error rows, --replace, other tools' tables ------------------------------------------


def _rows(db: Path, query: str) -> list[Any]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(query).fetchall()


def test_an_error_row_is_replaced_only_by_a_result_for_the_same_file_or_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "x.duckdb"
    for folder, text, status in (("a", "not a letter\n", 1), ("b", LETTER, 0)):  # 1: an input failed
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.txt").write_text(text, encoding="utf-8")
        monkeypatch.chdir(tmp_path / folder)
        assert _cli("load", "x.txt", "--db", str(db), "--workers", "1").exit_code == status
    assert _rows(db, "SELECT source_path, code FROM errors") == [("x.txt", "S101")]  # a's x.txt still failed
    # Fixed in place, a's x.txt replaces its error row.
    (tmp_path / "a" / "x.txt").write_text(LETTER.replace("CM16-0999002", "CM16-0999009"), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "a")
    assert _cli("load", "x.txt", "--db", str(db), "--workers", "1").exit_code == 0
    assert _rows(db, "SELECT count(*) FROM errors") == [(0,)]
    # Two different inputs on standard input are two inputs.
    from typer.testing import CliRunner

    from imrparse.cli.commands import app

    for text in ("first\n", "second\n"):
        assert CliRunner().invoke(app, ["load", "-", "--db", str(db)], input=text).exit_code == 1
    assert _rows(db, "SELECT source_path, message LIKE '%found ''first''%' FROM errors ORDER BY 2") == [
        ("<stdin>", False), ("<stdin>", True)]


def test_load_replace_keeps_every_tables_count(tmp_path: Path) -> None:
    from imrparse.etl.tables import TABLES

    db = tmp_path / "x.duckdb"
    letters = FIXTURES / "letters"
    counts = []
    for extra in ([], ["--replace"], ["--replace"]):
        assert _cli("load", str(letters), "--db", str(db), "--workers", "1", *extra).exit_code == 0
        counts.append({name: _rows(db, f"SELECT count(*) FROM {name}")[0][0] for name in TABLES})
    assert counts[0]["diagnoses"] > 0
    assert counts[0] == counts[1] == counts[2]


def test_load_leaves_another_tools_database_untouched(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "other.duckdb"
    with duckdb.connect(str(db)) as connection:
        connection.execute("CREATE TABLE letters (case_number VARCHAR)")
        connection.execute("CREATE TABLE errors (message VARCHAR, line INTEGER)")
        connection.execute("INSERT INTO letters VALUES ('theirs')")
    before = db.read_bytes()
    (tmp_path / "a.txt").write_text(LETTER, encoding="utf-8")
    result = _cli("load", str(tmp_path / "a.txt"), "--db", str(db))
    assert result.exit_code == 2
    assert f"{db} has a table letters that imrparse did not make (no imrparse_meta marker" in result.stderr
    assert db.read_bytes() == before


def test_summary_refuses_tables_with_imrparses_names_and_other_types(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    (tmp_path / "a.txt").write_text(LETTER, encoding="utf-8")
    assert _cli("load", str(tmp_path / "a.txt"), "--db", str(db)).exit_code == 0
    import duckdb

    with duckdb.connect(str(db)) as connection:
        connection.execute("ALTER TABLE letters ALTER decision_date TYPE VARCHAR")
        connection.execute("UPDATE letters SET decision_date = 'soon'")
    result = _cli("summary", str(db))
    assert result.exit_code == 2
    assert "has a table letters whose columns have other types than imrparse's (decision_date VARCHAR" in result.stderr


# -- output injection ----------------------------------------------------------------------------

FORGED = "x\nFAKE.txt:9:9: S000 forged finding\n.txt"


def test_a_name_with_newlines_forges_no_line(tmp_path: Path) -> None:
    (tmp_path / FORGED).write_text("not a letter\n", encoding="utf-8")
    parsed = _cli("parse", str(tmp_path), "--format", "jsonl")
    concise = _cli("validate", str(tmp_path), "--format", "concise")
    text = _cli("validate", str(tmp_path))
    for output in (parsed.stderr, concise.stdout, text.stdout):
        assert not any(line.startswith("FAKE.txt") for line in output.splitlines()), output
        assert "x\\nFAKE.txt:9:9: S000 forged finding\\n.txt:1:1: S101" in output


def test_junit_is_xml_whatever_the_names_and_the_text_show(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    (tmp_path / "a\x01b.txt").write_text("not a \x02letter\n", encoding="utf-8")
    result = _cli("validate", str(tmp_path), "--format", "junit")
    case = ET.fromstring(result.stdout).find("testsuite/testcase")
    assert case is not None and case.get("name") == f"{tmp_path}/a\\x01b.txt"


def test_text_output_shows_a_letters_escape_sequences_as_escapes(tmp_path: Path) -> None:
    letter = tmp_path / "a.txt"
    letter.write_text("\x1b[2J\x1b]0;owned\x07 not a letter\n", encoding="utf-8")
    result = _cli("validate", str(letter))
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "    \\x1b[2J\\x1b]0;owned\\x07 not a letter\n    ^" in result.stdout
    tokens = _cli("debug", "tokens", str(letter))
    assert "\x1b" not in tokens.stdout + tokens.stderr


def test_csv_cells_that_would_run_as_formulas_are_defused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    monkeypatch.chdir(tmp_path)
    Path("=HYPERLINK(1).txt").write_text(LETTER, encoding="utf-8")
    Path("+bad.txt").write_text("@SUM(1)\n", encoding="utf-8")
    assert _cli("parse", "=HYPERLINK(1).txt", "+bad.txt", "--format", "csv", "-o", "tables").exit_code == 1
    with open("tables/letters.csv", newline="", encoding="utf-8") as stream:
        [letter] = list(csv.DictReader(stream))
    with open("tables/errors.csv", newline="", encoding="utf-8") as stream:
        errors = {row["source_path"]: row for row in csv.DictReader(stream)}
    assert letter["source_path"] == "'=HYPERLINK(1).txt"
    assert letter["case_number"] == "CM16-0999002"  # other cells as they were
    assert errors["'+bad.txt"]["message"].endswith("found '@SUM(1)'")


# -- debug views: guarded like every output, bounded ---------------------------------------------


@pytest.mark.parametrize("command", [["debug", "show", "--html"], ["debug", "tree", "--svg"]])
def test_a_debug_view_never_overwrites_the_letter_and_is_written_whole(tmp_path: Path, command: list[str]) -> None:
    letter = tmp_path / "a.txt"
    letter.write_text(LETTER, encoding="utf-8")
    refused = _cli(*command, str(letter), str(letter))
    assert refused.exit_code == 2 and "is also an input" in refused.stderr
    assert letter.read_text(encoding="utf-8") == LETTER
    directory = _cli(*command, str(tmp_path), str(letter))
    assert directory.exit_code == 2 and f"cannot write {tmp_path}: it is a directory" in directory.stderr
    if os.path.exists("/dev/full"):
        full = _cli(*command, "/dev/full", str(letter))
        assert full.exit_code == 2 and "cannot write /dev/full: No space left on device" in full.stderr
    view = tmp_path / "view"
    assert _cli(*command, str(view), str(letter)).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "view"]  # no temporary file or lock left


def test_the_outline_svg_is_xml_whatever_a_title_holds(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    letter = tmp_path / "a.txt"
    letter.write_text(LETTER.replace("MRI of the lumbar spine", "MRI of the \x01lumbar spine"), encoding="utf-8")
    svg = tmp_path / "outline.svg"
    assert _cli("debug", "tree", str(letter), "--svg", str(svg)).exit_code == 0
    assert "lumbar" in ET.tostring(ET.parse(svg).getroot(), encoding="unicode")


def test_debug_show_refuses_a_text_past_its_limit(tmp_path: Path) -> None:
    from imrparse.cli.commands import SHOW_MAX_CHARS

    huge = tmp_path / "huge.txt"
    huge.write_text(LETTER + "x" * SHOW_MAX_CHARS, encoding="utf-8")
    result = _cli("debug", "show", str(huge), "--html", str(tmp_path / "view.html"))
    assert result.exit_code == 2 and "debug show draws a letter of up to 1,000,000" in result.stderr
    assert not (tmp_path / "view.html").exists()


def test_only_the_literal_dash_is_a_stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from imrparse.cli.commands import app

    monkeypatch.chdir(tmp_path)
    Path("-").write_text(LETTER, encoding="utf-8")
    read = CliRunner().invoke(app, ["parse", "./-"], input="not a letter\n")
    assert read.exit_code == 0 and json.loads(read.stdout)["source"]["path"] == "./-"
    Path("a.txt").write_text(LETTER, encoding="utf-8")
    written = _cli("parse", "a.txt", "-o", "./-")
    assert written.exit_code == 0 and written.stdout == ""
    assert json.loads(Path("-").read_bytes())["source"]["path"] == "a.txt"


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_parse_many_yields_every_result_made_before_the_inputs_raise(workers: int) -> None:
    def inputs() -> Any:
        for i in range(100):
            yield LETTER.replace("CM16-0999002", f"CM16-{i:07d}").encode()
        raise OSError("the source of inputs failed")

    results = []
    with pytest.raises(OSError, match="the source of inputs failed"):
        for result in imrparse.parse_many(inputs(), workers=workers):
            results.append(result)
    assert [r["case"]["case_number"] for r in results] == [f"CM16-{i:07d}" for i in range(100)]


# -- signals and names ---------------------------------------------------------------------------


def test_sighup_leaves_the_previous_output_and_nothing_beside_it(tmp_path: Path) -> None:
    import signal
    import time

    letter = tmp_path / "a.txt"
    letter.write_text(LETTER, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"previous\n")
    run = subprocess.Popen([IMRPARSE, "parse", *[str(letter)] * 20000, "-o", str(out), "--workers", "1", "-q"],
                           stderr=subprocess.DEVNULL, env=ENV)
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".out.jsonl.*.partial")) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    run.send_signal(signal.SIGHUP)
    assert run.wait(timeout=30) == 128 + signal.SIGHUP
    assert out.read_bytes() == b"previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "out.jsonl"]


@pytest.mark.parametrize("length", [237, 238, 250, 255])
def test_an_output_name_of_up_to_255_bytes_is_written(tmp_path: Path, length: int) -> None:
    letter = tmp_path / "a.txt"
    letter.write_text(LETTER, encoding="utf-8")
    out = tmp_path / ("o" * (length - 6) + ".jsonl")
    for _ in range(2):  # created, then replaced
        result = _cli("parse", str(letter), "-o", str(out))
        assert result.exit_code == 0, result.stderr
    assert _cli("parse", str(letter), "-o", str(out), "--resume").exit_code == 0
    tables = tmp_path / ("t" * length)
    assert _cli("parse", str(letter), "--format", "parquet", "-o", str(tables)).exit_code == 0
    assert _cli("parse", str(letter), "--format", "parquet", "-o", str(tables)).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.txt", out.name, tables.name])


_INTERRUPTED_WHILE_IMPORTING = """
import os, signal, sys

class Interrupt:  # Ctrl-C at the moment the command line imports its parser (lark)
    def find_spec(self, name, path=None, target=None):
        if name == "lark":
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, Interrupt())
from imrparse.cli import main
sys.argv[0] = "imrparse"
main()
"""


def test_ctrl_c_while_the_command_line_is_imported_prints_no_traceback(tmp_path: Path) -> None:
    letter = tmp_path / "a.txt"
    letter.write_text(LETTER, encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", _INTERRUPTED_WHILE_IMPORTING, "parse", str(letter)], capture_output=True,
                         env=ENV, timeout=60)
    assert b"Traceback" not in run.stderr, run.stderr.decode()
    assert run.returncode == 130 and run.stdout == b""


def test_a_letter_whose_helper_was_killed_is_parsed_by_the_next_resume(tmp_path: Path) -> None:
    """The helpers are killed while the first one parses a letter that takes it seconds: that
    letter's record says its process died, and the next resume parses it."""
    import signal
    import time

    if not os.path.isdir("/proc"):
        skip_because("finds the helper processes in /proc")
    folder = tmp_path / "in"
    folder.mkdir()
    slow = folder / "000-slow.txt"
    start = LETTER.index("MRI of the lumbar spine without contrast: Upheld")
    slow.write_text(LETTER[:start] + LETTER[start:] * 12_000, encoding="utf-8")  # 24,000 items, ~14 MB: seconds to parse
    for i in range(1, 41):
        (folder / f"{i:03d}.txt").write_text(LETTER.replace("CM16-0999002", f"CM16-{i:07d}"), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run = subprocess.Popen([IMRPARSE, "parse", str(folder), "-o", str(out), "--resume", "--workers", "3", "-q"],
                           stderr=subprocess.DEVNULL, env=ENV)
    deadline = time.monotonic() + 60
    helpers: list[int] = []
    while len(helpers) < 2 and time.monotonic() < deadline:
        helpers = [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and _parent(int(entry)) == run.pid]
        time.sleep(0.02)
    time.sleep(0.5)  # the first helper is well into the slow letter
    for helper in helpers:
        os.kill(helper, signal.SIGKILL)
    assert run.wait(timeout=120) == 1
    died = {r["source"]["path"]: r for r in _jsonl(out.read_bytes()) if "error" in r}
    assert str(slow) in died
    assert all(r["error"]["message"] == "the process parsing this input died: signal 9 (SIGKILL)" for r in died.values())
    resumed = _cli("parse", str(folder), "-o", str(out), "--resume", "--workers", "1")
    assert resumed.exit_code == 0, resumed.stderr
    parsed = {r["source"]["path"] for r in _jsonl(out.read_bytes()) if "error" not in r}
    assert len(parsed) == 41 and set(died) <= parsed


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return None


def test_imrparse_text_on_a_terminal_shows_escape_sequences_as_escapes(tmp_path: Path) -> None:
    import pty

    letter = tmp_path / "a.txt"
    letter.write_bytes(b"line one\r\n\x1b[2Jline\ttwo\n")
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([IMRPARSE, "text", str(letter)], stdout=follower, stderr=subprocess.PIPE, env=ENV, timeout=60)
        os.close(follower)
        shown = b""
        while chunk := _read_pty(leader):
            shown += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in shown and b"\\x1b[2Jline\ttwo" in shown
    piped = subprocess.run([IMRPARSE, "text", str(letter)], capture_output=True, env=ENV, timeout=60)
    assert piped.stdout == letter.read_bytes()  # a file or pipe gets the text exactly, for its lines and columns


def _read_pty(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the writer is gone
        return b""


def test_pdfs_handed_ahead_around_one_too_large_for_memory_are_read(tmp_path: Path, oversized_pdf: Path) -> None:
    """--workers 1 hands each PDF to the extractor before it parses the one before: the extractor
    that dies on the oversized page while the letter before is parsed is replaced, and only that
    PDF fails."""
    from conftest import corpus_dir

    pdfs = sorted((corpus_dir() / "pdf").glob("*.pdf"))[:3]
    if not pdfs:
        skip_because("needs the corpus PDFs")
    folder = tmp_path / "in"
    folder.mkdir()
    for i, pdf in enumerate(pdfs):
        (folder / f"{i:03d}.pdf").write_bytes(pdf.read_bytes())
    (folder / "001-huge-page.pdf").write_bytes(oversized_pdf.read_bytes())
    status, stdout, stderr, peak = _measured(IMRPARSE, "parse", str(folder), "--format", "jsonl", "--workers", "1", "-q")
    assert status == 1, stderr
    results = _jsonl(stdout)
    assert [Path(r["source"]["path"]).name for r in results] == ["000.pdf", "001-huge-page.pdf", "001.pdf", "002.pdf"]
    assert "cannot be extracted within 384 MiB of memory" in results[1]["error"]["message"]
    for result, pdf in zip([results[0], *results[2:]], pdfs, strict=True):
        text = (corpus_dir() / "text" / f"{pdf.stem}.pdfium.txt").read_bytes().decode("utf-8")
        assert without_source(result) == json.loads(json.dumps(imrparse.parse(text)))
    assert peak <= PEAK_RSS, f"peak RSS {peak >> 20} MB"
