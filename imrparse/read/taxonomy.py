"""A treatment's category and drug class, and a reviewer specialty's canonical name, from the
taxonomy data file `imrparse/read/data/taxonomy.json` (its "about" notes say how it is read).

Pure functions of their text, cached: the same treatments and specialties recur across letters.
"""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from imrparse.read import treatment

TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.json"
OTHER = "other"
PHARMACEUTICALS = "pharmaceuticals"


class Category(NamedTuple):
    name: str
    drugs: bool  # it takes every line that names a drug or states a strength or a form


class Taxonomy(NamedTuple):
    categories: tuple[Category, ...]
    patterns: dict[str, str]  # by the first letter of a word; group c<i>: a pattern of category i
    drugs: dict[tuple[str, ...], str]  # a drug name's words (lower case) -> its class
    longest_drug: int  # words in the longest name
    topical_forms: frozenset[str]
    specialties: dict[str, str]


# Words of a drug name or a treatment line: letters and digits, and "#3" (Tylenol #3). Other
# characters only separate words, so "hydrocodone/APAP" is the two words of that name.
_WORD = re.compile(r"[^\W_]+|#\d+")


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


@functools.lru_cache(maxsize=1)
def load() -> Taxonomy:
    """The taxonomy, read and compiled once per process."""
    # JSON read by orjson, already loaded: tomllib's import alone cost a cold start 8-15 ms.
    data: dict[str, Any] = orjson.loads(TAXONOMY_PATH.read_bytes())
    categories = tuple(Category(row["name"], bool(row.get("drugs"))) for row in data["categories"])
    patterns = _by_first_letter([row.get("patterns", []) for row in data["categories"]])
    names: dict[str, list[str]] = data["drug_classes"]["names"]
    drugs = {tuple(_words(name)): cls for cls, listed in names.items() for name in listed}
    specialties = {_specialty_key(key): value for key, value in data["specialties"]["names"].items()}
    return Taxonomy(categories, patterns, drugs, max(map(len, drugs)), frozenset(data["drug_classes"]["topical_forms"]), specialties)


_LITERAL_START = re.compile(r"(?:\\b)?([A-Za-z])(?![?*{])")


def _by_first_letter(patterns: list[list[str]]) -> dict[str, str]:
    """For each letter a word can begin with, one alternation of the category patterns that can
    match there, in category order (group c<i>: a pattern of category i); matched at a word
    start, it names the first category with a pattern that begins there. A pattern that begins
    with a letter is tried only at words that begin with it (a regular expression tries each
    alternative of an alternation in turn, so one alternation of all of them would cost the
    taxonomy's size at every word); the others ("\\w+ectomy") at every word."""
    letters: set[str] = set()
    keyed: list[list[tuple[str | None, str]]] = []
    for listed in patterns:
        rows: list[tuple[str | None, str]] = []
        for pattern in listed:
            literal = _LITERAL_START.match(pattern)
            key = literal.group(1).lower() if literal is not None else None
            rows.append((key, pattern))
            if key is not None:
                letters.add(key)
        keyed.append(rows)

    def alternation(letter: str | None) -> str:
        groups = []
        for i, rows in enumerate(keyed):
            mine = [pattern for key, pattern in rows if key is None or key == letter]
            if mine:
                groups.append(f"(?P<c{i}>{'|'.join(mine)})")
        return "|".join(groups) or "(?!)"

    table = {letter: alternation(letter) for letter in letters}
    table[""] = alternation(None)  # a word that begins with no pattern's letter
    return table


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> re.Pattern[str]:
    """Compiled on first use: a process compiles only the letters its treatments begin words with."""
    return re.compile(source, re.IGNORECASE)


def first_drug(text: str) -> str | None:
    """The class of the first drug the line names (the longest name where two begin at one
    word: "Tylenol #3" before "Tylenol"), or None."""
    taxonomy = load()
    words = _words(text)
    for i in range(len(words)):
        for n in range(min(taxonomy.longest_drug, len(words) - i), 0, -1):
            cls = taxonomy.drugs.get(tuple(words[i:i + n]))
            if cls is not None:
                return cls
    return None


class Classification(NamedTuple):
    category: str
    drug_class: str | None  # for pharmaceuticals only


_PERCENT = re.compile(r"\d\s*%")


@functools.lru_cache(maxsize=8192)
def classify(text: str) -> Classification:
    """The category of a treatment line, and for a medication its drug class."""
    taxonomy = load()
    parts = {part.field: part.value for part in treatment.read_treatment(text)}
    drug = first_drug(text)
    is_drug = drug is not None or "strength" in parts or "form" in parts
    first = len(taxonomy.categories)
    patterns = taxonomy.patterns
    for word in _WORD_START.finditer(text):
        match = _compiled(patterns.get(word.group().lower(), patterns[""])).match(text, word.start())
        if match is not None and match.lastgroup is not None:
            first = min(first, int(match.lastgroup[1:]))
    for i, category in enumerate(taxonomy.categories[:first + 1]):
        if (category.drugs and is_drug) or i == first:
            if category.name != PHARMACEUTICALS:
                return Classification(category.name, None)
            return Classification(category.name, _drug_class(text, parts, drug, taxonomy))
    return Classification(OTHER, None)


_WORD_START = re.compile(r"(?<!\w)\w")


def _drug_class(text: str, parts: dict[str, Any], drug: str | None, taxonomy: Taxonomy) -> str:
    """A compound (two or more strengths in percent) or a topical form is topical or compounded;
    otherwise the class of the first drug named; otherwise other."""
    if parts.get("form") in taxonomy.topical_forms or len(_PERCENT.findall(text)) >= 2:
        return "topical or compounded"
    return drug if drug is not None else OTHER


_KEY_DROP = re.compile(r"[^a-z0-9 ]+")


def _specialty_key(text: str) -> str:
    return " ".join(_KEY_DROP.sub(" ", text.lower().replace("&", " and ")).split())


SPECIALTY_CUTOFF = 0.95  # difflib ratio: one letter added, dropped or changed in a name of 20 or more letters


class Specialty(NamedTuple):
    canonical: str
    corrected: bool  # the nearest listed specialty to a misspelled one


@functools.lru_cache(maxsize=1024)
def read_specialty(text: str) -> Specialty:
    """A specialty's ABMS board or specialty name ("Physical Medicine & Rehabilitation" ->
    "Physical Medicine and Rehabilitation", "Family Practice" -> "Family Medicine"); a misspelling of
    a listed one ("Sports Medicinea") its nearest listed one, `corrected`; a specialty neither
    listed nor that close keeps its words, "&" written "and"."""
    specialties = load().specialties
    key = _specialty_key(text)
    canonical = specialties.get(key)
    if canonical is not None:
        return Specialty(canonical, False)
    nearest = difflib.get_close_matches(key, list(specialties), n=1, cutoff=SPECIALTY_CUTOFF)
    if nearest:
        return Specialty(specialties[nearest[0]], True)
    return Specialty(" ".join(text.replace("&", " and ").split()), False)


def canonical_specialty(text: str) -> str:
    """The canonical name of a specialty as a letter states it (see read_specialty)."""
    return read_specialty(text).canonical


def canonical_specialties(specialties: list[str]) -> list[str]:
    """Each specialty's canonical name, in order, each once."""
    out: list[str] = []
    for specialty in specialties:
        canonical = canonical_specialty(specialty)
        if canonical not in out:
            out.append(canonical)
    return out


def corrected_specialties(specialties: list[str]) -> list[dict[str, str]]:
    """The specialties, as stated, that were read as the nearest listed one, each with the name
    it was read as: `{"text": "Sports Medicinea", "canonical": "Sports Medicine"}`."""
    return [{"text": specialty, "canonical": reading.canonical}
            for specialty in specialties if (reading := read_specialty(specialty)).corrected]
