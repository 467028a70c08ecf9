"""The `imrparse` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .api import dumps, parse
from .errors import ParseError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Read IMR final determination letters.")


@app.callback()
def main() -> None:
    """Read California DWC IMR final determination letters into records."""


@app.command("parse")
def parse_command(
    path: Annotated[Path, typer.Argument(help="A letter's text file, or - for standard input.", allow_dash=True)],
    pretty: Annotated[bool, typer.Option(help="Indent the JSON.")] = False,
) -> None:
    """Print the JSON record of one letter."""
    data = sys.stdin.buffer.read() if str(path) == "-" else _read(path)
    try:
        record = parse(data)
    except ParseError as exc:
        typer.echo(f"{path}:{exc}", err=True)
        raise typer.Exit(1) from None
    if pretty:
        import orjson

        sys.stdout.buffer.write(orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        sys.stdout.buffer.write(dumps(record) + b"\n")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        typer.echo(f"{path}: cannot read: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
