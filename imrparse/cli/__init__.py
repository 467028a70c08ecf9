"""The command line: `imrparse` (Typer)."""

from imrparse.cli.commands import app

__all__ = ["app"]
