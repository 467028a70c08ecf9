"""What `--help` shows: each paragraph of a command's description as prose (wrapped by the
terminal, not broken where the source wrapped it), `-q` as a counting flag, and every table
`load` writes; the README's CSV list names every table `--format csv` writes."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

import pytest
import typer
from conftest import ROOT
from typer.testing import CliRunner

from imrparse.cli import app
from imrparse.etl.tables import TABLES

runner = CliRunner()


def _commands(typer_app: typer.Typer, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    for info in typer_app.registered_commands:
        assert info.callback is not None
        yield (*prefix, info.name or info.callback.__name__), inspect.getdoc(info.callback) or ""
    for group in typer_app.registered_groups:
        assert group.typer_instance is not None and group.name is not None
        yield from _commands(group.typer_instance, (*prefix, group.name))


COMMANDS = list(_commands(app))


def _help(*command: str, width: int = 400) -> str:
    done = runner.invoke(app, [*command, "--help"], env={"COLUMNS": str(width), "TERMINAL_WIDTH": str(width)})
    assert done.exit_code == 0, done.output
    return done.stdout


@pytest.mark.parametrize(("command", "doc"), COMMANDS, ids=[" ".join(c) for c, _ in COMMANDS])
def test_each_paragraph_of_a_commands_help_reads_as_one_line_when_it_fits(command: tuple[str, ...], doc: str) -> None:
    shown = [" ".join(line.strip(" │").split()) for line in _help(*command).splitlines()]
    for paragraph in doc.split("\n\n"):
        prose = " ".join(paragraph.split())
        if len(prose) < 360:
            assert prose in shown, f"{' '.join(command)}: {prose!r} is broken across lines"


def test_the_load_help_sentence_that_broke_is_whole_at_any_width() -> None:
    assert "one whose row is in `errors`" in " ".join(_help("load", width=100).split())
    assert re.search(r"one whose\s*\n", _help("load", width=200)) is None


@pytest.mark.parametrize("command", ["parse", "validate", "load"])
def test_quiet_is_shown_as_a_counting_flag(command: str) -> None:
    text = _help(command, width=200)
    [row] = [line for line in text.splitlines() if "--quiet" in line]
    assert "-q" in row and "-qq: nothing on stderr" in row
    assert "<int>" not in row and "[default: 0]" not in text


def test_load_help_names_every_table_it_writes() -> None:
    first = " ".join(_help("load", width=200).split())
    for table in TABLES:
        assert re.search(rf"\b{table}\b", first), table


def test_the_readme_csv_list_names_every_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [paragraph] = [p for p in readme.split("\n\n") if "--format csv` writes" in p]
    assert sorted(re.findall(r"`(\w+)\.csv`", paragraph)) == sorted(TABLES)
