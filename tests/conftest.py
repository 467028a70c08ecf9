from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
LETTERS = FIXTURES / "letters"
RECORDS = FIXTURES / "records"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite fixtures/records from the current parser")


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def corpus_dir() -> Path:
    """The real letters: $IMRPARSE_CORPUS, else ../shared/corpus beside the checkout."""
    return Path(os.environ.get("IMRPARSE_CORPUS", ROOT.parent / "shared" / "corpus"))
