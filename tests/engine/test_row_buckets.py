"""Row buckets (issue 16, engine at its floor): the Grad-CAM step is traced for a static row count, rows
padded with copies up to the next bucket, which must change no map, no score and no target; calls of fewer
rows than the smallest bucket (a corpus's last and budget-cut batches) take the one shape-free step."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytest.importorskip("keras")
pytest.importorskip("tensorflow")

import reportgen  # noqa: E402
from reportgen.api import adapter_for  # noqa: E402
from reportgen.engine import gradcam  # noqa: E402
from reportgen.engine.gradcam import static_rows  # noqa: E402
from tests.engine.test_engine import random_docs, reference_map, rnn_model  # noqa: E402


def test_buckets_start_at_64_rows_and_waste_under_a_third():
    # by hand: 64, then powers of two and one and a half times them; fewer rows are not padded at all
    assert [static_rows(r, 10) for r in (1, 8, 63, 64, 65, 96, 97, 128, 129, 193)] == \
        [None, None, None, 64, 96, 96, 128, 128, 192, 256]
    for rows in range(64, 3000):
        bucket = static_rows(rows, 1)
        assert rows <= bucket < rows * 3 / 2
        assert static_rows(bucket, 1) == bucket  # a padded call lands on its own bucket


def test_a_bucket_over_the_token_budget_takes_the_shape_free_step():
    budget = gradcam.TOKEN_BUDGET
    assert static_rows(64, budget // 64) == 64
    assert static_rows(64, budget // 64 + 1) is None
    assert static_rows(1, budget) is None


def engine_of(model):
    (engine,) = adapter_for(model)._engines.values()
    return engine


def check_against_reference(model, out, docs):
    for doc, ids in zip(out, docs):
        for layer in ("emb", "bi1"):
            raw, _ = reference_map(model, model.get_layer(layer), ids, 1, single_sigmoid=True)
            np.testing.assert_allclose(doc.find(layer=layer, target=1)[0].weights, raw, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(doc.find(layer=layer, target=0)[0].weights, -raw, rtol=1e-4, atol=1e-6)


def test_padded_rows_change_no_map_and_each_bucket_traces_once():
    model = rnn_model(seed=41)
    rng = np.random.default_rng(42)
    docs = random_docs(rng, rng.integers(3, 23, 40), vocab=40)
    # forty documents x two targets = 80 rows, padded to 96 with copies of the first rows
    together = reportgen.explain(model, docs, layers=["emb", "bi1"], targets="all", relu=False, batch_size=40)
    check_against_reference(model, together, docs)
    assert {rows for _, rows in engine_of(model)._steps} == {96}
    # one document a batch: 2 rows, fewer than a bucket, through the shape-free step
    alone = reportgen.explain(model, docs[:4], layers=["emb", "bi1"], targets="all", relu=False, batch_size=1)
    check_against_reference(model, alone, docs[:4])
    for a, b in zip(together, alone):  # a document's maps do not depend on its batch's bucket
        assert [h.score for h in a.heatmaps] == pytest.approx([h.score for h in b.heatmaps], rel=1e-5)
        for ha, hb in zip(a.heatmaps, b.heatmaps):
            np.testing.assert_allclose(ha.weights, hb.weights, rtol=1e-5, atol=1e-7)
    other = random_docs(rng, rng.integers(4, 28, 38), vocab=40)
    reportgen.explain(model, other, layers=["emb", "bi1"], targets="all", relu=False, batch_size=33)
    # 66 rows -> 96 again, other lengths; the last 5 documents' 10 rows -> shape-free again: no new trace
    assert sorted(rows or 0 for _, rows in engine_of(model)._steps) == [0, 96]
    assert engine_of(model).tracing_count() == 2


def test_rows_over_the_budget_go_through_the_shape_free_step_with_the_same_maps(monkeypatch):
    model = rnn_model(seed=43)
    docs = random_docs(np.random.default_rng(44), [20] * 40, vocab=40)
    # forty documents x two targets = 80 rows of 20 positions fit; their bucket of 96 rows does not
    monkeypatch.setattr(gradcam, "TOKEN_BUDGET", 96 * 20 - 1)
    out = reportgen.explain(model, docs, layers=["emb", "bi1"], targets="all", relu=False, batch_size=40)
    assert {rows for _, rows in engine_of(model)._steps} == {None}
    check_against_reference(model, out, docs)
