"""The `imrparse` command line. Where output goes, and how it stays safe, is `outputs.py`."""

import dataclasses
import enum
import functools
import inspect
import itertools
import os
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from lark import Lark

from imrparse.check.report import printable, xml_text
from imrparse.errors import InputError, MissingExtra, ParseError
from imrparse.etl import outputs
from imrparse.etl.batch import (
    DEFAULT_MAX_BYTES,
    Input,
    extract_ahead,
    input_key,
    lost_one_serialized,
    parse_many,
    parse_one_serialized,
)
from imrparse.etl.pool import CHUNK, map_inputs
from imrparse.etl.progress import Progress
from imrparse.etl.results import STDIN, Result
from imrparse.grammar.loader import START_SYMBOLS, default_grammar_path, load_grammar
from imrparse.text.inputs import (
    DEFAULT_GLOBS,
    DEFAULT_OCR,
    Refused,
    letters_in,
    read_letter,
    read_regular_file,
    require_pdf_extra,
    too_large,
)
from imrparse.text.normalize import normalize
from imrparse.text.ocr import DEFAULT_DPI, DEFAULT_LANG, DEFAULT_PAGE_TIMEOUT, IMAGE_SUFFIXES, OcrOptions, may_need_ocr

app = typer.Typer(no_args_is_help=True, add_completion=True, help="Read IMR final determination letters.")

GrammarOption = Annotated[Path | None, typer.Option("--grammar", help="Use this grammar file instead of the shipped one.")]
WorkersOption = Annotated[int | None, typer.Option(min=1, help="Processes that parse, this one included; default one per CPU.")]
# A counting flag: shown without a value or a default (`-q`, `-qq`), not as `<int> [default: 0]`.
QuietOption = Annotated[int, typer.Option("--quiet", "-q", count=True, metavar="", show_default=False,
                                          help="-q: no progress bar or failure lines, only the summary line; -qq: nothing on stderr.")]
GlobOption = Annotated[list[str] | None, typer.Option(help="File patterns to take from directories (default *.txt, *.pdf "
                                                           "and the page images *.tif, *.tiff, *.png, *.jpg, *.jpeg): repeat "
                                                           "the option or separate patterns with commas.")]
LetterArgument = Annotated[str, typer.Argument(metavar="PATH", help="A letter: text, PDF or page image; - reads standard input.")]
MaxBytesOption = Annotated[int, typer.Option("--max-bytes", min=1, help="Refuse inputs larger than this many bytes.")]
# The largest text `debug show` draws: 32 MiB of 28,736 items took 159 s and 5 GB; 1,000,000
# characters of 873 items take ~9 s and ~200 MB.
SHOW_MAX_CHARS = 1_000_000
FollowLinksOption = Annotated[bool, typer.Option("--follow-links", help="Read what symbolic links inside a directory lead to "
                                                                       "outside it (by default they are error records).")]


def _output_path(raw: str) -> Path:
    """An output option's path. Only the literal `-` is standard output: `./-` is a file named
    `-` (Path would make it `-`), so it is kept absolute."""
    path = Path(raw)
    return path if raw == "-" or str(path) != "-" else Path.cwd() / path


def _input_name(raw: str) -> str:
    """A path argument as an input's name; only the literal `-` is standard input (`./-` is a file)."""
    name = str(Path(raw))
    return os.path.join(os.curdir, name) if name == "-" else name


def prose_help(typer_app: typer.Typer) -> None:
    """Typer prints a docstring's later paragraphs with the docstring's own line breaks, so a
    sentence broke where the source wrapped it ("one whose" / "row is in `errors`"). Give each
    command its docstring with the lines of each paragraph joined, for rich to wrap to the
    terminal. Called once every command is registered (imrparse.cli)."""
    for info in typer_app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            paragraphs = inspect.cleandoc(info.callback.__doc__).split("\n\n")
            info.help = "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            prose_help(group.typer_instance)


class OcrChoice(enum.StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


OcrOption = Annotated[OcrChoice, typer.Option("--ocr", help="Which pages Tesseract reads (the ocr extra): auto, the PDF pages "
                                                            "without a text layer and every page of an image; always, every "
                                                            "page; never, none.")]
OcrDpiOption = Annotated[int, typer.Option("--ocr-dpi", min=50, max=1200, help="Render PDF pages at this resolution for OCR "
                                                                               "(also assumed for images that give none).")]
OcrLangOption = Annotated[str, typer.Option("--ocr-lang", help="Tesseract's language(s), such as eng or eng+spa.")]
OcrTimeoutOption = Annotated[float, typer.Option("--ocr-timeout", min=0.1, help="Seconds OCR may spend on one page; a page "
                                                                                "that takes longer fails its letter.")]


def _ocr_options(ocr: OcrChoice, dpi: int, lang: str, timeout: float) -> OcrOptions:
    try:
        return OcrOptions(ocr.value, dpi, lang, timeout)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--ocr-lang") from None


def _counting_pages(options: OcrOptions, inputs: list[Input]) -> OcrOptions:
    """The options with a page counter shared by the batch's processes, for the progress
    display, when an input may be read by OCR (a page image or a PDF, or standard input)."""
    if options.mode == "never" or not any(
            not isinstance(item, str) or item.lower().endswith((".pdf", *IMAGE_SUFFIXES)) for item in inputs):
        return options
    import multiprocessing

    return dataclasses.replace(options, pages_read=multiprocessing.Value("q", 0))


def _require_grammar(grammar: Path | None, *, records: bool = False) -> Lark:
    """Build the parser the command needs (the tree parser, or with `records=True` the record
    parser) once up front, so a broken grammar is one clear error, not one per input; worker
    processes forked afterwards inherit it."""
    try:
        return load_grammar(grammar, records=records)
    except OSError as exc:
        typer.echo(f"imrparse: cannot read the grammar {grammar}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    except ParseError as exc:
        typer.echo(f"{grammar}:{exc.line}:{exc.column}: {exc.message}" if exc.line else f"imrparse: {exc}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _usage_errors() -> Iterator[None]:
    """An unusable output or a missing extra ends the command with its message and exit 2."""
    try:
        yield
    except (outputs.OutputError, MissingExtra) as exc:
        typer.echo(f"imrparse: {exc}", err=True)
        raise typer.Exit(2) from None


class Format(enum.StrEnum):
    json = "json"
    jsonl = "jsonl"
    parquet = "parquet"
    csv = "csv"


class DebugFormat(enum.StrEnum):
    text = "text"
    json = "json"


DebugFormatOption = Annotated[DebugFormat, typer.Option("--format", help="text or json.")]


class OnError(enum.StrEnum):
    record = "record"
    skip = "skip"
    fail = "fail"


def _print_version(value: bool) -> None:
    if value:
        from imrparse import __version__

        typer.echo(f"imrparse {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", "-V", is_eager=True, callback=_print_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Read California DWC IMR final determination letters into records."""


def collect_inputs(paths: list[str], globs: list[str], max_bytes: int = DEFAULT_MAX_BYTES, output: Path | None = None,
                   follow_links: bool = False) -> list[Input]:
    """Files as given, directories walked for `globs` (sorted; see `_walk`), `-` for stdin
    (read up to just past `max_bytes`, so an oversized stream is refused, not held). Before
    anything is read: an `output` that is one of the inputs, or PDFs without the pdf extra,
    end the command (exit 2)."""
    names: list[str | Refused] = []
    for raw in paths or ["-"]:
        path = Path(raw)
        if raw != "-" and path.is_dir():
            found = letters_in(str(path), globs, follow_links)
            if not found:
                typer.echo(f"imrparse: {printable(str(path))}: no {' or '.join(globs)} files in this directory", err=True)
                raise typer.Exit(2)
            names.extend(found)
        else:
            names.append(raw if raw == "-" else _input_name(raw))  # a missing or unreadable file becomes its error record
    readable = [name for name in names if isinstance(name, str)]
    _refuse_output_among(readable, output)
    with _usage_errors():
        require_pdf_extra(name for name in readable if name != "-")
    return [(STDIN, sys.stdin.buffer.read(max_bytes + 1)) if name == "-" else name for name in names]


def _paths_or_usage(ctx: typer.Context, paths: list[str] | None) -> list[str]:
    """The paths given; none means standard input, unless it is a terminal: a user who typed
    the bare command gets its usage (exit 2), not a command silently waiting for a letter."""
    if paths:
        return paths
    if sys.stdin is None or sys.stdin.isatty():
        raise typer.BadParameter("none given, and standard input is a terminal: give files or directories of letters, "
                                 "or - with letters piped to standard input", ctx=ctx, param_hint="PATHS")
    return ["-"]


def _globs(values: list[str] | None) -> list[str]:
    """--glob values; commas separate several, as in --select."""
    patterns = [part.strip() for value in values or [] for part in value.split(",") if part.strip()]
    return patterns or list(DEFAULT_GLOBS)


def _refuse_output_among(names: list[str], output: Path | None) -> None:
    """An output that is also an input would destroy that letter (resumed: cut it to nothing
    and read it as JSON Lines). Compared by inode, so a link or another spelling is caught."""
    written = outputs.regular_file(output) if output is not None and str(output) != "-" else None
    if written is None:
        return
    for name in names:
        info = outputs.regular_file(name) if name != "-" else None
        if info is not None and os.path.samestat(info, written):
            typer.echo(f"imrparse: the output {printable(str(output))} is also an input ({printable(name)}): writing it would "
                       "destroy that input; write elsewhere", err=True)
            raise typer.Exit(2)


@dataclass
class _Tally:
    parsed: int = 0
    failed: int = 0
    failed_before: int = 0  # inputs a resumed output already held error records for
    last_error_kind: str | None = None


class _Stopped(Exception):
    """`--on-error fail` met a failure: a new output is not put in place, a resumed one keeps
    the lines before it."""


@contextmanager
def _sink(output: Path | None, resume: bool) -> Iterator[tuple[outputs.Sink, outputs.Completed]]:
    """Where `parse` writes, and the inputs already done there (only when resumed)."""
    if resume:
        assert output is not None
        with outputs.appending(output) as appended:
            yield appended
    else:
        with outputs.replacing(output) as sink:
            yield sink, outputs.Completed()


@app.command("parse")
def parse_command(
    ctx: typer.Context,
    paths: Annotated[list[str] | None, typer.Argument(help="Files, directories, or - for standard input.")] = None,
    format: Annotated[Format | None, typer.Option("--format", help="json (default for one input), jsonl, or the five "
                                                                   "tables in the --output directory as parquet or csv.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", parser=_output_path,
                                                                   help="Write here (atomically) instead of stdout; - is stdout.")] = None,
    workers: WorkersOption = None,
    unordered: Annotated[bool, typer.Option(help="Write results as they complete, not in input order.")] = False,
    glob: GlobOption = None,
    on_error: Annotated[OnError, typer.Option(help="record: write error records; skip: omit them; fail: stop, and leave "
                                                    "--output as it was.")] = OnError.record,
    pretty: Annotated[bool, typer.Option(help="Indent the JSON (implies --format json: one record, or an array).")] = False,
    quiet: QuietOption = 0,
    follow_links: FollowLinksOption = False,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted --output FILE (JSON Lines): skip inputs whose "
                                              "sha256 is already in it, append the rest.")] = False,
    grammar: GrammarOption = None,
    ocr: OcrOption = OcrChoice.auto,
    ocr_dpi: OcrDpiOption = DEFAULT_DPI,
    ocr_lang: OcrLangOption = DEFAULT_LANG,
    ocr_timeout: OcrTimeoutOption = DEFAULT_PAGE_TIMEOUT,
) -> None:
    """Parse letters (text, PDF, or scans and faxes read by OCR) into JSON records; failures become error records.

    Exit status: 0 every input parsed, 1 at least one failed, 2 bad usage or unusable output.
    """
    _require_grammar(grammar, records=True)
    to_stdout = outputs.is_standard_output(output)
    tables = format in (Format.parquet, Format.csv)
    if tables and (to_stdout or resume):
        typer.echo(f"imrparse: --format {format} writes five tables into a directory: give --output DIR (no --resume)", err=True)
        raise typer.Exit(2)
    if resume and (to_stdout or format is Format.json):
        typer.echo("imrparse: --resume continues an --output file in JSON Lines (--format jsonl)", err=True)
        raise typer.Exit(2)
    if pretty and (resume or format in (Format.jsonl, Format.parquet, Format.csv)):
        typer.echo(f"imrparse: --pretty indents JSON (--format json); {'--resume writes' if resume else f'--format {format} is'} "
                   f"{'JSON Lines' if resume or format is Format.jsonl else 'not JSON'}", err=True)
        raise typer.Exit(2)
    if pretty:
        format = Format.json
    options = _ocr_options(ocr, ocr_dpi, ocr_lang, ocr_timeout)
    inputs = collect_inputs(_paths_or_usage(ctx, paths), _globs(glob), max_bytes, output, follow_links)
    options = _counting_pages(options, inputs)
    if tables:
        assert output is not None
        _parse_to_tables(inputs, output, format is Format.csv, workers, grammar, max_bytes, quiet, on_error, options)
        return
    tally = _Tally()
    progress = Progress(0, quiet)  # replaced below, once the inputs left to do are known
    earlier = ""
    with _usage_errors():
        try:
            with _sink(output, resume) as (sink, done):
                todo = inputs
                if resume:
                    keys = [input_key(item, max_bytes) for item in inputs]
                    todo = [item for item, key in zip(inputs, keys, strict=True) if key not in done.keys]
                    tally.failed_before = sum(key in done.failed for key in keys)
                    earlier = f"; {len(inputs) - len(todo)} done before, {tally.failed_before} of them failed"
                fmt = Format.jsonl if resume else format or (Format.json if len(todo) == 1 else Format.jsonl)
                one = functools.partial(parse_one_serialized, grammar=grammar, max_bytes=max_bytes, ocr=options,
                                        option=orjson.OPT_INDENT_2 if pretty and fmt is Format.json else 0)
                with Progress(len(todo), quiet, "parse", pages=options.pages_read) as progress:
                    if to_stdout:
                        sink.stream = progress.stdout(sink.stream)
                    lost = functools.partial(lost_one_serialized, max_bytes=max_bytes,
                                             option=orjson.OPT_INDENT_2 if pretty and fmt is Format.json else 0)
                    results = map_inputs(one, todo, workers=workers, ordered=not unordered, lost=lost,
                                         chunk=1 if may_need_ocr(todo, options) else CHUNK,
                                         ahead=functools.partial(extract_ahead, max_bytes=max_bytes))
                    # Each line reaches a resumed file (a kill keeps it) or a reader of standard output as
                    # soon as it is written; a new --output file is put in place only when complete.
                    _write_results(sink, results, tally, fmt=fmt, single=len(todo) == 1, on_error=on_error, progress=progress,
                                   flush=resume or to_stdout)
        except _Stopped:
            pass
    progress.summary(f"{tally.parsed} parsed, {tally.failed} failed{progress.rate()}{earlier}")
    if tally.failed_before and not tally.failed:  # as the run that wrote them said
        raise typer.Exit(1)
    if tally.failed:
        # One input that could not be used at all (missing, unreadable, binary) is a usage error.
        unusable = len(inputs) == 1 and tally.last_error_kind == "input"
        raise typer.Exit(2 if unusable else 1)


def _write_results(sink: outputs.Sink, results: Iterable[tuple[bytes, Result | None]], tally: _Tally, *, fmt: Format,
                   single: bool, on_error: OnError, progress: Progress, flush: bool) -> None:
    """Write and count each result: a JSON Lines line, an element of a JSON array, or the one
    JSON object. Under `--on-error fail`, stop at the first failure (closing an array) and
    raise _Stopped."""
    array = fmt is Format.json and not single
    stopped = False
    first = True
    if array:
        sink.write(b"[")
    for data, failure in results:
        progress.advance(failed=failure is not None)
        if failure is not None:
            tally.failed += 1
            tally.last_error_kind = failure["error"]["kind"]
            _report_failure(failure, progress, always=on_error is OnError.fail)
            if on_error is OnError.skip:
                continue
            if on_error is OnError.fail:
                stopped = True
                break
        else:
            tally.parsed += 1
        if fmt is Format.jsonl:
            sink.write(data + b"\n")
            if flush:
                sink.flush()
        else:
            sink.write((b"" if first else b",\n") + data)
        first = False
    if fmt is Format.json:
        sink.write(b"]\n" if array else b"\n")
    if stopped:
        raise _Stopped


def _parse_to_tables(inputs: list[Input], directory: Path, csv: bool, workers: int | None, grammar: Path | None, max_bytes: int,
                     quiet: int, on_error: OnError, ocr: OcrOptions) -> None:
    """letters/decisions/citations/errors.parquet (or .csv) in DIRECTORY, a row group every 2,000
    letters, swapped in for the previous tables only when all are written. `--on-error skip`
    leaves failures out of the errors table; `fail` stops at the first, leaving DIRECTORY as it was."""
    from imrparse.etl.tables import CSV_FILES, TABLE_FILES, CsvTables, ParquetTables, require_pyarrow

    where = f"tables in {directory}"
    with _usage_errors():
        require_pyarrow()
        try:
            with outputs.replacing_directory(directory, CSV_FILES if csv else TABLE_FILES) as partial:
                try:
                    with (CsvTables if csv else ParquetTables)(partial) as tables, Progress(len(inputs), quiet, "parse",
                                                                                                 pages=ocr.pages_read) as progress:
                        results = parse_many(inputs, workers=workers, grammar=grammar, max_bytes=max_bytes, ocr=ocr)
                        for result in _counted(results, progress, always=on_error is OnError.fail):
                            if "error" in result and on_error is OnError.fail:
                                raise _Stopped
                            if "error" not in result or on_error is OnError.record:
                                tables.add(result)
                except OSError as exc:  # a full disk
                    raise outputs.OutputError(f"cannot write {directory}: {exc.strerror or exc}") from None
        except _Stopped:
            where = f"{directory} left as it was"
    failed = progress.failed
    progress.summary(f"{progress.done - failed} parsed, {failed} failed{progress.rate()}, {where}")
    if failed:
        raise typer.Exit(1)


def _report_failure(result: Result, progress: Progress, *, always: bool = False) -> None:
    from imrparse.check.report import failure_line

    progress.failure(failure_line(result["source"].get("path") or STDIN, result["error"]), always=always)


def _counted(results: Iterable[Result], progress: Progress, *, always: bool = False) -> Iterator[Result]:
    """parse_many's results, each counted on the progress display; a failure's line shown above
    it (`always`: even when quiet)."""
    for result in results:
        progress.advance(failed="error" in result)
        if "error" in result:
            _report_failure(result, progress, always=always)
        yield result


class ReportFormat(enum.StrEnum):
    text = "text"
    concise = "concise"
    json = "json"
    jsonl = "jsonl"
    junit = "junit"
    github = "github"
    sarif = "sarif"


class RulesFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def _codes(values: list[str] | None) -> list[str] | None:
    """--select/--ignore values, each a code, prefix or name; commas separate several."""
    from imrparse.check.rules import unknown_patterns

    if not values:
        return None
    codes = [part.strip() for value in values for part in value.split(",") if part.strip()]
    unknown = unknown_patterns(codes)
    if unknown:
        typer.echo(f"imrparse: no rule matches {', '.join(unknown)} (see `imrparse rules`)", err=True)
        raise typer.Exit(2)
    return codes


@app.command("validate")
def validate_command(
    ctx: typer.Context,
    paths: Annotated[list[str] | None, typer.Argument(help="Files, directories, or - for standard input.")] = None,
    format: Annotated[ReportFormat, typer.Option("--format", help="text (with the line and a caret), concise "
                                                                           "(path:line:col: CODE message), json, jsonl (a finding "
                                                                           "per line), junit, github (workflow annotations) or "
                                                                           "sarif (SARIF 2.1.0, for code scanning).")] = ReportFormat.text,
    select: Annotated[list[str] | None, typer.Option(help="Only these rules: codes, prefixes or names, comma-separated.")] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Not these rules: codes, prefixes or names, comma-separated.")] = None,
    strict: Annotated[bool, typer.Option(help="Warnings make a letter fail too.")] = False,
    strict_text: Annotated[bool, typer.Option(help="Read each letter's text as it is: no repair of a scanned, faxed or "
                                                   "flattened copy (O701), so a misspelled landmark is an error.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", parser=_output_path,
                                                                   help="Write the report here (atomically); - is stdout.")] = None,
    workers: WorkersOption = None,
    glob: GlobOption = None,
    quiet: QuietOption = 0,
    follow_links: FollowLinksOption = False,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
    grammar: GrammarOption = None,
    ocr: OcrOption = OcrChoice.auto,
    ocr_dpi: OcrDpiOption = DEFAULT_DPI,
    ocr_lang: OcrLangOption = DEFAULT_LANG,
    ocr_timeout: OcrTimeoutOption = DEFAULT_PAGE_TIMEOUT,
) -> None:
    """Check that letters conform to the final determination structure and content rules.

    Exit status: 0 every letter conforms (warnings allowed unless --strict), 1 at least one
    letter has an error (or a warning under --strict), 2 bad usage or an unusable input.
    """
    from imrparse.check import report
    from imrparse.check.validate import is_valid
    from imrparse.etl.batch import validate_many

    chosen, skipped = _codes(select), _codes(ignore)
    options = _ocr_options(ocr, ocr_dpi, ocr_lang, ocr_timeout)
    _require_grammar(grammar)
    inputs = collect_inputs(_paths_or_usage(ctx, paths), _globs(glob), max_bytes, output, follow_links)
    options = _counting_pages(options, inputs)
    letters = conforming = errors = warnings = unusable = 0
    collected: list[tuple[str, Any]] = []
    results = validate_many(inputs, workers=workers, grammar=grammar, select=chosen, ignore=skipped,
                            max_bytes=max_bytes, ocr=options, strict_text=strict_text)
    collecting = (ReportFormat.junit, ReportFormat.sarif)  # one document, written at the end
    streaming = outputs.is_standard_output(output) and format not in (ReportFormat.json, *collecting)
    with _usage_errors(), outputs.replacing(output) as sink, \
            Progress(len(inputs), quiet, "validate", pages=options.pages_read) as progress:
        if outputs.is_standard_output(output):
            sink.stream = progress.stdout(sink.stream)
        if format is ReportFormat.json:
            sink.write(b"[")
        for result in results:
            source = result["source"]
            path = source["path"] or STDIN
            findings = result["findings"]
            valid = is_valid(findings, strict)
            progress.advance(failed=not valid)
            letters += 1
            conforming += valid
            errors += sum(f["severity"] == "error" for f in findings)
            warnings += sum(f["severity"] == "warning" for f in findings)
            unusable += any(f["code"] == "S000" for f in findings)
            if format in (ReportFormat.text, ReportFormat.concise):
                lines = (report.finding_lines if format is ReportFormat.text else report.concise_lines)(path, result)
                sink.write("".join(line + "\n" for line in lines).encode())
            elif format is ReportFormat.jsonl:
                sink.write(report.jsonl_lines(path, result))
            elif format is ReportFormat.github:
                sink.write(report.github_lines(path, result))
            elif format is ReportFormat.json:
                entry = {"path": path, **({"path_bytes": source["path_bytes"]} if "path_bytes" in source else {}),
                         "valid": valid, "findings": findings}
                sink.write((b"" if letters == 1 else b",\n") + orjson.dumps(entry))
            else:
                collected.append((path, result))
            if streaming and findings:
                sink.flush()  # a reader of standard output sees each letter's findings as they come
        if format is ReportFormat.json:
            sink.write(b"]\n")
        elif format is ReportFormat.junit:
            sink.write(report.junit(collected, strict))
        elif format is ReportFormat.sarif:
            from imrparse import __version__

            sink.write(report.sarif(collected, __version__))
    progress.summary(f"{_count(letters, 'letter')}, {conforming} conform, {letters - conforming} do not; "
                     f"{_count(errors, 'error')}, {_count(warnings, 'warning')}")
    if unusable:
        raise typer.Exit(2)
    if conforming < letters:
        raise typer.Exit(1)


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


@app.command("load")
def load_command(
    ctx: typer.Context,
    paths: Annotated[list[str] | None, typer.Argument(help="Letters (text or PDF), what `imrparse parse` wrote (JSON Lines, "
                                                           "JSON, or a directory of its Parquet tables), directories of "
                                                           "letters, or - for standard input.")] = None,
    db: Annotated[Path, typer.Option("--db", help="The DuckDB database file; created if missing, else appended to.")] = Path(
        "imrparse.duckdb"),
    replace: Annotated[bool, typer.Option(help="Parse every input again and replace its rows, even those already "
                                               "loaded as letters.")] = False,
    workers: WorkersOption = None,
    glob: GlobOption = None,
    follow_links: FollowLinksOption = False,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
    quiet: QuietOption = 0,
    grammar: GrammarOption = None,
    ocr: OcrOption = OcrChoice.auto,
    ocr_dpi: OcrDpiOption = DEFAULT_DPI,
    ocr_lang: OcrLangOption = DEFAULT_LANG,
    ocr_timeout: OcrTimeoutOption = DEFAULT_PAGE_TIMEOUT,
) -> None:
    """Parse letters into the tables letters, decisions, citations, diagnoses and errors of a DuckDB file.

    Letters are parsed; the records and tables `imrparse parse` wrote are loaded as they are, not
    parsed again. An input already loaded as a letter (same sha256) is skipped; one whose row is
    in `errors` is read again, and its new result replaces that row.
    Exit status: 0 every input loaded, 1 at least one failed (its rows are in `errors`), 2 bad
    usage or an unusable database.
    """
    from imrparse.etl import stored
    from imrparse.etl.duck import CASE_VIEW, connect, duplicate_cases, forget_errors_of, load, loaded_letters

    paths = _paths_or_usage(ctx, paths)
    options = _ocr_options(ocr, ocr_dpi, ocr_lang, ocr_timeout)
    _require_grammar(grammar, records=True)
    tables = [path for path in paths if path != "-" and stored.is_tables(path)]
    others = [path for path in paths if path not in tables]
    inputs = collect_inputs(others, _globs(glob), max_bytes, db, follow_links) if others else []
    records: list[tuple[str, bytes | None]] = []  # files of records, and standard input's bytes when it holds them
    letters: list[Input] = []
    for item in inputs:
        if isinstance(item, str) and stored.is_records(item):
            records.append((item, None))
        elif isinstance(item, tuple) and isinstance(item[1], bytes) and stored.starts_as_records(item[1]):
            records.append((item[0], item[1]))
        else:
            letters.append(item)
    if any(data is not None and len(data) > max_bytes for _, data in records):
        typer.echo(f"imrparse: standard input holds more than --max-bytes ({max_bytes:,} bytes) of records: "
                   "give them as a file", err=True)
        raise typer.Exit(2)
    options = _counting_pages(options, letters)
    with _usage_errors():
        try:
            connection = connect(db)
        except outputs.OutputError:
            raise
        except Exception as exc:  # duckdb's own errors: a locked, corrupt or unwritable file
            raise outputs.OutputError(f"cannot open {db}: {exc}") from None
        with connection:
            keys = [] if replace else [input_key(item, max_bytes) for item in letters]
            known = loaded_letters(connection, keys)
            todo = letters if replace else [item for item, key in zip(letters, keys, strict=True) if key not in known]
            import duckdb  # connect succeeded, so it is installed

            try:
                forget_errors_of(connection, [*tables, *(name for name, _ in records)])
                stored_count = sum(stored.count_records(name, data) for name, data in records)
                with Progress(len(todo) + stored_count + len(tables), quiet, "load", pages=options.pages_read) as progress:
                    results = _counted(itertools.chain(
                        *(stored.read_tables(Path(path)) for path in tables),
                        *(stored.read_records(name, data) for name, data in records),
                        parse_many(todo, workers=workers, grammar=grammar, max_bytes=max_bytes, ocr=options)), progress)
                    added, replaced = load(connection, results, replace=replace)
            except duckdb.Error as exc:  # a full disk: the batch being written is rolled back, earlier ones are kept
                raise outputs.OutputError(f"cannot write {db}: {exc}") from None
            cases, letter_rows, examples = duplicate_cases(connection)
    if cases:
        progress.summary(f"warning: {_count(cases, 'case number is', 'case numbers are')} loaded from more than one source "
                         f"({letter_rows} letters rows; e.g. {', '.join(examples)}): count letters by case in the view {CASE_VIEW}, "
                         "which keeps one source per case number")
    read_back = f", {_count(progress.done - len(todo), 'result')} read from what parse wrote" if records or tables else ""
    progress.summary(f"{len(letters)} inputs, {len(letters) - len(todo)} already loaded{read_back}; "
                     f"{progress.failed} failed; added " + ", ".join(f"{n} {name}" for name, n in added.items())
                     + f" rows to {db}, replacing {replaced} rows of earlier results")
    if progress.failed:
        raise typer.Exit(1)


@app.command("schema")
def schema_command(
    duckdb: Annotated[bool, typer.Option("--duckdb", help="Print the columns= struct of DuckDB's read_json for parse's JSON "
                                                         "Lines instead, so fields that are null in every line get their "
                                                         "real types.")] = False,
) -> None:
    """Print the record's JSON Schema; with --duckdb, the DuckDB types of parse's JSON Lines:
    read_json('records.jsonl', columns = <what this prints>)."""
    from imrparse.api import record_schema
    from imrparse.etl import json_columns

    if duckdb:
        typer.echo(json_columns.columns_literal())
    else:
        typer.echo(orjson.dumps(record_schema(), option=orjson.OPT_INDENT_2).decode())


@app.command("rules")
def rules_command(
    format: Annotated[RulesFormat, typer.Option("--format", help="text, json or markdown.")] = RulesFormat.text,
) -> None:
    """Every rule `validate` checks: code, default severity, name and description."""
    from imrparse.check import report
    from imrparse.check.rules import RULES

    if format is RulesFormat.json:
        typer.echo(orjson.dumps([rule.to_dict() for rule in RULES.values()], option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo(report.rules_table(format), nl=False)


grammar_app = typer.Typer(no_args_is_help=True, help="Check or show the letter grammar.")
debug_app = typer.Typer(no_args_is_help=True, help="See how a letter is read, stage by stage.")
app.add_typer(grammar_app, name="grammar")
app.add_typer(debug_app, name="debug")


@grammar_app.command("check")
def grammar_check(grammar: Annotated[Path | None, typer.Argument(help="Grammar file; default the shipped one.")] = None) -> None:
    """Build the grammar as strict=True does: report every LALR conflict and terminal collision in
    plain words at its line, and warn about unused rules and terminals. Exit 1 on a conflict or a
    collision, 2 when collisions cannot be checked (interegular, the grammar extra, is missing)."""
    from imrparse.grammar.check import GRAMMAR_EXTRA, check, collisions_checkable

    path = grammar or default_grammar_path()
    try:
        report = check(path.read_text(encoding="utf-8"))
    except OSError as exc:
        typer.echo(f"imrparse: cannot read {path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:  # Lark raises GrammarError, LexError or ConfigurationError kinds here
        line = getattr(exc, "line", None)
        where = f"{path}:{line}:{getattr(exc, 'column', '?')}" if line else str(path)
        typer.echo(f"{where}: the grammar has a problem ({type(exc).__name__}):\n{exc}", err=True)
        raise typer.Exit(1) from None
    for finding in report.findings:
        typer.echo(f"{path}:{finding.line}: {finding.severity}: {finding.message}" if finding.line else
                   f"{path}: {finding.severity}: {finding.message}", err=True)
    warnings = len(report.findings) - len(report.errors)
    if report.errors:
        typer.echo(f"{path}: {_count(len(report.errors), 'conflict or collision', 'conflicts or collisions')}, "
                   f"{_count(warnings, 'warning')}", err=True)
        raise typer.Exit(1)
    if not collisions_checkable():
        typer.echo(f"imrparse: {path}: no conflicts; {GRAMMAR_EXTRA}", err=True)
        raise typer.Exit(2)
    typer.echo(f"{path}: OK, no conflicts or terminal collisions; {report.rules} rules, {report.terminals} terminals"
               + (f"; {_count(warnings, 'warning')}" if warnings else ""))


@grammar_app.command("show")
def grammar_show() -> None:
    """Print the shipped grammar, after a comment line giving its path."""
    path = default_grammar_path()
    typer.echo(f"// {path}")
    typer.echo(path.read_text(encoding="utf-8"), nl=False)


def _read_text(path: str, max_bytes: int, ocr: OcrOptions = DEFAULT_OCR) -> str:
    """The text of a letter file (a PDF's extracted text, a scan's OCR text), `-` standard input,
    read as `parse` reads it (a regular file of at most `max_bytes`); exit 2 if unusable."""
    name = STDIN if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise InputError(too_large(len(data), max_bytes))
        else:
            data = read_regular_file(path, max_bytes)
        return read_letter(data, name=name, max_bytes=max_bytes, ocr=ocr).text
    except OSError as exc:
        typer.echo(f"{printable(name)}: cannot be read: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    except InputError as exc:
        typer.echo(f"{printable(name)}: {printable(exc.message)}", err=True)
        raise typer.Exit(2) from None
    except MissingExtra as exc:
        typer.echo(f"imrparse: {exc}", err=True)
        raise typer.Exit(2) from None


def _printable_lines(text: str) -> str:
    """A message of several lines (a ParseError with its caret line) with each line `printable`."""
    return "\n".join(printable(line) for line in text.split("\n"))


def _read_letter(path: str, max_bytes: int) -> tuple[str, Any]:
    """The text of a letter (see _read_text) and its normalization."""
    text = _read_text(path, max_bytes)
    return text, normalize(text)


@app.command("text")
def text_command(
    path: LetterArgument,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
    ocr: OcrOption = OcrChoice.auto,
    ocr_dpi: OcrDpiOption = DEFAULT_DPI,
    ocr_lang: OcrLangOption = DEFAULT_LANG,
    ocr_timeout: OcrTimeoutOption = DEFAULT_PAGE_TIMEOUT,
) -> None:
    """Print the text imrparse reads from a letter (a PDF's extracted text, a scan's OCR text), so
    that a finding's line and column, and a record's spans, can be looked up in it."""
    text = _read_text(path, max_bytes, _ocr_options(ocr, ocr_dpi, ocr_lang, ocr_timeout))
    if sys.stdout.isatty():  # a letter's ESC sequences would drive the terminal: shown as escapes, lines kept
        text = "".join(part if i % 2 else printable(part) for i, part in enumerate(re.split(r"(\r\n|\n|\t|\f)", text)))
    sys.stdout.buffer.write(text.encode("utf-8"))


@debug_app.command("normalize")
def debug_normalize(path: LetterArgument, grammar: GrammarOption = None, max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES) -> None:
    """The text as the grammar sees it, each line with its original line number."""
    from imrparse.text.normalize import LineIndex

    _require_grammar(grammar)  # normalization does not depend on it, but a broken --grammar is reported
    _, normalized = _read_letter(path, max_bytes)
    index = LineIndex(normalized.original)
    offset = 0
    for line in normalized.text.split("\n"):
        if line:
            typer.echo(f"{index.line_col(normalized.to_original(offset))[0]:>5} | {printable(line)}")
        else:  # a blank line may stand for several collapsed ones: it has no single original line
            typer.echo("      |")
        offset += len(line) + 1


def _start_symbol(rule: str) -> str:
    """--rule, checked before Lark sees it (its error for an unknown start symbol is a traceback)."""
    if rule not in START_SYMBOLS:
        raise typer.BadParameter(f"{rule!r} is not a start symbol; one of {', '.join(START_SYMBOLS)}")
    return rule


@debug_app.command("tokens")
def debug_tokens(
    path: LetterArgument,
    format: DebugFormatOption = DebugFormat.text,
    rule: Annotated[str, typer.Option(callback=_start_symbol, help=f"Start symbol: {', '.join(START_SYMBOLS)}")] = "start",
    grammar: GrammarOption = None,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
) -> None:
    """The token stream: terminal, original line:column, text."""
    from imrparse.views import debug as debugging

    parser = _require_grammar(grammar)
    _, normalized = _read_letter(path, max_bytes)
    rows, error = debugging.tokens(normalized, parser, start=rule)
    if format is DebugFormat.json:
        typer.echo(orjson.dumps([r.to_dict() for r in rows], option=orjson.OPT_INDENT_2).decode())
    else:
        for r in rows:
            text = " ".join(r.text.split())
            typer.echo(f"{r.terminal:<28} {r.line:>5}:{r.column:<4} {printable(text[:60])}{'…' if len(text) > 60 else ''}")
    if error:
        typer.echo(_printable_lines(str(error)), err=True)
        raise typer.Exit(1)


@debug_app.command("tree")
def debug_tree(
    path: LetterArgument,
    rule: Annotated[str, typer.Option(callback=_start_symbol, help=f"Start symbol: {', '.join(START_SYMBOLS)}")] = "start",
    format: DebugFormatOption = DebugFormat.text,
    svg: Annotated[Path | None, typer.Option(parser=_output_path,
                                             help="Also draw the tree (its rule nodes, nested) as an SVG file.")] = None,
    grammar: GrammarOption = None,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
) -> None:
    """The parse tree with original line ranges on each node."""
    from imrparse.api import parse_tree
    from imrparse.text.normalize import LineIndex
    from imrparse.views import debug as debugging

    _require_grammar(grammar)
    if svg is not None:
        _refuse_output_among([path], svg)
    _, normalized = _read_letter(path, max_bytes)
    try:
        tree = parse_tree(normalized, start=rule, grammar=grammar)
    except ParseError as exc:
        typer.echo(_printable_lines(str(exc)), err=True)
        raise typer.Exit(1) from None
    data = debugging.tree_to_dict(tree, normalized, LineIndex(normalized.original))
    if svg:
        _write_view(svg, xml_text(debugging.tree_svg(data)))
    if format is DebugFormat.json:
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    from rich.console import Console
    from rich.tree import Tree as RichTree

    def add(node: dict[str, Any], into: RichTree) -> None:
        for child in node.get("children", []):
            if "rule" in child:
                lines = child["lines"]
                add(child, into.add(f"[bold]{child['rule']}[/bold] lines {lines[0]}-{lines[1]}" if lines else child["rule"]))
            else:
                text = " ".join(child["text"].split())
                into.add(f"{child['terminal']} {child['line']}:{child['column']} [dim]{text[:50]!r}[/dim]")

    root = RichTree(f"[bold]{data['rule']}[/bold] lines {data['lines'][0]}-{data['lines'][1]}" if data["lines"] else data["rule"])
    add(data, root)
    Console(highlight=False).print(root)


@debug_app.command("explain")
def debug_explain(path: LetterArgument, grammar: GrammarOption = None, max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES) -> None:
    """Outline of what parsed; on failure, where, what was needed there, and the nearest known error."""
    from imrparse.views import debug as debugging

    parser = _require_grammar(grammar)
    _, normalized = _read_letter(path, max_bytes)
    report = debugging.explain(normalized, parser)
    typer.echo(report)
    if not report.endswith("The letter parses."):
        raise typer.Exit(1)


@debug_app.command("wording")
def debug_wording(
    path: LetterArgument,
    format: DebugFormatOption = DebugFormat.text,
    grammar: GrammarOption = None,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
) -> None:
    """How the text between landmarks was read: each guideline paragraph, credentials sentence and
    title, cut into pieces by the wording table's rows; UNRECOGNIZED where no row knows the words."""
    from imrparse.views import debug as debugging

    parser = _require_grammar(grammar)
    _, normalized = _read_letter(path, max_bytes)
    readings = debugging.wording(normalized, parser)
    if format is DebugFormat.json:
        typer.echo(orjson.dumps(readings, option=orjson.OPT_INDENT_2).decode())
    else:
        for line in debugging.wording_text(readings):
            typer.echo(line)


@debug_app.command("show")
def debug_show(
    path: LetterArgument,
    html: Annotated[Path | None, typer.Option("--html", parser=_output_path,
                                              help="Write the view as one self-contained HTML page instead.")] = None,
    grammar: GrammarOption = None,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
) -> None:
    """The letter's own text with every landmark and extracted field highlighted by kind, validate's
    findings at their line and column, and for a letter that does not parse the partial record and
    where reading stopped. Exit 1 when the letter does not parse."""
    from imrparse.views import show

    _require_grammar(grammar)
    if html is not None:
        _refuse_output_among([path], html)
    name = STDIN if path == "-" else path
    text = _read_text(path, max_bytes)
    if len(text) > SHOW_MAX_CHARS:
        typer.echo(f"imrparse: {printable(name)} has {len(text):,} characters; debug show draws a letter of up to "
                   f"{SHOW_MAX_CHARS:,} (one is ~6,000), as its marks for a larger text take minutes and gigabytes: "
                   "use debug explain or validate for it", err=True)
        raise typer.Exit(2)
    view = show.build_view(text, name=name, grammar=grammar)
    if html is None:
        show.print_view(view)
    else:
        _write_view(html, show.to_html(view))
        typer.echo(f"{printable(str(html))}: the view of {printable(view.name)}", err=True)
    if view.error is not None:
        raise typer.Exit(1)


def _write_view(output: Path, document: str) -> None:
    """A debug view (HTML, SVG) written as `parse` writes its output (outputs.replacing): in full
    or not at all, never over the letter it shows (checked before the letter is read)."""
    with _usage_errors(), outputs.replacing(output) as sink:
        sink.write(document.encode("utf-8"))


class SummaryBy(enum.StrEnum):
    case = "case"
    source = "source"


@app.command("summary")
def summary_command(
    archive: Annotated[Path, typer.Argument(metavar="ARCHIVE", help="A DuckDB database `imrparse load` wrote, or what "
                                                                    "`imrparse parse` wrote: JSON Lines, JSON, or a "
                                                                    "directory of Parquet tables.")],
    by: Annotated[SummaryBy, typer.Option("--by", help="case: one source per case number (the letters_by_case view); "
                                                       "source: every letter loaded, each extraction of a letter "
                                                       "counted.")] = SummaryBy.case,
    format: Annotated[str, typer.Option("--format", help="text (rich tables) or json")] = "text",
) -> None:
    """Cases, decisions, overturn rates by year, treatment category, drug class and reviewer
    specialty, and median days from application to decision, of an archive.

    Exit status: 0 printed, 2 bad usage or an archive that is missing or not imrparse's.
    """
    from imrparse.etl import archive_report as summary

    if format not in ("text", "json"):
        typer.echo(f"imrparse: --format must be text or json, not {format!r}", err=True)
        raise typer.Exit(2)
    try:
        connection = summary.connect(archive)
    except InputError as exc:
        typer.echo(f"imrparse: {exc.message}", err=True)
        raise typer.Exit(2) from None
    with connection:
        data = summary.figures(connection, by.value)
    if format == "json":
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        summary.render(data)


prose_help(app)  # after every command is registered
