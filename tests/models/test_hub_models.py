"""KerasHub-style models through the command line: a multi-input transformer with a WordPiece vocabulary builds,
`inspect` says what each input is fed, and what reportgen cannot do (an input it cannot fill, a hub preset)
is one line naming the input or the preset, exit 2."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
keras_hub = pytest.importorskip("keras_hub")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "commands"))
from cli_helpers import cli, line_of  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "the", "market", "shares", "rose", "fell", "goal", "match", "won", "un", "##break",
         "##able", ",", ".", "team"]
TEXT = "The unbreakable team won the match, shares fell."


def save_hub_model(root: Path) -> Path:
    keras.utils.set_random_seed(7)
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    mask = keras.Input((None,), dtype="int32", name="padding_mask")
    x = keras_hub.layers.TokenAndPositionEmbedding(len(VOCAB), 32, 8, name="embedding")(ids)
    x = keras_hub.layers.TransformerEncoder(16, 2, name="encoder")(x, padding_mask=mask)
    x = keras.layers.GlobalAveragePooling1D(name="pool")(x, mask=mask)
    out = keras.layers.Dense(2, activation="softmax", name="out")(x)
    keras.Model({"token_ids": ids, "padding_mask": mask}, out, name="tiny_hub").save(root / "model.keras")
    (root / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    return root / "model.keras"


def save_unfillable_model(root: Path) -> Path:
    keras.utils.set_random_seed(8)
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    extra = keras.Input((None, 3), dtype="float32", name="features")
    x = keras.layers.Embedding(len(VOCAB), 3)(ids)
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling1D()(x + extra))
    path = root / "unfillable.keras"
    keras.Model({"token_ids": ids, "features": extra}, out, name="unfillable").save(path)
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hub")
    save_hub_model(root)
    save_unfillable_model(root)
    return root


def write_spec(root: Path, name: str, model: str = "model.keras", input_lines: str = "") -> Path:
    spec = root / name
    spec.write_text(f"""version: 1
title: tiny hub
date: 2024-01-01
model:
  path: {model}
  labels: [sport, business]
input:
  tokenizer: wordpiece
  vocabulary: vocab.txt
  lower: true
{input_lines}samples:
  items:
    - {{id: a, text: "{TEXT}", label: sport}}
    - {{id: b, text: "the market rose", label: business}}
explain:
  layers: [auto, embedding]
  targets: predicted
metrics:
  enabled: false
output:
  pdf: false
""", encoding="utf-8")
    return spec


def test_build_of_a_two_input_transformer_with_wordpiece_subwords(project, capsys) -> None:
    spec = write_spec(project, "spec.yaml")
    code, out, err = cli(capsys, "build", spec, "--out", project / "report", "--no-pdf", "--quiet")
    assert code == 0, err
    data = json.loads((project / "report" / "explanations.json").read_text(encoding="utf-8"))
    # the probabilities are the model's own on each text alone, fed its ids and an all-ones mask
    import numpy as np

    from reportgen.spec import load_spec
    from reportgen.text.factory import pipeline_from_spec

    loaded = load_spec(spec)
    pipeline = pipeline_from_spec(loaded.input, loaded.paths.vocabulary)
    model = keras.models.load_model(project / "model.keras")
    for doc in data["documents"]:
        text = TEXT if doc["id"] == "a" else "the market rose"
        ids = np.array([pipeline.encode(text).ids], dtype="int32")
        alone = model({"token_ids": ids, "padding_mask": np.ones_like(ids)}).numpy()[0]
        np.testing.assert_allclose(doc["prediction"]["probabilities"], alone, rtol=1e-5)
    # each subword token points at the characters it was cut from
    encoded = pipeline.encode(TEXT)
    pieces = [(t.text, TEXT[t.span[0]:t.span[1]]) for t in encoded.tokens]
    assert pieces[:4] == [("the", "The"), ("un", "un"), ("##break", "break"), ("##able", "able")]
    assert len(pieces) == data["documents"][0]["input"]["length"] == 12


def test_inspect_shows_what_each_input_is_fed(project, capsys) -> None:
    code, out, err = cli(capsys, "inspect", project / "model.keras")
    assert code == 0, err
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "the token ids" in lines["token_ids"]
    assert "the padding mask" in lines["padding_mask"]
    assert "auto layer      encoder" in out


def test_an_input_reportgen_cannot_fill_is_one_line_naming_it(project, capsys) -> None:
    code, out, err = cli(capsys, "inspect", project / "unfillable.keras")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "input 'features'" in err and "input.model_inputs" in err
    # in a build it is placed at the spec key that can fix it
    spec = write_spec(project, "unfillable.yaml", model="unfillable.keras",
                      input_lines="  model_inputs:\n    token_ids: ids\n")
    code, out, err = cli(capsys, "build", spec, "--out", project / "report-unfillable", "--no-pdf", "--quiet")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "input.model_inputs" in err and "'features'" in err
    assert f"line {line_of(spec, r'^  model_inputs:')}" in err


@pytest.mark.parametrize("key,value", [("input.tokenizer", "bert_base_en_uncased"),
                                       ("model.path", "kaggle://keras/bert/keras/bert_base_en")])
def test_a_hub_preset_is_refused_in_one_line_naming_it(project, capsys, key, value) -> None:
    spec = write_spec(project, "preset.yaml", model=value if key == "model.path" else "model.keras")
    if key == "input.tokenizer":
        spec.write_text(spec.read_text(encoding="utf-8").replace("tokenizer: wordpiece", f"tokenizer: {value}"),
                        encoding="utf-8")
    for command in (["validate", spec], ["build", spec, "--out", project / "report-preset", "--no-pdf"]):
        code, out, err = cli(capsys, *command)
        assert code == 2, err
        assert len(err.strip().splitlines()) == 1
        assert value in err and key in err and "downloads nothing" in err
    assert not (project / "report-preset").exists()


def test_a_multi_output_model_validates_and_builds_the_named_output(tmp_path, capsys) -> None:
    keras.utils.set_random_seed(9)
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(len(VOCAB), 4, name="emb")(ids))
    outputs = {"topic": keras.layers.Dense(3, activation="softmax", name="topic")(pooled),
               "flag": keras.layers.Dense(1, activation="sigmoid", name="flag")(pooled)}
    model = keras.Model(ids, outputs, name="two_heads")
    model.save(tmp_path / "model.keras")
    (tmp_path / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    spec = write_spec(tmp_path, "spec.yaml").read_text(encoding="utf-8")
    spec = spec.replace("  labels: [sport, business]\n", "  labels: [sport, business, other]\n  output: topic\n")
    spec = spec.replace("layers: [auto, embedding]", "layers: [emb]")
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    code, out, err = cli(capsys, "validate", tmp_path / "spec.yaml")
    assert code == 0, err
    code, out, err = cli(capsys, "build", tmp_path / "spec.yaml", "--out", tmp_path / "report", "--no-pdf", "--quiet")
    assert code == 0, err
    data = json.loads((tmp_path / "report" / "explanations.json").read_text(encoding="utf-8"))
    import numpy as np

    from reportgen.text.vocab import Vocabulary
    from reportgen.text.wordpiece import WordPiecePipeline

    pipeline = WordPiecePipeline(Vocabulary.from_tokens(VOCAB), lower=True)
    for doc, text in zip(data["documents"], [TEXT, "the market rose"]):
        topic = model(np.array([pipeline.encode(text).ids]))["topic"].numpy()[0]
        np.testing.assert_allclose(doc["prediction"]["probabilities"], topic, rtol=1e-5)
    (tmp_path / "spec.yaml").write_text(spec.replace("  output: topic\n", ""), encoding="utf-8")
    code, out, err = cli(capsys, "build", tmp_path / "spec.yaml", "--out", tmp_path / "report2", "--no-pdf",
                          "--quiet")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "model.output" in err and "('flag', 'topic')" in err
