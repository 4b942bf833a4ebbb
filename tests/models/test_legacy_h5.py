"""Keras 2 HDF5 models converted to Keras 3 (reportgen.models.legacy).

Expected numbers come from the 2019 tutorial's printed outputs (seed files) or from numpy
implementations of the Keras 2 layers written here; tiny Keras 2 files are fabricated with h5py.
"""

from __future__ import annotations

import csv
import json
import os

from tests import paths
import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

h5py = pytest.importorskip("h5py")
keras = pytest.importorskip("keras")

from reportgen.errors import ModelError  # noqa: E402
from reportgen.models.legacy import is_legacy_h5, keras2_hard_sigmoid, load_legacy_h5  # noqa: E402

SEED = paths.SEED
SENTIMENT = SEED / "keras_sentiment_classifier.h5"
MULTICLASS = SEED / "keras_multiclass_text_classifier.h5"
needs_seed = pytest.mark.skipif(
    not (SENTIMENT.exists() and MULTICLASS.exists()),
    reason=f"tutorial seed models not found in {SEED} (they are not part of the repository)",
)

RTOL = 1e-5


# ------------------------------------------------------------------------------------------------
# numpy references for the Keras 2 layers


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_keras2_hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def np_keras3_hard_sigmoid(x):
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def np_lstm(x, kernel, recurrent, bias, recurrent_activation, go_backwards=False):
    """Keras LSTM over x (time, features); returns every hidden state in processing order."""
    units = recurrent.shape[0]
    h, c = np.zeros(units), np.zeros(units)
    states = []
    for x_t in (x[::-1] if go_backwards else x):
        z = x_t @ kernel + h @ recurrent + bias
        i, f, g, o = (z[k * units:(k + 1) * units] for k in range(4))
        c = recurrent_activation(f) * c + recurrent_activation(i) * np.tanh(g)
        h = recurrent_activation(o) * np.tanh(c)
        states.append(h)
    return np.array(states)


def np_gru(x, kernel, recurrent, bias, recurrent_activation, reset_after=False):
    """Keras GRU over x (time, features); returns the last hidden state.

    reset_after=False (Keras 2's default): the reset gate scales h before the recurrent matmul.
    reset_after=True (tf.keras 2 / cuDNN): it scales the recurrent matmul's result; bias is (2, 3u).
    """
    units = recurrent.shape[0]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    h = np.zeros(units)
    z_, r_, h_ = (slice(k * units, (k + 1) * units) for k in range(3))
    for x_t in x:
        xk = x_t @ kernel + input_bias
        hk = h @ recurrent + recurrent_bias
        z = recurrent_activation(xk[z_] + hk[z_])
        r = recurrent_activation(xk[r_] + hk[r_])
        if reset_after:
            hh = np.tanh(xk[h_] + r * hk[h_])
        else:
            hh = np.tanh(xk[h_] + (r * h) @ recurrent[:, h_])
        h = z * h + (1 - z) * hh
    return h


# ------------------------------------------------------------------------------------------------
# Fabricating Keras 2 files


def write_keras2_h5(path, model_config, weights, layer_names, keras_version="2.2.4"):
    """Write a file laid out like Keras 2's `model.save()`: config JSON attr + model_weights group."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = keras_version.encode()
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode()
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.array([n.encode() for n in layer_names])
        for name in layer_names:
            layer_group = group.create_group(name)
            entries = weights.get(name, [])
            layer_group.attrs["weight_names"] = np.array([w.encode() for w, _ in entries], dtype="S")
            for weight_name, value in entries:
                layer_group.create_dataset(weight_name, data=np.asarray(value, dtype="float32"))
    return path


def glorot():
    return {"class_name": "VarianceScaling",
            "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}


def lstm_config(name, units, **extra):
    config = {
        "name": name, "trainable": True, "return_sequences": False, "return_state": False,
        "go_backwards": False, "stateful": False, "unroll": False, "units": units,
        "activation": "tanh", "recurrent_activation": "hard_sigmoid", "use_bias": True,
        "kernel_initializer": glorot(), "recurrent_initializer": {"class_name": "Orthogonal",
                                                                 "config": {"gain": 1.0, "seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
        "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
        "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 1,
    }
    config.update(extra)
    return config


def dense_config(name, units, activation, **extra):
    config = {
        "name": name, "trainable": True, "units": units, "activation": activation, "use_bias": True,
        "kernel_initializer": glorot(), "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}},
        "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}},
        "bias_constraint": None,
    }
    config.update(extra)
    return config


def run(model, x):
    """One eager forward pass (faster than predict() for a single short batch on 2 CPU cores)."""
    return keras.ops.convert_to_numpy(model(np.asarray(x), training=False))


def rng_array(rng, *shape, scale=0.8):
    return (rng.standard_normal(shape) * scale).astype("float32")


# ------------------------------------------------------------------------------------------------
# Detection


@needs_seed
def test_seed_files_are_legacy():
    assert is_legacy_h5(SENTIMENT)
    assert is_legacy_h5(str(MULTICLASS))


def test_keras3_files_and_other_files_are_not_legacy(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    model.save(tmp_path / "k3.h5")
    model.save(tmp_path / "k3.keras")
    (tmp_path / "notes.txt").write_text("not a model")
    assert not is_legacy_h5(tmp_path / "k3.h5")
    assert not is_legacy_h5(tmp_path / "k3.keras")
    assert not is_legacy_h5(tmp_path / "notes.txt")
    assert not is_legacy_h5(tmp_path / "missing.h5")


def test_fabricated_keras2_file_is_legacy(tmp_path):
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": dense_config("dense_1", 1, "linear", batch_input_shape=[None, 2])}]}}
    path = write_keras2_h5(tmp_path / "m.h5", config, {}, ["dense_1"], keras_version="2.15.0")
    assert is_legacy_h5(path)


# ------------------------------------------------------------------------------------------------
# The tutorial's models: same names, shapes and predictions as printed in the notebook

SENTIMENT_NAMES = ["embedding_1", "masking_1", "masking_2", "masking_3", "bidirectional_1",
                   "bidirectional_2", "bidirectional_3", "dense_1", "dense_2"]
SENTIMENT_SHAPES = [(None, None, 8), (None, None, 8), (None, None, 8), (None, None, 8),
                    (None, None, 128), (None, None, 64), (None, 32), (None, 8), (None, 1)]
MULTICLASS_NAMES = ["embedding_1", "conv1d_1", "dropout_1", "max_pooling1d_1", "conv1d_2", "dropout_2",
                    "average_pooling1d_1", "conv1d_3", "dropout_3", "max_pooling1d_2",
                    "global_average_pooling1d_1", "dense_1", "dense_2"]
# Printed by the tutorial's model2.summary() / output_shape (In [106]) where shown; the rest follow
# from valid convolutions and stride-2 pooling on 3193 characters.
MULTICLASS_SHAPES = [(None, 3193, 8), (None, 3179, 128), (None, 3179, 128), (None, 1589, 128),
                     (None, 1580, 128), (None, 1580, 128), (None, 790, 128), (None, 786, 128),
                     (None, 786, 128), (None, 393, 128), (None, 128), (None, 32), (None, 11)]

# x_test[0] as printed in In [8]: 68 ids, then post-padding with 0 to 128.
IMDB_TEST_0 = [
    1, 591, 202, 14, 31, 6, 717, 10, 10, 2, 2, 5, 4, 360, 7, 4, 177, 5760, 394, 354, 4, 123, 9, 1035,
    1035, 1035, 10, 10, 13, 92, 124, 89, 488, 7944, 100, 28, 1668, 14, 31, 23, 27, 7479, 29, 220, 468,
    8, 124, 14, 286, 170, 8, 157, 46, 5, 27, 239, 16, 179, 2, 38, 32, 25, 7944, 451, 202, 14, 6, 717,
] + [0] * 60

MULTICLASS_IN_134 = [0.09576575, 0.27872923, 0.10852851, 0.03327851, 0.11653358, 0.1867436,
                     0.02678595, 0.13854526, 0.00900717, 0.00178243, 0.00429991]

KERAS2_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def tutorial_char_ids(text, length=3193):
    """The tutorial's char vectorisation: Keras 2 text_to_word_sequence(lower=False), then chars."""
    with open(SEED / "word_index.csv", newline="", encoding="utf-8") as handle:
        index = {row[0]: int(row[1]) for row in csv.reader(handle) if len(row) == 2}
    words = [w for w in text.translate(str.maketrans(KERAS2_FILTERS, " " * len(KERAS2_FILTERS))).split(" ") if w]
    ids = [index.get(ch, index["<OOV>"]) for ch in " ".join(words)]
    return np.array([ids + [0] * (length - len(ids))])


@pytest.fixture(scope="module")
def sentiment():
    if not SENTIMENT.exists():
        pytest.skip(f"tutorial seed models not found in {SEED}")
    return load_legacy_h5(SENTIMENT)


@pytest.fixture(scope="module")
def multiclass():
    if not MULTICLASS.exists():
        pytest.skip(f"tutorial seed models not found in {SEED}")
    return load_legacy_h5(MULTICLASS)


@needs_seed
def test_sentiment_layers_keep_keras2_names_and_shapes(sentiment):
    assert sentiment.name == "sequential_1"
    assert [layer.name for layer in sentiment.layers] == SENTIMENT_NAMES
    assert [tuple(layer.output.shape) for layer in sentiment.layers] == SENTIMENT_SHAPES
    wrapper = sentiment.get_layer("bidirectional_1")
    assert (wrapper.forward_layer.name, wrapper.backward_layer.name) == ("forward_lstm_1", "backward_lstm_1")
    # Parameter counts printed by the tutorial's model.summary().
    assert [sentiment.get_layer(n).count_params() for n in SENTIMENT_NAMES[:7]] == [80000, 0, 0, 0, 37376, 41216, 10368]


@needs_seed
def test_sentiment_predictions_match_tutorial(sentiment):
    custom = run(sentiment, np.array([[1, 4825, 14, 9, 87, 21, 24, 38, 87]]))
    np.testing.assert_allclose(custom, [[0.5912496]], rtol=RTOL)  # In [12]
    held_out = sentiment.predict(np.array([IMDB_TEST_0]), verbose=0)  # traced: faster for 128 steps
    np.testing.assert_allclose(held_out, [[0.1622659]], rtol=RTOL)  # In [9]


@needs_seed
def test_sentiment_lstms_use_keras2_hard_sigmoid(sentiment):
    for name in ("bidirectional_1", "bidirectional_2", "bidirectional_3"):
        wrapper = sentiment.get_layer(name)
        for direction in (wrapper.forward_layer, wrapper.backward_layer):
            assert direction.cell.recurrent_activation is keras2_hard_sigmoid


@needs_seed
def test_sentiment_first_lstm_matches_numpy_keras2(sentiment):
    """forward_lstm_1 over the In [11] ids, recomputed in numpy from the converted weights."""
    ids = [1, 4825, 14, 9, 87, 21, 24, 38, 87]
    embeddings = sentiment.get_layer("embedding_1").embeddings.numpy()
    cell = sentiment.get_layer("bidirectional_1").forward_layer.cell
    kernel, recurrent, bias = (v.numpy() for v in (cell.kernel, cell.recurrent_kernel, cell.bias))
    x = embeddings[ids]
    expected = np_lstm(x, kernel, recurrent, bias, np_keras2_hard_sigmoid)
    probe = keras.Model(sentiment.inputs[0], sentiment.get_layer("bidirectional_1").output)
    got = run(probe, np.array([ids]))[0, :, :64]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    keras3_formula = np_lstm(x, kernel, recurrent, bias, np_keras3_hard_sigmoid)
    assert np.max(np.abs(keras3_formula - expected)) > 20 * np.max(np.abs(got - expected))


@needs_seed
def test_multiclass_layers_keep_keras2_names_and_shapes(multiclass):
    assert [layer.name for layer in multiclass.layers] == MULTICLASS_NAMES
    assert [tuple(layer.output.shape) for layer in multiclass.layers] == MULTICLASS_SHAPES


@needs_seed
def test_multiclass_predictions_match_tutorial(multiclass):
    probabilities = run(multiclass, tutorial_char_ids("the IRS is afterr my car loan"))
    np.testing.assert_allclose(probabilities[0], MULTICLASS_IN_134, rtol=RTOL)  # In [134]
    probabilities = run(multiclass, tutorial_char_ids("the IRS is after my car loan"))
    np.testing.assert_allclose(probabilities[0, 1], 0.26196888, rtol=RTOL)  # In [96], class 1


@needs_seed
def test_converted_model_survives_keras3_save_and_load(sentiment, tmp_path):
    sentiment.save(tmp_path / "sentiment.keras")
    reloaded = keras.models.load_model(tmp_path / "sentiment.keras")
    assert reloaded.get_layer("bidirectional_2").forward_layer.cell.recurrent_activation is keras2_hard_sigmoid
    ids = np.array([[1, 4825, 14, 9, 87, 21, 24, 38, 87]])
    np.testing.assert_allclose(run(reloaded, ids), [[0.5912496]], rtol=RTOL)


# ------------------------------------------------------------------------------------------------
# Fabricated Keras 2 files


def test_lstm_uses_keras2_hard_sigmoid(tmp_path):
    rng = np.random.default_rng(0)
    kernel, recurrent, bias = rng_array(rng, 2, 12), rng_array(rng, 3, 12), rng_array(rng, 12)
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
        {"class_name": "LSTM", "config": lstm_config("lstm_1", 3, return_sequences=True,
                                                      batch_input_shape=[None, 4, 2], dtype="float32")}]}}
    weights = {"lstm_1": [("lstm_1/kernel:0", kernel), ("lstm_1/recurrent_kernel:0", recurrent),
                          ("lstm_1/bias:0", bias)]}
    path = write_keras2_h5(tmp_path / "lstm.h5", config, weights, ["lstm_1"])
    model = load_legacy_h5(path)
    x = rng_array(rng, 4, 2, scale=1.5)
    got = run(model, x[None])[0]
    expected = np_lstm(x, kernel, recurrent, bias, np_keras2_hard_sigmoid)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    keras3_formula = np_lstm(x, kernel, recurrent, bias, np_keras3_hard_sigmoid)
    assert np.max(np.abs(keras3_formula - expected)) > 1e-3


def test_functional_model_with_gru_bidirectional_and_nested_sequential(tmp_path):
    """Input -> [GRU (Keras 2.0 config, no reset_after), Bidirectional LSTM] -> Concatenate ->
    nested Sequential [Dense, BatchNormalization, Dense]; compared with numpy."""
    rng = np.random.default_rng(1)
    gru = [rng_array(rng, 2, 9), rng_array(rng, 3, 9), rng_array(rng, 9)]
    forward = [rng_array(rng, 2, 8), rng_array(rng, 2, 8), rng_array(rng, 8)]
    backward = [rng_array(rng, 2, 8), rng_array(rng, 2, 8), rng_array(rng, 8)]
    dense_1 = [rng_array(rng, 7, 3), rng_array(rng, 3)]
    gamma, beta = rng_array(rng, 3) + 1.0, rng_array(rng, 3)
    mean, variance = rng_array(rng, 3), np.abs(rng_array(rng, 3)) + 0.5
    dense_2 = [rng_array(rng, 3, 1), rng_array(rng, 1)]

    gru_cfg = {k: v for k, v in lstm_config("gru_1", 3).items() if k != "unit_forget_bias"}
    nested = {"name": "sequential_1", "layers": [
        {"class_name": "Dense", "config": dense_config("dense_1", 3, "relu", batch_input_shape=[None, 7],
                                                       dtype="float32")},
        {"class_name": "BatchNormalization", "config": {
            "name": "batch_normalization_1", "trainable": True, "axis": -1, "momentum": 0.99,
            "epsilon": 0.001, "center": True, "scale": True,
            "beta_initializer": {"class_name": "Zeros", "config": {}},
            "gamma_initializer": {"class_name": "Ones", "config": {}},
            "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
            "moving_variance_initializer": {"class_name": "Ones", "config": {}},
            "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
            "gamma_constraint": None}},
        {"class_name": "Dense", "config": dense_config("dense_2", 1, "sigmoid")},
    ]}
    config = {"class_name": "Model", "config": {
        "name": "model_1",
        "layers": [
            {"name": "input_1", "class_name": "InputLayer", "config": {
                "batch_input_shape": [None, 4, 2], "dtype": "float32", "sparse": False, "name": "input_1"},
             "inbound_nodes": []},
            {"name": "gru_1", "class_name": "GRU", "config": gru_cfg,
             "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {"name": "bidirectional_1", "class_name": "Bidirectional", "config": {
                "name": "bidirectional_1", "trainable": True, "layer": {"class_name": "LSTM",
                                                                        "config": lstm_config("lstm_1", 2)},
                "merge_mode": "concat"},
             "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {"name": "concatenate_1", "class_name": "Concatenate", "config": {
                "name": "concatenate_1", "trainable": True, "axis": -1},
             "inbound_nodes": [[["gru_1", 0, 0, {}], ["bidirectional_1", 0, 0, {}]]]},
            # Keras 2 numbered a nested model's own input->output node 0, so the outer call is node 1.
            {"name": "sequential_1", "class_name": "Sequential", "config": nested,
             "inbound_nodes": [[["concatenate_1", 0, 0, {}]]]},
        ],
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [["sequential_1", 1, 0]],
    }}
    weights = {
        "gru_1": list(zip(["gru_1/kernel:0", "gru_1/recurrent_kernel:0", "gru_1/bias:0"], gru)),
        "bidirectional_1": list(zip(
            [f"bidirectional_1/{d}_lstm_1/{w}:0" for d in ("forward", "backward")
             for w in ("kernel", "recurrent_kernel", "bias")], forward + backward)),
        # Keras 2 saved a nested model's trainable weights first, then the non-trainable ones.
        "sequential_1": [("dense_1/kernel:0", dense_1[0]), ("dense_1/bias:0", dense_1[1]),
                         ("batch_normalization_1/gamma:0", gamma), ("batch_normalization_1/beta:0", beta),
                         ("dense_2/kernel:0", dense_2[0]), ("dense_2/bias:0", dense_2[1]),
                         ("batch_normalization_1/moving_mean:0", mean),
                         ("batch_normalization_1/moving_variance:0", variance)],
    }
    names = ["input_1", "gru_1", "bidirectional_1", "concatenate_1", "sequential_1"]
    model = load_legacy_h5(write_keras2_h5(tmp_path / "functional.h5", config, weights, names))
    assert [layer.name for layer in model.layers] == names
    assert [layer.name for layer in model.get_layer("sequential_1").layers] == [
        "dense_1", "batch_normalization_1", "dense_2"]

    x = rng_array(rng, 4, 2, scale=1.5)
    h_gru = np_gru(x, *gru, np_keras2_hard_sigmoid, reset_after=False)
    h_fwd = np_lstm(x, *forward, np_keras2_hard_sigmoid)[-1]
    h_bwd = np_lstm(x, *backward, np_keras2_hard_sigmoid, go_backwards=True)[-1]
    hidden = np.maximum(np.concatenate([h_gru, h_fwd, h_bwd]) @ dense_1[0] + dense_1[1], 0)
    normed = gamma * (hidden - mean) / np.sqrt(variance + 0.001) + beta
    expected = np_sigmoid(normed @ dense_2[0] + dense_2[1])
    np.testing.assert_allclose(run(model, x[None])[0], expected, rtol=1e-5, atol=1e-6)


def test_bidirectional_cudnn_lstm_weights_are_relaid_out(tmp_path):
    """CuDNNLSTM stores each gate's (units x inputs) matrix row-major in the (inputs x units) slot,
    and separate input/recurrent biases; the converted LSTM (sigmoid gates) must match numpy."""
    rng = np.random.default_rng(2)
    inputs, units = 3, 2

    def to_cudnn(kernel, recurrent, bias):
        gates_k = np.split(kernel, 4, axis=1)
        gates_r = np.split(recurrent, 4, axis=1)
        stored_k = np.concatenate([g.T.reshape(-1).reshape(inputs, units) for g in gates_k], axis=1)
        stored_r = np.concatenate([g.T for g in gates_r], axis=1)
        return stored_k, stored_r, np.concatenate([bias - 0.25, np.full_like(bias, 0.25)])

    forward = [rng_array(rng, inputs, 4 * units), rng_array(rng, units, 4 * units), rng_array(rng, 4 * units)]
    backward = [rng_array(rng, inputs, 4 * units), rng_array(rng, units, 4 * units), rng_array(rng, 4 * units)]
    cudnn_cfg = {"name": "cu_dnnlstm_1", "trainable": True, "return_sequences": False, "return_state": False,
                 "go_backwards": False, "stateful": False, "units": units, "kernel_initializer": glorot(),
                 "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
                 "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": True,
                 "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
                 "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
                 "bias_constraint": None}
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
        {"class_name": "Bidirectional", "config": {
            "name": "bidirectional_1", "trainable": True, "batch_input_shape": [None, 5, inputs],
            "dtype": "float32", "layer": {"class_name": "CuDNNLSTM", "config": cudnn_cfg}, "merge_mode": "concat"}}]}}
    stored = to_cudnn(*forward) + to_cudnn(*backward)
    weight_names = [f"bidirectional_1/{d}_cu_dnnlstm_1/{w}:0" for d in ("forward", "backward")
                    for w in ("kernel", "recurrent_kernel", "bias")]
    path = write_keras2_h5(tmp_path / "cudnn.h5", config,
                           {"bidirectional_1": list(zip(weight_names, stored))}, ["bidirectional_1"])
    model = load_legacy_h5(path)
    x = rng_array(rng, 5, inputs, scale=1.5)
    expected = np.concatenate([np_lstm(x, *forward, np_sigmoid)[-1],
                               np_lstm(x, *backward, np_sigmoid, go_backwards=True)[-1]])
    np.testing.assert_allclose(run(model, x[None])[0], expected, rtol=1e-5, atol=1e-6)


def test_tf_keras_sequential_with_input_layer_and_reset_after_gru(tmp_path):
    """tf.keras 2.x layout: explicit InputLayer, dtype policies, time_major, GRU(reset_after=True)."""
    rng = np.random.default_rng(3)
    kernel, recurrent, bias = rng_array(rng, 2, 9), rng_array(rng, 3, 9), rng_array(rng, 2, 9)
    dense = [rng_array(rng, 3, 2), rng_array(rng, 2)]
    policy = {"class_name": "Policy", "config": {"name": "float32"}}
    gru = {k: v for k, v in lstm_config("gru", 3, recurrent_activation="sigmoid", dtype=policy).items()
           if k != "unit_forget_bias"}
    gru.update(reset_after=True, time_major=False, implementation=2,
               kernel_initializer={"class_name": "GlorotUniform", "config": {"seed": None}})
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 5, 2], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "gru_input"}},
        {"class_name": "GRU", "config": gru},
        {"class_name": "Dense", "config": dense_config("dense", 2, "softmax", dtype=policy)}]}}
    weights = {"gru": [("gru/gru_cell/kernel:0", kernel), ("gru/gru_cell/recurrent_kernel:0", recurrent),
                       ("gru/gru_cell/bias:0", bias)],
               "dense": [("dense/kernel:0", dense[0]), ("dense/bias:0", dense[1])]}
    path = write_keras2_h5(tmp_path / "tfkeras.h5", config, weights, ["gru", "dense"], keras_version="2.13.1")
    assert is_legacy_h5(path)
    model = load_legacy_h5(path)
    assert [layer.name for layer in model.layers] == ["gru", "dense"]
    x = rng_array(rng, 5, 2, scale=1.5)
    logits = np_gru(x, kernel, recurrent, bias, np_sigmoid, reset_after=True) @ dense[0] + dense[1]
    expected = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(run(model, x[None])[0], expected, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------------
# What cannot be converted is a ModelError naming the file and the layer


def one_layer_model(tmp_path, layer_spec, weights=None, name="bad.h5"):
    config = {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
        {"class_name": "Dense", "config": dense_config("dense_1", 4, "relu", batch_input_shape=[None, 3],
                                                       dtype="float32")},
        layer_spec]}}
    layer_name = layer_spec["config"]["name"]
    default = {"dense_1": [("dense_1/kernel:0", np.ones((3, 4))), ("dense_1/bias:0", np.zeros(4))]}
    return write_keras2_h5(tmp_path / name, config, weights or default, ["dense_1", layer_name])


def test_unknown_layer_class_names_file_and_layer(tmp_path):
    path = one_layer_model(tmp_path, {"class_name": "MyAttention", "config": {"name": "my_attention_1", "units": 4}})
    with pytest.raises(ModelError, match=r"bad\.h5.*'my_attention_1' \(MyAttention\).*unknown layer class"):
        load_legacy_h5(path)


def test_lambda_layer_is_refused(tmp_path):
    lambda_spec = {"class_name": "Lambda", "config": {
        "name": "lambda_1", "trainable": True,
        "function": ["4wEAAAAAAAAAAQAAAAIAAABDAAAAcwgAAAB8AGQBFABTACkCTukCAAAAqQApAdoBeHIBAAAAcgEAAAD6", None, None],
        "function_type": "lambda", "output_shape": None, "output_shape_type": "raw", "arguments": {}}}
    with pytest.raises(ModelError, match=r"bad\.h5.*'lambda_1' \(Lambda\).*Python code"):
        load_legacy_h5(one_layer_model(tmp_path, lambda_spec))


def test_custom_activation_is_refused(tmp_path):
    spec = {"class_name": "Dense", "config": dense_config("dense_2", 2, "my_swish")}
    with pytest.raises(ModelError, match=r"'dense_2' \(Dense\).*'my_swish'"):
        load_legacy_h5(one_layer_model(tmp_path, spec))


def test_weight_shape_mismatch_names_layer_and_shapes(tmp_path):
    spec = {"class_name": "Dense", "config": dense_config("dense_2", 2, "linear")}
    weights = {"dense_1": [("dense_1/kernel:0", np.ones((3, 4))), ("dense_1/bias:0", np.zeros(4))],
               "dense_2": [("dense_2/kernel:0", np.ones((4, 3))), ("dense_2/bias:0", np.zeros(3))]}
    with pytest.raises(ModelError, match=r"bad\.h5.*'dense_2'.*\(4, 3\).*\(4, 2\)"):
        load_legacy_h5(one_layer_model(tmp_path, spec, weights))


def test_swapped_weight_names_are_refused(tmp_path):
    spec = {"class_name": "Dense", "config": dense_config("dense_2", 4, "linear")}
    weights = {"dense_1": [("dense_1/kernel:0", np.ones((3, 4))), ("dense_1/bias:0", np.zeros(4))],
               "dense_2": [("dense_2/bias:0", np.zeros(4)), ("dense_2/kernel:0", np.ones((4, 4)))]}
    with pytest.raises(ModelError, match=r"'dense_2'.*'dense_2/bias:0'.*'kernel'"):
        load_legacy_h5(one_layer_model(tmp_path, spec, weights))


def test_layer_keras3_cannot_apply_is_named(tmp_path):
    spec = {"class_name": "Conv1D", "config": {
        "name": "conv1d_1", "trainable": True, "filters": 2, "kernel_size": [3], "strides": [1],
        "padding": "valid", "data_format": "channels_last", "dilation_rate": [1], "activation": "relu",
        "use_bias": True, "kernel_initializer": glorot(), "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None}}
    with pytest.raises(ModelError, match=r"bad\.h5.*'conv1d_1' \(Conv1D\).*cannot apply"):
        load_legacy_h5(one_layer_model(tmp_path, spec))  # Conv1D after a Dense on 2-D input


def test_weights_only_file_is_refused(tmp_path):
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["layer_names"] = np.array([b"dense_1"])
    with pytest.raises(ModelError, match=r"weights\.h5.*weights only"):
        load_legacy_h5(path)
