"""The batched engine against an independent reference: a plain per-document GradientTape computation
through a probe model `keras.Model(inputs, [layer.output, head.input])` on freshly built models (where the
probe is sound), as the 2019 tutorial computed Grad-CAM."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
from scipy.interpolate import interp1d  # noqa: E402

import reportgen  # noqa: E402


def reference_map(model, layer, ids, target, score="logit", single_sigmoid=False, head_input=None):
    """Grad-CAM for one document, written out plainly: returns (map at layer resolution, grad L2 norm).

    `layer` is a layer of the model, or a symbolic tensor of its graph (for a nested sub-model's output)."""
    head = model.layers[-1]
    probe = keras.Model(model.inputs, [getattr(layer, "output", layer),
                                       head.input if head_input is None else head_input])
    x = tf.constant([ids])
    with tf.GradientTape() as tape:
        a, h = probe(x)
        z = tf.matmul(h, head.kernel) + head.bias
        if single_sigmoid:
            s = z[0, 0] if target == 1 else -z[0, 0]
            if score == "probability":
                p = tf.sigmoid(z[0, 0])
                s = p if target == 1 else 1 - p
        else:
            s = z[0, target]
            if score == "probability":
                act = head.activation.__name__
                s = (tf.nn.softmax(z) if act == "softmax" else tf.sigmoid(z))[0, target]
    g = tape.gradient(s, a)[0].numpy().astype(np.float64)
    a = a[0].numpy().astype(np.float64)
    return a @ g.mean(axis=0), float(np.sqrt((g ** 2).sum()))


def resize_ref(values, n, kind):
    if len(values) == n:
        return np.asarray(values)
    return interp1d(np.linspace(0, 1, len(values)), values, kind=kind)(np.linspace(0, 1, n))


def conv_model(length=20, vocab=30, classes=3, seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((length,), dtype="int32")
    x = keras.layers.Embedding(vocab, 6, name="emb")(inp)
    x = keras.layers.Conv1D(8, 3, activation="relu", name="conv")(x)
    x = keras.layers.MaxPooling1D(2, name="pool")(x)
    x = keras.layers.Conv1D(8, 3, activation="relu", name="conv2")(x)
    x = keras.layers.GlobalMaxPooling1D(name="gmp")(x)
    out = keras.layers.Dense(classes, activation="softmax", name="out")(x)
    return keras.Model(inp, out)


def rnn_model(seed=0, cell="lstm"):
    keras.utils.set_random_seed(seed)
    rnn = keras.layers.LSTM if cell == "lstm" else keras.layers.GRU
    return keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(40, 6, mask_zero=True, name="emb"),
        keras.layers.Bidirectional(rnn(5, return_sequences=True), name="bi1"),
        keras.layers.Bidirectional(rnn(4), name="bi2"),
        keras.layers.Dense(6, activation="relu", name="dense"),
        keras.layers.Dense(1, activation="sigmoid", name="out"),
    ])


def random_docs(rng, lengths, vocab=30, low=1):
    return [[int(v) for v in rng.integers(low, vocab, n)] for n in lengths]


@pytest.mark.parametrize("kind", ["linear", "cubic", "nearest", "previous"])
def test_conv_model_matches_reference_for_layers_targets_and_variants(kind):
    model = conv_model()
    rng = np.random.default_rng(1)
    docs = np.array(random_docs(rng, [20, 20, 20]))
    # index 3 is model.layers[3], "pool" (index 0 is the InputLayer)
    out = reportgen.explain(model, [list(d) for d in docs], layers=["emb", "conv", 3, "conv2"], targets="all",
                            relu=(True, False), counterfactual=(False, True), interpolation_kinds=(kind,))
    for doc, ids in zip(out, docs):
        assert len(doc.heatmaps) == 4 * 3 * 2 * 2
        for layer_name in ["emb", "conv", "pool", "conv2"]:
            for target in range(3):
                raw, _ = reference_map(model, model.get_layer(layer_name), list(ids), target)
                for relu in (True, False):
                    for cf in (False, True):
                        m = -raw if cf else raw
                        m = np.maximum(m, 0) if relu else m
                        expected = resize_ref(m, 20, kind)
                        (h,) = doc.find(layer=layer_name, target=target, relu=relu, counterfactual=cf)
                        np.testing.assert_allclose(h.weights, expected, rtol=1e-4, atol=1e-6)
                        assert h.layer_resolution == len(raw)
        np.testing.assert_allclose(doc.prediction.probabilities, model.predict(ids[None], verbose=0)[0],
                                   rtol=1e-5)


def test_probability_score_and_gradient_normalisation_match_reference():
    model = conv_model(seed=3)
    ids = random_docs(np.random.default_rng(2), [20])[0]
    out = reportgen.explain(model, [ids], layers="conv", targets=[1], score="probability",
                            normalize_gradients=True, relu=False)
    raw, norm = reference_map(model, model.get_layer("conv"), ids, 1, score="probability")
    expected = resize_ref(raw / max(norm, 1e-6), 20, "linear")
    (h,) = out[0].heatmaps
    np.testing.assert_allclose(h.weights, expected, rtol=1e-4, atol=1e-9)
    assert h.score_kind == "probability" and h.normalize_gradients
    assert h.score == pytest.approx(model.predict(np.array([ids]), verbose=0)[0, 1], rel=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_reloaded_sequential_rnn_with_masking(tmp_path, cell):
    """A reloaded Sequential model: layer.output can be a stale node there; the engine must not care."""
    model = rnn_model(cell=cell)
    path = tmp_path / "rnn.keras"
    model.save(path)
    reloaded = reportgen.load_model(path)
    rng = np.random.default_rng(4)
    docs = random_docs(rng, [3, 9, 5], vocab=40)  # different lengths share a batch: padding is masked
    out = reportgen.explain(reloaded, docs, layers=["emb", "bi1"], targets="all", relu=False, batch_size=4)
    for doc, ids in zip(out, docs):
        assert len(doc.tokens) == len(ids)
        for layer in ("emb", "bi1"):
            raw, _ = reference_map(model, model.get_layer(layer), ids, 1, single_sigmoid=True)
            np.testing.assert_allclose(doc.find(layer=layer, target=1)[0].weights, raw, rtol=1e-4, atol=1e-6)
            # one sigmoid unit: the negative label's logit is -z, so its map is the exact negation
            np.testing.assert_allclose(doc.find(layer=layer, target=0)[0].weights, -raw, rtol=1e-4, atol=1e-6)
        p = float(model.predict(np.array([ids]), verbose=0)[0, 0])
        np.testing.assert_allclose(doc.prediction.probabilities, [1 - p, p], rtol=1e-5)


def test_negative_target_of_single_sigmoid_explains_one_minus_p():
    model = rnn_model(seed=5)
    ids = [3, 7, 9, 11]
    (doc,) = reportgen.explain(model, [ids], layers="bi1", targets=["negative", "positive"], relu=False,
                               score="probability")
    neg, pos = doc.find(target=0)[0], doc.find(target=1)[0]
    assert neg.target_label == "negative" and pos.target_label == "positive"
    assert neg.score == pytest.approx(1 - pos.score, rel=1e-5)
    np.testing.assert_allclose(neg.weights, -np.array(pos.weights), rtol=1e-5, atol=1e-9)


def test_functional_two_branch_model_and_nested_submodel_path():
    keras.utils.set_random_seed(7)
    inner_in = keras.Input((None, 6))
    inner = keras.Model(inner_in, keras.layers.Conv1D(4, 2, padding="same", name="conv1d")(inner_in),
                        name="encoder")
    inp = keras.Input((15,), dtype="int32")
    emb = keras.layers.Embedding(25, 6, name="emb")(inp)
    a = inner(emb)  # the outer graph's handle on the nested model's output
    b = keras.layers.Conv1D(4, 3, padding="same", name="branch_b")(emb)
    merged = keras.layers.Concatenate(name="merge")([a, b])
    pooled = keras.layers.GlobalAveragePooling1D(name="gap")(merged)
    model = keras.Model(inp, keras.layers.Dense(4, activation="softmax", name="out")(pooled))
    ids = random_docs(np.random.default_rng(8), [15], vocab=25)[0]
    (doc,) = reportgen.explain(model, [ids], layers=["encoder/conv1d", "branch_b", "merge"], targets=[2],
                               relu=False)
    for layer in ("branch_b", "merge"):
        raw, _ = reference_map(model, model.get_layer(layer), ids, 2)
        np.testing.assert_allclose(doc.find(layer=layer)[0].weights, raw, rtol=1e-4, atol=1e-6)
    # the nested layer: its output is the sub-model's output, seen from the outer graph
    raw, _ = reference_map(model, a, ids, 2)
    np.testing.assert_allclose(doc.find(layer="encoder/conv1d")[0].weights, raw, rtol=1e-4, atol=1e-6)


def test_multilabel_each_label_on_its_own_and_predicted_over_threshold():
    keras.utils.set_random_seed(9)
    inp = keras.Input((12,), dtype="int32")
    x = keras.layers.Embedding(20, 5, name="emb")(inp)
    x = keras.layers.Conv1D(6, 3, padding="same", name="conv")(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inp, keras.layers.Dense(4, activation="sigmoid", name="out")(x))
    adapter = reportgen.api.adapter_for(model, labels=["a", "b", "c", "d"], threshold=0.5)
    assert adapter.task == "multilabel"
    docs = random_docs(np.random.default_rng(10), [12, 12, 12], vocab=20)
    out = reportgen.explain(adapter, docs, layers="conv", targets="predicted", relu=False)
    for doc, ids in zip(out, docs):
        probs = model.predict(np.array([ids]), verbose=0)[0]
        over = [int(i) for i in np.flatnonzero(probs >= 0.5)] or [int(np.argmax(probs))]
        assert sorted(h.target for h in doc.heatmaps) == sorted(over)
        for h in doc.heatmaps:
            raw, _ = reference_map(model, model.get_layer("conv"), ids, h.target)
            np.testing.assert_allclose(h.weights, raw, rtol=1e-4, atol=1e-6)


def test_text_vectorization_model_takes_strings():
    keras.utils.set_random_seed(11)
    vec = keras.layers.TextVectorization(max_tokens=30, output_sequence_length=10, name="vec")
    vec.adapt(["good movie great fun", "bad film awful boring", "great great good", "awful bad"])
    emb = keras.layers.Embedding(30, 4, name="emb")
    conv = keras.layers.Conv1D(5, 2, padding="same", name="conv")
    pool = keras.layers.GlobalMaxPooling1D()
    dense = keras.layers.Dense(2, activation="softmax", name="out")
    inp = keras.Input((1,), dtype="string")
    model = keras.Model(inp, dense(pool(conv(emb(vec(inp))))))
    # the reference: the same layer objects on an integer input, so the same weights without the vectorizer
    id_in = keras.Input((10,), dtype="int64")
    id_emb = emb(id_in)
    id_conv = conv(id_emb)
    id_pooled = pool(id_conv)
    id_model = keras.Model(id_in, dense(id_pooled))
    text = "Great fun, GOOD movie!"
    (doc,) = reportgen.explain(model, [text], layers=["emb", "conv"], targets="all", relu=False)
    assert doc.text == text
    assert [text[t.span[0]:t.span[1]].lower().strip(",!") for t in doc.tokens] == ["great", "fun", "good", "movie"]
    ids = vec(tf.constant([text])).numpy()[0].tolist()
    for layer, tensor in (("emb", id_emb), ("conv", id_conv)):
        for target in (0, 1):
            raw, _ = reference_map(id_model, tensor, ids, target, head_input=id_pooled)
            (h,) = doc.find(layer=layer, target=target)
            # the model's input is 10 positions: 4 tokens then 6 pads, trimmed after resizing
            np.testing.assert_allclose(h.weights, raw[:4], rtol=1e-4, atol=1e-6)
    probs = model.predict(tf.constant([[text]]), verbose=0)[0]
    np.testing.assert_allclose(doc.prediction.probabilities, probs, rtol=1e-5)


def test_fixed_length_padding_trimmed_at_end_only_and_pad_id_inside_text_kept():
    model = conv_model(length=20)
    ids = np.array([[5, 0, 6, 7, 8] + [0] * 15])  # an id equal to the pad value inside the text
    (doc,) = reportgen.explain(model, ids, pad_value=0, padding="post", layers="conv", targets=[0], relu=False)
    assert [t.id for t in doc.tokens] == [5, 0, 6, 7, 8]
    raw, _ = reference_map(model, model.get_layer("conv"), list(ids[0]), 0)
    np.testing.assert_allclose(doc.heatmaps[0].weights, resize_ref(raw, 20, "linear")[:5], rtol=1e-4, atol=1e-6)
    assert doc.input.padded == 15 and doc.input.padding_side == "post"


def test_texts_longer_than_fixed_length_are_truncated_and_say_so():
    from reportgen.engine.inputs import prepare
    from reportgen.text.base import Encoded
    from reportgen.results import Token

    model = conv_model(length=20)
    adapter = reportgen.api.adapter_for(model)
    long_doc = list(range(1, 26))
    (doc,) = prepare(adapter, [long_doc], padding="post", truncating="post")
    assert doc.ids == long_doc[:20] and doc.input.truncated == 5
    assert any("cut off" in n for n in doc.input.notes)
    del Encoded, Token


def test_layer_without_time_axis_only_on_request_and_uniform():
    model = rnn_model(seed=12)
    adapter = reportgen.api.adapter_for(model)
    assert [e.path for e in adapter.resolve_layers("all")] == ["emb", "bi1"]
    assert adapter.auto_layer().path == "bi1"
    (doc,) = reportgen.explain(model, [[4, 5, 6]], layers="dense", targets=[1], relu=False)
    h = doc.heatmaps[0]
    assert h.uniform and len(set(h.weights)) == 1 and any("no time axis" in n for n in h.notes)


def test_auto_rule_prefers_conv_then_pooling_then_embedding():
    model = conv_model()
    assert reportgen.api.adapter_for(model).auto_layer().path == "conv2"
    keras.utils.set_random_seed(0)
    pool_only = keras.Sequential([keras.Input((10,), dtype="int32"), keras.layers.Embedding(9, 3, name="e"),
                                  keras.layers.AveragePooling1D(2, name="p"), keras.layers.Flatten(),
                                  keras.layers.Dense(2, activation="softmax")])
    assert reportgen.api.adapter_for(pool_only).auto_layer().path == "p"


def test_bad_layer_and_target_references_get_clear_errors():
    from reportgen.errors import LabelError, LayerError, ModelError, TargetError

    model = conv_model()
    # typed where found, so a build blames the spec key by type, never by the message's words
    with pytest.raises(LayerError, match="did you mean 'conv'") as info:
        reportgen.explain(model, [[1] * 20], layers="convv")
    assert info.value.spec_key == "explain.layers"
    with pytest.raises(LayerError, match="out of range"):
        reportgen.explain(model, [[1] * 20], layers=99)
    with pytest.raises(TargetError, match="not a label") as info:
        reportgen.explain(model, [[1] * 20], targets=["nope"])
    assert info.value.spec_key == "explain.targets"
    with pytest.raises(LabelError, match="2 labels given but the model has 3 classes") as info:
        reportgen.explain(model, [[1] * 20], labels=["a", "b"])
    assert isinstance(info.value, ModelError) and info.value.spec_key == "model.labels"


def test_interpolation_fallback_is_stated():
    from reportgen.engine.resize import resize

    values, used, note = resize(np.array([1.0, 3.0]), 5, "cubic")
    assert used == "linear" and "cubic" in note
    np.testing.assert_allclose(values, [1.0, 1.5, 2.0, 2.5, 3.0])
    values, used, note = resize(np.array([2.0]), 3, "linear")
    assert used == "constant" and list(values) == [2.0, 2.0, 2.0]


def test_batching_does_not_change_results():
    model = rnn_model(seed=13)
    docs = random_docs(np.random.default_rng(14), [4, 7, 7, 2], vocab=40)
    together = reportgen.explain(model, docs, layers=["emb", "bi1"], targets="all", relu=False, batch_size=4)
    alone = [reportgen.explain(model, [d], layers=["emb", "bi1"], targets="all", relu=False)[0] for d in docs]
    for a, b in zip(together, alone):
        for ha, hb in zip(a.heatmaps, b.heatmaps):
            np.testing.assert_allclose(ha.weights, hb.weights, rtol=1e-4, atol=1e-7)


def test_trained_toy_model_puts_largest_positive_weight_on_its_keywords():
    """A label set by a few known words: Grad-CAM gives those words the largest positive weight."""
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    vocab, length = 30, 12
    keyword = {1: 3, 2: 4}  # class 1 <- word 3, class 2 <- word 4, class 0 <- neither
    x, y = [], []
    for _ in range(1500):
        doc = rng.integers(5, vocab, length)
        label = int(rng.integers(0, 3))
        if label:
            doc[rng.integers(0, length)] = keyword[label]
        x.append(doc)
        y.append(label)
    x, y = np.array(x), np.array(y)
    inp = keras.Input((length,), dtype="int32")
    h = keras.layers.Embedding(vocab, 8, name="emb")(inp)
    h = keras.layers.Conv1D(16, 1, activation="relu", name="conv")(h)
    h = keras.layers.GlobalMaxPooling1D()(h)
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(h))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=64, verbose=0)
    test = []
    for label in (1, 2):
        for pos in (0, 5, 11):
            doc = list(rng.integers(5, vocab, length))
            doc[pos] = keyword[label]
            test.append((doc, label, pos))
    out = reportgen.explain(model, [d for d, _, _ in test], layers="conv", targets="predicted", relu=False)
    for (doc, label, pos), exp in zip(test, out):
        assert exp.prediction.predicted == [label]
        w = np.array(exp.heatmaps[0].weights)
        assert int(np.argmax(w)) == pos and w[pos] > 0


def test_layer_objects_and_the_tutorial_api_shapes():
    model = conv_model(seed=21)
    ids = random_docs(np.random.default_rng(22), [20])[0]
    by_object = reportgen.explain(model, [ids], layers=[model.get_layer("conv")], targets=[1], relu=False)
    by_name = reportgen.explain(model, [ids], layers="conv", targets=[1], relu=False)
    assert by_object[0].heatmaps[0].weights == by_name[0].heatmaps[0].weights
    tokens = [f"w{i}" for i in ids]
    E = reportgen.explain_prediction(model, np.array([ids]), tokens=[tokens], layer=model.get_layer("conv"),
                                     targets=[1])
    (t,) = E.targets
    spans = t.weighted_spans.docs_weighted_spans[0].spans
    assert [s[0] for s in spans] == tokens and len(t.heatmap) == 20
    doc = t.weighted_spans.docs_weighted_spans[0].document
    assert [doc[a:b] for _, ((a, b),), _ in spans] == tokens  # word tokens joined by spaces
    html = reportgen.show_prediction(model, np.array([ids]), tokens=[tokens], layer="conv", targets=[1])
    text = html if isinstance(html, str) else html.data
    assert "w%d" % ids[0] in text and "<script" not in text


def test_batches_keep_to_the_document_count_and_the_token_budget():
    from reportgen.engine.batching import TOKEN_BUDGET, token_budget_groups

    lengths = [10, 10, 20, 3000, 9000, 9000, 9000, 9000]  # sorted by length, as the runner sends them
    groups = list(token_budget_groups(list(range(8)), lengths, batch_size=3))
    assert [i for g in groups for i in g] == list(range(8))  # every document once, order kept
    for g in groups:
        assert len(g) <= 3
        assert len(g) == 1 or max(lengths[i] for i in g) * len(g) <= TOKEN_BUDGET
    assert groups[0] == [0, 1, 2]
    huge = list(token_budget_groups([0], [TOKEN_BUDGET * 2], batch_size=64))
    assert huge == [[0]]  # a document longer than the budget still gets a batch of its own
    fixed = list(token_budget_groups(list(range(30)), [5] * 30, batch_size=64, fixed_length=1500))
    assert [len(g) for g in fixed] == [TOKEN_BUDGET // 1500, 30 - TOKEN_BUDGET // 1500]
