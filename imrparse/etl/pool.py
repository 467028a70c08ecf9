"""A process pool in which the calling process works too, with no threads in it.

`--workers N` means N processes parse: this one and N - 1 helpers. This process hands each
helper a queue of chunks, parses chunks itself while every helper is busy, and collects the
helpers' results between two of its own inputs, so a helper gets its next chunk and is
relieved of its results within one input's time. On N cores N processes parse, and this
process's share of the results never crosses a pipe. A helper that dies has its unanswered
chunks parsed again by the others, except the input it died on (a PDF too large for memory,
a crash in native code): that one would kill whichever process took it next, so its result is
`lost(input, why)` instead. A helper whose parent died exits at once on Linux (the kernel kills
it: PR_SET_PDEATHSIG), elsewhere within a second: it holds no other process's end of a pipe, so
a send to a dead parent fails instead of blocking, and it polls its parent while it waits for
work.

With `concurrent.futures` this process only waited and wrote: one process more than the
cores, every result pickled across a pipe. Letting it parse there too would leave the
executor's result and feeder threads waiting for the GIL, and the helpers waiting on them.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

In = TypeVar("In")
Out = TypeVar("Out")

# Inputs go to a helper in chunks of up to CHUNK: one message per input spends more on the pipe
# than on parsing.
CHUNK = 16
# Chunks queued per helper: it starts its next chunk at once while this process is busy.
QUEUED = 2
# Chunks in flight or finished but not yet yielded, per process: bounds memory however many
# inputs there are, and however slow one chunk is.
WINDOW = 4


def map_inputs(one: Callable[[In], Out], inputs: Iterable[In], *, workers: int | None = None, ordered: bool = True,
               lost: Callable[[In, str], Out] | None = None, chunk: int = CHUNK,
               ahead: Callable[[In], None] | None = None) -> Iterator[Out]:
    """`map(one, inputs)` over `workers` processes (default one per CPU), in input order unless
    `ordered=False`. An exception `one` raises in a helper is raised here. The result for an
    input a helper died on is `lost(input, "signal 9 (SIGKILL)")` (without `lost`, the map raises
    ChildProcessError). A chunk's worth of inputs or fewer is mapped in this process: a helper's
    start-up (fork, its own lexer compilation) would cost more than it saves. `chunk` lowers the
    chunk size for inputs that take seconds each (scans read by OCR): a few of them use the helpers.
    When this process maps the inputs alone, `ahead(input)` is called before the input before it
    is mapped: work another process can do meanwhile (a PDF's extraction) starts early. With
    helpers, every process is busy already."""
    if workers is not None and not (isinstance(workers, int) and workers >= 1):
        raise ValueError(f"workers must be a number of processes, 1 or more (or None: one per CPU), not {workers!r}")
    workers = workers or os.cpu_count() or 1
    if workers == 1 or (isinstance(inputs, Sized) and len(inputs) <= chunk):
        return map(one, inputs) if ahead is None else _looking_ahead(one, inputs, ahead)
    return _Pool(functools.partial(_apply, one, lost), workers - 1, inputs, chunk).map(ordered)


def _looking_ahead(one: Callable[[In], Out], inputs: Iterable[In], ahead: Callable[[In], None]) -> Iterator[Out]:
    """`map(one, inputs)`, calling `ahead` on each input before the one before it is mapped. An
    exception from the inputs' iterator is raised once the input before it is mapped."""
    items = iter(inputs)
    following = list(itertools.islice(items, 1))
    if following:
        ahead(following[0])
    while following:
        current = following[0]
        try:
            following = list(itertools.islice(items, 1))
        except Exception:
            yield one(current)
            raise
        if following:
            ahead(following[0])
        yield one(current)


class _Died:
    """An input a helper died on, in place of the input in its chunk: never parsed again."""

    def __init__(self, item: Any, why: str) -> None:
        self.item = item
        self.why = why


def _apply(one: Callable[[Any], Any], lost: Callable[[Any, str], Any] | None, item: Any) -> Any:
    if not isinstance(item, _Died):
        return one(item)
    if lost is None:
        raise ChildProcessError(f"the process mapping an input died: {item.why}")
    return lost(item.item, item.why)


def _death(exitcode: int | None) -> str:
    """How a helper ended, for the error record of the input it died on."""
    if exitcode is not None and exitcode < 0:
        return f"signal {-exitcode} ({signal.Signals(-exitcode).name})"
    return f"exit status {exitcode}"


def _chunks(inputs: Iterable[In], processes: int, most: int = CHUNK) -> Iterator[list[In]]:
    """`most` inputs at a time; when the number of inputs is known, chunks shrink as the end
    nears (a few per process in what remains), so no process is left parsing a long last
    chunk while the others wait."""
    total = len(inputs) if isinstance(inputs, Sized) else None
    items = iter(inputs)
    taken = 0
    while True:
        size = most if total is None else max(1, min(most, (total - taken) // (4 * processes)))
        chunk: list[In] = []
        try:
            for item in itertools.islice(items, size):
                chunk.append(item)
        except Exception:
            if chunk:
                yield chunk  # the inputs before the iterator's exception are mapped, then it is raised
            raise
        if not chunk:
            return
        taken += len(chunk)
        yield chunk


class _Helper:
    def __init__(self, process: BaseProcess, connection: Connection, progress: Any) -> None:
        self.process = process
        self.connection = connection
        self.queued: deque[int] = deque()  # the chunks sent to it and not yet answered, in order
        self.progress = progress  # shared with it: [chunk, position in it] of the input it is on, or position -1


class _Pool(Generic[In, Out]):
    def __init__(self, one: Callable[[In], Out], helpers: int, inputs: Iterable[In], chunk: int = CHUNK) -> None:
        self.one = one
        self.numbered = enumerate(_chunks(inputs, processes=helpers + 1, most=chunk))
        self.helper_count = helpers
        self.helpers: list[_Helper] = []
        self.limit = WINDOW * (helpers + 1)
        self.sent: dict[int, list[In]] = {}  # chunks at a helper, kept to parse here if it dies
        self.results: dict[int, list[Out]] = {}  # finished, not yet yielded
        self.orphaned: deque[int] = deque()  # chunks a dead helper left unfinished
        self.exhausted = False
        self.failure: Exception | None = None  # what the inputs' iterator raised

    def map(self, ordered: bool) -> Iterator[Out]:
        import multiprocessing  # only when a pool runs: it is not a cheap import
        from multiprocessing.connection import wait  # any number of descriptors, and Windows pipes

        self.wait = wait
        context = multiprocessing.get_context()
        for _ in range(self.helper_count):
            here, there = context.Pipe()
            ends = [helper.connection for helper in self.helpers] + [here]  # this process's, for the helper to close
            progress = context.RawArray("q", [0, -1])
            process = context.Process(target=_serve, args=(there, self.one, os.getpid(), ends, progress), daemon=True)
            process.start()
            there.close()
            self.helpers.append(_Helper(process, here, progress))
        finished = False
        try:
            yield from self._run(ordered)
            finished = True
        finally:
            self._stop(gracefully=finished)

    def _run(self, ordered: bool) -> Iterator[Out]:
        next_out = 0  # the next chunk to yield, when ordered
        while True:
            self._collect(block=False)
            for helper in list(self.helpers):
                self._feed(helper)
            if ordered:
                while next_out in self.results:
                    yield from self.results.pop(next_out)
                    next_out += 1
            else:
                for index in list(self.results):
                    yield from self.results.pop(index)
            if (taken := self._take()) is not None:
                self.results[taken[0]] = self._here(taken[1])
            elif any(helper.queued for helper in self.helpers):
                self._collect(block=True)
            elif self.exhausted and not self.results:
                if self.failure is not None:
                    raise self.failure
                return

    def _take(self) -> tuple[int, list[In]] | None:
        """The next chunk to parse: one a dead helper left, else the next inputs if the window
        has room; None when neither."""
        if self.orphaned:
            index = self.orphaned.popleft()
            return index, self.sent.pop(index)
        if self.exhausted or len(self.sent) + len(self.results) >= self.limit:
            return None
        try:
            taken = next(self.numbered, None)
        except Exception as exc:  # raised once every result before it is yielded
            self.failure = exc
            taken = None
        self.exhausted = taken is None
        return taken

    def _feed(self, helper: _Helper) -> None:
        """Top a helper's queue up to QUEUED chunks (fewer when the window is full)."""
        while len(helper.queued) < QUEUED and (taken := self._take()) is not None:
            index, chunk = taken
            self.sent[index] = chunk
            helper.queued.append(index)
            try:
                helper.connection.send((index, chunk))
            except OSError:
                self._lost(helper)
                return

    def _here(self, chunk: list[In]) -> list[Out]:
        """Parse a chunk in this process, relieving the helpers after each input."""
        done = []
        for item in chunk:
            done.append(self.one(item))
            self._collect(block=False)
        return done

    def _collect(self, block: bool) -> None:
        """Take in every result a helper has sent; with `block`, wait for at least one."""
        busy = {helper.connection: helper for helper in self.helpers if helper.queued}
        if not busy:
            return
        for connection in self.wait(list(busy), None if block else 0):
            helper = busy[connection]  # type: ignore[index]
            try:
                failure, done = helper.connection.recv()
            except (EOFError, OSError):
                self._lost(helper)
                continue
            if failure is not None:
                raise failure
            index = helper.queued.popleft()
            del self.sent[index]
            self.results[index] = done
            self._feed(helper)

    def _lost(self, helper: _Helper) -> None:
        """A helper died (killed, or crashed in native code): its unanswered chunks go first to
        whichever process takes work next, this one or a live helper, the input it died on
        marked so that it is not parsed again."""
        self.helpers.remove(helper)
        helper.connection.close()
        helper.process.join()
        index, position = helper.progress
        if index in helper.queued and position >= 0:
            chunk = self.sent[index]
            chunk[position] = _Died(chunk[position], _death(helper.process.exitcode))  # type: ignore[assignment]  # _apply's
        self.orphaned.extend(helper.queued)
        helper.queued.clear()

    def _stop(self, gracefully: bool) -> None:
        for helper in self.helpers:
            if gracefully:
                with contextlib.suppress(OSError):
                    helper.connection.send(None)
            else:
                helper.process.terminate()
        for helper in self.helpers:
            helper.process.join()
            helper.connection.close()


def _serve(connection: Connection, one: Callable[[Any], Any], parent: int, parents_ends: list[Connection], progress: Any) -> None:
    """A helper's loop: a chunk in, its results out, until told to stop or orphaned. It notes
    in `progress` which input it is on, for the parent to know if it dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):  # the parent turns it into SystemExit (outputs.py); here it just ends
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    _die_with_parent()
    for end in parents_ends:  # inherited by the fork: held here, a dead parent's pipes would never close
        end.close()
    while True:
        while not connection.poll(1.0):
            if os.getppid() != parent:
                return
        try:
            message = connection.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if message is None:
            return
        index, chunk = message
        try:
            done = []
            for position, item in enumerate(chunk):
                progress[:] = [index, position]
                done.append(one(item))
            progress[1] = -1
            reply: tuple[Exception | None, list[Any] | None] = (None, done)
        except Exception as exc:
            reply = (exc, None)
        try:
            connection.send(reply)
        except OSError:  # the parent is gone: its end of the pipe closed with it
            return


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this helper when its parent dies, whatever it is doing
    (computing, or blocked writing to a pipe its parent will never read)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
