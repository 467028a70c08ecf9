"""Nothing lost, nothing hangs: what imrparse promises about its outputs, resumed runs, DuckDB
loads and worker processes under kills, concurrent runs, a full disk and odd paths (the README's
"Guarantees"). Test names carry the number of the issue-15 item they pin down."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, skip_because

import imrparse

LETTER = (FIXTURES / "rules" / "D403-duplicate-treatment.pass.txt").read_text(encoding="utf-8")
ENV = {**os.environ, "PYTHONPATH": str(FIXTURES.parent)}


def _letters(folder: Path, count: int, filler: int = 0) -> list[Path]:
    """COUNT distinct letters in FOLDER, each with FILLER more words in a rationale."""
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        text = LETTER.replace("CM16-0999002", f"CM16-{i:07d}").replace("No such findings", "No such " + "findings " * filler, 1)
        paths.append(folder / f"{i:05d}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    return paths


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


# -- 12: a killed parent leaves no helper behind -------------------------------------------------


KEEP_PDEATHSIG = "import sys; from imrparse.cli import app; sys.argv[0] = 'imrparse'; app()"
NO_PDEATHSIG = "import imrparse.pool as pool; pool._die_with_parent = lambda: None; " + KEEP_PDEATHSIG


@pytest.mark.parametrize("code", [KEEP_PDEATHSIG, NO_PDEATHSIG], ids=["linux", "without PR_SET_PDEATHSIG"])
def test_12_a_pipeline_ends_when_imrparse_is_killed(tmp_path: Path, code: str) -> None:
    """`imrparse parse ... | cat` ends although the helper was blocked sending big results to a
    parent that stopped reading and was then killed with -9."""
    if not os.path.isdir("/proc"):
        skip_because("finds the helper process in /proc")
    _letters(tmp_path / "in", 40, filler=30_000)  # ~300 KB each: a chunk's results overflow the pipe
    parse = subprocess.Popen([sys.executable, "-c", code, "parse", str(tmp_path / "in"), "--workers", "2", "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=ENV, process_group=0)
    cat = subprocess.Popen(["cat"], stdin=parse.stdout, stdout=subprocess.PIPE)
    assert parse.stdout is not None
    parse.stdout.close()
    try:
        deadline = time.monotonic() + 30
        while not (helpers := _children(parse.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert helpers, "no helper was started"
        time.sleep(0.3)
        os.kill(parse.pid, signal.SIGSTOP)  # stops reading: the helper fills the pipe and blocks in a send
        time.sleep(1.5)
        os.kill(parse.pid, signal.SIGKILL)
        parse.wait()
        cat.communicate(timeout=10)  # every writer of the pipe (helpers included) is gone
        assert cat.returncode == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parse.pid, signal.SIGKILL)
        cat.kill()
        cat.wait()


# -- 14: invalid arguments -----------------------------------------------------------------------


@pytest.mark.parametrize("workers", [-1, 0, 1.5])
def test_14_invalid_workers_raise_value_error(workers: int) -> None:
    with pytest.raises(ValueError, match="workers must be"):
        imrparse.parse_many([LETTER.encode()] * 40, workers=workers)
    with pytest.raises(ValueError, match="workers must be"):
        imrparse.validate_many([LETTER.encode()] * 40, workers=workers)


def test_14_an_invalid_size_limit_raises_value_error() -> None:
    with pytest.raises(ValueError, match="max_bytes must be"):
        imrparse.parse_many([LETTER.encode()], max_bytes=0)
