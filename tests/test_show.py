"""`imrparse debug show`: the letter as imrparse reads it, in the terminal (rich's output,
captured) and as HTML opened in headless Chromium (its DOM, and a screenshot)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import FIXTURES, LETTERS, ROOT, all_spans, corpus_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style
from typer.testing import CliRunner

import imrparse
from imrparse.cli.commands import app
from imrparse.views import show

runner = CliRunner()
SEED = LETTERS / "seed_002_c9bea6becccd0840.txt"
GOOD = LETTERS / "pdftotext_partial_authorization.txt"
FAILING = FIXTURES / "bad" / "no_rationale.txt"  # item 3 has no 'Decision rationale:' paragraph
UNKNOWN_WORDING = FIXTURES / "rules" / "D405-guideline-wording-unknown.fail.txt"

# Letter text is untrusted: markup, entities, quotes and control characters, where the view shows
# them as text and where they become values in the hover text.
HOSTILE_TITLE = "<script>alert(\"pwned\")</script> & 'MRI' </pre><b>bold</b>"
HOSTILE_SUMMARY = "</code></pre><script>document.title = 'pwned'</script> &amp; &lt;i&gt; \x1b[31mred\x1b[0m \x07\x0b\x7f done."


def hostile_letter() -> str:
    text = GOOD.read_text()
    text = text.replace("Associated surgical service: Physical therapy, times 12", HOSTILE_TITLE, 1)
    return text.replace("therapy. The utilization review", f"therapy. {HOSTILE_SUMMARY} The utilization review", 1)


# -- what the view holds ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [SEED, GOOD, FAILING, UNKNOWN_WORDING], ids=lambda p: p.stem)
def test_every_record_span_is_a_mark(path: Path) -> None:
    view = show.build_view(path.read_text())
    spans = {(m.start, m.end) for m in view.marks}
    assert view.record is not None
    for start, end in all_spans(view.record):
        assert start == end or (start, end) in spans  # an empty paragraph has nothing to show


@pytest.mark.corpus
def test_every_corpus_letter_is_shown_with_all_its_spans() -> None:
    letters = sorted((corpus_dir() / "text").glob("*.txt"))
    assert letters, f"the real-letter corpus is missing at {corpus_dir()}"
    for path in letters:
        view = show.build_view(path.read_text())
        assert view.error is None and view.record is not None, path
        spans = {(m.start, m.end) for m in view.marks}
        assert all(start == end or (start, end) in spans for start, end in all_spans(view.record)), path
        assert {"header", "credentials", "fact", "title"} <= {m.kind for m in view.marks}, path
        for decision in view.record["decisions"]:
            for key in ("claims_administrator_guideline", "reviewer_guideline"):
                guideline = decision[key]
                (start, end) = guideline["span"]
                inside = {m.kind for m in view.marks if start <= m.start and m.end <= end}
                assert ("mtus" in inside) == bool(guideline["mtus"]), (path, guideline["text"])
                assert ("non_mtus" in inside) == bool(guideline["non_mtus"]), (path, guideline["text"])
                assert ("unrecognized" in inside) == bool(guideline["unrecognized"]), (path, guideline["text"])
        assert len([m for m in view.marks if m.kind in ("upheld", "overturned")]) == len(view.record["decisions"]), path


def test_kinds_tell_citations_outcomes_and_facts_apart() -> None:
    view = show.build_view(GOOD.read_text())
    text = view.text
    shown = {(m.kind, text[m.start:m.end].replace("\n", " ")) for m in view.marks}
    assert ("mtus", "Acupuncture Treatment 2009") in shown
    assert ("non_mtus", "Official Disability Guidelines (ODG), Low back chapter - Physical therapy") in shown
    assert ("no_evidence", "The Expert Reviewer did not cite any medical evidence for its decision.") in shown
    assert ("upheld", "Upheld") in shown and ("overturned", "Overturned") in shown
    assert {("fact", "58"), ("fact", "female"), ("fact", "10/14/2016")} <= shown
    assert {("credentials", "California"), ("credentials", "North Carolina")} <= shown  # each name of the list
    assert ("header", "CM16-0999001") in shown
    assert ("landmark", "MAXIMUS guideline:") in shown
    assert ("treatment", "Chiropractic spinal manipulation times 12") in shown  # the original request of a partial authorization


def test_unrecognized_wording_is_marked_with_its_finding() -> None:
    view = show.build_view(UNKNOWN_WORDING.read_text())
    unrecognized = [m for m in view.marks if m.kind == "unrecognized"]
    assert unrecognized and all(".unrecognized" in m.field for m in unrecognized)
    assert [f["code"] for f in view.findings] == ["D405"]
    note = view.notes[0]
    assert note.kind == "finding" and note.text.startswith("D405 warning: ")
    assert (note.line, note.column) == (view.findings[0]["line"], view.findings[0]["column"])


def test_failing_letter_shows_its_partial_record_and_where_it_stopped() -> None:
    view = show.build_view(FAILING.read_text())
    assert view.error is not None and view.error.code == "S102" and view.record is not None
    assert len(view.record["decisions"]) == 3  # the two before the damaged third, and the fourth, read alone after it
    [failure] = [n for n in view.notes if n.kind == "failure"]
    assert (failure.line, failure.column) == (view.error.line, view.error.column)
    [unread] = [m for m in view.marks if m.kind == "unread"]
    assert unread.start == view.error.offset and unread.end == len(view.text)
    # The third item, damaged, is in no record, so nothing draws it as a decision: the finding
    # below its line names it. (The partial record's decisions[2] is the fourth item.)
    damaged = view.text.index("Associated surgical service")
    assert not [m for m in view.marks if m.start <= damaged < m.end and m.kind not in ("letter", "control")]
    assert view.notes[0].text.startswith("S102 error: item 'Associated surgical service")
    assert view.record["decisions"][2]["title"].startswith("Retrospective TENS unit")


def test_display_keeps_offsets_piecewise() -> None:
    text = "a\r\nb\tc\fd\x1be\x00\rf"
    assert show.display(text, 0, len(text)) == "a\nb       c␌d␛e␀\nf"
    assert "".join(show.display(text, i, i + 1) for i in range(len(text))) == show.display(text, 0, len(text))


# -- the terminal ----------------------------------------------------------------------------

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def _terminal(view: show.View) -> tuple[str, list[str]]:
    """rich's output for a truecolor terminal: the plain text and, per character, the SGR
    parameters in force."""
    out = io.StringIO()
    show.print_view(view, Console(file=out, force_terminal=True, color_system="truecolor", width=120))
    plain: list[str] = []
    styles: list[str] = []
    state = ""
    for i, piece in enumerate(SGR.split(out.getvalue())):
        if i % 2:
            state = "" if piece in ("", "0") else piece
        else:
            plain.append(piece)
            styles += [state] * len(piece)
    return "".join(plain), styles


def _background(kind: str) -> str:
    color = Style.parse(show.KINDS[kind].style).bgcolor
    assert color is not None and color.triplet is not None
    return "48;2;{};{};{}".format(*color.triplet)


def _innermost(view: show.View, offset: int) -> show.Mark | None:
    covering = [m for m in view.marks if m.start <= offset < m.end]
    return max(covering, key=lambda m: (show.KINDS[m.kind].layer, m.start, -m.end)) if covering else None


@pytest.mark.parametrize("path", [GOOD, SEED, UNKNOWN_WORDING], ids=lambda p: p.stem)
def test_terminal_view_colours_each_field_by_kind(path: Path) -> None:
    view = show.build_view(path.read_text())
    view.notes = []  # the findings' lines, tested below, would interrupt the letter's text
    view.marks = [m for m in view.marks if m.kind != "finding"]
    plain, styles = _terminal(view)
    body = show.display(view.text, 0, len(view.text))
    at = plain.index(body)  # the letter verbatim, between the heading and the field list
    for offset, char in enumerate(body):
        mark = _innermost(view, offset)
        if mark is None or char == "\n":
            continue
        assert _background(mark.kind) in styles[at + offset], (mark, char)
    for mark in view.marks:
        if mark.kind != "wording":
            assert mark.field in plain or mark.kind == "landmark"


def test_terminal_view_of_a_failing_letter() -> None:
    view = show.build_view(FAILING.read_text())
    plain, styles = _terminal(view)
    assert "The letter does not parse: reading stopped at line 71, column 1 (S102)" in plain
    assert "The partial record below holds: case, reviewer, summary, 3 complete decisions" in plain
    lines = plain.split("\n")
    stop = lines.index("Retrospective TENS unit, purchase, lumbar spine (DOS")
    assert lines[stop + 1].startswith("^ S102 error: item 'Associated surgical service")
    # The item after the damaged one was read alone (issue 26): it is drawn from the partial record,
    # its outcome word too (the view has no other source).
    outcome = plain.index("Upheld", plain.index("12/29/16): Upheld"))
    assert _background("upheld") in styles[outcome]


def test_terminal_view_shows_control_characters_as_symbols() -> None:
    view = show.build_view(hostile_letter())
    out = io.StringIO()
    show.print_view(view, Console(file=out, force_terminal=False, width=120))
    printed = out.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed and "\x7f" not in printed
    assert "␛[31mred␛[0m ␇␋␡ done." in printed
    assert HOSTILE_TITLE in printed


# -- the command -----------------------------------------------------------------------------


def test_cli_show_exit_status_and_stdin(tmp_path: Path) -> None:
    result = runner.invoke(app, ["debug", "show", str(GOOD)])
    assert result.exit_code == 0, result.output
    assert "The letter parses: 4 decisions; 0 findings" in result.stdout
    assert "decisions[3].reviewer_guideline.mtus" in result.stdout
    piped = runner.invoke(app, ["debug", "show", "-"], input=FAILING.read_text())
    assert piped.exit_code == 1 and "imrparse debug show: <stdin>" in piped.stdout
    assert runner.invoke(app, ["debug", "show", str(tmp_path / "missing.txt")]).exit_code == 2
    out = tmp_path / "view.html"
    result = runner.invoke(app, ["debug", "show", str(GOOD), "--html", str(out)])
    assert result.exit_code == 0 and out.read_text().startswith("<!DOCTYPE html>")


def test_cli_show_reads_a_pdf() -> None:
    pytest.importorskip("pypdfium2")
    pdfs = sorted((corpus_dir() / "pdf").glob("*.pdf"))
    assert pdfs, f"no corpus PDFs in {corpus_dir() / 'pdf'}"
    result = runner.invoke(app, ["debug", "show", str(pdfs[0])])
    assert result.exit_code == 0, result.output
    assert "The letter parses:" in result.stdout and f" case.case_number  {pdfs[0].stem}" in result.stdout


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.text(max_size=12)), max_size=4))
def test_any_edit_of_a_letter_is_shown_whole(edits: list[tuple[int, int, str]]) -> None:
    """Random cuts and insertions (markup and control characters included): the view is built,
    and in its HTML every mark's text is the letter's text, piece by piece."""
    text = GOOD.read_text()
    for at, cut, inserted in edits:
        at %= len(text) + 1
        text = text[:at] + inserted + text[at + cut:]
    view = show.build_view(text)
    dom = DOM()
    dom.feed(show.to_html(view))
    assert "script" not in dom.tags
    texts: dict[str, list[str]] = {}
    for attributes, data in dom.pieces:
        for name in attributes["data-fields"].split():
            texts.setdefault(name, []).append(data)
    for number, mark in enumerate(view.marks):
        assert "".join(texts.get(f"m{number}", [])) == show.display(text, mark.start, mark.end).replace("\n", ""), mark


def test_html_is_self_contained() -> None:
    page = show.to_html(show.build_view(hostile_letter(), name="hostile {name}.txt"))
    for needle in ("<script", "http://", "https://", "src=", "<link", "@import", "url(", "<a "):
        assert needle not in page
    assert "<title>imrparse: hostile {name}.txt</title>" in page


# -- the browser -----------------------------------------------------------------------------


def chromium() -> str:
    """Debian's chromium; under CI it must be there (.ci/run installs it)."""
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def run_chromium(tmp_path: Path, page: Path, *args: str) -> str:
    command = [chromium(), "--headless", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", *args]
    if os.geteuid() == 0:
        command.insert(2, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    done = subprocess.run([*command, page.resolve().as_uri()], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class DOM(HTMLParser):
    """The rendered DOM: the text of each `data-fields` span, the tags, the stylesheet."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.pieces: list[tuple[dict[str, str], str]] = []  # (attributes of the span, its text)
        self.css = ""
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.stack.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.stack and self.stack[-1][0] == "style":
            self.css += data
        elif self.stack and self.stack[-1][0] == "title":
            self.title += data
        elif self.stack and "data-fields" in self.stack[-1][1]:
            self.pieces.append((self.stack[-1][1], data))


def open_in_browser(tmp_path: Path, text: str, name: str) -> tuple[show.View, DOM]:
    """Write the view with the command, open it in headless Chromium, parse the DOM it renders."""
    letter = tmp_path / name
    letter.write_text(text)
    page = tmp_path / f"{name}.html"
    result = runner.invoke(app, ["debug", "show", str(letter), "--html", str(page)])
    assert result.exit_code in (0, 1), result.output
    dom = DOM()
    dom.feed(run_chromium(tmp_path, page, "--dump-dom"))
    shot = tmp_path / f"{name}.png"
    run_chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,1600")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    return show.build_view(text, name=str(letter)), dom


def check_fields(view: show.View, dom: DOM) -> None:
    """Every field span of the record is in the DOM, whole, and highlighted (a background). Rich
    leaves line ends outside its styled spans, so they are compared without them."""
    rules = dict(re.findall(r"\.(r\d+) \{([^}]*)\}", dom.css))
    texts: dict[str, list[str]] = {}
    for attributes, data in dom.pieces:
        assert "background-color" in rules[attributes["class"]] or attributes["data-kind"] == "unread"
        for name in attributes["data-fields"].split():
            texts.setdefault(name, []).append(data)
        innermost = int(attributes["data-fields"].split()[-1][1:])
        assert attributes["title"].startswith(view.marks[innermost].field)
    ids = {(m.start, m.end): n for n, m in reversed(list(enumerate(view.marks)))}
    assert view.record is not None
    spans = [span for span in all_spans(view.record) if span[0] < span[1]]
    assert spans
    for start, end in spans:
        number = ids[(start, end)]
        assert "".join(texts[f"m{number}"]) == show.display(view.text, start, end).replace("\n", ""), view.marks[number]
    for number, mark in enumerate(view.marks):
        assert "".join(texts.get(f"m{number}", [])) == show.display(view.text, mark.start, mark.end).replace("\n", ""), mark


def check_findings(view: show.View, dom: DOM) -> None:
    shown = "".join(dom.text)
    for finding in view.findings:
        assert f"{finding['code']} {finding['severity']}: {finding['message']}" in shown


def test_browser_seed(tmp_path: Path) -> None:
    view, dom = open_in_browser(tmp_path, SEED.read_text(), SEED.name)
    assert view.error is None
    check_fields(view, dom)
    check_findings(view, dom)  # H201: the seeds have no header
    assert [f["code"] for f in view.findings] == ["H201"]


def test_browser_letter_with_unknown_wording(tmp_path: Path) -> None:
    view, dom = open_in_browser(tmp_path, UNKNOWN_WORDING.read_text(), UNKNOWN_WORDING.name)
    check_fields(view, dom)
    check_findings(view, dom)
    assert any(a["data-kind"] == "unrecognized" for a, _ in dom.pieces)


def test_browser_failing_letter(tmp_path: Path) -> None:
    view, dom = open_in_browser(tmp_path, FAILING.read_text(), FAILING.name)
    assert view.error is not None
    check_fields(view, dom)  # the partial record's spans
    check_findings(view, dom)
    shown = "".join(dom.text)
    assert "The letter does not parse: reading stopped at line 71, column 1 (S102)" in shown
    assert "(parsing stopped here: the text after it was not read)" in shown
    kinds = [a["data-kind"] for a, _ in dom.pieces]
    assert "failure" in kinds and "title" in kinds[kinds.index("failure"):]  # the item read alone after the failure


def test_browser_hostile_letter_renders_as_text(tmp_path: Path) -> None:
    view, dom = open_in_browser(tmp_path, hostile_letter(), "hostile.txt")
    assert "script" not in dom.tags and dom.tags.count("pre") == 1 and "b" not in dom.tags and "i" not in dom.tags
    shown = "".join(dom.text)
    assert HOSTILE_TITLE in shown
    assert show.display(HOSTILE_SUMMARY, 0, len(HOSTILE_SUMMARY)) in shown
    assert dom.title == f"imrparse: {tmp_path / 'hostile.txt'}"
    titles = [a["title"] for a, _ in dom.pieces if a["data-kind"] in ("treatment", "part")]  # a part sits inside its treatment
    assert any(HOSTILE_TITLE in t for t in titles)  # values in the hover text, as text
    check_fields(view, dom)


# -- the README ------------------------------------------------------------------------------


def test_readme_screenshot_is_committed() -> None:
    readme = (ROOT / "README.md").read_text()
    shots = re.findall(r"!\[[^\]]*\]\((docs/[^)]+\.png)\)", readme)
    assert shots, "the README shows no screenshot of debug show"
    for shot in shots:
        assert (ROOT / shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    command = readme[readme.index("<!-- show:screenshot -->"):].split("```")[1]
    assert "imrparse debug show" in command and "--html" in command
    assert "chromium --headless" in command and f"--screenshot={shots[0]}" in command


def test_debug_show_runs_validate_on_its_own_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """The view parses the letter once; validate's rules read that record (no second parse)."""
    import imrparse.check.validate as validating

    def second_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validate parsed the letter again")

    monkeypatch.setattr(validating, "parse_normalized", second_parse)
    path = LETTERS / "pdftotext_partial_authorization.txt"
    view = show.build_view(path.read_text(encoding="utf-8"))
    monkeypatch.undo()
    assert view.record is not None and view.findings == imrparse.validate(path.read_text(encoding="utf-8"))


def test_debug_show_draws_the_record_of_one_parse_and_walks_no_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every mark comes from the record (the landmarks and each citation's and credential's
    span included): the letter is parsed once, and no interactive token walk runs."""
    import lark

    import imrparse.api as api

    parses: list[object] = []
    parse_as_it_is = api._parse_as_it_is

    def counted(*args: object, **kwargs: object) -> object:
        parses.append(args)
        return parse_as_it_is(*args, **kwargs)  # type: ignore[arg-type]

    def no_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("debug show walked the letter's tokens")

    monkeypatch.setattr(api, "_parse_as_it_is", counted)
    monkeypatch.setattr(lark.Lark, "parse_interactive", no_walk)
    view = show.build_view(GOOD.read_text())
    assert len(parses) == 1 and view.record is not None
    kinds = {m.kind for m in view.marks}
    assert {"landmark", "credentials", "mtus", "non_mtus", "no_evidence", "upheld", "overturned", "fact", "treatment"} <= kinds
