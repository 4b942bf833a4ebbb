"""Faithfulness metrics and the randomisation check on a tiny Keras model whose label is set by known words.

The toy task: documents of 12 ids (a start token, then words 5..39); a document is positive exactly when it
contains one of the words 2, 3, 4. A 529-parameter Conv1D model learns that in a few seconds. An honest
explanation (the relevant words, or Grad-CAM on the conv layer) must beat random deletion orders; a fake
one (weight = token position) must score like a random order and must fail the sanity check.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from reportgen.metrics import compute_metrics  # noqa: E402
from reportgen.metrics.sanity import (randomize_top_layers, randomized_in_place, sanity_check,  # noqa: E402
                                     weight_layer_paths)
from reportgen.results import DocumentExplanation, Heatmap, InputInfo, Prediction, SanityVerdict, Token  # noqa: E402

VOCAB, LENGTH, START, PAD = 40, 12, 1, 0
RELEVANT = (2, 3, 4)


def make_documents(rng, n, positive):
    x = rng.integers(5, VOCAB, size=(n, LENGTH))
    x[:, 0] = START
    if positive:
        for row in x:
            k = int(rng.integers(1, 3))
            row[rng.choice(np.arange(1, LENGTH), k, replace=False)] = rng.choice(RELEVANT, k)
    return x


@pytest.fixture(scope="module")
def toy():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = np.concatenate([make_documents(rng, 300, True), make_documents(rng, 300, False)])
    y = np.array([1] * 300 + [0] * 300)
    inputs = keras.Input((LENGTH,), dtype="int32")
    h = keras.layers.Embedding(VOCAB, 8, name="emb")(inputs)
    h = keras.layers.Conv1D(8, 3, padding="same", activation="relu", name="conv")(h)
    h = keras.layers.GlobalMaxPooling1D(name="pool")(h)
    logit = keras.layers.Dense(1, name="logit")(h)
    model = keras.Model(inputs, keras.layers.Activation("sigmoid", name="prob")(logit))
    model.compile("adam", "binary_crossentropy")
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    test_positive = make_documents(rng, 30, True)
    test_negative = make_documents(rng, 30, False)
    assert model.predict(test_positive, verbose=0).min() > 0.5, "the toy model did not learn its task"
    assert model.predict(test_negative, verbose=0).max() < 0.5, "the toy model did not learn its task"
    return model, test_positive


def predict_fn_for(model):
    def predict(batch):
        # post-pad to the model's fixed length, as the adapter does
        arr = np.full((len(batch), LENGTH), PAD, dtype="int32")
        for i, ids in enumerate(batch):
            arr[i, :len(ids)] = ids
        p = np.asarray(model(arr, training=False))[:, 0].astype(np.float64)
        return np.stack([1 - p, p], axis=1)
    return predict


def gradcam(model, x):
    """Reference Grad-CAM on the conv layer for the logit: map[t] = sum_c mean_t(dz/dA[t, c]) * A[t, c]."""
    emb, conv, dense = (model.get_layer(name) for name in ("emb", "conv", "logit"))
    with tf.GradientTape() as tape:
        a = conv(emb(tf.constant(x)))
        tape.watch(a)
        z = dense(tf.reduce_max(a, axis=1))[:, 0]
    g = tape.gradient(z, a)
    return tf.einsum("btc,bc->bt", a, tf.reduce_mean(g, axis=1)).numpy()


def documents_with_maps(model, x, maps):
    """One DocumentExplanation per row; `maps` is {layer name: weights per row} (the "layer" is the method)."""
    predict = predict_fn_for(model)
    docs = []
    for i, row in enumerate(x):
        ids = [int(v) for v in row]
        p = [float(v) for v in predict([ids])[0]]
        heatmaps = [Heatmap(layer=name, target=1, target_label="positive", score_kind="logit", score=0.0, relu=False,
                            counterfactual=False, normalize_gradients=False, interpolation="linear",
                            interpolation_used="linear", weights=[float(w) for w in weights[i]])
                    for name, weights in maps.items()]
        docs.append(DocumentExplanation(id=f"t{i:02d}", text="", tokens=[Token(str(v), None, v) for v in ids],
                                        prediction=Prediction(p, [1]), heatmaps=heatmaps,
                                        input=InputInfo(length=LENGTH)))
    return docs


def not_start(doc):
    return [t.id != START for t in doc.tokens]


def test_honest_maps_beat_random_and_position_maps_do_not(toy):
    model, x = toy
    maps = {
        "relevant-words": [[float(v in RELEVANT) for v in row] for row in x],
        "position": [list(range(LENGTH)) for _ in x],
        "gradcam": gradcam(model, x),
    }
    docs = documents_with_maps(model, x, maps)
    _, report = compute_metrics(docs, predict_fn_for(model), layers=list(maps), removable=not_start,
                                settings={"max_samples": 30})
    rows = {r.layer: r for r in report.layers}
    assert all(r.n == 30 for r in rows.values())
    for honest in ("relevant-words", "gradcam"):
        r = rows[honest]
        # clearly above the random order: the whole interval of AOPC - random AOPC is above 0.3
        assert r.ci_low > 0.3, (honest, r)
        assert r.aopc > r.random_aopc > r.lerf_aopc
        assert r.comprehensiveness > 0.3 and r.sufficiency < 0.15
    fake = rows["position"]
    assert fake.ci_low < 0 < fake.ci_high, fake  # at the random level, within its interval
    assert fake.ci_high < rows["gradcam"].ci_low
    assert report.recommended_layer in ("relevant-words", "gradcam")


def test_sanity_check_passes_gradcam_and_fails_position_maps(toy):
    model, x = toy
    [real] = sanity_check(model, lambda m: list(gradcam(m, x)), top_layers=(1, 2))["layers"]
    assert real["layer"] is None  # one unnamed group of maps
    assert [r["randomized_layers"] for r in real["runs"]] == [["logit"], ["conv", "logit"]]
    assert real["passed"] is True, real
    assert all(r["mean_abs"] < 0.5 and r["n"] == 30 for r in real["runs"])
    assert real["mean_abs"] == max(r["mean_abs"] for r in real["runs"])
    [fake] = sanity_check(model, lambda m: [np.arange(LENGTH, dtype=float) for _ in x], top_layers=(1,))["layers"]
    assert fake["passed"] is False and fake["mean_abs"] == pytest.approx(1.0) and fake["top_layers"] == 1
    assert fake["runs"][0]["mean"] == pytest.approx(1.0) and fake["runs"][0]["unchanged"] == 30


def test_in_place_randomisation_gives_the_clones_weights_and_puts_the_learned_ones_back(toy):
    model, _ = toy
    learned = [w.copy() for w in model.get_weights()]
    for n in (1, 2):
        clone = randomize_top_layers(model, n, seed=3)
        with randomized_in_place(model, n, seed=3) as randomized:
            assert randomized is model
            inside = model.get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(inside, clone.get_weights()))
        # the top n weight layers changed, the rest did not (emb: 1 array, conv and logit: kernel + bias)
        changed = [not np.array_equal(a, b) for a, b in zip(inside, learned)]
        assert changed == [False] * (5 - 2 * n) + [True] * (2 * n)
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), learned))
    with pytest.raises(RuntimeError, match="inside"):
        with randomized_in_place(model, 2, seed=3):
            raise RuntimeError("inside")
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), learned))
    with pytest.raises(ValueError, match="at least 1"):
        with randomized_in_place(model, 0):
            pass


def test_sanity_check_in_place_equals_the_clones_and_compiles_once(toy):
    model, x = toy
    traces = []
    steps = {}

    def compute_maps(m):
        # a caller that compiles once per model object, as the build's engine does per adapter
        if id(m) not in steps:
            @tf.function
            def step(ids):
                traces.append(1)
                emb, conv, dense = (m.get_layer(name) for name in ("emb", "conv", "logit"))
                with tf.GradientTape() as tape:
                    a = conv(emb(ids))
                    tape.watch(a)
                    z = dense(tf.reduce_max(a, axis=1))[:, 0]
                g = tape.gradient(z, a)
                return tf.einsum("btc,bc->bt", a, tf.reduce_mean(g, axis=1))
            steps[id(m)] = (m, step)  # the model is kept so its id is not reused
        return list(steps[id(m)][1](tf.constant(x)).numpy())

    shared = sanity_check(model, compute_maps, top_layers=(1, 2, 3))
    assert len(traces) == 1
    cloned = sanity_check(model, compute_maps, top_layers=(1, 2, 3), in_place=False)
    assert len(traces) == 1 + 3  # one compile per clone
    [a], [b] = shared["layers"], cloned["layers"]
    assert a["passed"] == b["passed"] and a["top_layers"] == b["top_layers"]
    assert a["mean_abs"] == pytest.approx(b["mean_abs"], abs=1e-6)
    for run_a, run_b in zip(a["runs"], b["runs"], strict=True):
        assert run_a["randomized_layers"] == run_b["randomized_layers"]
        assert run_a["rho"] == pytest.approx(run_b["rho"], abs=1e-6)
    # the reference computation on fresh clones agrees too: in place means the same weights
    for run in a["runs"]:
        clone = randomize_top_layers(model, run["top_layers"], seed=0)
        rho = [stats_rho(p, q) for p, q in zip(gradcam(model, x), gradcam(clone, x))]
        assert run["rho"] == pytest.approx(rho, abs=1e-6)


def stats_rho(a, b):
    from scipy import stats

    return float(stats.spearmanr(a, b).statistic)


def test_compute_metrics_runs_the_sanity_check_when_given_a_model(toy):
    model, x = toy
    docs = documents_with_maps(model, x[:4], {"gradcam": gradcam(model, x[:4])})
    _, report = compute_metrics(docs, predict_fn_for(model), layers=["gradcam"], removable=not_start,
                                model=model, compute_maps=lambda m: list(gradcam(m, x[:4])),
                                map_labels=[d.id for d in docs], settings={"sanity_top_layers": [2]})
    # a plain list of maps judges the only layer scored, and the row carries that verdict
    [entry] = report.sanity.layers
    run = entry.runs[0]
    assert entry.layer == "gradcam" and "passed" not in report.to_dict()["sanity"]
    assert run.top_layers == 2 and run.labels == ["t00", "t01", "t02", "t03"] and len(run.rho) == 4
    assert report.layers[0].sanity == SanityVerdict(passed=run.passed, mean_abs=run.mean_abs, top_layers=2)
    _, report = compute_metrics(docs, predict_fn_for(model), layers=["gradcam"], removable=not_start,
                                model=model, compute_maps=lambda m: list(gradcam(m, x[:4])),
                                settings={"sanity": False})
    assert report.sanity is None


def test_real_gradcam_from_the_engine_beats_random(toy):
    api = pytest.importorskip("reportgen.api")
    if not hasattr(api, "explain"):
        pytest.skip("reportgen.api.explain is not there yet")
    model, x = toy
    docs = api.explain(model, x, layers=["conv"], targets=[1], relu=(False,), ids=[f"t{i:02d}" for i in range(len(x))])
    _, report = compute_metrics(docs, predict_fn_for(model), layers=["conv"], removable=not_start,
                                settings={"max_samples": 30})
    row = report.layers[0]
    assert row.n == 30 and row.ci_low > 0.3, row

    def engine_maps(m):
        return [h.weights for d in api.explain(m, x[:10], layers=["conv"], targets=[1], relu=(False,))
                for h in d.heatmaps]

    # the engine works on the randomised clone, and its maps pass the check
    [sanity] = sanity_check(model, engine_maps, top_layers=(1,))["layers"]
    assert sanity["runs"][0]["n"] == 10 and sanity["passed"] is True, sanity


@pytest.fixture(scope="module")
def scalar_embedding():
    """The toy task with a one-dimensional embedding under the conv layer. Grad-CAM at that embedding is
    map[t] = w * E[x_t] with a single weight w, so its rank order is E's order of the words, up to sign:
    |rho| is exactly 1 against any model that keeps E (w != 0), whatever happened above it."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = np.concatenate([make_documents(rng, 300, True), make_documents(rng, 300, False)])
    inputs = keras.Input((LENGTH,), dtype="int32")
    h = keras.layers.Embedding(VOCAB, 1, name="emb")(inputs)
    h = keras.layers.Conv1D(8, 3, padding="same", activation="relu", name="conv")(h)
    logit = keras.layers.Dense(1, name="logit")(keras.layers.GlobalMaxPooling1D(name="pool")(h))
    model = keras.Model(inputs, keras.layers.Activation("sigmoid", name="prob")(logit))
    model.compile("adam", "binary_crossentropy")
    model.fit(x, np.array([1] * 300 + [0] * 300), epochs=15, batch_size=32, verbose=0)
    test_positive = make_documents(rng, 30, True)
    assert model.predict(test_positive, verbose=0).min() > 0.5, "the toy model did not learn its task"
    return model, test_positive


def test_sanity_verdict_per_layer_from_one_engine_pass(scalar_embedding):
    api = pytest.importorskip("reportgen.api")
    model, x = scalar_embedding
    calls = []

    def engine_maps(m):
        calls.append(m)
        docs = api.explain(m, x, layers=["emb", "conv"], targets=[1], relu=(False,))
        return {layer: [h.weights for d in docs for h in d.heatmaps if h.layer == layer] for layer in ("emb", "conv")}

    result = sanity_check(model, engine_maps, top_layers=(1, 2, 3))
    # one call for the trained model and one per randomised model, however many layers are judged
    assert len(calls) == 4
    emb, conv = result["layers"]
    assert (emb["layer"], conv["layer"]) == ("emb", "conv")
    # top 1 and top 2 keep the embedding: |rho| = 1 for every map (see the fixture); top 3 re-initialises it
    assert [r["randomized_layers"] for r in emb["runs"]] == [["logit"], ["conv", "logit"], ["emb", "conv", "logit"]]
    assert [r["mean_abs"] for r in emb["runs"][:2]] == [pytest.approx(1.0)] * 2
    assert [r["unchanged"] for r in emb["runs"][:2]] == [30, 30]
    assert emb["runs"][2]["passed"] is True  # new word values: new ranks
    assert emb["passed"] is False and emb["mean_abs"] == pytest.approx(1.0) and emb["top_layers"] == 1
    # the conv layer's maps combine 8 channels with weights that come from the layers above: they change
    assert conv["passed"] is True and all(r["mean_abs"] < 0.5 and r["n"] == 30 for r in conv["runs"]), conv


def test_compute_metrics_recommends_a_passing_layer(scalar_embedding):
    api = pytest.importorskip("reportgen.api")
    model, x = scalar_embedding
    docs = api.explain(model, x, layers=["emb", "conv"], targets=[1], relu=(False,),
                       ids=[f"t{i:02d}" for i in range(len(x))])

    def engine_maps(m):
        out = api.explain(m, x, layers=["emb", "conv"], targets=[1], relu=(False,))
        return {layer: [h.weights for d in out for h in d.heatmaps if h.layer == layer] for layer in ("emb", "conv")}

    _, report = compute_metrics(docs, predict_fn_for(model), layers=["emb", "conv"], removable=not_start,
                                model=model, compute_maps=engine_maps, auto_layer="conv",
                                settings={"max_samples": 30, "sanity_top_layers": [1, 2]})
    rows = {r.layer: r for r in report.layers}
    assert rows["emb"].sanity.passed is False and rows["conv"].sanity.passed is True
    # both layers' maps beat random deletion (the embedding's by ranking the relevant words' value), but
    # only conv's pass the check, so conv is recommended whichever scores higher
    assert rows["emb"].ci_low > 0.1 and rows["conv"].ci_low > 0.1, rows
    assert report.recommended_layer == "conv" and rows["conv"].best and not rows["emb"].best
    assert report.recommended_passes_sanity is True and report.differs_from_auto is False
    assert report.most_faithful_layer == max(rows.values(), key=lambda r: r.mean).layer
    assert "pass the sanity check" in report.recommendation_note


def _weights(model):
    return {v.path: np.array(v) for v in model.weights}


def test_randomize_top_layers_uses_own_initialisers_and_leaves_the_original_alone():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((6,), dtype="int32")
    h = keras.layers.Embedding(10, 4, name="emb")(inputs)
    h = keras.layers.Bidirectional(keras.layers.LSTM(2, return_sequences=True), name="bi")(h)
    h = keras.layers.GlobalMaxPooling1D()(h)
    out = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="ones", name="dense")(h)
    model = keras.Model(inputs, out)
    # pretend training moved every weight away from its initial value
    model.set_weights([np.full(w.shape, 7.0, dtype=w.dtype) for w in model.get_weights()])
    before = _weights(model)
    assert weight_layer_paths(model) == ["emb", "bi", "dense"]

    clone = randomize_top_layers(model, n=2, seed=0)
    after = _weights(clone)
    assert all(np.array_equal(before[k], v) for k, v in _weights(model).items()), "the original changed"
    assert np.array_equal(after["dense/kernel"], np.zeros((4, 1)))  # Dense's own zeros initialiser
    assert np.array_equal(after["dense/bias"], np.ones(1))  # and its ones bias initialiser
    assert np.array_equal(after["emb/embeddings"], before["emb/embeddings"])  # below the top 2: kept
    lstm_kernels = [k for k in after if k.endswith("lstm_cell/kernel")]
    assert len(lstm_kernels) == 2 and all(not np.any(after[k] == 7.0) for k in lstm_kernels)
    # LSTM bias: unit_forget_bias gives [0]*units, [1]*units, [0]*units, [0]*units (gates i, f, c, o)
    lstm_bias = [after[k] for k in after if k.endswith("lstm_cell/bias")][0]
    assert np.array_equal(lstm_bias, [0, 0, 1, 1, 0, 0, 0, 0])

    again = _weights(randomize_top_layers(model, n=2, seed=0))
    other = _weights(randomize_top_layers(model, n=2, seed=1))
    assert all(np.array_equal(after[k], again[k]) for k in after)
    assert not all(np.array_equal(after[k], other[k]) for k in lstm_kernels)


def test_randomize_top_layers_reaches_into_nested_models():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"), keras.layers.Dense(2, name="d2")],
                             name="inner")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1, name="top")(inner(inputs)))
    model.set_weights([np.full(w.shape, 7.0, dtype=w.dtype) for w in model.get_weights()])
    assert weight_layer_paths(model) == ["inner/d1", "inner/d2", "top"]
    clone = randomize_top_layers(model, n=2, seed=0)
    changed = {v.path: not np.all(np.array(v) == 7.0) for v in clone.weights}
    assert changed == {"d1/kernel": False, "d1/bias": False, "d2/kernel": True, "d2/bias": True,
                       "top/kernel": True, "top/bias": True}
