"""imrparse's own regular expressions, compiled ahead, for a fast start.

As its modules are imported, imrparse compiles some fifty regular expressions (the wording
table's rows, the narrative's and the normalizer's patterns): about 9 ms of a new process, spent
in `re`'s parser and compiler, which are Python. Their output is data. `loader.write_shipped_tables()`
records which patterns a start and a first parse compile and keeps each one's engine code in
`imrparse/precompiled.json`; importing this module (the package's first import) hands that code
to the engine (`_sre.compile`, what `re.compile` ends with) and puts the patterns in `re`'s own
cache, where `re.compile` finds them.

Only on the Python the code was made on (the same implementation and version, sre MAGIC and word
size), and only while `re` keeps its cache as the dict this expects; otherwise nothing is done
and every pattern is compiled as usual. A pattern whose text changed since is not in the file,
so it too is compiled as usual. IMRPARSE_PRECOMPILED=0 turns it off. `tests/test_engines.py` checks that each pattern from the file
is the pattern `re.compile` makes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson

from imrparse.grammar.engine import from_sre, sre_header_matches

PATH = Path(__file__).resolve().parent / "precompiled.json"


def fill_re_cache(path: Path = PATH) -> int:
    """Put the shipped patterns in `re`'s cache; the number put there."""
    if os.environ.get("IMRPARSE_PRECOMPILED") == "0":
        return 0
    cache = getattr(re, "_cache", None)
    maxcache = getattr(re, "_MAXCACHE", 0)
    if not isinstance(cache, dict) or not isinstance(maxcache, int):
        return 0
    try:
        shipped: dict[str, Any] = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return 0
    if not sre_header_matches(shipped):
        return 0
    filled = 0
    for entry in shipped.get("patterns", ()):
        key = (str, entry["pattern"], entry["flags"])
        if key in cache or len(cache) >= maxcache // 2:  # leave `re` room for everyone else's
            continue
        pattern = from_sre(entry["pattern"], entry)
        if pattern is not None:
            cache[key] = pattern
            filled += 1
    return filled


fill_re_cache()
