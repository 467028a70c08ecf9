"""The speed work keeps every record byte for byte: the sha256 of each corpus letter's record as
orjson bytes, read as bytes as the command line reads them (pdfium's CRLF included) and in
text mode (as the library's callers often do), against the digests recorded before it.

A change that is meant to change records regenerates them on purpose:
`pytest tests/test_speed_records.py --update-goldens`, then review why every digest changed."""

from __future__ import annotations

import hashlib
import json

import orjson
import pytest
from conftest import FIXTURES, corpus_dir, without_source

import imrparse
from imrparse.text.inputs import letter_text

DIGESTS = FIXTURES / "corpus_record_digests.json"
TEXTS = sorted((corpus_dir() / "text").glob("*.txt"))

pytestmark = pytest.mark.corpus


def _digests() -> dict[str, dict[str, str]]:
    def digest(text: str) -> str:
        return hashlib.sha256(orjson.dumps(imrparse.parse(text))).hexdigest()

    return {
        "as_read_by_the_cli": {p.name: digest(letter_text(p.read_bytes(), name=p.name)) for p in TEXTS},
        "read_in_text_mode": {p.name: digest(p.read_text(encoding="utf-8")) for p in TEXTS},
    }


def test_every_corpus_record_is_byte_identical(update_goldens: bool) -> None:
    assert len(TEXTS) == 147, f"the corpus is missing at {corpus_dir()}"
    found = _digests()
    if update_goldens:
        DIGESTS.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    for how in expected:
        changed = sorted(name for name, digest in expected[how].items() if found[how].get(name) != digest)
        assert not changed, f"{len(changed)} records changed ({how}), e.g. {changed[:3]}"


def test_pdfs_give_the_text_and_record_of_their_pdfium_text() -> None:
    """A PDF is extracted to the very text of its .pdfium.txt (pypdfium2's get_text_range, page
    by page, joined by form feeds), so its record is covered above."""
    pytest.importorskip("pypdfium2")
    from imrparse.text.pdf import extract_text

    pdfs = sorted((corpus_dir() / "pdf").glob("*.pdf"))
    assert len(pdfs) == 49
    for pdf in pdfs:
        text = (corpus_dir() / "text" / f"{pdf.stem}.pdfium.txt").read_bytes().decode("utf-8")
        assert extract_text(pdf.read_bytes(), 1 << 25) == text
    first = corpus_dir() / "text" / f"{pdfs[0].stem}.pdfium.txt"
    assert without_source(imrparse.parse_file(pdfs[0])) == imrparse.parse(first.read_bytes().decode("utf-8"))


def test_the_digests_cover_the_corpus() -> None:
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    assert sorted(expected["as_read_by_the_cli"]) == [p.name for p in TEXTS] == sorted(expected["read_in_text_mode"])


