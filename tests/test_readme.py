"""The README's examples run as written (issue 18, item 10): every ```python, ```sh and
```console block, in README order, in one scratch directory that has the repository's
`fixtures/` (the real letters among them, in `fixtures/corpus`), and `letters/` (a copy of the
fixture letters, standing for the reader's folder). Console blocks are sessions: each `$ ` command's output
(stdout and stderr) must be the lines shown under it. A block that cannot run here carries a
`<!-- readme:no-run REASON -->` line above it, and the reason must be given."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, skip_because

RUNNABLE = ("python", "sh", "console")
NO_RUN = re.compile(r"<!-- readme:no-run (?P<reason>.*) -->")


@dataclass
class Block:
    line: int
    language: str
    code: str
    no_run: str | None

    def __str__(self) -> str:
        return f"README.md:{self.line}:{self.language}"


def readme_blocks() -> list[Block]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.M | re.S):
        above = []  # the comment lines right above the fence (markers)
        for line in reversed(text[:match.start()].rstrip("\n").split("\n")):
            if not line.startswith("<!--"):
                break
            above.append(line)
        no_run = next((m["reason"] for line in above if (m := NO_RUN.fullmatch(line))), None)
        blocks.append(Block(text.count("\n", 0, match.start()) + 1, match[1], match[2], no_run))
    return blocks


BLOCKS = [block for block in readme_blocks() if block.language in RUNNABLE and block.no_run is None]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("readme") / "work"
    work.mkdir()
    (work / "fixtures").symlink_to(FIXTURES)
    shutil.copytree(FIXTURES / "letters", work / "letters", ignore=shutil.ignore_patterns("*.md"))
    return work


def _environment() -> dict[str, str]:
    """This interpreter's scripts (imrparse) first on PATH, as in an activated environment."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_every_block_that_does_not_run_says_why() -> None:
    assert {block.language for block in readme_blocks()} <= {*RUNNABLE, "json", "sql", "lark"}
    skipped = [block for block in readme_blocks() if block.language in RUNNABLE and block.no_run is not None]
    assert all(len(block.no_run or "") > 20 for block in skipped), skipped
    # the user's and the contributors' install lines, the test command, a wording row, a screenshot
    assert len(skipped) <= 5, "most examples must run"


@pytest.mark.parametrize("block", BLOCKS, ids=str)
def test_the_readme_block_runs_as_written(block: Block, scratch: Path) -> None:
    if block.language == "python" and "pyspark" in block.code and shutil.which("java") is None:
        skip_because("the Spark example needs Java")
    if block.language == "console":
        _run_session(block, scratch)
        return
    command = [sys.executable, "-c", block.code] if block.language == "python" else ["bash", "-euo", "pipefail", "-c", block.code]
    done = subprocess.run(command, cwd=scratch, env=_environment(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{block} failed ({done.returncode}):\n{block.code}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"


def _run_session(block: Block, scratch: Path) -> None:
    """Each `$ command` of a console block, and the output shown under it."""
    for session in re.split(r"^\$ ", block.code, flags=re.M)[1:]:
        command, _, shown = session.partition("\n")
        done = subprocess.run(["bash", "-c", command], cwd=scratch, env=_environment(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=300)
        assert done.stdout.rstrip("\n").split("\n") == shown.rstrip("\n").split("\n"), f"{block}: $ {command}"
