"""Each sample spec builds a real report (on a small selection): predicted labels match `model.predict` on
the same ids, and every requested layer and target appears."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests import paths
from tests.stored import stored_documents

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytestmark = pytest.mark.slow

SAMPLES = paths.SAMPLES
KEEP = 3  # documents per sample: enough to mix labels, small enough for CI


def small_spec(sample: str, tmp_path: Path) -> Path:
    folder = SAMPLES / sample
    if not (folder / "model.keras").exists():
        pytest.skip(f"samples/{sample} has no trained model")
    spec = yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8"))
    for section, key in (("model", "path"), ("model", "labels_file"), ("input", "vocabulary")):
        if spec.get(section, {}).get(key):
            spec[section][key] = str(folder / spec[section][key])
    if spec["samples"].get("select"):
        spec["samples"]["select"] = spec["samples"]["select"][:KEEP]
    spec["samples"]["limit"] = KEEP
    spec.setdefault("metrics", {})["max_samples"] = 2
    spec["metrics"]["random_seeds"] = 1
    spec["metrics"]["sanity"] = False
    spec["output"] = {"dir": str(tmp_path / "out"), "pdf": False}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("sample", ["imdb", "bbc", "bbc-char"])
def test_sample_spec_builds_and_matches_the_model(sample, tmp_path):
    import keras
    import tensorflow as tf

    from reportgen.build import build

    spec_path = small_spec(sample, tmp_path)
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    summary = build(spec_path)
    data = json.loads((summary.out_dir / "explanations.json").read_text(encoding="utf-8"))
    assert len(data["documents"]) == KEEP + len(spec["samples"].get("extra") or [])
    model = keras.models.load_model(SAMPLES / sample / "model.keras")
    labels = data["model"]["labels"]
    requested_layers = spec["explain"]["layers"]
    requested_layers = requested_layers if isinstance(requested_layers, list) else [requested_layers]
    auto = next(layer["path"] for layer in data["model"]["layers"] if layer["auto"])
    expected_layers = {auto if name == "auto" else name for name in requested_layers}
    for doc in stored_documents(summary.out_dir):  # text, tokens and maps are in results/maps.parquet
        if data["model"]["input_kind"] == "strings":
            probs = model.predict(tf.constant([[doc["text"]]]), verbose=0)[0]
        else:
            ids = [t["id"] for t in doc["tokens"]]
            length = data["model"]["input_length"]
            if length:
                ids = ids + [0] * (length - len(ids))
            probs = model.predict(np.array([ids]), verbose=0)[0]
        if len(probs) == 1:
            probs = np.array([1 - probs[0], probs[0]])
        np.testing.assert_allclose(doc["prediction"]["probabilities"], probs, rtol=1e-4, atol=1e-6)
        assert doc["prediction"]["predicted"] == [int(np.argmax(probs))]
        assert {h["layer"] for h in doc["heatmaps"]} == expected_layers
        targets = spec["explain"]["targets"]
        explained = {h["target"] for h in doc["heatmaps"]}
        if targets == "all":
            assert explained == set(range(len(labels)))
        elif isinstance(targets, str) and targets.startswith("top-"):
            k = int(targets[4:])
            assert explained == set(int(i) for i in np.argsort(-probs)[:k])
        elif targets == "predicted":
            assert explained == {int(np.argmax(probs))}
        for h in doc["heatmaps"]:
            assert len(h["weights"]) == len(doc["tokens"])
        page = (summary.out_dir / "index.html").read_text(encoding="utf-8")
        assert labels[doc["prediction"]["predicted"][0]] in page
