"""`imrparse debug` and `imrparse grammar`: how a grammar author sees a letter being read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import LETTERS
from typer.testing import CliRunner

from imrparse.cli.commands import app
from imrparse.grammar.loader import default_grammar_path

runner = CliRunner()
SEEDS = sorted(LETTERS.glob("seed_*.txt"))
GOOD = LETTERS / "pdftotext_partial_authorization.txt"


def _line(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture
def no_rationale() -> tuple[Path, int]:
    path = LETTERS.parent / "bad" / "no_rationale.txt"
    return path, json.loads(path.with_suffix(".expected.json").read_text())["line"]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_normalize_shows_original_line_numbers(seed: Path) -> None:
    result = runner.invoke(app, ["debug", "normalize", str(seed)])
    assert result.exit_code == 0
    original = seed.read_text().split("\n")
    rows = [row.partition(" | ") for row in result.stdout.splitlines() if " | " in row]
    numbered = [(int(number), text) for number, _, text in rows]
    assert len(numbered) == sum(1 for line in original if line.strip())
    for number, text in numbered:  # runs of spaces are collapsed to one
        assert " ".join(original[number - 1].split()) == text.strip()


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_tokens_json_point_at_their_text(seed: Path) -> None:
    result = runner.invoke(app, ["debug", "tokens", str(seed), "--format", "json"])
    assert result.exit_code == 0
    lines = seed.read_text().split("\n")
    tokens = json.loads(result.stdout)
    assert tokens[0]["terminal"] == "_HOW_HEADING"
    for token in tokens:
        first_line = " ".join(token["text"].split("\n")[0].split())  # the lexer sees a run of spaces as one
        assert " ".join(lines[token["line"] - 1][token["column"] - 1 :].split()).startswith(first_line)
    assert [t["terminal"] for t in tokens].count("OUTCOME") == 1


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_tree_json_has_line_ranges(seed: Path) -> None:
    result = runner.invoke(app, ["debug", "tree", str(seed), "--format", "json"])
    assert result.exit_code == 0
    tree = json.loads(result.stdout)
    letter = tree["children"][0]
    assert letter["rule"] == "fdl_2014"
    sections = {child["rule"]: child["lines"] for child in letter["children"]}
    text = seed.read_text()
    assert sections["summary_section"][0] == _line(text, "CLINICAL CASE SUMMARY")
    assert sections["decisions_section"][0] == _line(text, "IMR ISSUES, DECISIONS AND RATIONALES")


def test_tree_text_and_svg(tmp_path: Path) -> None:
    svg = tmp_path / "tree.svg"
    result = runner.invoke(app, ["debug", "tree", str(SEEDS[0]), "--svg", str(svg)])
    assert result.exit_code == 0 and "decisions_section" in result.stdout
    drawing = svg.read_text()
    assert drawing.startswith("<svg") and "CLINICAL CASE SUMMARY" in drawing and "Platelet-rich" in drawing


def test_the_svg_draws_the_tree_nested_as_the_parse_tree_is(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    svg = tmp_path / "tree.svg"
    assert runner.invoke(app, ["debug", "tree", str(SEEDS[0]), "--svg", str(svg)]).exit_code == 0
    tree = json.loads(runner.invoke(app, ["debug", "tree", str(SEEDS[0]), "--format", "json"]).stdout)
    ns = "{http://www.w3.org/2000/svg}"

    def rules(node: dict[str, Any]) -> tuple[str, list[Any]]:
        return node["rule"], [rules(child) for child in node["children"] if "rule" in child]

    def drawn(group: ET.Element) -> tuple[str, list[Any]]:
        children = group.findall(f"{ns}g")
        x = float(group.find(f"{ns}rect").get("x"))
        assert all(float(child.find(f"{ns}rect").get("x")) > x for child in children)
        assert len(group.findall(f"{ns}path")) == len(children)  # a connector to each child
        return group.get("data-rule", ""), [drawn(child) for child in children]

    [root] = ET.parse(svg).getroot().findall(f"{ns}g")
    assert drawn(root) == rules(tree)
    def depth(node: tuple[str, list[Any]]) -> int:
        return 1 + max((depth(child) for child in node[1]), default=0)

    assert depth(drawn(root)) >= 4  # nested levels, not a flat list of boxes


def test_tree_of_one_item_with_rule(tmp_path: Path) -> None:
    item = tmp_path / "item.txt"
    item.write_text("MRI of the knee: Overturned\nClaims Administrator guideline: Decision based on MTUS Knee Complaints 2004.\n"
                    "MAXIMUS guideline: Decision based on MTUS Knee Complaints 2004.\nDecision rationale: It is medically necessary.\n")
    result = runner.invoke(app, ["debug", "tree", str(item), "--rule", "item", "--format", "json"])
    assert result.exit_code == 0
    tree = json.loads(result.stdout)
    assert tree["rule"] == "item" and tree["lines"] == [1, 4]


def test_tree_of_a_malformed_letter_fails_with_position(no_rationale: tuple[Path, int]) -> None:
    path, line = no_rationale
    result = runner.invoke(app, ["debug", "tree", str(path)])
    assert result.exit_code == 1 and f"line {line}, column 1" in result.stderr


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.stem)
def test_explain_on_success_gives_the_outline(seed: Path) -> None:
    result = runner.invoke(app, ["debug", "explain", str(seed)])
    assert result.exit_code == 0
    text = seed.read_text()
    assert f"line {_line(text, 'CLINICAL CASE SUMMARY'):>4}  CLINICAL CASE SUMMARY" in result.stdout
    assert "The letter parses." in result.stdout


BAD = sorted((LETTERS.parent / "bad").glob("*.txt"))


@pytest.mark.parametrize("letter", BAD, ids=lambda p: p.stem)
def test_explain_names_the_missing_part_and_its_line(letter: Path) -> None:
    expected = json.loads(letter.with_suffix(".expected.json").read_text())
    result = runner.invoke(app, ["debug", "explain", str(letter)])
    assert result.exit_code == 1
    assert f"Parsing stopped at line {expected['line']}, column {expected['column']}" in result.stdout
    if expected["needed"]:
        assert f"The letter needed here: {expected['needed']}\n" in result.stdout
    assert f"Nearest known error: {expected['known_error']}" in result.stdout
    assert "item: Chiropractic spinal manipulation" in result.stdout  # the outline of what did parse


@pytest.mark.parametrize("letter", BAD, ids=lambda p: p.stem)
def test_tokens_and_normalize_on_malformed_letters(letter: Path) -> None:
    expected = json.loads(letter.with_suffix(".expected.json").read_text())
    tokens = runner.invoke(app, ["debug", "tokens", str(letter), "--format", "json"])
    assert tokens.exit_code == 1 and f"line {expected['line']}, column {expected['column']}" in tokens.stderr
    assert json.loads(tokens.stdout)[-1]["line"] <= expected["line"]  # the stream stops at the failure
    normalized = runner.invoke(app, ["debug", "normalize", str(letter)])
    assert normalized.exit_code == 0 and len(normalized.stdout.splitlines()) == len(letter.read_text().rstrip("\n").split("\n")) + 1


def test_grammar_check_passes_and_counts() -> None:
    result = runner.invoke(app, ["grammar", "check"])
    assert result.exit_code == 0 and "no conflicts" in result.stdout and " terminals" in result.stdout


def test_grammar_check_reports_a_conflict(tmp_path: Path) -> None:
    bad = tmp_path / "bad.lark"
    bad.write_text(default_grammar_path().read_text().replace(
        "summary_text: NARRATIVE_TEXT+", "summary_text: NARRATIVE_TEXT+ | NARRATIVE_TEXT NARRATIVE_TEXT"))
    result = runner.invoke(app, ["grammar", "check", str(bad)])
    assert result.exit_code == 1 and "conflict" in result.stderr.lower()


def test_grammar_show_prints_the_shipped_grammar() -> None:
    result = runner.invoke(app, ["grammar", "show"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"// {default_grammar_path()}"
    assert "fdl_2014: header? how_section summary_section decisions_section" in result.stdout


def test_an_edited_grammar_accepts_a_new_heading_spelling(tmp_path: Path) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text(GOOD.read_text().replace("CLINICAL CASE SUMMARY", "CLINICAL SUMMARY"))
    shipped = runner.invoke(app, ["parse", str(letter), "-q"])
    assert shipped.exit_code == 1
    edited = tmp_path / "edited.lark"
    edited.write_text(default_grammar_path().read_text().replace(
        "_SUMMARY_HEADING.60: /CLINICAL\\s+CASE\\s+SUMMARY/", "_SUMMARY_HEADING.60: /CLINICAL\\s+(?:CASE\\s+)?SUMMARY/"))
    for command in (["parse", str(letter), "-q"], ["debug", "explain", str(letter)], ["debug", "tree", str(letter)],
                    ["debug", "tokens", str(letter)]):
        result = runner.invoke(app, [*command, "--grammar", str(edited)])
        assert result.exit_code == 0, (command, result.output)
    record = json.loads(runner.invoke(app, ["parse", str(letter), "-q", "--grammar", str(edited)]).stdout)
    assert record["summary"]["age"] == 58


def test_a_grammar_that_does_not_compile_names_its_own_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.lark"
    lines = default_grammar_path().read_text().split("\n")
    at = lines.index("fdl_2014: header? how_section summary_section decisions_section")
    lines[at] = "fdl_2014: header? how_section summary_section decisions_section )"
    broken.write_text("\n".join(lines))
    result = runner.invoke(app, ["parse", str(GOOD), "--grammar", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}:{at + 1}:" in result.stderr


def test_explain_on_a_real_letter_with_a_misspelled_label(tmp_path: Path) -> None:
    from conftest import corpus_dir

    text = (corpus_dir() / "text" / "CM16-0232543.pdftotext.txt").read_text().replace("MAXIMUS guideline:", "MAXIMUS guidline:", 3)
    path = tmp_path / "broken.txt"
    path.write_text(text)
    result = runner.invoke(app, ["debug", "explain", str(path)])
    assert result.exit_code == 1
    # The first paragraph runs over the misspelled label to the next one, where parsing stops;
    # the explanation finds the misspelled line.
    assert f"Parsing stopped at line {_line(text, 'Decision rationale:')}, column 1" in result.stdout
    misspelled = _line(text, "MAXIMUS guidline:")
    assert f"In the letter's terms: line {misspelled}, column 1: line {misspelled} reads 'MAXIMUS guidline:'" in result.stdout
    assert "Nearest known error: an item has no 'MAXIMUS guideline:' paragraph" in result.stdout
