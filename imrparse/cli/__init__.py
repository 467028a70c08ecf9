"""The command line: `imrparse` (Typer). `main` is the console script: Ctrl-C while the command
line is still being imported ends it with exit 130, not a traceback."""

from __future__ import annotations

import gc

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads it so too)
if TYPE_CHECKING:
    from typing import Any


def main() -> None:
    try:
        from imrparse.cli.commands import app
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    # What was just imported lives as long as the process: frozen, no collection walks it again,
    # the interpreter's own at exit included (a fifth of `imrparse parse LETTER`'s time).
    # Objects made afterwards (a duckdb connection, a pool's) are collected as usual.
    gc.freeze()
    app(prog_name="imrparse")


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(f"module 'imrparse.cli' has no attribute {name!r}")
    from imrparse.cli.commands import app

    return app


__all__ = ["app", "main"]
