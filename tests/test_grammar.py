"""The grammar builds conflict-free, ships in the wheel, and is built once per process."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from imrparse.grammar.loader import build_parser, default_grammar_path, get_parser

ROOT = Path(__file__).resolve().parents[1]


def test_grammar_builds_in_strict_mode() -> None:
    # strict=True: any LALR conflict or same-priority terminal collision raises.
    parser = build_parser(default_grammar_path().read_text(encoding="utf-8"), strict=True)
    assert {t.name for t in parser.terminals} >= {"TITLE_TEXT", "OUTCOME", "CASE_NUMBER"}


def test_strict_mode_rejects_an_ambiguous_grammar() -> None:
    text = default_grammar_path().read_text(encoding="utf-8")
    ambiguous = text.replace("summary_text: NARRATIVE_TEXT+", "summary_text: NARRATIVE_TEXT+ | NARRATIVE_TEXT NARRATIVE_TEXT")
    with pytest.raises(Exception, match=r"(?i)conflict|collision"):
        build_parser(ambiguous, strict=True)


def test_parser_is_built_once_per_process() -> None:
    assert get_parser() is get_parser()


def test_wheel_contains_the_grammar_and_schema(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    [wheel] = tmp_path.glob("imrparse-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "imrparse/grammar/imr_letter.lark" in names
    assert "imrparse/schema/record.schema.json" in names
    assert "imrparse/read/data/taxonomy.json" in names
    assert "imrparse/grammar/imr_letter.lalr.json" in names  # the record parser's tables: no grammar build at run time
    for grammar in ("imr_letter.lark", "treatment.lark"):
        shipped = zipfile.ZipFile(wheel).read(f"imrparse/grammar/{grammar}").decode()
        assert shipped == (ROOT / "grammar" / grammar).read_text(encoding="utf-8")
