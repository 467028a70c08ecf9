"""Categories, drug classes and canonical specialties (imrparse/read/data/taxonomy.json), against a
hand-labelled table of treatments (tests/data/treatment_labels.csv).

The table: every distinct treatment line of the corpus letters (the decided treatment and, for
partial authorizations, the original request and what was authorized), every fixture and seed
treatment the corpus lacks, and lines in the letters' style for the issue's examples, brand
names and the categories the corpus has no line of (`source`: corpus, fixture, synthetic).
Each row is labelled by hand with its category, drug class, quantity and body part (the body
part as written, without a side that stands before it alone; empty where the line states none).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, corpus_dir

import imrparse
from imrparse.read import taxonomy, treatment

LABELS = ROOT / "tests" / "data" / "treatment_labels.csv"
FIELDS = ("category", "drug_class", "quantity", "body_part")


def _labels() -> list[dict[str, str]]:
    with LABELS.open(newline="") as f:
        return list(csv.DictReader(f))


def _extracted(line: str) -> dict[str, str]:
    kind = taxonomy.classify(line)
    parts = {part.field: part.value for part in treatment.read_treatment(line)}
    return {"category": kind.category, "drug_class": kind.drug_class or "",
            "quantity": str(parts.get("quantity", "")), "body_part": str(parts.get("body_part", ""))}


def test_the_table_has_150_distinct_treatments() -> None:
    rows = _labels()
    assert len({row["treatment"] for row in rows}) == len(rows) >= 150
    assert sum(row["source"] == "corpus" for row in rows) >= 119  # every distinct treatment line of the corpus


def test_the_extractor_agrees_with_at_least_95_percent_of_the_labels() -> None:
    rows = _labels()
    disagreements = [(row["treatment"], field, row[field], got[field])
                     for row in rows for got in [_extracted(row["treatment"])] for field in FIELDS if got[field] != row[field]]
    agreement = 1 - len(disagreements) / (len(rows) * len(FIELDS))
    assert agreement >= 0.95, disagreements
    # Where it stands today (1 of 664 labels: "1 knee scooter" names no body part): raise the bar rather than let it slip.
    assert len(disagreements) <= 1, disagreements


def test_every_category_of_the_corpus_agrees_with_its_label() -> None:
    """The category alone, on the corpus' own lines: the field the overturn rates are grouped by."""
    for row in _labels():
        if row["source"] == "corpus":
            assert taxonomy.classify(row["treatment"]).category == row["category"], row["treatment"]


def test_other_is_at_most_a_tenth_of_the_corpus_decisions() -> None:
    categories: Counter[str] = Counter()
    for path in sorted((corpus_dir() / "text").glob("*.txt")):
        categories.update(d["category"] for d in imrparse.parse_file(path)["decisions"])
    assert sum(categories.values()) == 333
    assert categories["other"] <= 0.10 * sum(categories.values()), categories


BRANDS = [
    ("Norco 10/325mg #90", "opioid"), ("Soma 350mg #60", "muscle relaxant"), ("Lidoderm 5% patch #30", "topical or compounded"),
    ("Prilosec 20mg #30", "proton pump inhibitor"), ("Ultram 50mg #60", "opioid"), ("Neurontin 300mg #90", "anticonvulsant"),
    ("Flexeril 10mg #30", "muscle relaxant"), ("Ambien 10mg #30", "sleep aid"), ("Cymbalta 30mg #30", "antidepressant"),
    ("Mobic 15mg #30", "NSAID"), ("Celebrex 200mg #30", "NSAID"), ("Lyrica 50mg #60", "anticonvulsant"),
    ("Percocet 10/325mg #60", "opioid"), ("Zanaflex 4mg #60", "muscle relaxant"), ("Protonix 40mg #30", "proton pump inhibitor"),
    ("Hydrocodone/APAP 10/325mg #60", "opioid"), ("Tylenol #3 #30", "opioid"), ("Voltaren gel 1% 100gm", "topical or compounded"),
    ("Voltaren XR 100mg #30", "NSAID"), ("Colace 100mg #60", "other"), ("Unknownium 10mg #30", "other"),
]


@pytest.mark.parametrize(("line", "drug_class"), BRANDS, ids=[line for line, _ in BRANDS])
def test_brand_and_generic_names_map_to_their_class(line: str, drug_class: str) -> None:
    assert taxonomy.classify(line) == taxonomy.Classification("pharmaceuticals", drug_class)


def test_the_taxonomy_and_the_schema_name_the_same_categories_and_classes() -> None:
    schema = imrparse.record_schema()["$defs"]["decision"]["properties"]
    loaded = taxonomy.load()
    assert {c.name for c in loaded.categories} | {"other"} == set(schema["category"]["enum"])
    assert set(loaded.drugs.values()) | {"topical or compounded"} == set(schema["drug_class"]["enum"]) - {None}


@pytest.mark.parametrize(("stated", "canonical"), [
    ("Physical Medicine & Rehabilitation", "Physical Medicine and Rehabilitation"),
    ("Physical Medicine and Rehabilitation", "Physical Medicine and Rehabilitation"),
    ("Family Practice", "Family Medicine"),
    ("Pain Management", "Pain Medicine"),
    ("Orthopedic Surgery", "Orthopaedic Surgery"),
    ("Public Health & General Preventive Medicine", "Public Health and General Preventive Medicine"),
    ("Hospice & Palliative Medicine", "Hospice and Palliative Medicine"),
    ("Chiropractor", "Chiropractic"),
    ("Underwater & Hyperbaric Medicine", "Underwater and Hyperbaric Medicine"),  # not listed: its own words
])
def test_canonical_specialty(stated: str, canonical: str) -> None:
    assert taxonomy.canonical_specialty(stated) == canonical


@pytest.mark.parametrize(("line", "category"), [
    ("Lumbar support", "durable medical equipment"), ("Back support", "durable medical equipment"),
    ("LSO back support", "durable medical equipment"), ("Wrist support", "durable medical equipment"),
    ("Electroencephalogram", "diagnostic tests and labs"), ("EEG", "diagnostic tests and labs"),
    ("SSEP", "diagnostic tests and labs"), ("Somatosensory evoked potentials (SSEP)", "diagnostic tests and labs"),
    ("Physical exam", "evaluation and management"), ("Comprehensive physical exam", "evaluation and management"),
    ("Support group", "other"), ("Nutritional support", "other"),  # a support that is no equipment
])
def test_supports_eeg_ssep_and_physical_exams_have_a_category(line: str, category: str) -> None:
    assert taxonomy.classify(line).category == category


# Misspelt specialties (written here: the corpus has none) and real specialties one letter from a
# listed one. Before the nearest match, no misspelling was read as a listed specialty.
MISSPELT = [("Sports Medicinea", "Sports Medicine"), ("Preventative Medicine", "Preventive Medicine"),
            ("Occupational Medicne", "Occupational Medicine"),
            ("Physical Medicine & Rehabilitaton", "Physical Medicine and Rehabilitation"),
            ("Famly Practice", "Family Medicine"), ("Orthopaedic Surgey", "Orthopaedic Surgery"), ("Pain Managment", "Pain Medicine"),
            ("Anesthesiolgy", "Anesthesiology"), ("Internal Medcine", "Internal Medicine"), ("Emergency Medicin", "Emergency Medicine")]
NOT_MISSPELT = [("Pediatric Surgery", "Pediatric Surgery"), ("Hematology", "Hematology"), ("Nephrology", "Nephrology"),
                ("Medical Oncology", "Medical Oncology"), ("Family Practice", "Family Medicine"),
                ("Underwater & Hyperbaric Medicine", "Underwater and Hyperbaric Medicine"),
                ("Nuerology", "Nuerology")]  # two letters swapped in a short name: below the cutoff, kept as written


@pytest.mark.parametrize(("stated", "canonical"), MISSPELT)
def test_a_misspelt_specialty_is_read_as_the_nearest_listed_one_and_flagged(stated: str, canonical: str) -> None:
    assert taxonomy.read_specialty(stated) == taxonomy.Specialty(canonical, corrected=True)
    assert taxonomy.corrected_specialties([stated, "Family Practice"]) == [{"text": stated, "canonical": canonical}]


@pytest.mark.parametrize(("stated", "canonical"), NOT_MISSPELT)
def test_a_real_or_distant_specialty_is_not_corrected(stated: str, canonical: str) -> None:
    assert taxonomy.read_specialty(stated) == taxonomy.Specialty(canonical, corrected=False)


def test_a_misspelt_specialty_keeps_its_text_in_the_record_and_the_tables() -> None:
    from imrparse.etl.tables import rows

    text = (ROOT / "fixtures" / "letters" / "pdftotext_partial_authorization.txt").read_text(encoding="utf-8")
    reviewer = imrparse.parse(text.replace("Preventive Medicine, Occupational", "Sports Medicinea, Occupational"))["reviewer"]
    assert reviewer["specialties"][0] == "Sports Medicinea"
    assert reviewer["specialties_canonical"][0] == "Sports Medicine"
    assert reviewer["specialties_corrected"] == [{"text": "Sports Medicinea", "canonical": "Sports Medicine"}]
    letter = rows({"source": {"path": "x.txt", "sha256": "ab" * 32, "bytes": 1},
                   **imrparse.parse(text.replace("Preventive Medicine, Occupational", "Sports Medicinea, Occupational"))})["letters"][0]
    assert letter["reviewer_specialties_corrected"] == ["Sports Medicinea"]
    assert imrparse.parse(text)["reviewer"]["specialties_corrected"] == []


def test_one_canonical_name_per_specialty_in_a_record() -> None:
    assert taxonomy.canonical_specialties(["Family Practice", "Family Medicine", "Pain Management"]) == ["Family Medicine", "Pain Medicine"]


def test_every_corpus_specialty_has_an_abms_name() -> None:
    listed = set(taxonomy.load().specialties.values())
    for path in sorted((corpus_dir() / "text").glob("*.pdftotext.txt")):
        for name in imrparse.parse_file(path)["reviewer"]["specialties_canonical"]:
            assert name in listed, (path.name, name)


def test_the_taxonomy_file_documents_itself() -> None:
    data = json.loads(Path(taxonomy.TAXONOMY_PATH).read_text(encoding="utf-8"))
    assert set(data) == {"about", "version", "categories", "drug_classes", "specialties"}
    assert all(set(row) <= {"name", "description", "patterns", "drugs"} and row["description"] for row in data["categories"])
    assert data["about"] and data["drug_classes"]["about"] and data["specialties"]["about"]
