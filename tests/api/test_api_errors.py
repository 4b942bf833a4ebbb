"""The Python API refuses bad arguments with one-line ReportgenError messages that name the argument
(issue 14), and `explain_prediction` takes the argument shapes `explain` takes."""

from __future__ import annotations

import os

from tests import paths
import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

import reportgen  # noqa: E402
from reportgen.errors import InputError, ModelError, ReportgenError  # noqa: E402

LENGTH = 10
DOC = np.array([[3, 5, 7, 2, 9, 4, 4, 8, 1, 6]])


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((LENGTH,), dtype="int32")
    x = keras.layers.Embedding(20, 4, name="emb")(inp)
    x = keras.layers.Conv1D(4, 3, name="conv")(x)
    x = keras.layers.GlobalMaxPooling1D(name="gmp")(x)
    return keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="out")(x))


def one_line(exc_info, *words):
    """The message is one line, without a traceback or AutoGraph's dump, and names what it is about."""
    message = str(exc_info.value)
    assert "\n" not in message and "in user code" not in message and "File " not in message, message
    for word in words:
        assert word in message, message
    return message


@pytest.mark.parametrize("bad, exc, words", [
    (keras.Sequential(), ModelError, ["no layers"]),
    ("model.keras", ModelError, ["model:", "str", "load_model"]),
    (None, ModelError, ["model:", "NoneType"]),
    (keras.Sequential([keras.layers.Dense(2)]), ModelError, ["no defined inputs", "keras.Input"]),
])
def test_not_a_usable_model(bad, exc, words):
    with pytest.raises(exc) as info:
        reportgen.explain_prediction(bad, DOC)
    one_line(info, *words)


def test_tokens_that_are_a_string_or_do_not_match_the_batch(model):
    with pytest.raises(InputError) as info:
        reportgen.explain_prediction(model, DOC, tokens="a")
    one_line(info, "tokens", "string")
    with pytest.raises(InputError) as info:
        reportgen.explain(model, DOC, tokens="a")
    one_line(info, "tokens", "string")
    rows = [[f"w{i}" for i in DOC[0]]] * 2
    with pytest.raises(InputError) as info:  # the second row used to be ignored
        reportgen.explain(model, DOC, tokens=rows)
    one_line(info, "tokens", "2 token rows for 1 documents")
    with pytest.raises(InputError) as info:
        reportgen.explain_prediction(model, DOC, tokens=rows)
    one_line(info, "tokens", "2 token rows")
    with pytest.raises(InputError) as info:
        reportgen.explain(model, np.vstack([DOC, DOC]), tokens=rows[:1])
    one_line(info, "1 token rows for 2 documents")
    with pytest.raises(InputError) as info:
        reportgen.explain(model, DOC, tokens=["abc"])  # a row that is a string, not a list of tokens
    one_line(info, "tokens[0]", "string")


@pytest.mark.parametrize("doc, words", [
    (10, ["doc:", "int"]),
    (None, ["doc:", "NoneType"]),
    ([], ["doc:", "empty"]),
    (np.vstack([DOC, DOC]), ["doc:", "batch of one", "reportgen.explain"]),
    ([list(DOC[0]), list(DOC[0])], ["doc:", "batch of one"]),
    (np.zeros((1, 1, LENGTH), dtype=int), ["doc:", "3-D"]),
])
def test_doc_of_the_wrong_kind(model, doc, words):
    with pytest.raises(InputError) as info:
        reportgen.explain_prediction(model, doc)
    one_line(info, *words)


@pytest.mark.parametrize("docs, words", [
    (10, ["docs:", "int"]),
    ([1, 2, 3], ["docs[0]", "int", "[ids]"]),
    (["a text", [1, 2]], ["docs:", "mixes"]),
    ([[1, 2.5, 3]], ["id 2.5", "not an integer"]),
])
def test_docs_of_the_wrong_kind(model, docs, words):
    with pytest.raises(InputError) as info:
        reportgen.explain(model, docs)
    one_line(info, *words)


def test_an_empty_layer_list(model):
    with pytest.raises(ReportgenError) as info:
        reportgen.explain(model, DOC, layers=[])
    one_line(info, "layers:", "empty")


def test_padding_side_must_be_pre_or_post(model):
    with pytest.raises(InputError) as info:
        reportgen.explain(model, DOC, padding="middle")
    one_line(info, "padding", "'pre' or 'post'")


def test_one_id_list_is_one_document(model):
    by_row = reportgen.explain_prediction(model, DOC, targets=[1], layer="conv")
    for doc in (DOC[0], list(DOC[0])):
        E = reportgen.explain_prediction(model, doc, targets=[1], layer="conv")
        np.testing.assert_array_equal(E.targets[0].heatmap, by_row.targets[0].heatmap)


def test_the_output_layer_is_refused_before_tracing(model):
    with pytest.raises(ModelError) as info:
        reportgen.explain_prediction(model, DOC, layer="out")
    one_line(info, "'out'", "output layer", "earlier layer")
    with pytest.raises(ModelError) as info:
        reportgen.explain(model, DOC, layers=["conv", -1])
    one_line(info, "'out'", "output layer")


def test_an_error_raised_while_tracing_arrives_as_its_own_line():
    """A layer cut off from the score by stop_gradient passes every check made before tracing; the step
    finds the missing gradient while TensorFlow traces it, and the user still gets one line."""
    keras.utils.set_random_seed(1)
    inp = keras.Input((8,), dtype="int32")
    x = keras.layers.Embedding(20, 4, name="emb")(inp)
    x = keras.layers.Lambda(lambda t: keras.ops.stop_gradient(t), name="stop")(x)
    x = keras.layers.Conv1D(4, 3, name="conv")(x)
    x = keras.layers.GlobalMaxPooling1D()(x)
    cut = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(x))
    with pytest.raises(ModelError) as info:
        reportgen.explain(cut, [[1] * 8], layers="emb")
    assert one_line(info) == "layer 'emb': the target score has no gradient with respect to this layer's output"


def test_run_traced_unwraps_autograph_rewrites():
    import tensorflow as tf

    from reportgen.models.tracing import run_traced

    @tf.function
    def fails(x):
        raise InputError("sample 'x': too long")

    with pytest.raises(InputError) as info:
        fails(tf.constant(1))
    assert "in user code" in str(info.value)  # what TensorFlow does on its own
    with pytest.raises(InputError) as info:
        run_traced(fails, tf.constant(1))
    assert str(info.value) == "sample 'x': too long"


def test_cli_explain_of_the_output_layer_is_one_line(capsys):
    sample = paths.SAMPLES / "bbc" / "model.keras"
    if not sample.exists():
        pytest.skip("samples/bbc/model.keras not built")
    from reportgen.cli import main

    code = main(["explain", str(sample), "shares rose as markets rallied", "--layer", "output"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "'output'" in err and "output layer" in err, err


def test_numpy_integer_layer_index_works_like_an_int(model):
    assert model.layers[2].name == "conv"  # index 0 is the InputLayer
    by_int = reportgen.explain_prediction(model, DOC, layer=2, targets=[1])
    by_numpy = reportgen.explain_prediction(model, DOC, layer=np.int64(2), targets=[1])
    assert by_numpy.layer == by_int.layer == "conv"
    np.testing.assert_array_equal(by_numpy.targets[0].heatmap, by_int.targets[0].heatmap)
    docs = reportgen.explain(model, DOC, layers=np.array([2]), targets=[1])
    assert docs[0].heatmaps[0].layer == "conv"


@pytest.mark.parametrize("layer, words", [
    (2.5, ["layer 2.5", "float"]),
    ({"conv"}, ["layer", "set"]),
    (["conv", "emb"], ["layer:", "one layer", "reportgen.explain"]),
])
def test_layer_of_the_wrong_type(model, layer, words):
    with pytest.raises(ReportgenError) as info:
        reportgen.explain_prediction(model, DOC, layer=layer)
    one_line(info, *words)


def test_explain_prediction_takes_the_target_shapes_explain_takes(model):
    expected = reportgen.explain(model, DOC, layers="conv", targets=[1])[0].heatmaps[0].weights
    for targets in (1, np.int64(1), "1", [1], (1,), np.array([1])):
        E = reportgen.explain_prediction(model, DOC, layer="conv", targets=targets)
        assert [t.target for t in E.targets] == [1], targets
        np.testing.assert_array_equal(E.targets[0].heatmap, expected)
    E = reportgen.explain_prediction(model, DOC, layer="conv", targets="all")
    assert [t.target for t in E.targets] == [0, 1, 2]


@pytest.mark.parametrize("targets, words", [
    (1.5, ["targets 1.5"]),
    ([1.5], ["target 1.5", "float"]),
    ({1}, ["targets {1}"]),
    ([], ["targets", "empty"]),
    (7, ["target 7", "out of range"]),
])
def test_targets_of_the_wrong_type(model, targets, words):
    for call in (lambda: reportgen.explain_prediction(model, DOC, targets=targets),
                 lambda: reportgen.explain(model, DOC, targets=targets)):
        with pytest.raises(ReportgenError) as info:
            call()
        one_line(info, *words)


def test_explanation_names_its_layer(model):
    E = reportgen.explain_prediction(model, DOC, targets=[0])
    assert E.layer == "conv"  # `auto`: the deepest convolution
    E = reportgen.explain_prediction(model, DOC, targets=[0], layer=model.get_layer("emb"))
    assert E.layer == "emb" and all(t.layer == "emb" for t in E.targets)


@pytest.mark.parametrize("docs, words", [
    ([[1, 50, 3]], ["sample '0'", "id 50 at position 1", "'emb'", "0..19"]),
    ([[1, -2, 3]], ["id -2 at position 1"]),
])
def test_ids_outside_the_embedding_are_refused_before_running(model, docs, words):
    """On CPU such an id fails inside the compiled step with a multi-line TensorFlow error; on GPU the
    embedding silently reads zeros."""
    with pytest.raises(InputError) as info:
        reportgen.explain(model, docs)
    one_line(info, *words)


@pytest.mark.parametrize("kwargs, words", [
    ({"batch_size": "8"}, ["batch_size '8'"]),
    ({"ids": 5}, ["ids:", "int"]),
])
def test_other_arguments_of_the_wrong_type(model, kwargs, words):
    with pytest.raises(ReportgenError) as info:
        reportgen.explain(model, DOC, **kwargs)
    one_line(info, *words)
