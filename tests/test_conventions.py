"""The conventions of issue 18: what a user of ruff, pytest or DuckDB expects of a command line
(test names carry the item numbers)."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

import imrparse
from imrparse.cli import app

runner = CliRunner()


def test_1_version_is_printed_and_exported() -> None:
    assert imrparse.__version__ and imrparse.__version__[0].isdigit()
    for flag in ("--version", "-V"):
        result = runner.invoke(app, [flag])
        assert result.exit_code == 0
        assert result.stdout == f"imrparse {imrparse.__version__}\n"
    done = subprocess.run([sys.executable, "-m", "imrparse", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"imrparse {imrparse.__version__}"
    from importlib.metadata import version

    assert version("imrparse") == imrparse.__version__  # one version: pyproject.toml reads __init__.py's


def test_1_shell_completion_is_offered() -> None:
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout
    imrparse_ = [sys.executable, "-m", "imrparse"]
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = subprocess.run([*imrparse_, "--show-completion", "bash"], env=env, capture_output=True, text=True, check=True)
    assert "_IMRPARSE_COMPLETE=complete_bash" in script.stdout
    env = {**os.environ, "_IMRPARSE_COMPLETE": "complete_bash", "COMP_WORDS": "imrparse va", "COMP_CWORD": "1"}
    completed = subprocess.run(imrparse_, env=env, capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["validate"]
