"""One padding rule for the gradient mean, and documents made of tokens read as written (issue 14).

The mean runs over the document's own positions: every input position of a fixed-length model (its
padding is part of what it reads); for a variable-length model that masks padding, the unpadded positions,
whether the caller declared the padding (`pad_value`) or reportgen padded the document to share a batch.

Expectations are computed by hand: for Embedding -> GlobalAveragePooling1D -> Dense(softmax), the logit
is z_k = b_k + sum_c W[c, k] * mean_{t in P} E[x_t, c] over the positions P the pooling averages (the
unmasked ones), so dz_k/dA[t, c] = W[c, k] / |P| on P and 0 elsewhere. Averaged over the N positions the
mean runs over, w_c = W[c, k] / N, and the embedding layer's map is map[t] = E[x_t] . W[:, k] / N.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

import reportgen  # noqa: E402
from reportgen.text.prevectorized import PrevectorizedPipeline  # noqa: E402

DOC = [5, 3, 7, 9]
TARGET = 2


def pooled_model(length=None, seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((length,), dtype="int32")
    x = keras.layers.Embedding(12, 5, mask_zero=True, name="emb")(inp)
    x = keras.layers.GlobalAveragePooling1D(name="gap")(x)
    return keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="out")(x))


def hand_map(model, ids, n_mean):
    table = model.get_layer("emb").embeddings.numpy().astype(np.float64)
    kernel = model.get_layer("out").kernel.numpy().astype(np.float64)
    return table[ids] @ kernel[:, TARGET] / n_mean


def weights(doc):
    (h,) = doc.find(layer="emb", target=TARGET, relu=False)
    return np.array(h.weights)


def explain(model, docs, **kwargs):
    return reportgen.explain(model, docs, layers="emb", targets=[TARGET], relu=False, **kwargs)


def test_masked_variable_length_model_declared_and_batch_padding_are_both_left_out():
    model = pooled_model()
    expected = hand_map(model, DOC, len(DOC))
    alone = explain(model, [DOC])[0]
    batched = explain(model, [DOC, [4, 2, 8, 6, 1, 3, 11]], batch_size=2)[0]  # padded by reportgen to 7
    declared_post = explain(model, np.array([DOC + [0, 0, 0]]), pad_value=0)[0]
    declared_pre = explain(model, np.array([[0, 0] + DOC]), pad_value=0, padding="pre")[0]
    by_token = reportgen.explain_prediction(model, np.array([DOC + [0, 0, 0]]), layer="emb", targets=[TARGET],
                                            relu=False, tokens=["a", "b", "c", "d"] + ["<PAD>"] * 3,
                                            pad_value="<PAD>")
    for doc in (alone, batched, declared_post, declared_pre):
        assert len(doc.tokens) == len(DOC)
        np.testing.assert_allclose(weights(doc), expected, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(by_token.targets[0].heatmap, expected, rtol=1e-5, atol=1e-8)
    # the prediction is the model's on the padded input, which masking makes the same
    np.testing.assert_allclose(declared_post.prediction.probabilities,
                               model.predict(np.array([DOC]), verbose=0)[0], rtol=1e-5)


def test_fixed_length_model_counts_its_padding_however_it_arrives():
    length = 7
    model = pooled_model(length=length, seed=1)
    expected = hand_map(model, DOC, length)  # the model always reads 7 positions: the mean runs over 7
    ragged = explain(model, [DOC])[0]  # padded by reportgen to the model's length
    declared = explain(model, np.array([DOC + [0, 0, 0]]), pad_value=0)[0]
    for doc in (ragged, declared):
        assert len(doc.tokens) == len(DOC)
        np.testing.assert_allclose(weights(doc), expected, rtol=1e-5, atol=1e-8)


def test_undeclared_padding_is_part_of_the_document():
    """Without pad_value nothing marks padding: the zeros are positions the model reads (masked here, so
    their gradient is 0) and the mean runs over all seven."""
    model = pooled_model(seed=2)
    padded = DOC + [0, 0, 0]
    doc = explain(model, np.array([padded]))[0]
    assert len(doc.tokens) == 7
    np.testing.assert_allclose(weights(doc), hand_map(model, padded, 7), rtol=1e-5, atol=1e-8)


def test_pre_padded_input_with_padding_post_says_so_and_keeps_the_tokens():
    model = pooled_model(length=6, seed=3)
    ids = np.array([[0, 0] + DOC])
    tokens = ["<PAD>", "<PAD>", "i", "am", "so", "glad"]
    E = reportgen.explain_prediction(model, ids, tokens=tokens, pad_value="<PAD>", layer="emb")
    doc = E.document
    assert [t.text for t in doc.tokens] == tokens  # what the model read, not trimmed at an undeclared end
    (note,) = [n for n in doc.input.notes if "padding positions" in n]
    assert "2 padding positions" in note and "at the start" in note and "set padding to 'pre'" in note
    E = reportgen.explain_prediction(model, ids, tokens=tokens, layer="emb")  # no pad_value at all
    assert any("give pad_value '<PAD>'" in n and "set padding to 'pre'" in n for n in E.document.input.notes)
    E = reportgen.explain_prediction(model, ids, tokens=tokens, pad_value="<PAD>", padding="pre", layer="emb")
    assert E.document.text == "i am so glad" and not E.document.input.notes
    assert [t.text for t in E.document.tokens] == ["i", "am", "so", "glad"]


@pytest.mark.parametrize("tokens, text", [
    (["i", "a", "m"], "i a m"),  # single-character words, not characters
    (["i", "am", "x"], "i am x"),
    (["h", "i", " ", "y", "o"], "hi yo"),  # characters of running text, spaces among them
])
def test_tokens_are_joined_as_written(tokens, text):
    model = pooled_model(length=len(tokens), seed=4)
    ids = np.array([[1 + i for i in range(len(tokens))]])
    E = reportgen.explain_prediction(model, ids, tokens=tokens, layer="emb")
    doc = E.targets[0].weighted_spans.docs_weighted_spans[0]
    assert doc.document == text
    assert [doc.document[a:b] for _, ((a, b),), _ in doc.spans] == tokens


def test_ids_without_tokens_are_words_and_a_char_pipeline_glues():
    model = pooled_model(length=4, seed=5)
    E = reportgen.explain_prediction(model, np.array([[1, 2, 3, 4]]), layer="emb")
    assert E.document.text == "1 2 3 4"  # ids named by their numbers are not characters
    chars = PrevectorizedPipeline({1: "a", 2: "b", 3: "c", 4: "d"}, level="char")
    E = reportgen.explain_prediction(model, np.array([[1, 2, 3, 4]]), tokens=list("abcd"), layer="emb",
                                     pipeline=chars)
    assert E.document.text == "abcd"
