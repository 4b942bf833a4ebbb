"""Model files: Keras 3 .keras and .h5 load; formats that hide their layers are refused clearly."""

from __future__ import annotations

import os

from tests import paths
import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

import reportgen  # noqa: E402
from reportgen.errors import ModelError  # noqa: E402
from reportgen.models.load import load_keras_model, model_format  # noqa: E402


def small_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((8,), dtype="int32"), keras.layers.Embedding(12, 3, name="emb"),
                             keras.layers.Conv1D(4, 2, name="conv"), keras.layers.GlobalMaxPooling1D(),
                             keras.layers.Dense(2, activation="softmax")])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras3_files_load_with_the_same_predictions(tmp_path, suffix):
    model = small_model()
    path = tmp_path / f"m{suffix}"
    model.save(path)
    assert model_format(path) == "keras"
    loaded = reportgen.load_model(path)
    x = np.array([[1, 2, 3, 4, 5, 6, 7, 8]])
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_savedmodel_is_refused_with_a_way_out(tmp_path):
    model = small_model()
    model.export(tmp_path / "exported", verbose=False)
    with pytest.raises(ModelError, match="SavedModel hides its layers.*model.save\\('model.keras'\\)"):
        load_keras_model(tmp_path / "exported")


def test_tfsmlayer_inside_a_model_is_refused(tmp_path):
    model = small_model()
    model.export(tmp_path / "exported", verbose=False)
    wrapper = keras.Sequential([keras.Input((8,), dtype="int32"),
                                keras.layers.TFSMLayer(str(tmp_path / "exported"), call_endpoint="serve")])
    wrapper.save(tmp_path / "wrapped.keras")
    with pytest.raises(ModelError):
        load_keras_model(tmp_path / "wrapped.keras")


def test_missing_and_unknown_files(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        load_keras_model(tmp_path / "nope.keras")
    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(ModelError, match="unknown model format '.onnx'"):
        load_keras_model(tmp_path / "model.onnx")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="broken.keras: cannot load the model"):
        load_keras_model(tmp_path / "broken.keras")


def test_the_format_travels_beside_the_model_not_on_it(tmp_path):
    path = tmp_path / "m.keras"
    small_model().save(path)
    loaded = load_keras_model(path)
    assert loaded.format == "keras" and not hasattr(loaded.model, "_reportgen_format")
    model = reportgen.load_model(path)  # users get the Keras model itself
    assert isinstance(model, keras.Model)
    assert reportgen.api.adapter_for(model).format == "keras"
    assert reportgen.api.adapter_for(loaded).model is loaded.model


SEED = paths.SEED / "keras_sentiment_classifier.h5"


@pytest.mark.skipif(not SEED.exists(), reason=f"tutorial seed model not found at {SEED} (not in the repository)")
def test_a_keras2_file_loaded_through_the_api_reports_its_format():
    model = reportgen.load_model(SEED)
    assert isinstance(model, keras.Model) and not hasattr(model, "_reportgen_format")
    assert reportgen.api.adapter_for(model).format == "legacy-h5"
