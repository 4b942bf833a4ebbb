"""`reportgen explain --spec SPEC TEXT...`: the spec's model, input pipeline, labels and explain settings.

The expectation for each spec run is the same explanation asked for the old way, with every setting typed
as a flag (`--vocabulary --start-token --oov-token --labels --layer --target`): two routes to one answer.
Error lines are checked against the YAML line found by searching the spec text for its key.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.commands.cli_helpers import cli, line_of

VOCAB = ["<PAD>", "<START>", "<OOV>", "good", "bad", "movie", "plot", "boring"]
TEXT = "Good movie, boring plot!"




def maps(out: str) -> dict[str, str]:
    """Each map's heading -> its annotated text line (the line after the heading, past any notes)."""
    lines = out.splitlines()
    found = {}
    for i, line in enumerate(lines):
        if line.startswith("target "):
            found[line] = next(text for text in lines[i + 1:] if not text.startswith("note: "))
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory, word_model) -> Path:
    pytest.importorskip("keras")
    root = tmp_path_factory.mktemp("explain-spec")
    (root / "model").mkdir()
    word_model(root / "model", VOCAB, name="spec_explain", body="conv", classes=2)
    (root / "labels.txt").write_text("dull\nfun\n", encoding="utf-8")
    return root


def write_spec(project: Path, name: str, body: str) -> Path:
    spec_file = project / name
    spec_file.write_text("version: 1\ntitle: T\nsamples:\n  items: [just a sample]\n" + textwrap.dedent(body),
                         encoding="utf-8")
    return spec_file


FULL = """\
    model:
      path: model/model.keras
      labels: [dull, fun]
    input:
      vocabulary: model/vocab.txt
      start_token: "<START>"
      oov_token: "<OOV>"
    explain:
      layers: [conv]
      targets: all
      relu: [true, false]
    """
BY_FLAGS = ["--vocabulary", "model/vocab.txt", "--start-token", "<START>", "--oov-token", "<OOV>",
            "--labels", "dull,fun", "--layer", "conv", "--target", "all", "--color", "never"]


def test_the_spec_gives_what_the_flags_gave(project, capsys, monkeypatch) -> None:
    monkeypatch.chdir(project)
    spec_file = write_spec(project, "full.yaml", FULL)
    code, out, err = cli(capsys, "explain", "--spec", spec_file, TEXT, "--color", "never")
    assert (code, err) == (0, ""), err
    code, relu_out, err = cli(capsys, "explain", "model/model.keras", TEXT, *BY_FLAGS)
    assert code == 0, err
    code, no_relu_out, err = cli(capsys, "explain", "model/model.keras", TEXT, *BY_FLAGS, "--no-relu")
    assert code == 0, err
    expected = {**maps(relu_out), **maps(no_relu_out)}
    assert len(expected) == 4  # 2 targets x relu on/off, all at layer conv
    assert maps(out) == expected
    assert out.splitlines()[0] == relu_out.splitlines()[0]  # the prediction line, with the spec's label names
    assert re.match(r"predicted: (dull|fun) \d\.\d{3}", out)
    # the start token and the OOV token came from the spec: '<START>' leads, ',' and '!' are dropped, 5 tokens
    assert all(text.startswith("[<START>") for text in maps(out).values())
    assert all(heading.endswith(", 5 tokens:") for heading in maps(out))


def test_flags_override_the_spec(project, capsys) -> None:
    spec_file = write_spec(project, "full.yaml", FULL)
    code, out, err = cli(capsys, "explain", "--spec", spec_file, TEXT, "--target", "fun", "--no-relu",
                         "--layer", "embedding")
    assert code == 0, err
    assert [re.sub(r" \(logit [^)]*\)", "", heading) for heading in maps(out)] == [
        "target fun, layer embedding, no relu, 5 tokens:"]
    code, out, err = cli(capsys, "explain", "--spec", spec_file, TEXT, "--labels", "bad,good", "--target", "good")
    assert code == 0, err
    assert [heading.split(" (")[0] for heading in maps(out)] == ["target good", "target good"]  # relu on, off
    assert re.match(r"predicted: (bad|good) ", out)


def test_labels_file_max_tokens_and_words_a_typed_text_cannot_use(project, capsys) -> None:
    spec_file = write_spec(project, "more.yaml", """\
        model:
          path: model/model.keras
          labels_file: labels.txt
        input:
          vocabulary: model/vocab.txt
          max_tokens: 2
        explain:
          layers: best
          targets: "true"
        """)
    code, out, err = cli(capsys, "explain", "--spec", spec_file, TEXT, "movie", "--color", "never")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:2] == [
        "note: explain.layers: best is chosen by a build's metrics; explaining layers: auto",
        "note: explain.targets: true needs a sample's label, which a typed text has not; explaining the "
        "predicted label"]
    assert lines[2] == "== TEXT 1 ==" and "== TEXT 2 ==" in lines
    headings = list(maps(out))
    # labels.txt names the labels; `auto` picks the conv layer; the first text is cut to max_tokens = 2
    assert re.match(r"target (dull|fun) \(logit [-+]\d\.\d{3}\), layer conv, relu, 2 tokens:$", headings[0])
    assert headings[1].endswith("layer conv, relu, 1 tokens:")
    assert maps(out)[headings[0]].startswith("Good[") and "movie[" in maps(out)[headings[0]]


@pytest.mark.parametrize("body, key, pattern, message", [
    ("model: {path: model/model.keras}\ninput:\n  lower: true\n", "input.vocabulary", r"^input:",
     "the model takes token ids and the spec names no vocabulary; add one, or give --vocabulary FILE"),
    ("model:\n  path: model/model.keras\n  labels: [a, b, c]\ninput: {vocabulary: model/vocab.txt}\n",
     "model.labels", r"^  labels:", "3 labels given but the model has 2 classes"),
    ("model: {path: model/model.keras}\ninput: {vocabulary: model/vocab.txt}\nexplain:\n  layers:\n"
     "    - conv\n    - convv\n", "explain.layers[1]", r"- convv", "layer 'convv' not found"),
    ("model: {path: model/model.keras}\ninput: {vocabulary: model/vocab.txt}\nexplain:\n"
     "  targets: [fun]\n", "explain.targets", r"targets:", "target 'fun' is not a label; labels are: 0, 1"),
])
def test_a_problem_the_spec_causes_is_one_line_at_its_key(project, capsys, body, key, pattern, message) -> None:
    spec_file = write_spec(project, "bad.yaml", body)
    code, out, err = cli(capsys, "explain", "--spec", spec_file, TEXT)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"reportgen: error: {key}")
    assert message in err
    assert err.rstrip().endswith(f"(bad.yaml line {line_of(spec_file, pattern)})")


def test_command_line_mistakes_are_one_line(project, capsys) -> None:
    code, out, err = cli(capsys, "explain", "--spec", project / "missing.yaml", TEXT)
    assert code == 2 and err.splitlines() == ["reportgen: error: no such spec file "
                                              f"'{project / 'missing.yaml'}'"]
    code, out, err = cli(capsys, "explain", TEXT)  # one positional argument, no --spec: no model
    assert code == 2 and err.splitlines() == [
        "reportgen: error: give MODEL TEXT, or --spec SPEC TEXT to take the model from a spec"]
    spec_file = write_spec(project, "full.yaml", FULL)
    code, out, err = cli(capsys, "explain", "--spec", spec_file, "a", "b", "--html", project / "x.html")
    assert code == 2 and err.splitlines() == ["reportgen: error: --html writes the page of one text; 2 TEXTs given"]
    code, out, err = cli(capsys, "explain", "--spec", spec_file, TEXT, "--target", "top-0")
    assert code == 2 and "K in top-K must be at least 1" in err and len(err.splitlines()) == 1
    code, out, err = cli(capsys, "explain", "--spec", spec_file, TEXT, "--target", "true")
    assert code == 2 and "--target true: a typed text has no true label" in err
