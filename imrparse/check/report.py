"""How `imrparse validate` and `imrparse rules` print: compiler-style text (full or concise),
JSON Lines, JUnit XML, GitHub workflow annotations and SARIF 2.1.0 for CI and tools, and the
rule table as text or Markdown (the README's copy is this output). `parse`'s failure lines on
stderr are the concise form too."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

import orjson

from imrparse.check.rules import RULES
from imrparse.check.validate import is_valid

# What a terminal or a line-based reader would act on rather than show: C0 and C1 controls (a
# newline forges a finding line, ESC starts a terminal sequence), DEL, Unicode's line and paragraph
# separators, and the bidirectional controls that reorder what is shown.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What XML 1.0 cannot hold at all, even escaped: every character outside its Char production
# (#x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF), listed rather than negated,
# which `re` compiles in 0.4 ms instead of 5 ms (a twentieth of a command's start).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """TEXT with every character a terminal or a line-based reader would act on shown as an escape,
    as ruff shows names: a newline as `\\n`, ESC as `\\x1b`. Every text format and message line
    that shows a file name, a letter's words or a message passes it through here."""
    return _UNPRINTABLE.sub(_escape, text) if _UNPRINTABLE.search(text) else text


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def xml_text(text: str) -> str:
    """TEXT without the characters XML 1.0 cannot hold (a document with one is not XML)."""
    return _NOT_XML.sub("", text)


def finding_lines(path: str, result: dict[str, Any]) -> list[str]:
    """`path:line:column: CODE severity: message`, then the offending line with a caret."""
    out: list[str] = []
    for finding in result["findings"]:
        line, column = finding["line"], finding["column"]
        out.append(f"{_where(path, line, column)}: {finding['code']} {finding['severity']}: {printable(finding['message'])}")
        text = result["lines"].get(line)
        if text is not None and column is not None:
            shown = text.replace("\t", " ").replace("\f", " ")
            out.append(f"    {printable(shown)}\n    {' ' * len(printable(shown[: column - 1]))}^")
    return out


def _where(path: str, line: int | None, column: int | None) -> str:
    return f"{printable(path)}:{line}:{column}" if line is not None else printable(path)


def concise_lines(path: str, result: dict[str, Any]) -> list[str]:
    """`path:line:column: CODE message`, one line per finding (ruff's concise output)."""
    return [f"{_where(path, f['line'], f['column'])}: {f['code']} {printable(f['message'])}" for f in result["findings"]]


def failure_line(path: str, error: dict[str, Any]) -> str:
    """`parse`'s stderr line for an error record: `path:line:column: CODE message`."""
    code = error.get("code")
    return f"{_where(path, error.get('line'), error.get('column'))}: {code + ' ' if code else ''}{printable(error['message'])}"


def jsonl_lines(path: str, result: dict[str, Any]) -> bytes:
    """One JSON object per finding, each naming its path (and `path_bytes` for a name that is
    not UTF-8): `{"path", "code", "severity", "message", "line", "column"}`."""
    source = result["source"]
    where = {"path": path, **({"path_bytes": source["path_bytes"]} if "path_bytes" in source else {})}
    return b"".join(orjson.dumps({**where, **finding}) + b"\n" for finding in result["findings"])


def junit(results: list[tuple[str, dict[str, Any]]], strict: bool) -> bytes:
    """One test case per letter; a failing case lists the findings that make it fail."""
    import xml.etree.ElementTree as ET  # here: every command imports this module, few write JUnit

    failures = sum(not is_valid(result["findings"], strict) for _, result in results)
    suite = ET.Element("testsuite", name="imrparse.validate", tests=str(len(results)), failures=str(failures), errors="0")
    for path, result in results:
        case = ET.SubElement(suite, "testcase", classname="imrparse.validate", name=printable(path))
        findings = result["findings"]
        lines = [xml_text(f"{f['line']}:{f['column']}: {f['code']} {f['severity']}: {f['message']}") for f in findings]
        if not is_valid(findings, strict):
            failing = [f for f in findings if f["severity"] == "error" or (strict and f["severity"] == "warning")]
            failure = ET.SubElement(case, "failure", type=failing[0]["code"], message=printable(failing[0]["message"]))
            failure.text = "\n".join(lines)
        elif lines:
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    document: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def github_lines(path: str, result: dict[str, Any]) -> bytes:
    """GitHub Actions workflow commands, one per finding, which a workflow run shows as
    annotations on the letter: `::error file=PATH,line=L,col=C,title=CODE name::message`
    (`::warning` for a warning, `::notice` for an info finding; no line or column when the finding has none). Escaped as GitHub's
    toolkit escapes them: `%`, CR and LF in the message; also `:` and `,` in the properties."""
    out = []
    for finding in result["findings"]:
        where = [("file", path), ("line", finding["line"]), ("col", finding["column"]),
                 ("title", f"{finding['code']} {RULES[finding['code']].name}")]
        properties = ",".join(f"{key}={_escape_property(str(value))}" for key, value in where if value is not None)
        command = "notice" if finding["severity"] == "info" else finding["severity"]
        out.append(f"::{command} {properties}::{_escape_data(finding['message'])}\n")
    return "".join(out).encode()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


SARIF_SCHEMA = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"


_SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def sarif(results: list[tuple[str, dict[str, Any]]], version: str) -> bytes:
    """One SARIF 2.1.0 log (code scanning's format): one run of imrparse with every rule as a
    reportingDescriptor, and a result per finding at its letter's URI, line and column (columns
    count characters, hence `columnKind: unicodeCodePoints`)."""
    codes = list(RULES)
    rules = [{"id": rule.code, "name": rule.name, "shortDescription": {"text": rule.description},
              "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]}} for rule in RULES.values()]
    found = []
    for path, result in results:
        for finding in result["findings"]:
            location: dict[str, Any] = {"artifactLocation": {"uri": _uri(path)}}
            if finding["line"] is not None:
                location["region"] = {"startLine": finding["line"],
                                      **({"startColumn": finding["column"]} if finding["column"] is not None else {})}
            found.append({"ruleId": finding["code"], "ruleIndex": codes.index(finding["code"]), "level": _SARIF_LEVELS[finding["severity"]],
                          "message": {"text": finding["message"]}, "locations": [{"physicalLocation": location}]})
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "imrparse", "version": version, "rules": rules}},
                     "columnKind": "unicodeCodePoints", "results": found}]}
    return orjson.dumps(log, option=orjson.OPT_INDENT_2) + b"\n"


def _uri(path: str) -> str:
    """A letter's path as a URI reference: `file:` for an absolute path, else relative (as code
    scanning resolves it against the checkout), each character outside a URI percent-encoded."""
    from urllib.parse import quote

    pure = PurePath(path)
    return pure.as_uri() if pure.is_absolute() else quote(pure.as_posix())


def rules_table(fmt: str) -> str:
    """Every rule: code, severity, name and description."""
    if fmt == "markdown":
        rows = ["| Code | Severity | Name | What it reports |", "|---|---|---|---|"]
        rows += [f"| {r.code} | {r.severity} | {r.name} | {r.description} |" for r in RULES.values()]
        return "\n".join(rows) + "\n"
    width = max(len(r.name) for r in RULES.values())
    return "".join(f"{r.code}  {r.severity:<7}  {r.name:<{width}}  {r.description}\n" for r in RULES.values())
