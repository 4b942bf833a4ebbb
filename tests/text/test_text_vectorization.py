"""In-model Keras 3 TextVectorization: ids from the layer itself, spans from its own split, checked
against the layer on this TF/Keras version."""

import os
import string
import subprocess
import sys

from tests import paths
import pytest

from reportgen.errors import InputError, ModelError
from reportgen.text.padding import fit_length

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from reportgen.text.vectorization import TextVectorizationPipeline  # noqa: E402

WORDS = ["the", "cat", "sat", "on", "mat", "br", "dog", "école", "École", "don't", "dont", "hi!", "猫", "👍",
         "naïve", "a", "b"]
TRICKY = [
    "The cat sat on the mat.",
    "The  cat,\tTHE (cat!) <br />dog",
    "Multiple   spaces\n\nand\r\nlines\x0bvt\x0cff",
    "École école ÉCOLE naïve NAÏVE",
    "don't (don't) DON'T",
    "猫猫 猫 👍👍 👍",
    "a\u00a0b a\u3000b a\u2003b a\u0085b",
    "",
    "   ",
    "?!... ---",
    "<br /><br />the<br />",
]


def layer_ids(layer, text):
    """What the layer itself computes for the text, padding (id 0) removed."""
    return [int(i) for i in layer(tf.constant([text])).numpy()[0].tolist() if i != 0]


def standardise(text):
    """lower_and_strip_punctuation as measured: ASCII lowercase, ASCII punctuation removed."""
    lowered = text.translate(str.maketrans(string.ascii_uppercase, string.ascii_lowercase))
    return "".join(c for c in lowered if c not in string.punctuation)


@pytest.fixture(scope="module")
def layer():
    return keras.layers.TextVectorization(vocabulary=WORDS)


def test_measured_layer_facts(layer):
    vocab = layer.get_vocabulary()
    unk = 1
    # Only ASCII whitespace splits: \v and \f do, NBSP / ideographic / em space / NEL do not.
    assert layer_ids(layer, "a\x0bb\x0ca") == [vocab.index("a"), vocab.index("b"), vocab.index("a")]
    assert layer_ids(layer, "a\u00a0b a\u3000b a\u2003b a\u0085b") == [unk, unk, unk, unk]
    # lower is ASCII-only: "ÉCOLE" becomes "École", not "école"; "NAÏVE" becomes "naÏve" (unknown).
    assert layer_ids(layer, "ÉCOLE") == [vocab.index("École")]
    assert layer_ids(layer, "NAÏVE") == [unk]
    # Punctuation stripping is ASCII-only and inside words too.
    assert layer_ids(layer, "(don't)") == [vocab.index("dont")]
    assert layer_ids(layer, "hi!") == [unk]


@pytest.mark.parametrize("text", TRICKY)
def test_ids_equal_the_layer_and_spans_hold_the_tokens(layer, text):
    pipe = TextVectorizationPipeline(layer)
    enc = pipe.encode(text)
    assert enc.ids == layer_ids(layer, text)
    assert [t.id for t in enc.tokens] == enc.ids
    vocab = layer.get_vocabulary()
    for token in enc.tokens:
        assert token.text == vocab[token.id]
        start, end = token.span
        piece = text[start:end]
        assert piece and not any(c in " \t\n\r\x0b\x0c" for c in piece)
        assert layer_ids(layer, piece) == [token.id]
        if token.id != 1:  # [UNK] stands for whatever was written
            assert standardise(piece) == token.text
        assert piece[0] not in string.punctuation and piece[-1] not in string.punctuation


def test_hand_computed_spans(layer):
    text = "The  cat,\tTHE (cat!) <br />dog"
    enc = TextVectorizationPipeline(layer).encode(text)
    assert [(t.text, t.span) for t in enc.tokens] == [
        ("the", (0, 3)), ("cat", (5, 8)), ("the", (10, 13)), ("cat", (15, 18)), ("br", (22, 24)),
        ("dog", (27, 30))]


def test_non_ascii_tokens(layer):
    text = "ÉCOLE 猫猫 猫 👍"
    enc = TextVectorizationPipeline(layer).encode(text)
    assert [(t.text, t.span) for t in enc.tokens] == [
        ("École", (0, 5)), ("[UNK]", (6, 8)), ("猫", (9, 10)), ("👍", (11, 12))]


def test_output_sequence_length_truncates_and_pads_after_like_fit_length():
    layer = keras.layers.TextVectorization(vocabulary=WORDS, output_sequence_length=4)
    pipe = TextVectorizationPipeline(layer)
    assert pipe.fixed_length == 4
    long_text = "the cat sat on the mat"
    enc = pipe.encode(long_text)
    assert len(enc.ids) == 6
    assert enc.notes and "keeps the first 4" in enc.notes[0] and "last 2" in enc.notes[0]
    model_ids, info, kept = fit_length(enc.ids, pipe.fixed_length, "post", "post", pipe.pad_id)
    assert model_ids == layer(tf.constant([long_text])).numpy()[0].tolist()
    assert (info.truncated, kept) == (2, slice(0, 4))
    short = pipe.encode("the cat")
    model_ids, info, _ = fit_length(short.ids, pipe.fixed_length, "post", "post", pipe.pad_id)
    assert model_ids == layer(tf.constant(["the cat"])).numpy()[0].tolist()
    assert (info.padded, info.padding_side, short.notes) == (2, "post", [])


def test_character_split():
    layer = keras.layers.TextVectorization(vocabulary=["a", "b", " "], split="character")
    pipe = TextVectorizationPipeline(layer)
    text = "aB, c!"
    enc = pipe.encode(text)
    assert pipe.level == "char"
    assert enc.ids == layer_ids(layer, text)
    assert [(t.text, t.span) for t in enc.tokens] == [
        ("a", (0, 1)), ("b", (1, 2)), (" ", (3, 4)), ("[UNK]", (4, 5))]


def test_no_standardisation_keeps_punctuation_in_spans():
    layer = keras.layers.TextVectorization(vocabulary=WORDS, standardize=None)
    enc = TextVectorizationPipeline(layer).encode("Say hi! (hi!)")
    assert enc.ids == layer_ids(layer, "Say hi! (hi!)")
    assert [(t.text, t.span) for t in enc.tokens] == [("[UNK]", (0, 3)), ("hi!", (4, 7)), ("[UNK]", (8, 13))]


def test_ragged_layer():
    layer = keras.layers.TextVectorization(vocabulary=WORDS, ragged=True)
    enc = TextVectorizationPipeline(layer).encode("the dog")
    assert [(t.text, t.span) for t in enc.tokens] == [("the", (0, 3)), ("dog", (4, 7))]


def test_encode_many_matches_encode(layer):
    pipe = TextVectorizationPipeline(layer)
    many = pipe.encode_many(TRICKY)
    assert [(e.ids, e.tokens) for e in many] == [(pipe.encode(t).ids, pipe.encode(t).tokens) for t in TRICKY]


def test_custom_standardisation_that_keeps_whitespace_still_maps():
    layer = keras.layers.TextVectorization(vocabulary=WORDS, standardize=lambda x: tf.strings.regex_replace(
        tf.strings.lower(x), "x", ""))
    enc = TextVectorizationPipeline(layer).encode("THEx caxt")
    assert enc.ids == layer_ids(layer, "THEx caxt")
    assert [(t.text, t.span) for t in enc.tokens] == [("the", (0, 4)), ("cat", (5, 9))]


def test_custom_standardisation_that_moves_whitespace_falls_back_without_spans():
    layer = keras.layers.TextVectorization(vocabulary=WORDS + ["thecat"],
                                           standardize=lambda x: tf.strings.regex_replace(x, " ", ""))
    enc = TextVectorizationPipeline(layer).encode("the cat")
    assert enc.ids == layer_ids(layer, "the cat")
    assert [(t.text, t.span) for t in enc.tokens] == [("thecat", None)]
    assert "cannot be mapped" in enc.notes[0]


def test_custom_split_falls_back_without_spans():
    layer = keras.layers.TextVectorization(vocabulary=WORDS, split=lambda x: tf.strings.split(x, sep=","))
    enc = TextVectorizationPipeline(layer).encode("the,cat")
    assert enc.ids == layer_ids(layer, "the,cat")
    assert all(t.span is None for t in enc.tokens)
    assert "custom function" in enc.notes[0]


def test_refuses_ngrams_and_non_int_output():
    with pytest.raises(ModelError, match="ngrams"):
        TextVectorizationPipeline(keras.layers.TextVectorization(vocabulary=WORDS, ngrams=2))
    with pytest.raises(ModelError, match="output_mode='multi_hot'"):
        TextVectorizationPipeline(keras.layers.TextVectorization(vocabulary=WORDS, output_mode="multi_hot"))


def test_text_that_is_not_unicode(layer):
    with pytest.raises(InputError, match="UTF-8"):
        TextVectorizationPipeline(layer).encode("bad \ud800 text")


def test_package_import_does_not_load_tensorflow():
    code = "import sys, reportgen.text; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=paths.REPO)
