"""The committed bbc-transformer sample: its model, read through reportgen's WordPiece pipeline and the inputs
reportgen builds for it, predicts what its training script recorded (metrics.json `checks`), and its spec
explains the articles the script chose."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytest.importorskip("keras_hub")

import json  # noqa: E402

HERE = Path(__file__).resolve().parents[2] / "samples" / "bbc-transformer"


def test_model_through_reportgen_matches_its_recorded_predictions() -> None:
    import reportgen
    from reportgen.api import load_adapter
    from reportgen.samples import load_samples
    from reportgen.spec import load_spec
    from reportgen.text.factory import pipeline_from_spec

    record = json.loads((HERE / "metrics.json").read_text(encoding="utf-8"))
    assert record["accuracy"] >= 0.90
    spec = yaml.safe_load((HERE / "spec.yaml").read_text(encoding="utf-8"))
    assert spec["samples"]["select"] == record["showcase"]["ids"]
    assert spec["input"]["max_tokens"] == record["sequence_length"]
    loaded = load_spec(HERE / "spec.yaml")
    pipeline = pipeline_from_spec(loaded.input, loaded.paths.vocabulary)
    labels = (HERE / "labels.txt").read_text(encoding="utf-8").split()
    adapter = load_adapter(HERE / "model.keras", labels)
    assert adapter.auto_layer().path == "encoder_2"
    assert [i.role for i in adapter.inputs] == ["ids", "mask"]
    by_id = {sample.id: sample.text for sample in load_samples(loaded, loaded.paths.base_dir)}
    texts = [by_id[check["id"]] for check in record["checks"]]
    ids = [pipeline.encode(text).ids[:record["sequence_length"]] for text in texts]
    # one padded batch of articles of different lengths, as a report runs them
    got = reportgen.explain(adapter, ids, layers="auto")
    for check, explanation in zip(record["checks"], got):
        np.testing.assert_allclose(explanation.prediction.probabilities, check["probabilities"], atol=1e-4)
