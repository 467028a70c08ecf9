"""The letter layouts: each is one alternative of the grammar's `start` and one module here.

A layout's module is named after its grammar rule (`fdl_2014.py` reads the rule `fdl_2014`) and
defines `LAYOUT`: the record's layout name, how an error names its opening, how the record is
read from the rule's children, and what `validate` asks of its letters. Nothing outside its
module tests for a layout by name. The modules are found here, not listed: adding a layout is a
grammar alternative, a module and its fixtures (README: "How to add a layout"), and
`tests/test_layouts.py` fails while the grammar's alternatives and the modules differ.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imrparse.grammar.landmarks import Landmarks
from imrparse.text.normalize import Normalized

# What the record builder hands a layout: its rule's children (tokens and built parts), the letter
# and the grammar's landmarks. What it returns: the record's parts ("case", "reviewer", "summary",
# "decisions"; the summary as `parts.summary` gives it, with its statement of the date of injury);
# a part it does not state is left out and becomes null.
Read = Callable[[list[Any], Normalized, Landmarks], dict[str, Any]]


@dataclass(frozen=True)
class Layout:
    name: str  # the record's `layout`
    rule: str  # its alternative of `start` in the grammar
    opening: Callable[[Landmarks], str]  # how "not a letter" errors name the way it begins
    read: Read
    header_required: bool = False  # validate H201/H202: the letter must have the header's seven fields
    outcome_after_title: bool = False  # validate D401: each title ends "<item>: <outcome>" in the letter's words
    required: tuple[tuple[str, ...], ...] = ()  # validate L601: parts each letter has, as the terminals (any one) that open them


@functools.lru_cache(maxsize=1)
def layouts() -> dict[str, Layout]:
    """Every layout, by its grammar rule."""
    found: dict[str, Layout] = {}
    for module in pkgutil.iter_modules(__path__):
        layout = getattr(importlib.import_module(f"{__name__}.{module.name}"), "LAYOUT", None)
        if isinstance(layout, Layout):
            if layout.rule != module.name:
                raise ValueError(f"imrparse/read/layouts/{module.name}.py reads the rule {layout.rule!r}: name the module after it")
            found[layout.rule] = layout
    return found


def by_name(name: str) -> Layout | None:
    """The layout a record names (its `layout`), if imrparse has it."""
    return next((layout for layout in layouts().values() if layout.name == name), None)
