"""A fresh clone is self-contained: the real letters ship in fixtures/corpus, nothing reads a
folder outside the checkout, and without the corpus the suite still collects, each test that
reads it failing with one clear message (not a collection error that stops every test)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

CORPUS = FIXTURES / "corpus"


def test_the_real_letters_ship_in_the_checkout() -> None:
    pdfs = sorted(path.stem for path in (CORPUS / "pdf").glob("*.pdf"))
    texts = sorted((CORPUS / "text").glob("*.txt"))
    assert len(pdfs) == 49 and len(texts) == 3 * 49
    assert {path.name.split(".")[0] for path in texts} == set(pdfs)
    assert "redacted" in (CORPUS / "README.md").read_text(encoding="utf-8")
    # kept byte for byte: pypdfium2's extractions have CRLF line ends, which git must not convert
    assert all(b"\r\n" in path.read_bytes() for path in texts if path.name.endswith(".pdfium.txt"))
    if (ROOT / ".git").exists():
        tracked = subprocess.run(["git", "ls-files", "fixtures/corpus"], cwd=ROOT, capture_output=True, text=True, check=True)
        assert len(tracked.stdout.split()) == 49 + 3 * 49 + 1


@pytest.mark.parametrize("name", ["tests", "bench", ".ci/run", "README.md", "pyproject.toml"])
def test_nothing_reads_the_corpus_from_outside_the_checkout(name: str) -> None:
    paths = [ROOT / name] if (ROOT / name).is_file() else sorted((ROOT / name).rglob("*.py"))
    outside = ("shared" + "/corpus", "/wo" + "rk/")  # split, so this file does not find itself
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert not any(folder in text for folder in outside), path


def _pytest(*args: str, corpus: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IMRPARSE_CORPUS": str(corpus)}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_without_the_corpus_the_suite_collects(tmp_path: Path) -> None:
    done = _pytest("--collect-only", "-q", "tests", corpus=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " error" not in done.stdout.lower()


def test_a_test_that_reads_a_missing_corpus_fails_saying_where_it_looked(tmp_path: Path) -> None:
    done = _pytest("-q", "tests/test_inputs.py::test_the_library_reads_pdfs_wherever_it_reads_a_letter", corpus=tmp_path)
    assert done.returncode == 1, done.stdout[-3000:]
    assert f"the real-letter corpus has no pdf files at {tmp_path / 'pdf'}" in done.stdout
    assert "1 failed" in done.stdout


def test_an_extras_install_hint_installs_from_the_checkout() -> None:
    """imrparse is on no package index: `pip install 'imrparse[pdf]'` finds nothing. The hint
    names the checkout an editable imrparse runs from, with the extra; an installed copy (CI's
    `pip install '.[...]'`) knows no checkout, and says to use one."""
    from imrparse import errors
    from imrparse.errors import PDF_EXTRA, extra_hint

    editable = (Path(errors.__file__).resolve().parents[1] / "pyproject.toml").is_file()
    hint = extra_hint("pdf")
    assert "no package index" in hint and PDF_EXTRA.endswith(hint)
    target = hint.split("'")[1]  # what pip is given: the checkout's folder with the extra
    folder, extra = re.fullmatch(r"(.*)\[(\w+)\]", target).groups()
    assert folder == (str(ROOT) if editable else "<your imrparse checkout>")
    assert extra in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


@pytest.mark.parametrize("name", ["errors.py", "etl/tables.py", "grammar/check.py"])
def test_no_hint_names_a_package_index_install(name: str) -> None:
    assert "pip install 'imrparse[" not in (ROOT / "imrparse" / name).read_text(encoding="utf-8")


def test_the_readme_opens_with_the_install_and_the_main_job() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_screen = "\n".join(readme.splitlines()[:70])
    user, contributor = re.findall(r"^pip install '\.\[([a-z,]+)\]'", first_screen, re.M)  # in this order
    assert "pdf" in user and not {"spark", "test"} & set(user.split(","))
    assert {"test", "spark"} <= set(contributor.split(","))
    assert re.search(r"^imrparse load fixtures/corpus/pdf --db (\S+)", first_screen, re.M)
    assert re.search(r"^imrparse summary ", first_screen, re.M)
    # the development history lives in docs/, the README keeps the targets and how to measure
    assert "What each change bought" not in readme and "Tried and not kept" not in readme
    assert "What each change bought" in (ROOT / "docs" / "speed-history.md").read_text(encoding="utf-8")
    assert "## Speed" in readme and "python bench/run.py" in readme
