"""The conventions of issue 18: what a user of ruff, pytest or DuckDB expects of a command line
(test names carry the item numbers)."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES
from typer.testing import CliRunner

import imrparse
from imrparse.cli.commands import app
from imrparse.errors import extra_hint
from imrparse.grammar.loader import default_grammar_path

runner = CliRunner()
RULES_DIR = FIXTURES / "rules"


def test_version_is_printed_and_exported() -> None:
    assert imrparse.__version__ and imrparse.__version__[0].isdigit()
    for flag in ("--version", "-V"):
        result = runner.invoke(app, [flag])
        assert result.exit_code == 0
        assert result.stdout == f"imrparse {imrparse.__version__}\n"
    done = subprocess.run([sys.executable, "-m", "imrparse", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"imrparse {imrparse.__version__}"
    from importlib.metadata import version

    assert version("imrparse") == imrparse.__version__  # one version: pyproject.toml reads __init__.py's


def test_shell_completion_is_offered() -> None:
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout
    imrparse_ = [sys.executable, "-m", "imrparse"]
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = subprocess.run([*imrparse_, "--show-completion", "bash"], env=env, capture_output=True, text=True, check=True)
    assert "_IMRPARSE_COMPLETE=complete_bash" in script.stdout
    env = {**os.environ, "_IMRPARSE_COMPLETE": "complete_bash", "COMP_WORDS": "imrparse va", "COMP_CWORD": "1"}
    completed = subprocess.run(imrparse_, env=env, capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["validate"]


D402 = RULES_DIR / "D402-outcome-contradicts-rationale.fail.txt"
S102 = RULES_DIR / "S102-missing-paragraph.fail.txt"


def test_validate_jsonl_streams_one_finding_per_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    result = runner.invoke(app, ["validate", "--format", "jsonl", str(D402), str(RULES_DIR / "D402-outcome-contradicts-rationale.pass.txt"),
                                 str(missing)])
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(f["path"], f["code"], f["line"]) for f in lines] == [(str(D402), "D402", 32), (str(missing), "S000", None)]
    assert set(lines[0]) == {"path", "code", "severity", "message", "line", "column"}


def test_validate_concise_is_one_line_per_finding_without_the_snippet() -> None:
    result = runner.invoke(app, ["validate", "--format", "concise", str(D402), str(S102)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{D402}:32:1: D402 'MRI of the lumbar spine without contrast' is Upheld, but its rationale concludes that it is "
        "medically necessary: 'Therefore, the request is medically necessary.'",
        f"{S102}:30:1: S102 item 'MRI of the lumbar spine without contrast' (line 25) has no 'Decision rationale:' paragraph "
        "before the next item, 'Physical therapy, 8 sessions for the lumbar spine' at line 30",
    ]


def test_parse_failure_lines_carry_the_rule_code(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    result = runner.invoke(app, ["parse", str(S102), str(missing)])
    assert result.exit_code == 1
    assert f"{S102}:30:1: S102 item 'MRI of the lumbar spine without contrast'" in result.stderr
    assert f"{missing}: S000 cannot be read: No such file or directory" in result.stderr


LETTER = FIXTURES / "letters" / "seed_002_c9bea6becccd0840.txt"


def test_every_command_that_reads_a_letter_reads_standard_input_as_dash() -> None:
    letter = LETTER.read_bytes()
    for command in (["text"], ["debug", "normalize"], ["debug", "tokens"], ["debug", "tree"], ["debug", "explain"],
                    ["debug", "wording"], ["debug", "show"]):
        result = runner.invoke(app, [*command, "-"], input=letter)
        assert result.exit_code == 0, (command, result.output)
        assert "cannot be read" not in result.output
    assert runner.invoke(app, ["text", "-"], input=letter).stdout == LETTER.read_text()
    assert "PLATELET RICH PLASMA" in runner.invoke(app, ["debug", "wording", "-"], input=letter).stdout


def test_standard_input_has_one_label_everywhere() -> None:
    broken = S102.read_bytes()
    parsed = runner.invoke(app, ["parse", "-"], input=LETTER.read_bytes())
    assert json.loads(parsed.stdout)["source"]["path"] == "<stdin>"
    failed = runner.invoke(app, ["parse", "-"], input=broken)
    assert failed.stderr.startswith("<stdin>:30:1: S102 ") and json.loads(failed.stdout)["source"]["path"] == "<stdin>"
    assert runner.invoke(app, ["validate", "--format", "concise", "-"], input=broken).stdout.startswith("<stdin>:30:1: S102 ")
    assert runner.invoke(app, ["debug", "show", "-"], input=broken).stdout.startswith("imrparse debug show: <stdin>")
    assert runner.invoke(app, ["debug", "explain", "-"], input=b"PK\x03\x04 zipped\x00").stderr.startswith("<stdin>: ")


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run `imrparse ARGS` with a terminal as standard input; a command that waits for it is ended."""
    terminal, stdin = pty.openpty()
    run = subprocess.Popen([sys.executable, "-m", "imrparse", *args], stdin=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    os.close(stdin)
    try:
        _, stderr = run.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.write(terminal, b"\x04")
        _, stderr = run.communicate(timeout=20)
    finally:
        os.close(terminal)
    return run.returncode, stderr


def test_no_paths_on_a_terminal_prints_the_usage_and_exits_2(tmp_path: Path) -> None:
    for command in (["parse"], ["validate"], ["load", "--db", str(tmp_path / "x.duckdb")]):
        status, stderr = _on_a_terminal(*command)
        assert status == 2 and f"Usage: imrparse {command[0]}" in stderr and "standard input is a terminal" in stderr, stderr


def test_glob_takes_commas_like_select(tmp_path: Path) -> None:
    for name in ("a.txt", "b.text", "c.md"):
        (tmp_path / name).write_bytes(LETTER.read_bytes())
    for command in ("parse", "validate"):
        result = runner.invoke(app, [command, str(tmp_path), "--glob", "*.txt, *.text", "-o", os.devnull])
        assert result.exit_code == 0, result.output
        assert result.stderr.startswith("imrparse: 2 ")
    result = runner.invoke(app, ["load", str(tmp_path), "--glob", "*.txt,*.text", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 0 and "2 inputs" in result.stderr


def test_a_format_that_is_not_a_choice_is_a_usage_error() -> None:
    for command in (["debug", "tokens"], ["debug", "tree"], ["debug", "wording"]):
        result = runner.invoke(app, [*command, str(LETTER), "--format", "xml"])
        assert result.exit_code == 2 and "'xml' is not one of 'text', 'json'" in result.stderr, (command, result.output)


def test_pretty_is_never_ignored(tmp_path: Path) -> None:
    two = [str(LETTER), str(S102)]
    result = runner.invoke(app, ["parse", *two, "--pretty"])  # several letters: an indented JSON array
    assert result.stdout.startswith("[{\n  ") and len(json.loads(result.stdout)) == 2
    for options in (["--format", "jsonl"], ["--format", "parquet", "-o", str(tmp_path / "t")],
                    ["--resume", "-o", str(tmp_path / "r.jsonl")]):
        result = runner.invoke(app, ["parse", *two, "--pretty", *options])
        assert result.exit_code == 2 and "--pretty indents JSON" in result.stderr, options


def test_no_rate_in_the_summary_when_it_means_nothing(tmp_path: Path) -> None:
    assert runner.invoke(app, ["parse", str(tmp_path / "missing.txt")]).stderr.endswith("imrparse: 0 parsed, 1 failed\n")
    assert runner.invoke(app, ["parse", str(LETTER)]).stderr == "imrparse: 1 parsed, 0 failed\n"
    assert runner.invoke(app, ["parse", str(LETTER), str(LETTER)]).stderr.endswith(" letters/s\n")


SHIFT_REDUCE = ("summary_text: NARRATIVE_TEXT+", "summary_text: NARRATIVE_TEXT+ | NARRATIVE_TEXT NARRATIVE_TEXT")


def _grammar(tmp_path: Path, name: str, old: str, new: str, extra: str = "") -> tuple[Path, str]:
    shipped = default_grammar_path().read_text()
    assert old in shipped
    path = tmp_path / name
    path.write_text(shipped.replace(old, new) + extra)
    return path, path.read_text()


def _line(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def test_grammar_check_reports_conflicts_in_plain_words_at_their_lines(tmp_path: Path) -> None:
    path, text = _grammar(tmp_path, "sr.lark", *SHIFT_REDUCE)
    result = runner.invoke(app, ["grammar", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{_line(text, 'summary_text:')}: error: conflict in summary_text: after reading 'NARRATIVE_TEXT'" in result.stderr
    path, text = _grammar(tmp_path, "rr.lark", "summary_text: NARRATIVE_TEXT+",
                          "summary_text: a_text | b_text\na_text: NARRATIVE_TEXT\nb_text: NARRATIVE_TEXT")
    result = runner.invoke(app, ["grammar", "check", str(path)])
    assert result.exit_code == 1 and "Reduce/Reduce collision in Terminal(" not in result.output
    assert (f"{path}:{_line(text, 'a_text:')}: error: conflict between a_text (line {_line(text, 'a_text:')}) and b_text "
            f"(line {_line(text, 'b_text:')})") in result.stderr
    path, text = _grammar(tmp_path, "col.lark", "?header_value: CASE_NUMBER | DATE", "?header_value: CASE_NUMBER | CASE_NUMBER2 | DATE",
                          "\nCASE_NUMBER2.55: /CM[0-9]+-[0-9]+/\n")
    result = runner.invoke(app, ["grammar", "check", str(path)])
    assert result.exit_code == 1
    assert (f"{path}:{_line(text, 'CASE_NUMBER2')}: error: the terminals CASE_NUMBER2 (line {_line(text, 'CASE_NUMBER2')}) and "
            f"CASE_NUMBER (line {_line(text, 'CASE_NUMBER.')}) can match the same text") in result.stderr


def test_grammar_check_warns_about_unused_rules_and_terminals(tmp_path: Path) -> None:
    path, text = _grammar(tmp_path, "unused.lark", "", "", '\nunused_rule: CASE_NUMBER\nUNUSED_T.3: "zzzq"\n')
    result = runner.invoke(app, ["grammar", "check", str(path)])
    assert result.exit_code == 0 and "OK, no conflicts or terminal collisions" in result.stdout and "2 warnings" in result.stdout
    assert f"{path}:{_line(text, 'unused_rule')}: warning: the rule unused_rule is never used" in result.stderr
    assert f"{path}:{_line(text, 'UNUSED_T')}: warning: the terminal UNUSED_T is never used" in result.stderr
    assert runner.invoke(app, ["grammar", "check"]).stderr == ""  # the shipped grammar uses everything it defines


def test_grammar_check_without_interegular_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import lark.lexer

    monkeypatch.setattr(lark.lexer, "has_interegular", False)  # as on `pip install imrparse`
    result = runner.invoke(app, ["grammar", "check"])
    assert result.exit_code == 2 and "interegular must be installed" not in result.output
    assert "no conflicts; terminal collisions were not checked" in result.stderr and extra_hint("grammar") in result.stderr
    path, _ = _grammar(tmp_path, "sr.lark", *SHIFT_REDUCE)
    result = runner.invoke(app, ["grammar", "check", str(path)])
    assert result.exit_code == 1 and "error: conflict in summary_text" in result.stderr  # conflicts need no extra


def test_csv_tables_have_the_parquet_columns_with_lists_joined(tmp_path: Path) -> None:
    import csv

    import pyarrow.parquet as pq

    letters = [str(path) for path in sorted((FIXTURES / "letters").glob("*.txt"))] + [str(S102)]
    for fmt in ("parquet", "csv"):
        result = runner.invoke(app, ["parse", *letters, "--format", fmt, "--output", str(tmp_path / fmt), "--workers", "1"])
        assert result.exit_code == 1 and f"tables in {tmp_path / fmt}" in result.stderr  # S102 fails: an errors row
    for name in ("letters", "decisions", "citations", "errors"):
        expected = pq.read_table(tmp_path / "parquet" / f"{name}.parquet").to_pylist()
        with open(tmp_path / "csv" / f"{name}.csv", newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            assert reader.fieldnames == pq.read_schema(tmp_path / "parquet" / f"{name}.parquet").names
            got = list(reader)
        assert len(got) == len(expected) > 0
        for want, row in zip(expected, got, strict=True):
            for column, value in want.items():
                shown = ("; ".join(value) if isinstance(value, list) else "" if value is None
                         else str(value).lower() if isinstance(value, bool) else str(value))
                assert row[column] == shown, (name, column)
    board = next(row for row in csv.DictReader((tmp_path / "csv" / "letters.csv").open(encoding="utf-8"))
                 if row["reviewer_specialties"].count("; "))
    assert board["reviewer_specialties"].split("; ")[0]
    assert runner.invoke(app, ["parse", str(LETTER), "--format", "csv"]).exit_code == 2  # a directory is needed


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """stderr as a terminal: what the progress display draws there."""
    from rich.console import Console


    screen = io.StringIO()
    monkeypatch.setattr(imrparse.etl.progress, "_terminal_console", lambda: Console(file=screen, force_terminal=True, width=160))
    return screen


def _mixed(tmp_path: Path) -> list[str]:
    """Five letters, two of which fail."""
    letters = sorted(str(path) for path in (FIXTURES / "letters").glob("*.txt"))[:3]
    return [*letters, str(S102), str(tmp_path / "missing.txt")]


def test_parse_validate_and_load_show_one_progress_display(tmp_path: Path, terminal: io.StringIO) -> None:
    for command, failed in ((["parse", "-o", str(tmp_path / "out.jsonl")], 2), (["parse", "--format", "csv", "-o", str(tmp_path / "t")], 2),
                            (["validate", "-o", str(tmp_path / "report.txt")], 2), (["load", "--db", str(tmp_path / "x.duckdb")], 2)):
        terminal.truncate(0)
        terminal.seek(0)
        result = runner.invoke(app, [*command, *_mixed(tmp_path), "--workers", "1"])
        screen = terminal.getvalue()
        assert f"{command[0]} " in screen and "5/5" in screen and " letters/s" in screen and f"{failed} failed" in screen, command
        assert "ETA" in screen, command
        # stderr itself has the summary (after load, also its duplicate-case warning), no failure line
        assert result.stderr.splitlines()[-1].startswith("imrparse: ") and "S000" not in result.stderr, command
        if command[0] != "validate":  # validate's findings are its report
            assert f"{tmp_path / 'missing.txt'}: S000 cannot be read" in screen, command  # above the bar, not through it
            assert screen.index("S000 cannot be read") < screen.rindex("5/5")


def test_no_display_off_a_terminal_and_quiet_levels(tmp_path: Path, terminal: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:

    result = runner.invoke(app, ["parse", *_mixed(tmp_path), "-q", "-o", str(tmp_path / "q.jsonl")])
    assert terminal.getvalue() == "" and result.stderr.startswith("imrparse: 3 parsed, 2 failed")  # -q: the summary only
    assert result.stderr.count("\n") == 1
    result = runner.invoke(app, ["parse", *_mixed(tmp_path), "-qq", "-o", str(tmp_path / "qq.jsonl")])
    assert terminal.getvalue() == "" and result.stderr == "" and result.exit_code == 1  # -qq: nothing
    assert runner.invoke(app, ["validate", *_mixed(tmp_path), "-qq"]).stderr == ""
    monkeypatch.undo()
    assert imrparse.etl.progress._terminal_console() is None  # stderr here is not a terminal: no bar
    result = runner.invoke(app, ["validate", *_mixed(tmp_path), "-q", "--format", "concise"])
    assert result.stderr.startswith("imrparse: 5 letters, 3 conform, 2 do not") and "S102" in result.stdout


def test_load_warns_about_a_case_loaded_twice_and_the_view_keeps_one_source(tmp_path: Path) -> None:
    import duckdb

    letter = FIXTURES / "letters" / "layout_21_items_board_sentence.txt"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.pdftotext.txt").write_bytes(letter.read_bytes())
    (tmp_path / "in" / "b.layout.txt").write_bytes(letter.read_bytes() + b"\n\n")  # another extraction: other bytes
    (tmp_path / "in" / "other.txt").write_bytes(LETTER.read_bytes())
    db = tmp_path / "x.duckdb"
    result = runner.invoke(app, ["load", str(tmp_path / "in"), "--db", str(db), "--workers", "1"])
    assert result.exit_code == 0
    assert ("imrparse: warning: 1 case number is loaded from more than one source (2 letters rows; e.g. CM17-0999021): "
            "count letters by case in the view letters_by_case") in result.stderr
    with duckdb.connect(str(db)) as connection:
        assert connection.execute("SELECT count(*) FROM letters WHERE case_number = 'CM17-0999021'").fetchall() == [(2,)]
        assert connection.execute("SELECT case_number, source_path FROM letters_by_case WHERE case_number = 'CM17-0999021'"
                                  ).fetchall() == [("CM17-0999021", str(tmp_path / "in" / "a.pdftotext.txt"))]
        assert connection.execute("SELECT count(*) = count(DISTINCT case_number) FROM letters_by_case").fetchall() == [(True,)]
    assert "warning" not in runner.invoke(app, ["load", str(LETTER), "--db", str(tmp_path / "y.duckdb")]).stderr


ROOT = FIXTURES.parent


def test_the_benchmark_writes_results_only_when_asked(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for letter in (LETTER, FIXTURES / "letters" / "layout_21_items_board_sentence.txt"):
        (corpus / letter.name).write_bytes(letter.read_bytes())
    tracked = (ROOT / "bench" / "results.json").read_bytes()
    before = sorted(path.name for path in (ROOT / "bench").iterdir())
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), str(corpus), "--quick", "--rounds", "1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| measure | result | ratio |" in done.stdout
    assert (ROOT / "bench" / "results.json").read_bytes() == tracked
    assert sorted(path.name for path in (ROOT / "bench").iterdir()) == before


def test_the_readme_load_example_leaves_nothing_to_commit() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "check-ignore", "corpus.duckdb", "imrparse.duckdb"], cwd=ROOT, capture_output=True, text=True)
    # ignored: `imrparse load … --db corpus.duckdb` in the checkout adds no untracked file
    assert done.stdout.split() == ["corpus.duckdb", "imrparse.duckdb"]


def test_the_spark_extra_installs_a_pandas_pyspark_supports() -> None:
    import warnings
    from importlib.metadata import requires

    pandas = [r for r in requires("imrparse") or [] if r.startswith("pandas") and "spark" in r]
    assert pandas and "<3" in pandas[0].replace(" ", ""), pandas
    pytest.importorskip("pyspark")
    from pyspark.sql.pandas.utils import require_minimum_pandas_version

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pyspark's FutureWarning for pandas >= 3 would fail here
        require_minimum_pandas_version()
