"""The one progress display of `parse`, `validate` and `load`: letters done of the total, letters
per second, failures and the time left, on stderr, and only when stderr is a terminal (a pipe or
a log file gets none of it). Failure lines print above the bar. When scans are read by OCR,
which takes seconds a page, the bar also counts the pages read so far, in every process, and is
shown for a single letter too.

Quiet levels (`-q` counted): 0 shows the bar, failure lines and the summary line; 1 (`-q`)
only the summary line; 2 (`-qq`) nothing.
"""

from __future__ import annotations

import io
import sys
import time
from types import TracebackType
from typing import Any

import typer


def _terminal_console() -> Any:
    """A console on stderr when stderr is a terminal, else None (a test swaps in one that records)."""
    if sys.stderr is None or not sys.stderr.isatty():
        return None
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _pages_column(pages: Any) -> Any:
    """A bar column with the pages OCR'd so far, read from the shared counter at each refresh
    (rich redraws ten times a second), so it moves while a long letter is being read."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class PagesColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            read = pages.value
            return Text(f"{read} page{'s' if read != 1 else ''} OCR'd" if read else "")

    return PagesColumn()


class Progress:
    """Count letters and failures; draw the bar while the block runs."""

    def __init__(self, total: int, quiet: int, label: str = "", what: str = "letters", pages: Any = None) -> None:
        """`pages`: a multiprocessing.Value counting the pages OCR'd (text.ocr.OcrOptions.pages_read)."""
        self.total, self.quiet, self.label, self.what, self.pages = total, quiet, label, what, pages
        self.done = self.failed = 0
        self.started = time.perf_counter()
        self.console: Any = _terminal_console() if quiet == 0 and (total > 1 or (pages is not None and total)) else None
        self.bar: Any = None
        self.redirected: _AboveBar | None = None

    def __enter__(self) -> Progress:
        if self.console is not None:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            pages = [_pages_column(self.pages)] if self.pages is not None else []
            self.bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), *pages,
                           TextColumn("{task.fields[rate]}"), TextColumn("{task.fields[failed]} failed"),
                           TextColumn("ETA"), TimeRemainingColumn(),
                           console=self.console, redirect_stdout=False, redirect_stderr=False, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label or self.what, total=self.total, rate="", failed=0)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self.redirected is not None and self.redirected.pending:
            self.above(self.redirected.pending.decode("utf-8", "replace"))
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    @property
    def shown(self) -> bool:
        return self.bar is not None

    def advance(self, failed: bool = False) -> None:
        self.done += 1
        self.failed += failed
        if self.bar is not None:
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            self.bar.update(self.task, advance=1, failed=self.failed, rate=f"{self.done / elapsed:,.0f} {self.what}/s")

    def failure(self, line: str, *, always: bool = False) -> None:
        """A failure line on stderr, above the bar; hidden by -q (unless `always`) and by -qq."""
        if self.quiet >= 2 or (self.quiet and not always):
            return
        self.above(line)

    def above(self, text: str) -> None:
        if self.bar is not None:
            self.bar.console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)
        else:
            typer.echo(text, err=True)

    def summary(self, text: str) -> None:
        """The one-line summary after the run; only -qq hides it."""
        if self.quiet < 2:
            typer.echo(f"imrparse: {text}", err=True)

    def rate(self) -> str:
        """`, N letters/s`, or nothing when it would mean nothing (one letter, or none parsed)."""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        return f", {self.done / elapsed:.1f} {self.what}/s" if self.done > 1 and self.done > self.failed else ""

    def stdout(self, stream: Any) -> Any:
        """Standard output's byte stream, or, while the bar is drawn on the same terminal, a
        stream that prints each line above the bar, so the two never overwrite each other."""
        if self.bar is None or not sys.stdout.isatty():
            return stream
        self.redirected = _AboveBar(self)
        return self.redirected


class _AboveBar(io.RawIOBase):
    """Bytes for standard output, printed line by line above the bar."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.pending = b""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.pending += bytes(data)
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            self.progress.above(line.decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        pass
