"""A user's code type-checks against imrparse (mypy --strict): `parse`, `parse_file` and
`parse_normalized` return a `Record`, `validate` a list of `Finding`, so the README's
`record: imrparse.Record = imrparse.parse(text)` passes and a misspelt field is an error."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

USER_CODE = '''
import imrparse

text = open("letter.txt", encoding="utf-8").read()
record: imrparse.Record = imrparse.parse(text)
from_file: imrparse.Record = imrparse.parse_file("letter.txt")
normalized: imrparse.Record = imrparse.parse_normalized(imrparse.normalize(text))
number: str | None = record["case"]["case_number"]
outcomes: list[str | None] = [decision["outcome"] for decision in record["decisions"]]
sha256: str | None = from_file["source"]["sha256"]
findings: list[imrparse.Finding] = imrparse.validate(text)
where: list[tuple[str, int | None, int | None]] = [(f["code"], f["line"], f["column"]) for f in findings]
'''

MISTAKES = '''
import imrparse

record = imrparse.parse("")
record["case"]["case_nmber"]
finding = imrparse.validate("")[0]
column: str = finding["column"]
'''


def test_user_code_type_checks_and_misspelt_fields_do_not(tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text(USER_CODE, encoding="utf-8")
    (tmp_path / "mistakes.py").write_text(MISTAKES, encoding="utf-8")
    # Run where imrparse is the installed package, as a user's project sees it.
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"),
                           "user.py", "mistakes.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    errors = [line for line in done.stdout.splitlines() if re.match(r"\S+\.py:\d+: error", line)]
    assert [line for line in errors if line.startswith("user.py")] == [], done.stdout
    mistakes = [re.sub(r":\s.*", "", line) for line in errors if line.startswith("mistakes.py")]
    assert mistakes == ["mistakes.py:5", "mistakes.py:7"], done.stdout
    assert 'TypedDict "Case" has no key "case_nmber"' in done.stdout
    assert 'expression has type "int | None", variable has type "str"' in done.stdout
