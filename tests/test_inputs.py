"""Every input and every caller (issue 16): PDFs wherever a letter is accepted, hostile PDFs,
odd encodings and file names, threads, wrong types; a record or a clear error, never a crash."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, corpus_dir, corpus_files, without_source
from typer.testing import CliRunner

import imrparse
from imrparse.cli.commands import app
from imrparse.errors import extra_hint

runner = CliRunner()


def _pdf() -> Path:
    """The first real letter's PDF (read inside tests: a missing corpus fails them, not collection)."""
    return corpus_files("pdf")[0]


def _pdfium_text() -> Path:
    """pypdfium2's extraction of that PDF, as the corpus ships it."""
    return corpus_dir() / "text" / f"{_pdf().stem}.pdfium.txt"


def make_pdf(contents: list[bytes]) -> bytes:
    """A PDF with one page per content stream (Flate-compressed), Helvetica as /F1."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(contents))),
                                                             len(contents)),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, content in enumerate(contents):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                       b"/Contents %d 0 R >>" % (5 + 2 * i))
        stream = zlib.compress(content, 9)
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def text_page(lines: int, width: int = 1000) -> bytes:
    """A page of `lines` distinct lines of `width` characters (pdfium drops repeated identical text)."""
    return b"BT /F1 1 Tf 1 TL 72 720 Td " + b"".join(b"(%08d%s) '\n" % (i, b"A" * (width - 8)) for i in range(lines)) + b"ET"


IMAGE_PAGE = b"q 200 0 0 200 100 400 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q"


# -- 1. PDFs everywhere -----------------------------------------------------------------------


def test_the_library_reads_pdfs_wherever_it_reads_a_letter() -> None:
    expected = imrparse.parse(_pdfium_text().read_bytes().decode())
    assert without_source(imrparse.parse_file(_pdf())) == expected
    assert imrparse.parse(_pdf().read_bytes()) == expected
    assert expected["case"]["case_number"] == _pdf().stem
    assert imrparse.validate(_pdf().read_bytes()) == imrparse.validate(_pdfium_text().read_bytes().decode()) == []


def test_text_prints_a_pdfs_text_and_debug_reads_pdfs() -> None:
    result = runner.invoke(app, ["text", str(_pdf())])
    assert result.exit_code == 0 and result.stdout_bytes == _pdfium_text().read_bytes()
    for command in (["normalize"], ["tokens"], ["tree", "--format", "json"], ["explain"]):
        result = runner.invoke(app, ["debug", *command, str(_pdf())])
        assert result.exit_code == 0, (command, result.output)
        assert "binary data" not in result.output
    normalized = runner.invoke(app, ["debug", "normalize", str(_pdf())]).stdout
    assert f"    1 | Case Number: {_pdf().stem}" in normalized


def test_pdfs_without_the_extra_are_a_usage_error_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pypdfium2", None)
    with pytest.raises(ImportError, match=re.escape(extra_hint("pdf"))):
        imrparse.parse(_pdf().read_bytes())
    with pytest.raises(ImportError, match=re.escape(extra_hint("pdf"))):
        imrparse.validate(_pdf().read_bytes())
    disguised = tmp_path / "letter.txt"  # found by its content, before the run
    disguised.write_bytes(_pdf().read_bytes())
    for args in (["parse", str(_pdf()), "--workers", "1"], ["parse", str(tmp_path)], ["validate", str(_pdf())],
                 ["debug", "normalize", str(_pdf())], ["text", str(_pdf())]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and result.stdout == "", args
        assert result.stderr == f"imrparse: reading PDFs needs the pdf extra: {extra_hint('pdf')}\n", args


# -- 2. PDF bombs, and helpers that die --------------------------------------------------------


def test_a_pdf_bomb_stops_at_the_size_limit_under_a_memory_cap(tmp_path: Path) -> None:
    """30 million characters from 240 KB, 100,000 a page: extraction stops at --max-bytes."""
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(make_pdf([text_page(100)] * 300))
    out = tmp_path / "out.jsonl"
    cap = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30)); "
           "from imrparse.cli import app; sys.argv[0] = 'imrparse'; app()")
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", cap, "parse", str(bomb), str(_pdf()), "--max-bytes", "1000000", "-o", str(out),
                          "--workers", "1"], capture_output=True, text=True, timeout=120)
    assert time.perf_counter() - started < 20
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
    bombed, letter = (json.loads(line) for line in out.read_text().splitlines())
    assert bombed["error"]["message"] == ("the PDF's text passes the size limit of 1,000,000 characters at page 10 of 300; "
                                          "raise the limit with --max-bytes (max_bytes=) if it really is one letter")
    assert letter["case"]["case_number"] == _pdf().stem


def test_an_input_a_helper_died_on_is_an_error_record_not_parsed_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """As a PDF too large for memory kills its process: re-parsed here, it killed this one too."""
    parent, real_parse = os.getpid(), imrparse.etl.batch.parse

    def parse(text: str, **kwargs: object) -> object:
        if "KILL" in text and os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_parse(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(imrparse.etl.batch, "parse", parse)  # the helpers are forked with it
    inputs = [(f"{i:02d}", "KILL" if i % 8 == 0 else LETTER) for i in range(40)]
    died = "the process parsing this input died: signal 9 (SIGKILL)"
    results = list(imrparse.parse_many(inputs, workers=2))
    assert [r["source"]["path"] for r in results] == [ident for ident, _ in inputs]
    messages = [r["error"]["message"] for r in results if "error" in r]
    assert len(messages) == 5 and died in messages  # the one the helper died on, never parsed by this process
    assert all(m == died or "not an IMR Final Determination Letter" in m for m in messages)
    assert all("error" not in r for r, (_, text) in zip(results, inputs, strict=True) if text == LETTER)
    folder = tmp_path / "in"
    folder.mkdir()
    for ident, text in inputs:
        (folder / f"{ident}.txt").write_text(text)
    result = runner.invoke(app, ["parse", str(folder), "--workers", "2", "-o", str(tmp_path / "out.jsonl")])
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert result.exit_code == 1 and len(records) == 40
    assert died in [r["error"]["message"] for r in records if "error" in r]
    assert f".txt: S000 {died}\n" in result.stderr


# -- 3. PDFs without text -----------------------------------------------------------------------


@pytest.mark.parametrize("pages", [[IMAGE_PAGE, IMAGE_PAGE], [b""]], ids=["image-only", "blank"])
def test_a_pdf_without_text_says_it_needs_ocr_when_ocr_is_off(pages: list[bytes], tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf(pages))
    with pytest.raises(imrparse.InputError) as info:
        imrparse.parse_file(path, ocr="never")
    plural = "s" if len(pages) > 1 else ""
    assert info.value.message == (f"the PDF has no text layer ({len(pages)} page{plural} of images or blank): "
                                  "a scanned letter, which needs OCR before it can be read")
    result = runner.invoke(app, ["parse", str(path), "--ocr", "never"])
    assert result.exit_code == 2 and "no text layer" in result.stderr and "empty" not in result.stderr


# -- 4. threads -----------------------------------------------------------------------------------


def test_eight_threads_on_pdfs_give_the_sequential_results() -> None:
    # In a subprocess: unserialized pdfium calls crash the process (SIGSEGV, heap corruption).
    code = ("import concurrent.futures, json, sys, imrparse; paths = sys.argv[1:]; "
            "pool = concurrent.futures.ThreadPoolExecutor(8); "
            "print(json.dumps([list(pool.map(imrparse.parse_file, paths)), list(pool.map(imrparse.parse, "
            "[open(p, 'rb').read() for p in paths]))]))")
    work = [str(path) for path in corpus_files("pdf")[:16]] * 3
    run = subprocess.run([sys.executable, "-c", code, *work], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    sequential = [imrparse.parse_file(path) for path in work]
    from_files, from_bytes = json.loads(run.stdout)
    assert from_files == sequential and from_bytes == [without_source(record) for record in sequential]


# -- 5. file names that are not UTF-8 --------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_carried_losslessly(tmp_path: Path) -> None:
    import base64

    import duckdb
    import pyarrow.parquet as pq

    folder = tmp_path / "in"
    folder.mkdir()
    odd = os.fsdecode(os.fsencode(folder) + b"/lat\xe9.txt")
    Path(odd).write_text(LETTER)
    (folder / "bad.txt").write_text("not a letter")
    readable, raw = str(folder / "lat\ufffd.txt"), base64.b64encode(os.fsencode(odd)).decode()
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["parse", str(folder), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 1, result.output
    first = json.loads(out.read_text().splitlines()[1])
    assert first["source"]["path"] == readable and first["source"]["path_bytes"] == raw
    assert os.fsdecode(base64.b64decode(first["source"]["path_bytes"])) == odd
    assert json.loads(out.read_text().splitlines()[0])["source"].keys() == {"path", "sha256", "bytes"}  # a UTF-8 name
    report = runner.invoke(app, ["validate", str(folder), "--format", "json"])
    assert report.exit_code == 1 and json.loads(report.stdout)[1]["path_bytes"] == raw
    assert runner.invoke(app, ["parse", str(folder), "--format", "parquet", "-o", str(tmp_path / "tables")]).exit_code == 1
    letters = pq.read_table(tmp_path / "tables" / "letters.parquet").to_pylist()
    assert [(row["source_path"], row["source_path_bytes"]) for row in letters] == [(readable, raw)]
    assert runner.invoke(app, ["load", str(folder), "--db", str(tmp_path / "db.duckdb")]).exit_code == 1  # bad.txt failed
    with duckdb.connect(str(tmp_path / "db.duckdb")) as db:
        assert db.execute("SELECT source_path, source_path_bytes FROM letters").fetchall() == [(readable, raw)]
        assert db.execute("SELECT source_path_bytes FROM errors").fetchall() == [(None,)]
    [error] = imrparse.parse_many([odd.replace(".txt", ".missing")], workers=1)
    assert "cannot be read" in error["error"]["message"] and error["source"]["path"].endswith("lat\ufffd.missing")


# -- 6. unreadable folders; 7. extensions in any case ---------------------------------------------


def lock(monkeypatch: pytest.MonkeyPatch, locked: Path) -> None:
    """`locked` cannot be listed, as with chmod 000 for a user other than root (these tests may run as root)."""
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_folder_is_an_error_record_of_its_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(LETTER)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.txt").write_text(LETTER)
    lock(monkeypatch, locked)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["parse", str(tmp_path), "-o", str(out), "--workers", "1", "--glob", "*.txt"])
    assert result.exit_code == 1
    assert f"{locked}: S000 cannot be read: Permission denied\n" in result.stderr and "1 parsed, 1 failed" in result.stderr
    good, error = (json.loads(line) for line in out.read_text().splitlines())
    assert good["source"]["path"] == str(tmp_path / "good.txt") and "error" not in good
    assert (error["source"]["path"], error["error"]["message"]) == (str(locked), "cannot be read: Permission denied")
    result = runner.invoke(app, ["parse", str(locked), "--workers", "1"])
    assert result.exit_code == 2 and result.stderr.startswith(f"{locked}: S000 cannot be read: Permission denied\n")


def test_extensions_match_in_any_case(tmp_path: Path) -> None:
    (tmp_path / "A.PDF").write_bytes(_pdf().read_bytes())
    (tmp_path / "B.TXT").write_text(LETTER)
    (tmp_path / "c.Txt").write_text(LETTER.replace("CM16-0999002", "CM16-0999003"))
    (tmp_path / "notes.md").write_text("not a letter")
    result = runner.invoke(app, ["parse", str(tmp_path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["source"]["path"]).name for r in records] == ["A.PDF", "B.TXT", "c.Txt"]
    assert [r["case"]["case_number"] for r in records] == [_pdf().stem, "CM16-0999002", "CM16-0999003"]


# -- 8. UTF-16 without a BOM, UTF-32 --------------------------------------------------------------


LETTER = (FIXTURES / "rules" / "D403-duplicate-treatment.pass.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_without_a_bom_and_utf32_are_read(codec: str) -> None:
    letter = LETTER.replace("lifting boxes", "lifting boxes \u201cat the caf\u00e9\u201d")
    assert imrparse.decode(letter.encode(codec)) == letter
    assert imrparse.parse(letter.encode(codec)) == imrparse.parse(letter)


def test_an_unmarked_encoding_that_does_not_decode_is_named() -> None:
    broken = LETTER.encode("utf-16-le")[:-2] + b"\x00\xd8"  # a high surrogate with no low one
    with pytest.raises(imrparse.InputError, match="looks like UTF-16-LE text without a byte-order mark but is not UTF-16-LE"):
        imrparse.decode(broken)
    with pytest.raises(imrparse.InputError, match="binary data: it has a NUL byte at line 1, column 1"):
        imrparse.decode(bytes(4096))  # zeros are not text in any encoding


# -- 9. library callers -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, 123, Path("letter.txt"), ["a letter"]], ids=repr)
def test_wrong_types_are_a_type_error_with_a_sentence(value: object) -> None:
    for function in (imrparse.parse, imrparse.validate):
        with pytest.raises(TypeError, match=f"a letter is its text \\(str\\) or the bytes of a text file or PDF, not "
                                            f"{type(value).__name__}"):
            function(value)  # type: ignore[arg-type]


def test_parse_many_takes_bytes_in_pairs_and_refuses_a_bare_string() -> None:
    [result] = imrparse.parse_many([("my-id", LETTER.encode("utf-16"))], workers=1)
    assert result["source"]["path"] == "my-id" and result["case"] == imrparse.parse(LETTER)["case"]
    [pdf] = imrparse.parse_many([("scan", _pdf().read_bytes())], workers=1)
    assert pdf["case"]["case_number"] == _pdf().stem
    for many in (imrparse.parse_many, imrparse.validate_many):
        with pytest.raises(TypeError, match="not one str: wrap a single input in a list"):
            many("letters/a.txt")  # type: ignore[arg-type]


def test_parse_file_gives_the_source_parse_many_gives(tmp_path: Path) -> None:
    odd = os.fsdecode(os.fsencode(tmp_path) + b"/lat\xe9.txt")  # a name that is not UTF-8: path_bytes too
    Path(odd).write_text(LETTER)
    for path in (str(FIXTURES / "letters" / "seed_000_3ff69cc2fa494158.txt"), _pdf(), odd):
        record = imrparse.parse_file(path)
        [batched] = imrparse.parse_many([path], workers=1)
        assert list(record) == list(batched) and record == batched
        assert record["source"]["path"] == batched["source"]["path"] == os.fsdecode(path).replace("\udce9", "\ufffd")
    assert imrparse.parse_file(odd)["source"]["path_bytes"]


def test_parse_many_and_validate_many_take_a_folder_as_the_command_line_does(tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    (folder / "2016" / "deeper").mkdir(parents=True)
    (folder / "2016" / "A.PDF").write_bytes(_pdf().read_bytes())
    (folder / "2016" / "deeper" / "b.TXT").write_text(LETTER)
    (folder / "c.txt").write_text(LETTER)
    (folder / "notes.md").write_text("not a letter, and not taken")
    empty = tmp_path / "empty"
    empty.mkdir()
    cli = runner.invoke(app, ["parse", str(folder), "--format", "jsonl", "--workers", "1"])
    assert cli.exit_code == 0, cli.output
    walked = [json.loads(line)["source"]["path"] for line in cli.stdout.splitlines()]
    assert [Path(p).name for p in walked] == ["A.PDF", "b.TXT", "c.txt"]
    for inputs in ([str(folder)], [folder], iter([str(folder)])):
        assert [r["source"]["path"] for r in imrparse.parse_many(inputs, workers=1)] == walked
    assert [r["source"]["path"] for r in imrparse.validate_many([folder], workers=2)] == walked
    # a folder with no letter in it is still accounted for: its own error record
    [nothing] = imrparse.parse_many([empty], workers=1)
    assert nothing["source"]["path"] == str(empty) and "directory" in nothing["error"]["message"]


def test_a_lone_surrogate_is_an_error_record_not_the_end_of_the_batch() -> None:
    broken = LETTER.replace("lifting boxes", "lifting \ud800boxes")
    results = list(imrparse.parse_many([("a", LETTER), ("b", broken), ("c", LETTER)], workers=1))
    assert ["error" in r for r in results] == [False, True, False]
    line = LETTER[: LETTER.index("lifting boxes")].count("\n") + 1
    assert results[1]["error"]["message"].startswith(f"the text has a lone surrogate (U+D800) at line {line}, column")
    imrparse.dumps(results[1])  # serializable
    [checked] = imrparse.validate_many([("b", broken)], workers=1)
    assert [f["code"] for f in checked["findings"]] == ["S000"]


# -- 10. tracebacks instead of messages ---------------------------------------------------------------


def _with_a_full_disk(*args: str) -> subprocess.CompletedProcess[str]:
    """The command with files limited to 16 KB: writes fail as on a full disk (EFBIG, not ENOSPC)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process

    return subprocess.run([sys.executable, "-m", "imrparse", *args, "--workers", "2"], capture_output=True, text=True,
                          preexec_fn=limit, timeout=300)


def test_a_full_disk_is_a_message_and_exit_2(tmp_path: Path) -> None:
    letters = str(corpus_dir() / "text")
    for args, target in ((["parse", letters, "-o", str(tmp_path / "out.jsonl")], tmp_path / "out.jsonl"),
                         (["parse", letters, "-o", str(tmp_path / "out.jsonl"), "--resume"], tmp_path / "out.jsonl"),
                         (["parse", letters, "--format", "parquet", "-o", str(tmp_path / "tables")], tmp_path / "tables"),
                         (["load", letters, "--db", str(tmp_path / "db.duckdb")], tmp_path / "db.duckdb")):
        run = _with_a_full_disk(*args, "-q")
        assert run.returncode == 2 and "Traceback" not in run.stderr and "rollback" not in run.stderr, (args, run.stderr[-3000:])
        assert run.stderr.startswith(f"imrparse: cannot write {target}: "), (args, run.stderr)
        assert "File too large" in run.stderr, run.stderr
    assert not list(tmp_path.glob("*.partial"))


def test_usage_errors_are_messages_before_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    letters = str(corpus_dir() / "text")
    for command in (["parse", letters, "-o", str(tmp_path)], ["validate", letters, "-o", str(tmp_path)]):
        started = time.perf_counter()
        result = runner.invoke(app, [*command, "--workers", "1"])
        assert result.exit_code == 2 and result.stderr == f"imrparse: cannot write {tmp_path}: it is a directory\n"
        assert time.perf_counter() - started < 1  # refused before 147 letters are parsed
    for command in ("tree", "tokens"):
        result = runner.invoke(app, ["debug", command, "--rule", "bogus", str(_pdfium_text())])
        said = " ".join(result.output.replace("\u2502", " ").split())  # unboxed
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
        assert "Invalid value for '--rule': 'bogus' is not a start symbol; one of start, header," in said
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = runner.invoke(app, ["parse", letters, "--format", "parquet", "-o", str(tmp_path / "tables")])
    assert result.exit_code == 2 and result.stderr == f"imrparse: Parquet output needs pyarrow: {extra_hint('parquet')}\n"
    assert not (tmp_path / "tables").exists()


# -- must hold: a folder of everything -------------------------------------------------------------------


def hostile_folder(root: Path) -> tuple[Path, list[str]]:
    """A folder with every hostile kind of input, and the paths its records must have."""
    from test_bad_input import SMALL

    folder = root / "everything"
    (folder / "cases").mkdir(parents=True)
    for i, case in enumerate(SMALL):
        (folder / "cases" / f"{i:02d}.txt").write_bytes(case.data)
    (folder / "letter.TXT").write_text(LETTER)
    (folder / "scan.PDF").write_bytes(_pdf().read_bytes())
    (folder / "image-only.pdf").write_bytes(make_pdf([IMAGE_PAGE]))
    (folder / "blank.pdf").write_bytes(make_pdf([b""]))
    (folder / "bomb.pdf").write_bytes(make_pdf([text_page(100)] * 300))
    (folder / "not-a.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4)
    Path(os.fsdecode(os.fsencode(folder) + b"/lat\xe9.txt")).write_text(LETTER)
    (folder / "utf16.txt").write_bytes(LETTER.encode("utf-16-le"))
    (folder / "utf32.txt").write_bytes(LETTER.encode("utf-32"))
    (folder / "locked").mkdir()
    (folder / "locked" / "a.txt").write_text(LETTER)
    (folder / "broken.txt").symlink_to(folder / "missing.txt")
    (folder / "loop-a.txt").symlink_to(folder / "loop-b.txt")
    (folder / "loop-b.txt").symlink_to(folder / "loop-a.txt")
    os.mkfifo(folder / "pipe.txt")  # no writer: opening it waited forever
    (folder / "notes.md").write_text("not a letter, not an input")
    names = ["blank.pdf", "bomb.pdf", "broken.txt", "image-only.pdf", "lat\ufffd.txt", "letter.TXT", "locked", "loop-a.txt",
             "loop-b.txt", "not-a.pdf", "pipe.txt", "scan.PDF", "utf16.txt", "utf32.txt"]
    return folder, sorted([str(folder / name) for name in names] + [str(folder / "cases" / f"{i:02d}.txt") for i in range(len(SMALL))])


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_folder_of_everything_gives_one_record_per_input(tmp_path: Path, workers: str) -> None:
    folder, paths = hostile_folder(tmp_path)
    out, peak = tmp_path / "out.jsonl", tmp_path / "peak-kib"
    # In a fresh process that cannot list `locked` (as for a user other than root) and records its peak memory.
    code = ("import atexit, os, re, sys; real = os.scandir; locked = sys.argv.pop(1); peak = sys.argv.pop(1); "
            "os.scandir = lambda p='.': (_ for _ in ()).throw(PermissionError(13, 'Permission denied', p)) "
            "if os.fspath(p) == locked else real(p); "
            "atexit.register(lambda: open(peak, 'w').write(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])); "
            "from imrparse.cli import app; sys.argv[0] = 'imrparse'; app()")
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", code, str(folder / "locked"), str(peak), "parse", str(folder), "-o", str(out),
                          "--workers", workers, "--max-bytes", "2000000"], capture_output=True, text=True, timeout=120)
    assert time.perf_counter() - started < 30
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr[-3000:]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["source"]["path"] for r in records] == paths  # one record per input, in path order
    by_name = {Path(r["source"]["path"]).name: r for r in records}
    parsed = {name for name, r in by_name.items() if "error" not in r}
    assert {"letter.TXT", "scan.PDF", "lat\ufffd.txt", "utf16.txt", "utf32.txt"} <= parsed
    messages = {name: by_name[name]["error"]["message"] for name in ("bomb.pdf", "image-only.pdf", "blank.pdf", "locked", "pipe.txt")}
    assert messages["bomb.pdf"].startswith("the PDF's text passes the size limit of 2,000,000 characters at page 20 of 300")
    assert "no text layer" in messages["image-only.pdf"] and "no text layer" in messages["blank.pdf"]
    assert messages["locked"] == "cannot be read: Permission denied" and "not a regular file" in messages["pipe.txt"]
    assert by_name["not-a.pdf"]["error"]["message"].startswith("not a readable PDF")
    assert f"{len(parsed)} parsed, {len(records) - len(parsed)} failed" in run.stderr
    assert int(peak.read_text()) < 400 * 1024  # KiB


def test_a_pdf_handed_ahead_gives_its_text_to_the_same_bytes_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The extractor's reply to a PDF handed ahead is the text of a PDF with the same bytes (a
    copy read again), and no other's: a different PDF asked for meanwhile gets its own text."""
    pytest.importorskip("pypdfium2")
    from imrparse.text import pdf

    first, second = sorted((corpus_dir() / "pdf").glob("*.pdf"))[:2]
    texts = {path: (corpus_dir() / "text" / f"{path.stem}.pdfium.txt").read_bytes().decode("utf-8") for path in (first, second)}
    exchanges = []
    exchange = pdf._Extractor._exchange
    monkeypatch.setattr(pdf._Extractor, "_exchange", lambda self, *args: exchanges.append(args) or exchange(self, *args))
    pdf.extract_ahead(first.read_bytes(), 1 << 25)
    assert pdf.extract_text(first.read_bytes(), 1 << 25) == texts[first] and not exchanges  # the reply handed ahead
    pdf.extract_ahead(first.read_bytes(), 1 << 25)
    assert pdf.extract_text(second.read_bytes(), 1 << 25) == texts[second] and len(exchanges) == 1  # not the first's text
    assert pdf.extract_text(first.read_bytes(), 1 << 24) == texts[first] and len(exchanges) == 2  # another size limit
    pdf.extract_ahead(second.read_bytes(), 1 << 25)
    pdf.extract_ahead(first.read_bytes(), 1 << 25)  # the second's reply is kept until the next is handed
    assert pdf.extract_text(second.read_bytes(), 1 << 25) == texts[second] and len(exchanges) == 2
    assert pdf.extract_text(first.read_bytes(), 1 << 25) == texts[first] and len(exchanges) == 2


def test_a_pdf_handed_ahead_to_an_extractor_killed_meanwhile_is_extracted_by_a_new_one() -> None:
    pytest.importorskip("pypdfium2")
    if not hasattr(os, "fork"):
        pytest.skip("the extractor is a forked helper")
    from imrparse.text import pdf

    first, second = sorted((corpus_dir() / "pdf").glob("*.pdf"))[:2]
    pdf.extract_text(first.read_bytes(), 1 << 25)  # the extractor runs
    running = pdf._Extractor._running
    assert running is not None
    os.kill(running.pid, signal.SIGKILL)
    time.sleep(0.2)
    pdf.extract_ahead(second.read_bytes(), 1 << 25)  # its pipe is broken: nothing is handed, nothing raised
    text = (corpus_dir() / "text" / f"{second.stem}.pdfium.txt").read_bytes().decode("utf-8")
    assert pdf.extract_text(second.read_bytes(), 1 << 25) == text
