"""What identifies a batch result and what kind it is, for the outputs that keep results across
runs (`--resume`, DuckDB loads): here, not in batch.py, so that writing results needs nothing of
how they are made."""

from __future__ import annotations

from typing import Any

Result = dict[str, Any]
STDIN = "<stdin>"  # standard input's name in messages, reports and records (`source.path`)

# An input whose process died is recorded so; `--resume` parses it again, up to DIED_LIMIT times.
DIED = "the process parsing this input died: "
DIED_LIMIT = 3


def result_key(result: Result) -> str:
    """What identifies a result's input across runs: its content's sha256, or its path when it
    could not be read. `--resume` skips inputs whose key is already in the output."""
    source = result["source"]
    return str(source["sha256"] or f"path:{source['path']}")


def died(result: Result) -> bool:
    """Whether a result is `batch.lost_one`'s: its input's process died, so it is not the input's own."""
    error = result.get("error")
    return isinstance(error, dict) and error.get("kind") == "input" and str(error.get("message", "")).startswith(DIED)
