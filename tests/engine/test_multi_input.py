"""Multi-input models (a dict of token ids + padding mask, segment ids), KerasHub transformer layers and a nested
backbone, explained by the batched engine against a per-document GradientTape reference written out here.

The reference runs each document alone (no padding), calling the model's own layer objects in order under a
tape, so it shares nothing with the engine's capture, batching, padding mask or own-position mean:
    score = (pooled @ W + b)[target];  map[t] = sum_c A[t, c] * mean_t' dscore/dA[t', c]
The engine explains all documents in one padded batch, whose mask it builds from the padded ids.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
keras_hub = pytest.importorskip("keras_hub")

import reportgen  # noqa: E402
from reportgen.api import adapter_for  # noqa: E402
from reportgen.errors import ReportgenError  # noqa: E402

VOCAB = 40
DOCS = [[5, 9, 3], [7, 2, 11, 19, 4, 8, 30], [6, 6, 12, 25, 33, 1, 17, 9, 21, 14, 3, 2], [39, 10, 4, 27, 13]]


def rel_close(got, want, rtol=1e-5):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = max(np.abs(want).max(), 1e-12)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= rtol * scale, (np.abs(got - want).max() / scale)


def gradcam(acts: dict, score) -> dict:
    """Maps of one document from activations (1, T, C) recorded under `tape` (given as `score`'s tape)."""
    tape, value = score
    grads = tape.gradient(value, list(acts.values()))
    out = {}
    for (name, a), g in zip(acts.items(), grads):
        a = a[0].numpy().astype(np.float64)
        g = g[0].numpy().astype(np.float64)
        out[name] = a @ g.mean(axis=0)
    return out


# ----- 1. a functional model with dict inputs: ids + padding mask ---------------------------------------

def dict_model():
    keras.utils.set_random_seed(1)
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    mask = keras.Input((None,), dtype="int32", name="padding_mask")
    emb = keras.layers.Embedding(VOCAB, 6, name="emb")
    proj = keras.layers.Dense(5, activation="tanh", name="proj")
    pool = keras.layers.GlobalAveragePooling1D(name="pool")
    head = keras.layers.Dense(3, activation="softmax", name="out")
    x = proj(emb(ids))
    model = keras.Model({"token_ids": ids, "padding_mask": mask}, head(pool(x, mask=mask)), name="dict_inputs")

    def reference(doc, target):
        x = tf.constant([doc], dtype="int32")
        m = tf.ones_like(x)
        with tf.GradientTape(persistent=True) as tape:
            e = emb(x)
            tape.watch(e)
            p = proj(e)
            tape.watch(p)
            z = tf.matmul(pool(p, mask=m), head.kernel) + head.bias
            s = z[0, target]
        return gradcam({"emb": e, "proj": p}, (tape, s)), float(s)

    return model, reference


# ----- 2. KerasHub layers: TokenAndPositionEmbedding + two TransformerEncoder blocks ----------------

def hub_model():
    keras.utils.set_random_seed(2)
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    mask = keras.Input((None,), dtype="int32", name="padding_mask")
    emb = keras_hub.layers.TokenAndPositionEmbedding(VOCAB, 16, 8, name="embedding")
    enc1 = keras_hub.layers.TransformerEncoder(16, 2, name="encoder_1")
    enc2 = keras_hub.layers.TransformerEncoder(16, 2, name="encoder_2")
    pool = keras.layers.GlobalAveragePooling1D(name="pool")
    head = keras.layers.Dense(4, activation="softmax", name="out")
    x = enc2(enc1(emb(ids), padding_mask=mask), padding_mask=mask)
    model = keras.Model({"token_ids": ids, "padding_mask": mask}, head(pool(x, mask=mask)), name="hub_encoder")

    def reference(doc, target):
        x = tf.constant([doc], dtype="int32")
        m = tf.ones_like(x)
        with tf.GradientTape(persistent=True) as tape:
            e = emb(x)
            tape.watch(e)
            a1 = enc1(e, padding_mask=m)
            tape.watch(a1)
            a2 = enc2(a1, padding_mask=m)
            tape.watch(a2)
            z = tf.matmul(pool(a2, mask=m), head.kernel) + head.bias
            s = z[0, target]
        return gradcam({"embedding": e, "encoder_1": a1, "encoder_2": a2}, (tape, s)), float(s)

    return model, reference


# ----- 3. a nested backbone (ids, segment ids, mask) inside a classifier ------------------------------

def nested_model():
    keras.utils.set_random_seed(3)
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    segments = keras.Input((None,), dtype="int32", name="segment_ids")
    mask = keras.Input((None,), dtype="int32", name="padding_mask")
    tok = keras_hub.layers.TokenAndPositionEmbedding(VOCAB, 16, 8, name="embedding")
    seg = keras.layers.Embedding(2, 8, name="segment_embedding")
    add = keras.layers.Add(name="add")
    enc = keras_hub.layers.TransformerEncoder(16, 2, name="encoder")
    features = enc(add([tok(ids), seg(segments)]), padding_mask=mask)
    inputs = {"token_ids": ids, "segment_ids": segments, "padding_mask": mask}
    backbone = keras.Model(inputs, features, name="backbone")

    outer = {k: keras.Input((None,), dtype="int32", name=k) for k in inputs}
    pool = keras.layers.GlobalAveragePooling1D(name="pool")
    head = keras.layers.Dense(3, activation="softmax", name="out")
    model = keras.Model(outer, head(pool(backbone(outer), mask=outer["padding_mask"])), name="with_backbone")

    def reference(doc, target):
        x = tf.constant([doc], dtype="int32")
        m = tf.ones_like(x)
        with tf.GradientTape(persistent=True) as tape:
            t = tok(x)
            tape.watch(t)
            summed = add([t, seg(tf.zeros_like(x))])
            a = enc(summed, padding_mask=m)
            tape.watch(a)
            z = tf.matmul(pool(a, mask=m), head.kernel) + head.bias
            s = z[0, target]
        return gradcam({"backbone/embedding": t, "backbone/encoder": a}, (tape, s)), float(s)

    return model, reference


CASES = {
    "dict": (dict_model, ["emb", "proj"]),
    "keras_hub": (hub_model, ["embedding", "encoder_1", "encoder_2"]),
    "nested": (nested_model, ["backbone/embedding", "backbone/encoder"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_padded_batch_matches_per_document_reference(case) -> None:
    build, layers = CASES[case]
    model, reference = build()
    adapter = adapter_for(model)
    # the mask reportgen builds from the padded ids makes padding harmless, so the documents of
    # different lengths below share one padded batch
    assert adapter.masks_padding(0)
    labels = adapter.labels
    out = reportgen.explain(adapter, DOCS, layers=layers, targets="all", relu=False)
    for doc, explanation in zip(DOCS, out):
        for target in range(len(labels)):
            want, score = reference(doc, target)
            for path in layers:
                (heatmap,) = [h for h in explanation.heatmaps if h.layer == path and h.target == target]
                assert heatmap.layer_resolution == len(doc)
                rel_close(heatmap.weights, want[path])
                assert abs(heatmap.score - score) <= 1e-6 * max(1.0, abs(score))


def test_prediction_of_the_padded_batch_is_each_document_alone() -> None:
    model, _ = hub_model()
    adapter = adapter_for(model)
    out = reportgen.explain(adapter, DOCS, layers="auto", targets="predicted")
    for doc, explanation in zip(DOCS, out):
        alone = model({"token_ids": tf.constant([doc]), "padding_mask": tf.ones((1, len(doc)), "int32")}).numpy()[0]
        np.testing.assert_allclose(explanation.prediction.probabilities, alone, rtol=1e-5, atol=1e-6)


def test_auto_picks_the_last_encoder_block_and_inputs_are_planned() -> None:
    hub, _ = hub_model()
    assert adapter_for(hub).auto_layer().path == "encoder_2"
    nested, _ = nested_model()
    adapter = adapter_for(nested)
    assert adapter.auto_layer().path == "backbone/encoder"
    assert {i.name: i.role for i in adapter.inputs} == {"token_ids": "ids", "segment_ids": "segments",
                                                        "padding_mask": "mask"}


def test_model_inputs_override_and_a_constant() -> None:
    """A mask input named so that nothing can be guessed is mapped by hand; an int is a constant input."""
    keras.utils.set_random_seed(4)
    ids = keras.Input((None,), dtype="int32", name="a")
    keep = keras.Input((None,), dtype="int32", name="b")
    bias = keras.Input((1,), dtype="float32", name="c")
    x = keras.layers.Embedding(VOCAB, 4, name="emb")(ids)
    pooled = keras.layers.GlobalAveragePooling1D(name="pool")(x, mask=keep)
    out = keras.layers.Dense(2, activation="softmax", name="out")(keras.layers.Concatenate()([pooled, bias]))
    model = keras.Model([ids, keep, bias], out, name="renamed")
    with pytest.raises(ReportgenError, match=r"input 'a' .*cannot tell what to feed it.*input.model_inputs"):
        adapter_for(model)
    adapter = adapter_for(model, model_inputs={"a": "ids", "b": "mask", "c": 3})
    assert adapter.masks_padding(0)
    (explanation,) = reportgen.explain(adapter, [DOCS[1]], layers="emb", targets=[1], relu=False)
    doc = tf.constant([DOCS[1]])
    probs = model([doc, tf.ones_like(doc), tf.fill((1, 1), 3.0)]).numpy()[0]
    np.testing.assert_allclose(explanation.prediction.probabilities, probs, rtol=1e-6)
    # a constant of 3 reads differently from 0: the value really reaches the model
    assert not np.allclose(model([doc, tf.ones_like(doc), tf.zeros((1, 1))]).numpy()[0], probs)


def test_inputs_reportgen_cannot_fill_are_named() -> None:
    keras.utils.set_random_seed(5)
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    features = keras.Input((None, 3), dtype="float32", name="features")
    x = keras.layers.Embedding(VOCAB, 3)(ids)
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling1D()(x + features))
    model = keras.Model({"token_ids": ids, "features": features}, out)
    with pytest.raises(ReportgenError, match=r"input 'features' .*cannot tell what to feed it") as caught:
        adapter_for(model)
    assert caught.value.spec_key == "input.model_inputs" and "\n" not in str(caught.value)
    with pytest.raises(ReportgenError, match=r"input 'features' has shape \(batch, None, 3\)"):
        adapter_for(model, model_inputs={"features": "mask"})
    with pytest.raises(ReportgenError, match=r"'nope', which is not an input of the model"):
        adapter_for(model, model_inputs={"nope": "mask"})


def test_multi_output_model_explains_the_named_output() -> None:
    keras.utils.set_random_seed(6)
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    emb = keras.layers.Embedding(VOCAB, 4, name="emb")
    pooled = keras.layers.GlobalAveragePooling1D(name="pool")(emb(ids))
    topic = keras.layers.Dense(3, activation="softmax", name="topic")
    flag = keras.layers.Dense(1, activation="sigmoid", name="flag")
    model = keras.Model(ids, {"topic": topic(pooled), "flag": flag(pooled)}, name="two_heads")
    with pytest.raises(ReportgenError, match=r"2 outputs \('flag', 'topic'\); name the one to explain in "
                                             r"model.output") as caught:
        adapter_for(model)
    assert caught.value.spec_key == "model.output"
    with pytest.raises(ReportgenError, match=r"'topics' is not one of its outputs \('flag', 'topic'\)"):
        adapter_for(model, output="topics")
    adapter = adapter_for(model, output="topic")
    assert adapter.task == "multiclass" and len(adapter.labels) == 3
    doc = DOCS[2]
    (explanation,) = reportgen.explain(adapter, [doc], layers="emb", targets=[2], relu=False)
    x = tf.constant([doc])
    with tf.GradientTape() as tape:
        e = emb(x)
        tape.watch(e)
        z = tf.matmul(tf.reduce_mean(e, axis=1), topic.kernel) + topic.bias
        s = z[0, 2]
    g = tape.gradient(s, e)[0].numpy().astype(np.float64)
    rel_close(explanation.heatmaps[0].weights, e[0].numpy().astype(np.float64) @ g.mean(axis=0))
    assert abs(explanation.heatmaps[0].score - float(s)) <= 1e-6
    assert reportgen.explain(adapter_for(model, output="flag"), [doc], layers="emb")[0].prediction.probabilities[1] \
        == pytest.approx(float(model(x)["flag"][0, 0]), rel=1e-6)


def test_fixed_length_model_fed_a_mask_averages_over_the_unmasked_positions_only() -> None:
    """Padded to its fixed 12 positions, a document's padding is masked: the gradient mean leaves it out, so
    the map is the one of the document alone."""
    keras.utils.set_random_seed(9)
    ids = keras.Input((12,), dtype="int32", name="token_ids")
    mask = keras.Input((12,), dtype="int32", name="padding_mask")
    emb = keras.layers.Embedding(VOCAB, 6, name="emb")
    proj = keras.layers.Dense(5, activation="tanh", name="proj")
    pool = keras.layers.GlobalAveragePooling1D(name="pool")
    head = keras.layers.Dense(3, activation="softmax", name="out")
    model = keras.Model({"token_ids": ids, "padding_mask": mask}, head(pool(proj(emb(ids)), mask=mask)))
    adapter = adapter_for(model)
    assert adapter.input_length == 12
    short = [d for d in DOCS if len(d) < 12]
    out = reportgen.explain(adapter, short, layers=["proj"], targets=[0], relu=False)
    for doc, explanation in zip(short, out):
        assert explanation.input.padded == 12 - len(doc)
        x = tf.constant([doc], dtype="int32")
        with tf.GradientTape() as tape:
            p = proj(emb(x))
            tape.watch(p)
            s = (tf.matmul(pool(p), head.kernel) + head.bias)[0, 0]
        want = gradcam({"proj": p}, (tape, s))["proj"]
        rel_close(explanation.heatmaps[0].weights, want)
