"""Compile once, reuse (issue 16, item 3): the Grad-CAM step is traced once per kind of target request
(given label indices, or the top K chosen inside the step), whatever the batch sizes, lengths and target
counts; K targets run as K copies of the batch through one backward pass, and maps stay those of the
plain per-document GradientTape reference (`test_engine.reference_map`)."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

import reportgen  # noqa: E402
from reportgen.api import adapter_for  # noqa: E402
from reportgen.engine import gradcam  # noqa: E402
from tests.engine.test_engine import conv_model, random_docs, reference_map, rnn_model  # noqa: E402

LENGTHS = [2, 3, 5, 6, 8, 9, 11, 14, 15, 17, 20, 23]  # twelve lengths: twelve padded widths at batch size 1


def engine_traces(model) -> int:
    return sum(engine.tracing_count() for engine in adapter_for(model)._engines.values())


def batch_shapes(monkeypatch) -> list[tuple[int, int]]:
    """The (documents, positions) of every batch the engine's step is given, recorded as they come."""
    seen: list[tuple[int, int]] = []
    attribute = gradcam.GradCAM.attribute

    def recording(self, ids, *args, **kwargs):
        seen.append(tuple(ids.shape))
        return attribute(self, ids, *args, **kwargs)

    monkeypatch.setattr(gradcam.GradCAM, "attribute", recording)
    return seen


def test_many_lengths_sizes_and_target_counts_trace_once_and_match_the_reference(monkeypatch):
    model = rnn_model(seed=31)
    docs = random_docs(np.random.default_rng(32), LENGTHS, vocab=40)
    shapes = batch_shapes(monkeypatch)
    both = reportgen.explain(model, docs, layers=["emb", "bi1"], targets="all", relu=False, batch_size=1)
    widths = {w for _, w in shapes}
    assert widths == set(LENGTHS)  # one batch per document, unpadded: twelve distinct input shapes
    positive = reportgen.explain(model, docs, layers=["emb", "bi1"], targets=[1], relu=False, batch_size=5)
    assert {n for n, _ in shapes} == {1, 5, 2}  # batch sizes 1, 5 and a last batch of 2
    assert engine_traces(model) == 1  # two target counts, three batch sizes, fifteen shapes: one trace
    for doc, one, ids in zip(both, positive, docs):
        for layer in ("emb", "bi1"):
            raw, _ = reference_map(model, model.get_layer(layer), ids, 1, single_sigmoid=True)
            np.testing.assert_allclose(doc.find(layer=layer, target=1)[0].weights, raw, rtol=1e-4, atol=1e-6)
            # one sigmoid unit: the negative label's map is the exact negation of the positive's
            np.testing.assert_allclose(doc.find(layer=layer, target=0)[0].weights, -raw, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(one.find(layer=layer, target=1)[0].weights, raw, rtol=1e-4, atol=1e-6)
    reportgen.explain(model, docs[:3], layers=["emb", "bi1"], targets="top-2", relu=False, batch_size=2)
    assert engine_traces(model) == 2  # choosing the top K inside the step is the second (and last) kind


def test_padded_mixed_length_batches_give_the_maps_of_each_document_alone():
    """A masking model: documents of different lengths share a padded batch, and get their own maps."""
    model = rnn_model(seed=33)
    docs = random_docs(np.random.default_rng(34), LENGTHS, vocab=40)
    together = reportgen.explain(model, docs, layers=["emb", "bi1"], targets="all", relu=False, batch_size=12)
    alone = reportgen.explain(model, docs, layers=["emb", "bi1"], targets="all", relu=False, batch_size=1)
    for a, b in zip(together, alone):
        assert len(a.heatmaps) == len(b.heatmaps) == 4
        for ha, hb in zip(a.heatmaps, b.heatmaps):
            assert (ha.layer, ha.target) == (hb.layer, hb.target)
            np.testing.assert_allclose(ha.weights, hb.weights, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(a.prediction.probabilities, b.prediction.probabilities, rtol=1e-5)


def test_a_model_that_does_not_mask_padding_gets_unpadded_equal_length_batches(monkeypatch):
    keras.utils.set_random_seed(35)
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(40, 6, name="emb"),  # no mask_zero: a pad id changes the prediction
        keras.layers.LSTM(5, return_sequences=True, name="rnn"),
        keras.layers.GlobalAveragePooling1D(name="gap"),
        keras.layers.Dense(3, activation="softmax", name="out"),
    ])
    lengths = [4, 7, 4, 9, 7, 4, 2]
    docs = random_docs(np.random.default_rng(36), lengths, vocab=40)
    shapes = batch_shapes(monkeypatch)
    out = reportgen.explain(model, docs, layers="rnn", targets="all", relu=False, batch_size=8)
    assert not adapter_for(model).masks_padding(0)
    # by hand: the lengths 2, 4 (three documents), 7 (two), 9 each make one batch of their own width
    assert sorted(shapes) == [(1, 2), (1, 9), (2, 7), (3, 4)]
    for doc, ids in zip(out, docs):
        for target in range(3):
            raw, _ = reference_map(model, model.get_layer("rnn"), ids, target)
            np.testing.assert_allclose(doc.find(layer="rnn", target=target)[0].weights, raw, rtol=1e-4,
                                       atol=1e-6)


def test_targets_split_into_slot_groups_under_the_token_budget_give_the_same_maps(monkeypatch):
    """K copies of a batch can outgrow the token budget: the slots then go through in groups (a group of
    one slot here), with the same maps, targets and scores."""
    model = conv_model(seed=37)
    docs = random_docs(np.random.default_rng(38), [20] * 4)
    whole = reportgen.explain(model, docs, layers=["conv", "conv2"], targets="top-3", relu=False)
    calls = []
    step_for = gradcam.GradCAM._step

    def counting(self, choose_top):
        step = step_for(self, choose_top)
        return lambda *args: calls.append(int(args[-1].shape[1])) or step(*args)

    monkeypatch.setattr(gradcam, "TOKEN_BUDGET", 4 * 20 * 1)  # one copy of the 4 x 20 batch a call
    monkeypatch.setattr(gradcam.GradCAM, "_step", counting)
    split = reportgen.explain(model, docs, layers=["conv", "conv2"], targets="top-3", relu=False)
    assert calls == [1, 1, 1]
    for a, b, ids in zip(whole, split, docs):
        assert [h.target for h in a.heatmaps] == [h.target for h in b.heatmaps]
        probs = model.predict(np.array([ids]), verbose=0)[0]
        assert [h.target for h in a.heatmaps if h.layer == "conv"] == list(np.argsort(-probs)[:3])
        for ha, hb in zip(a.heatmaps, b.heatmaps):
            assert ha.score == pytest.approx(hb.score, rel=1e-6)
            np.testing.assert_allclose(ha.weights, hb.weights, rtol=1e-5, atol=1e-8)
            raw, _ = reference_map(model, model.get_layer(ha.layer), ids, ha.target)
            np.testing.assert_allclose(hb.weights, np.interp(np.linspace(0, 1, 20),
                                                             np.linspace(0, 1, len(raw)), raw),
                                       rtol=1e-4, atol=1e-6)
