"""The `imrparse` command line."""

from __future__ import annotations

import enum
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer

from .batch import Input, Result, parse_many

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Read IMR final determination letters.")

DEFAULT_GLOBS = ["*.txt", "*.pdf"]


class Format(enum.StrEnum):
    json = "json"
    jsonl = "jsonl"


class OnError(enum.StrEnum):
    record = "record"
    skip = "skip"
    fail = "fail"


@app.callback()
def main() -> None:
    """Read California DWC IMR final determination letters into records."""


def collect_inputs(paths: list[str], globs: list[str]) -> list[Input]:
    """Files as given, directories walked recursively for `globs` (sorted), `-` for stdin."""
    inputs: list[Input] = []
    for raw in paths or ["-"]:
        if raw == "-":
            inputs.append(sys.stdin.buffer.read())
            continue
        path = Path(raw)
        if path.is_dir():
            found = {p for pattern in globs for p in path.rglob(pattern) if p.is_file()}
            inputs.extend(str(p) for p in sorted(found))
        else:
            inputs.append(str(path))  # a missing or unreadable file becomes its error record
    return inputs


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def atomic_output(output: Path | None) -> Iterator[IO[bytes]]:
    """Standard output, or a temporary file beside OUTPUT renamed over it only when complete.

    SIGTERM is turned into SystemExit (as SIGINT is into KeyboardInterrupt) so that an
    interrupted run removes its temporary file and leaves any earlier OUTPUT untouched.
    """
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    directory = output.resolve().parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".partial", dir=directory)
    except OSError as exc:
        typer.echo(f"imrparse: cannot write {output}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
        os.replace(tmp, output)
    except BaseException:
        os.unlink(tmp)
        raise


@contextmanager
def progress_bar(total: int, enabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr that never touches stdout (the JSON stream)."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), redirect_stdout=False, redirect_stderr=False, transient=True) as bar:
        yield (bar, bar.add_task("parsing", total=total))


@app.command("parse")
def parse_command(
    paths: Annotated[list[str] | None, typer.Argument(help="Files, directories, or - for standard input.")] = None,
    format: Annotated[Format | None, typer.Option("--format", help="json (default for one input) or jsonl.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (atomically) instead of stdout.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes; default one per CPU; 1 = in-process.")] = None,
    unordered: Annotated[bool, typer.Option(help="Write results as they complete, not in input order.")] = False,
    glob: Annotated[list[str] | None, typer.Option(help="File patterns to take from directories.")] = None,
    on_error: Annotated[OnError, typer.Option(help="record: write error records; skip: omit them; fail: stop.")] = (
        OnError.record
    ),
    pretty: Annotated[bool, typer.Option(help="Indent JSON output.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
) -> None:
    """Parse letters (text or PDF) into JSON records; failures become error records.

    Exit status: 0 every input parsed, 1 at least one failed, 2 bad usage or unusable output.
    """
    inputs = collect_inputs(paths or [], glob or DEFAULT_GLOBS)
    fmt = format or (Format.json if len(inputs) == 1 else Format.jsonl)
    option = orjson.OPT_INDENT_2 if pretty and fmt is Format.json else 0
    parsed = failed = 0
    last_error_kind = None
    started = time.perf_counter()
    show_bar = not quiet and len(inputs) > 1 and sys.stderr.isatty()
    with atomic_output(output) as stream, progress_bar(len(inputs), show_bar) as bar:
        results: Iterator[Result] = parse_many(inputs, workers=workers, ordered=not unordered)
        first = True
        if fmt is Format.json and len(inputs) != 1:
            stream.write(b"[")
        for result in results:
            if bar:
                bar[0].advance(bar[1])
            if "error" in result:
                failed += 1
                last_error_kind = result["error"]["kind"]
                if not quiet or on_error is OnError.fail:
                    _report_failure(result)
                if on_error is OnError.skip:
                    continue
                if on_error is OnError.fail:
                    break
            else:
                parsed += 1
            if fmt is Format.jsonl:
                stream.write(orjson.dumps(result) + b"\n")
                stream.flush()
            else:
                stream.write((b"" if first or len(inputs) == 1 else b",\n") + orjson.dumps(result, option=option))
            first = False
        if fmt is Format.json:
            stream.write(b"]\n" if len(inputs) != 1 else b"\n")
    if not quiet:
        elapsed = max(time.perf_counter() - started, 1e-9)
        typer.echo(f"imrparse: {parsed} parsed, {failed} failed, {(parsed + failed) / elapsed:.1f} letters/s", err=True)
    if failed:
        # One input that could not be used at all (missing, unreadable, binary) is a usage error.
        unusable = len(inputs) == 1 and last_error_kind == "input"
        raise typer.Exit(2 if unusable else 1)


def _report_failure(result: Result) -> None:
    error, source = result["error"], result["source"]
    where = f":{error['line']}:{error['column']}" if error.get("line") else ""
    typer.echo(f"{source.get('path') or '<bytes>'}{where}: {error['message']}", err=True)
