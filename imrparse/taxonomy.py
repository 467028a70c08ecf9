"""A treatment's category and drug class, and a reviewer specialty's canonical name, from the
taxonomy data file `imrparse/data/taxonomy.toml` (its comments say how it is read).

Pure functions of their text, cached: the same treatments and specialties recur across letters.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from . import treatment

TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.toml"
OTHER = "other"
PHARMACEUTICALS = "pharmaceuticals"


class Category(NamedTuple):
    name: str
    pattern: re.Pattern[str] | None
    drugs: bool


class Taxonomy(NamedTuple):
    categories: tuple[Category, ...]
    drugs: re.Pattern[str]  # every drug name; the group's name is its class's index
    drug_classes: tuple[str, ...]
    topical_forms: frozenset[str]
    specialties: dict[str, str]


@functools.lru_cache(maxsize=1)
def load() -> Taxonomy:
    """The taxonomy, read and compiled once per process."""
    with TAXONOMY_PATH.open("rb") as f:
        data: dict[str, Any] = tomllib.load(f)
    categories = tuple(
        Category(row["name"], re.compile("|".join(f"(?:{p})" for p in row["patterns"]), re.IGNORECASE) if row.get("patterns") else None,
                 bool(row.get("drugs")))
        for row in data["categories"]
    )
    names: dict[str, Any] = data["drug_classes"]["names"]
    classes = tuple(names)
    # Longest names first, so "Tylenol #3" is read before "Tylenol" and "Ultram ER" before "Ultram".
    by_name = sorted(((name, i) for i, cls in enumerate(classes) for name in names[cls]), key=lambda row: -len(row[0]))
    drugs = re.compile("|".join(f"(?P<c{i}_{n}>{_name_pattern(name)})" for n, (name, i) in enumerate(by_name)), re.IGNORECASE)
    specialties = {_specialty_key(key): value for key, value in data["specialties"].items()}
    return Taxonomy(categories, drugs, classes, frozenset(data["drug_classes"]["topical_forms"]), specialties)


def _name_pattern(name: str) -> str:
    """A drug name as a whole word: its words separated by any whitespace or hyphen."""
    words = [re.escape(word) for word in name.split()]
    return r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?![\w])"


class Classification(NamedTuple):
    category: str
    drug_class: str | None  # for pharmaceuticals only


_PERCENT = re.compile(r"\d\s*%")


@functools.lru_cache(maxsize=8192)
def classify(text: str) -> Classification:
    """The category of a treatment line, and for a medication its drug class."""
    taxonomy = load()
    parts = {part.field: part.value for part in treatment.read_treatment(text)}
    drug = taxonomy.drugs.search(text)
    is_drug = drug is not None or "strength" in parts or "form" in parts
    for category in taxonomy.categories:
        if (category.drugs and is_drug) or (category.pattern is not None and category.pattern.search(text)):
            if category.name != PHARMACEUTICALS:
                return Classification(category.name, None)
            return Classification(category.name, _drug_class(text, parts, drug, taxonomy))
    return Classification(OTHER, None)


def _drug_class(text: str, parts: dict[str, Any], drug: re.Match[str] | None, taxonomy: Taxonomy) -> str:
    """A compound (two or more strengths in percent) or a topical form is topical or compounded;
    otherwise the class of the first drug named; otherwise other."""
    if parts.get("form") in taxonomy.topical_forms or len(_PERCENT.findall(text)) >= 2:
        return "topical or compounded"
    if drug is None or drug.lastgroup is None:
        return OTHER
    return taxonomy.drug_classes[int(drug.lastgroup[1:].split("_")[0])]


_KEY_DROP = re.compile(r"[^a-z0-9 ]+")


def _specialty_key(text: str) -> str:
    return " ".join(_KEY_DROP.sub(" ", text.lower().replace("&", " and ")).split())


@functools.lru_cache(maxsize=1024)
def canonical_specialty(text: str) -> str:
    """The ABMS board or specialty name of a specialty as a letter states it ("Physical Medicine &
    Rehabilitation" -> "Physical Medicine and Rehabilitation", "Family Practice" -> "Family
    Medicine"); a specialty the taxonomy does not list keeps its words, "&" written "and"."""
    canonical = load().specialties.get(_specialty_key(text))
    return canonical if canonical is not None else " ".join(text.replace("&", " and ").split())


def canonical_specialties(specialties: list[str]) -> list[str]:
    """Each specialty's canonical name, in order, each once."""
    out: list[str] = []
    for specialty in specialties:
        canonical = canonical_specialty(specialty)
        if canonical not in out:
            out.append(canonical)
    return out
