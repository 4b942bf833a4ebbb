"""Terminal injection: nothing a user or a model controls reaches the terminal as a control sequence.

`reportgen explain` printed escape sequences from TEXT as they were (a title-setting `ESC ]0;…BEL`, a
clear-screen `ESC [2J`) with colours on, and raw ESC/BEL bytes with colours off; error lines echoed hostile
paths and sample ids raw. Every such character is now shown as a Python-style escape (`\\x1b`).
"""

from __future__ import annotations

import os
import textwrap

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from reportgen.cli import _error_lines, main  # noqa: E402
from reportgen.errors import InputError, SpecError  # noqa: E402
from reportgen.textsafe import terminal_safe  # noqa: E402

TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
C1_CSI = "\x9b2J"  # the 8-bit form of ESC [
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\x00", "\r")


def assert_inert(output: str) -> None:
    """No control byte of the hostile input survives; our own colour codes (ESC [ ... m) may."""
    stripped = output
    import re

    stripped = re.sub(r"\x1b\[(?:0|48;2;\d+;\d+;\d+|38;2;\d+;\d+;\d+)m", "", stripped)
    for char in RAW:
        assert char not in stripped, (char, output)


def test_terminal_safe_shows_every_control_character():
    assert terminal_safe(TITLE + CLEAR) == "\\x1b]0;pwned\\x07\\x1b[2J"
    assert terminal_safe(C1_CSI + "\u202eabc\x00") == "\\x9b2J\\u202eabc\\x00"
    assert terminal_safe("line\nnext\r\tx") == "line\\nnext\\r\\tx"  # error lines stay one line
    assert terminal_safe("line\nnext\r\tx", keep_lines=True) == "line\nnext\\r\tx"
    ordinary = "caf\u00e9 \u05e9\u05dc\u05d5\u05dd \U0001f468\u200d\U0001f469 \u00bfqu\u00e9?"
    assert terminal_safe(ordinary) == ordinary
    assert terminal_safe(terminal_safe(TITLE)) == terminal_safe(TITLE)  # idempotent: safe to apply twice


def test_error_lines_never_echo_control_characters():
    error = InputError(f"sample 'x{TITLE}': label 'y{CLEAR}\nreportgen: error: forged' is not one of the labels")
    lines = _error_lines(error)
    assert len(lines) == 1 and "\\nreportgen: error: forged" in lines[0]
    assert_inert(lines[0])
    spec_error = SpecError([f"samples.file: no such file 'a{CLEAR}b' (spec.yaml line 3)", "title: missing"])
    assert _error_lines(spec_error) == ["samples.file: no such file 'a\\x1b[2Jb' (spec.yaml line 3)", "title: missing"]


def test_hostile_spec_path_and_sample_id_in_cli_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = tmp_path / f"spec{TITLE}{CLEAR}.yaml"
    code = main(["validate", str(hostile)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "\\x1b]0;pwned\\x07" in err
    assert_inert(err)
    # a sample id with an escape sequence, named by validate's duplicate-id error
    (tmp_path / "model.keras").write_bytes(b"")
    (tmp_path / "samples.csv").write_text(f"id,text\nx{CLEAR},good\nx{CLEAR},bad\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent("""\
        version: 1
        title: t
        model: {path: model.keras, labels: [a, b]}
        input: {level: word}
        samples: {file: samples.csv}
        """), encoding="utf-8")
    code = main(["validate", str(spec)])
    err = capsys.readouterr().err
    assert code == 2 and err.strip(), err
    assert_inert(err)


def test_usage_errors_quote_arguments_inert(capsys):
    code = main(["validate", "spec.yaml", f"extra{CLEAR}{TITLE}"])
    err = capsys.readouterr().err
    assert code == 2 and "unrecognized arguments: extra\\x1b[2J\\x1b]0;pwned\\x07" in err
    assert_inert(err)
    code = main(["explain", "m.keras", "text", "--color", f"red{CLEAR}"])
    err = capsys.readouterr().err
    assert code == 2 and "invalid choice" in err
    assert_inert(err)


def test_internal_error_line_is_inert(capsys, monkeypatch):
    import reportgen.cli as cli

    class Boom:
        @staticmethod
        def run(*args, **kwargs):
            raise RuntimeError(f"bug near {TITLE}{CLEAR}\nsecond line")

    monkeypatch.setattr(cli, "_command", lambda name: Boom)
    code = main(["schema"])
    err = capsys.readouterr().err
    assert code == 1
    first = err.splitlines()[0]
    assert first.startswith("reportgen: internal error: RuntimeError: bug near \\x1b]0;pwned\\x07\\x1b[2J\\nsecond")
    assert_inert(err)


VOCAB = ["<PAD>", "<OOV>", "good", "bad", "movie"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, word_model):
    root = tmp_path_factory.mktemp("terminal")
    word_model(root, VOCAB, name="terminal", body="conv2")
    return root


HOSTILE_TEXT = f"good {TITLE}movie{CLEAR} bad\u202e good {C1_CSI}\rmovie\nbad"


@pytest.mark.parametrize("color", ["always", "never"])
def test_explain_prints_hostile_text_inert(tiny_model, capsys, color):
    code = main(["explain", str(tiny_model / "model.keras"), HOSTILE_TEXT, "--vocabulary",
                 str(tiny_model / "vocab.txt"), "--oov-token", "<OOV>", "--labels", f"neg{CLEAR},pos",
                 "--layer", "conv", "--target", "all", "--color", color])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert_inert(out)
    # shown where they stand (the plain form puts weights after the words Keras 2 cut at "[" and "]")
    for shown in ("\\x1b", "\\x07", "pwned", "\\x9b2J", "\\u202e", "\\rmovie"):
        assert shown in out, shown
    assert "neg\\x1b[2J" in out  # labels come from the user too
    if color == "always":
        assert "\x1b[48;2;" in out  # the colours themselves still work
    else:
        assert "\x1b" not in out
    assert "\nbad" in out  # the text's own line break is kept


def test_explain_html_page_marks_hidden_characters(tiny_model, tmp_path, capsys):
    page = tmp_path / f"page{CLEAR}.html"
    code = main(["explain", str(tiny_model / "model.keras"), HOSTILE_TEXT, "--vocabulary",
                 str(tiny_model / "vocab.txt"), "--oov-token", "<OOV>", "--color", "never", "--html", str(page)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "wrote " in out and "page\\x1b[2J.html" in out
    assert_inert(out)
    html = page.read_text(encoding="utf-8")
    assert "\x1b" not in html and "\u202e" not in html and "\u27e8U+001B\u27e9" in html


def test_the_build_line_prints_a_hostile_output_path_inert(tmp_path, capsys, monkeypatch):
    from pathlib import Path as P

    from reportgen import build as build_module
    from reportgen.build import BuildSummary

    monkeypatch.setattr(build_module, "build", lambda *a, **k: BuildSummary(
        out_dir=P(f"out{CLEAR}"), documents=1, timings={"engine": 0.1}, files=[P(f"out{CLEAR}") / "index.html"]))
    assert main(["build", "spec.yaml"]) == 0
    out = capsys.readouterr().out
    assert_inert(out)
    assert "out\\x1b[2J/index.html" in out
