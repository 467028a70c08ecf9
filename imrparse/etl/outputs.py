"""Where the commands write, so that no run loses what a user had or leaves anything behind.

- A regular file is written to a hidden temporary file beside it, `.NAME.XXXXXXXX.partial`
  (`.NAME` a hash of the name when the name is too long to take the suffix),
  renamed over it only when the run completes (a Parquet directory likewise, swapped in whole):
  an interrupted or failed run leaves the previous output as it was.
- `--resume` appends to the file itself, a finished line at a time, so a kill keeps every line.
- Standard output (`-`, or a path that is it), a character device, a FIFO or a socket is written
  directly: there is nothing to replace, and replacing `/dev/null` would break the system.
- Every run that writes a file or directory holds an exclusive lock on it (`.NAME.lock` beside
  it, holding the writer's pid), so a second run stops and names the first instead of writing
  everything twice; the lock holder removes what killed runs left (`.NAME.*.partial`).

Files are created as `open()` would: mode 0666 less the umask (an existing file keeps its mode).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from io import RawIOBase
from pathlib import Path
from typing import BinaryIO

import orjson

from imrparse.etl.results import DIED_LIMIT, died, result_key


class OutputError(Exception):
    """The output cannot be used: a usage problem (exit 2), never a letter's."""


class Sink:
    """A byte stream whose write errors (a full disk, a closed reader) are OutputErrors that
    name the output. Files are unbuffered (each write one system call or more): a failed write
    leaves nothing buffered for `close` to fail on again."""

    def __init__(self, stream: BinaryIO | RawIOBase, name: str) -> None:
        self.stream = stream
        self.name = name

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:  # an unbuffered write may take only part of it
                view = view[self.stream.write(view) or 0 :]
        except OSError as exc:
            raise _cannot_write(self.name, exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            raise _cannot_write(self.name, exc) from None


def _cannot_write(name: object, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {name}: {exc.strerror or exc}")


def is_standard_output(output: Path | None) -> bool:
    """No --output, `-`, or a path that names this process's standard output (/dev/stdout)."""
    if output is None or str(output) == "-":
        return True
    try:
        return os.path.samestat(os.stat(output), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError):  # no such path, or a standard output that is no file (tests)
        return False


def regular_file(output: str | os.PathLike[str]) -> os.stat_result | None:
    """OUTPUT's status when it is an existing regular file (the kind an input can be)."""
    try:
        info = os.stat(output)
    except OSError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


@contextmanager
def replacing(output: Path | None) -> Iterator[Sink]:
    """A sink for OUTPUT: standard output or a special file written directly, else a temporary
    file renamed over OUTPUT when the block completes and removed if it raises (SIGINT and
    SIGTERM included)."""
    if is_standard_output(output):
        sink = Sink(sys.stdout.buffer, "standard output")
        yield sink
        sink.flush()
        return
    assert output is not None
    target = _target(output)
    if target.exists() and not target.is_file():
        with _special(target, output) as sink:
            yield sink
        return
    _exit_on_sigterm()
    with locked(target):
        mode = _creation_mode(target)
        try:
            fd, partial = tempfile.mkstemp(prefix=f"{_stem(target)}.", suffix=".partial", dir=target.parent)
            os.fchmod(fd, mode)
        except OSError as exc:
            raise _cannot_write(output, exc) from None
        try:
            with os.fdopen(fd, "wb", buffering=0) as stream:
                sink = Sink(stream, str(output))
                yield sink
                sink.flush()
            _commit(lambda: os.replace(partial, target), output)
        except BaseException:
            os.unlink(partial)
            raise


@dataclass
class Completed:
    """What a JSON Lines output already holds: the keys of the inputs done (`--resume` skips
    them), and of those the ones whose result is an error record."""

    keys: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)


@contextmanager
def appending(output: Path) -> Iterator[tuple[Sink, Completed]]:
    """OUTPUT (JSON Lines) opened for appending under this run's lock, with what is already in it
    (`--resume`). Each line is flushed as written, so a kill keeps it."""
    target = _target(output)
    if target.exists() and not target.is_file():
        raise OutputError(f"--resume continues a regular file, and {output} is not one")
    _exit_on_sigterm()
    with locked(target):
        done = completed_keys(target) if target.exists() else Completed()
        try:
            stream = target.open("ab", buffering=0)
        except OSError as exc:
            raise _cannot_write(output, exc) from None
        with stream:
            yield Sink(stream, str(output)), done


def completed_keys(output: Path) -> Completed:
    """The inputs a JSON Lines output holds results for. An input whose process died (`died`) is
    not done until it has a result of its own, or DIED_LIMIT such records (it kills whatever
    process parses it). A last line cut short (by a kill or a full disk) is removed, so its
    input is parsed again and appears once. Any other line that is not a record stops the run
    (OutputError naming the line), with the file untouched: a resume never deletes a record."""
    done = Completed()
    deaths: Counter[str] = Counter()
    complete = 0
    with output.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.endswith(b"\n"):
                break
            try:
                result = orjson.loads(line)
                key = result_key(result)
            except (orjson.JSONDecodeError, KeyError, TypeError):
                what = "is blank" if not line.strip() else "is not a record imrparse wrote"
                raise OutputError(f"{output}:{number}: the line {what}; --resume appends only to imrparse's JSON Lines. "
                                  "Remove or fix that line, then resume") from None
            complete += len(line)
            if died(result):
                deaths[key] += 1
                if deaths[key] < DIED_LIMIT:
                    continue
            done.keys.add(key)
            if "error" in result:
                done.failed.add(key)
    if complete != output.stat().st_size:
        with output.open("r+b") as stream:
            stream.truncate(complete)
    return done


@contextmanager
def replacing_directory(output: Path, names: set[str]) -> Iterator[Path]:
    """An empty directory to fill, swapped in whole for the directory OUTPUT when the block
    completes (the old one is then deleted) and deleted if it raises. OUTPUT may hold only
    NAMES, the files a run writes there: the swap replaces all of it."""
    target = _target(output)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(output, exc) from None
    if target.exists() and not target.is_dir():
        raise OutputError(f"cannot write tables into {output}: it is not a directory")
    _exit_on_sigterm()
    with locked(target):
        if target.exists() and (others := sorted(set(os.listdir(target)) - names)):
            raise OutputError(f"{output} holds other files than the tables ({', '.join(others[:3])}): a run replaces the "
                              "whole directory, so give a new or empty one")
        try:
            partial = Path(tempfile.mkdtemp(prefix=f"{_stem(target)}.", suffix=".partial", dir=target.parent))
            os.chmod(partial, 0o777 & ~_umask())
        except OSError as exc:
            raise _cannot_write(output, exc) from None
        try:
            yield partial
            _commit(lambda: _swap(partial, target), output)
        finally:
            shutil.rmtree(partial, ignore_errors=True)  # the new tables if the run failed, else the old ones


@contextmanager
def locked(target: Path) -> Iterator[None]:
    """This run's exclusive lock on TARGET, `.NAME.lock` beside it, holding this process's id for
    the message a second run gives. The kernel drops the lock when this process dies however it
    dies; the file is removed on the way out. Holding it, remove what killed runs left."""
    path = target.with_name(f"{_stem(target)}.lock")
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise _cannot_write(target, exc) from None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise _cannot_write(target, exc) from None
            raise OutputError(f"{target} is being written by another run (process {holder or 'unknown'}): "
                              "wait for it to end, or write elsewhere") from None
        if _names(fd, path):
            break
        os.close(fd)  # the previous holder removed it before we locked it: lock the new one
    try:
        with suppress(OSError):  # only for the message (a full disk has no room for it)
            os.ftruncate(fd, 0)  # a killed run's pid may be there
            os.write(fd, b"%d\n" % os.getpid())
        _remove_stale(target)
        yield
    finally:
        os.unlink(path)
        os.close(fd)


def _names(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _remove_stale(target: Path) -> None:
    """Remove the temporary files and directories of earlier runs to TARGET that were killed:
    this run holds the lock, so no live run is writing them."""
    stale = re.compile(rf"{re.escape(_stem(target))}\.[a-z0-9_]{{8}}\.partial")  # tempfile's 8 random characters
    for entry in os.scandir(target.parent):
        if stale.fullmatch(entry.name):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with suppress(OSError):
                    os.unlink(entry.path)


# The longest name a file can have (Linux, macOS), and the most a file beside OUTPUT adds to its
# stem: `.XXXXXXXX.partial.old` (a directory's previous tables, while they are swapped).
NAME_MAX = 255
_SUFFIX_MAX = len(".XXXXXXXX.partial.old")


def _stem(target: Path) -> str:
    """How the files beside TARGET (its temporary file, its lock) begin: `.NAME`, or for a name
    too long to take their suffixes, `.` and a hash of the name."""
    stem = f".{target.name}"
    if len(os.fsencode(stem)) + _SUFFIX_MAX <= NAME_MAX:
        return stem
    return "." + hashlib.sha256(os.fsencode(target.name)).hexdigest()[:32]


def _target(output: Path) -> Path:
    """The file OUTPUT names, links followed: the rename replaces it, not a link to it, and
    happens in its directory (a temporary file elsewhere could be on another filesystem)."""
    return Path(os.path.realpath(output))


@contextmanager
def _special(target: Path, output: Path) -> Iterator[Sink]:
    """A character device or FIFO opened for writing, a Unix socket connected to; a directory
    is refused."""
    mode = os.stat(target).st_mode
    if stat.S_ISDIR(mode):
        raise OutputError(f"cannot write {output}: it is a directory")
    try:
        if stat.S_ISSOCK(mode):
            import socket

            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.connect(str(target))
            stream: RawIOBase = connection.makefile("wb", buffering=0)
            connection.close()  # the file object keeps the socket open
        else:
            stream = open(target, "wb", buffering=0)  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _cannot_write(output, exc) from None
    with stream:
        sink = Sink(stream, str(output))
        yield sink
        sink.flush()


def _commit(step: Callable[[], object], output: Path) -> None:
    """The step that puts a finished output in place; its failure names the output."""
    try:
        step()
    except OSError as exc:
        raise _cannot_write(output, exc) from None


def _swap(new: Path, target: Path) -> None:
    """Put NEW at TARGET, TARGET's old contents then at NEW, in one step where the system can."""
    if not target.exists():
        os.rename(new, target)
    elif not _exchange(new, target):  # not Linux, or a filesystem that cannot: a moment without TARGET
        os.rename(target, f"{new}.old")
        os.rename(new, target)
        os.rename(f"{new}.old", new)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 with RENAME_EXCHANGE); False where unsupported."""
    import ctypes

    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_cwd, rename_exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _creation_mode(target: Path) -> int:
    """The mode `open()` would give TARGET: its own if it exists, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it, so set it back at once
    os.umask(mask)
    return mask


def _exit_on_sigterm() -> None:
    """SIGTERM and SIGHUP (the terminal closed) raise SystemExit, as SIGINT raises
    KeyboardInterrupt, so an interrupted run unwinds: it removes its temporary output and lock
    and keeps the previous output."""
    signal.signal(signal.SIGTERM, _raise_exit)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, _raise_exit)


def _raise_exit(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)
