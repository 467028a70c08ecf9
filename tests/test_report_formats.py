"""`imrparse validate --format github` and `--format sarif`: what users' CI reads.

github: GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::message`), checked
against the documented syntax, with `%`, CR and LF escaped in the message and also `:` and `,` in
the properties, as GitHub's toolkit escapes them; unescaped, each gives back its finding.

sarif: a SARIF 2.1.0 log, checked with jsonschema against the objects imrparse writes as the
OASIS SARIF 2.1.0 schema defines them (sarifLog, run, tool, toolComponent, reportingDescriptor,
reportingConfiguration, result, message, location, physicalLocation, artifactLocation, region:
their required properties, enums and bounds), and for agreement with the findings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import FIXTURES
from typer.testing import CliRunner

from imrparse.check import report
from imrparse.check.rules import RULES
from imrparse.cli.commands import app

runner = CliRunner()
DUPLICATE = FIXTURES / "rules" / "D403-duplicate-treatment.fail.txt"
NO_RATIONALE = FIXTURES / "bad" / "no_rationale.txt"

# -- github ------------------------------------------------------------------------------------

COMMAND = re.compile(r"::(?P<severity>error|warning|notice)(?: (?P<properties>[^:\r\n]*))?::(?P<message>[^\r\n]*)")
PROPERTY = re.compile(r"(?P<key>file|line|endLine|col|endColumn|title)=(?P<value>[^,:\r\n]*)")


def _unescape(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def _annotations(output: str) -> list[dict[str, Any]]:
    """Each line a workflow command in the documented syntax; its properties and message unescaped."""
    parsed = []
    for line in output.splitlines():
        command = COMMAND.fullmatch(line)
        assert command is not None, f"not a workflow command: {line!r}"
        pairs = command["properties"].split(",") if command["properties"] else []
        properties = {}
        for pair in pairs:
            matched = PROPERTY.fullmatch(pair)
            assert matched is not None, f"not a property: {pair!r} in {line!r}"
            properties[matched["key"]] = _unescape(matched["value"])
        parsed.append({"severity": command["severity"], **properties, "message": _unescape(command["message"])})
    return parsed


def test_github_annotations_follow_the_documented_syntax_and_escape_what_github_escapes() -> None:
    message = "50% of 'X, Y: Z'\r\nis decided twice,\nat line 3: %0A stays text"
    result = {"findings": [{"code": "D403", "severity": "warning", "message": message, "line": 12, "column": 7},
                           {"code": "S000", "severity": "error", "message": "cannot be read", "line": None, "column": None}]}
    path = "letters/100%, a:b.txt"
    out = report.github_lines(path, result).decode()
    assert "\r" not in out and out.count("\n") == 2
    assert out.splitlines()[0] == ("::warning file=letters/100%25%2C a%3Ab.txt,line=12,col=7,title=D403 duplicate-treatment::"
                                   "50%25 of 'X, Y: Z'%0D%0Ais decided twice,%0Aat line 3: %250A stays text")
    assert _annotations(out) == [
        {"severity": "warning", "file": path, "line": "12", "col": "7", "title": "D403 duplicate-treatment", "message": message},
        {"severity": "error", "file": path, "title": "S000 unreadable-input", "message": "cannot be read"},
    ]


def test_validate_writes_one_annotation_per_finding_for_github(tmp_path: Path) -> None:
    odd = tmp_path / "a, b: 100%.txt"
    odd.write_bytes(DUPLICATE.read_bytes())
    done = runner.invoke(app, ["validate", str(odd), str(NO_RATIONALE), "--format", "github", "--workers", "1"])
    assert done.exit_code == 1
    json_report = json.loads(runner.invoke(app, ["validate", str(odd), str(NO_RATIONALE), "--format", "json"]).stdout)
    expected = [{"severity": f["severity"], "file": letter["path"], "line": str(f["line"]), "col": str(f["column"]),
                 "title": f"{f['code']} {RULES[f['code']].name}", "message": f["message"]}
                for letter in json_report for f in letter["findings"]]
    assert len(expected) == 2 and _annotations(done.stdout) == expected


# -- sarif -------------------------------------------------------------------------------------

LEVEL = {"enum": ["none", "note", "warning", "error"]}
SARIF_2_1_0 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object", "additionalProperties": False, "required": ["version", "runs"],
    "properties": {"$schema": {"type": "string"}, "version": {"enum": ["2.1.0"]},
                   "runs": {"type": "array", "items": {"$ref": "#/definitions/run"}}},
    "definitions": {
        "run": {"type": "object", "additionalProperties": False, "required": ["tool"],
                "properties": {"tool": {"$ref": "#/definitions/tool"},
                               "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
                               "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]}}},
        "tool": {"type": "object", "additionalProperties": False, "required": ["driver"],
                 "properties": {"driver": {"$ref": "#/definitions/toolComponent"}}},
        "toolComponent": {"type": "object", "additionalProperties": False, "required": ["name"],
                          "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                         "rules": {"type": "array", "uniqueItems": True,
                                                   "items": {"$ref": "#/definitions/reportingDescriptor"}}}},
        "reportingDescriptor": {"type": "object", "additionalProperties": False, "required": ["id"],
                                "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                               "shortDescription": {"$ref": "#/definitions/multiformatMessageString"},
                                               "defaultConfiguration": {"$ref": "#/definitions/reportingConfiguration"}}},
        "multiformatMessageString": {"type": "object", "additionalProperties": False, "required": ["text"],
                                     "properties": {"text": {"type": "string"}}},
        "reportingConfiguration": {"type": "object", "additionalProperties": False, "properties": {"level": LEVEL}},
        "result": {"type": "object", "additionalProperties": False, "required": ["message"],
                   "properties": {"ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1}, "level": LEVEL,
                                  "message": {"$ref": "#/definitions/message"},
                                  "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}}}},
        "message": {"type": "object", "additionalProperties": False, "properties": {"text": {"type": "string"}},
                    "anyOf": [{"required": ["text"]}, {"required": ["id"]}]},
        "location": {"type": "object", "additionalProperties": False,
                     "properties": {"physicalLocation": {"$ref": "#/definitions/physicalLocation"}}},
        "physicalLocation": {"type": "object", "additionalProperties": False, "anyOf": [{"required": ["artifactLocation"]}],
                             "properties": {"artifactLocation": {"$ref": "#/definitions/artifactLocation"},
                                            "region": {"$ref": "#/definitions/region"}}},
        "artifactLocation": {"type": "object", "additionalProperties": False,
                             "properties": {"uri": {"type": "string", "pattern": r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$"}}},
        "region": {"type": "object", "additionalProperties": False,
                   "properties": {"startLine": {"type": "integer", "minimum": 1}, "startColumn": {"type": "integer", "minimum": 1}}},
    },
}


@pytest.mark.parametrize("relative", [False, True])
def test_validate_writes_a_sarif_2_1_0_log_of_every_finding(tmp_path: Path, relative: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "in").mkdir()
    odd = tmp_path / "in" / "a letter #1 é.txt"  # a space, a hash and an accent: percent-encoded in the URI
    odd.write_bytes(DUPLICATE.read_bytes())
    (tmp_path / "in" / "empty.txt").write_text("")
    (tmp_path / "in" / "fine.txt").write_bytes((FIXTURES / "rules" / "D403-duplicate-treatment.pass.txt").read_bytes())
    monkeypatch.chdir(tmp_path)
    folder = "in" if relative else str(tmp_path / "in")
    done = runner.invoke(app, ["validate", folder, "--format", "sarif", "--workers", "1"])
    assert done.exit_code == 1
    log = json.loads(done.stdout)
    jsonschema.Draft7Validator(SARIF_2_1_0).validate(log)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES) and run["tool"]["driver"]["name"] == "imrparse"
    findings = [(letter["path"], f) for letter in json.loads(runner.invoke(app, ["validate", folder, "--format", "json"]).stdout)
                for f in letter["findings"]]
    assert len(run["results"]) == len(findings) == 2
    for result, (path, finding) in zip(run["results"], findings, strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding["code"]
        assert (result["level"], result["message"]["text"]) == (finding["severity"], finding["message"])
        [location] = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == (Path(path).as_uri() if not relative else "in/" + Path(path).name.replace(" ", "%20").replace("#", "%23")
                       .replace("é", "%C3%A9"))
        assert location["physicalLocation"]["region"] == {"startLine": finding["line"], "startColumn": finding["column"]}


def test_a_finding_without_a_place_has_no_region_in_sarif() -> None:
    result = {"findings": [{"code": "S000", "severity": "error", "message": "cannot be read", "line": None, "column": None}]}
    log = json.loads(report.sarif([("<stdin>", result)], "0"))
    jsonschema.Draft7Validator(SARIF_2_1_0).validate(log)
    assert log["runs"][0]["results"][0]["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "%3Cstdin%3E"}}}]


def test_xml_text_drops_exactly_the_characters_outside_xml_1_0() -> None:
    """Every code point is kept or dropped as XML 1.0's Char production says: #x9 | #xA | #xD |
    [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."""
    def is_xml_char(code: int) -> bool:
        return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF

    every = "".join(map(chr, range(0x110000)))
    assert report.xml_text(every) == "".join(char for char in every if is_xml_char(ord(char)))
