"""The command line: `imrparse` (Typer)."""

from imrparse.cli.commands import app, prose_help

prose_help(app)  # after every command is registered

__all__ = ["app"]
