"""Row buckets (issue 16, engine at its floor): the Grad-CAM step is traced for a static row count, rows
padded with copies up to the next bucket, which must change no map, no score and no target."""

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


def test_buckets_are_8_12_16_24_and_so_on_and_waste_under_a_third():
    # by hand: powers of two and one and a half times them, from 8
    assert [static_rows(r, 10) for r in (1, 8, 9, 12, 13, 16, 17, 25, 33, 49, 65, 97)] == \
        [8, 8, 12, 12, 16, 16, 24, 32, 48, 64, 96, 128]
    for rows in range(8, 3000):
        bucket = static_rows(rows, 1)
        assert rows <= bucket < rows * 3 / 2
        assert static_rows(bucket, 1) == bucket  # a padded call lands on its own bucket


def test_a_bucket_over_the_token_budget_takes_the_shape_free_step():
    budget = gradcam.TOKEN_BUDGET
    assert static_rows(8, budget // 8) == 8
    assert static_rows(8, budget // 8 + 1) is None
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
    docs = random_docs(rng, [3, 5, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22], vocab=40)  # thirteen
    # thirteen documents x two targets = 26 rows, padded to 32 with copies of the first row
    together = reportgen.explain(model, docs, layers=["emb", "bi1"], targets="all", relu=False, batch_size=13)
    check_against_reference(model, together, docs)
    assert {rows for _, rows in engine_of(model)._steps} == {32}
    alone = reportgen.explain(model, docs[:4], layers=["emb", "bi1"], targets="all", relu=False, batch_size=1)
    check_against_reference(model, alone, docs[:4])
    for a, b in zip(together, alone):  # a document's maps do not depend on its batch's bucket
        assert [h.score for h in a.heatmaps] == pytest.approx([h.score for h in b.heatmaps], rel=1e-5)
        for ha, hb in zip(a.heatmaps, b.heatmaps):
            np.testing.assert_allclose(ha.weights, hb.weights, rtol=1e-5, atol=1e-7)
    other = random_docs(rng, [4, 6, 7, 10, 13, 16, 19, 23, 24, 25, 26, 27], vocab=40)  # 24 rows: bucket 24
    reportgen.explain(model, other[:11], layers=["emb", "bi1"], targets="all", relu=False, batch_size=13)
    # 22 rows -> 24; 2 rows -> 8; 26 -> 32: three buckets, three traces, whatever the lengths
    assert sorted(rows for _, rows in engine_of(model)._steps) == [8, 24, 32]
    assert engine_of(model).tracing_count() == 3


def test_rows_over_the_budget_go_through_the_shape_free_step_with_the_same_maps(monkeypatch):
    model = rnn_model(seed=43)
    docs = random_docs(np.random.default_rng(44), [20, 20, 20], vocab=40)
    # one document x two targets = 40 positions fit; a bucket of 8 rows (160 positions) does not
    monkeypatch.setattr(gradcam, "TOKEN_BUDGET", 8 * 20 - 1)
    out = reportgen.explain(model, docs, layers=["emb", "bi1"], targets="all", relu=False, batch_size=1)
    assert {rows for _, rows in engine_of(model)._steps} == {None}
    check_against_reference(model, out, docs)
