"""The one place imrparse reaches past Lark's public interface.

Each function below names what it takes from Lark and why no public interface gives it.
`tests/test_lark_seam.py` calls each one on the shipped grammar, so a Lark release that moves
any of them fails there, with the name of the function, instead of somewhere downstream.

* `parse_table`: the LALR table, for the optional record-parser engine (grammar/engine.py).
  `Lark.save` pickles the same table, but only as an opaque blob of Lark's own classes.
* `values_so_far`: the values an interactive parse has built when it stops, so a letter that
  fails still hands back what it read (`ParseError.partial`). `InteractiveParser` exposes its
  state object but documents no accessor for the stack.
* `grammar_syntax_tree`: a `.lark` file's own syntax tree with line numbers, before Lark
  inlines terminals into one another, so `imrparse grammar check` can name lines.
* `compiled_plugins`: lark-cython's classes, handed to `Lark(_plugins=...)`, the option
  lark-cython documents for itself.
"""

from __future__ import annotations

import os
from typing import Any

from lark import Lark, Tree
from lark.parsers.lalr_interactive_parser import InteractiveParser


class LarkChanged(RuntimeError):
    """Lark no longer has what a function of this module reads: upgrade this module first."""


def parse_table(parser: Lark) -> Any:
    """The LALR parse table (states, start and end states) of a parser built with parser="lalr"."""
    try:
        return parser.parser.parser._parse_table
    except AttributeError as exc:
        raise LarkChanged(f"lark_seam.parse_table: Lark {_version()} keeps no LALR table where this reads it ({exc})") from None


def values_so_far(interactive: InteractiveParser) -> list[Any]:
    """The value stack of an interactive parse: the trees and tokens built so far."""
    try:
        return list(interactive.parser_state.value_stack)
    except AttributeError as exc:
        raise LarkChanged(f"lark_seam.values_so_far: Lark {_version()} has no value stack on its parser state ({exc})") from None


def grammar_syntax_tree(grammar_text: str) -> Tree[Any]:
    """A grammar file parsed by Lark's own grammar-of-grammars (tokens carry line numbers)."""
    try:
        from lark.load_grammar import _get_parser
    except ImportError as exc:
        raise LarkChanged(f"lark_seam.grammar_syntax_tree: Lark {_version()} has no grammar parser to import ({exc})") from None
    tree: Tree[Any] = _get_parser().parse(grammar_text + "\n")  # type: ignore[no-untyped-call]
    return tree


def compiled_plugins() -> dict[str, Any]:
    """lark-cython's parser and lexer classes, or {} when it is absent or IMRPARSE_PURE_PYTHON=1."""
    if os.environ.get("IMRPARSE_PURE_PYTHON") == "1":
        return {}
    try:
        import lark_cython
    except ImportError:
        return {}
    return dict(lark_cython.plugins)


def _version() -> str:
    import lark

    return str(lark.__version__)
