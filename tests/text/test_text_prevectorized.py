"""Pre-vectorised input (the tutorial's `doc` + `tokens` arrays): one path, `engine.inputs.from_padded`;
`PrevectorizedPipeline` carries the vocabulary and level it reads the ids with."""

import numpy as np
import pytest

from reportgen.engine.inputs import from_padded
from reportgen.errors import InputError
from reportgen.text.padding import text_positions
from reportgen.text.prevectorized import PrevectorizedPipeline
from reportgen.text.vocab import Vocabulary

VOCAB = Vocabulary({"<PAD>": 0, "<START>": 1, "<OOV>": 2, "please": 591, "give": 202, "this": 14})


def padded(pipeline, ids, tokens=None, pad_value=0, padding="post", doc_id="s1"):
    return from_padded(doc_id, ids, tokens, pad_value, padding, level=pipeline.level,
                       token_text=pipeline.token_text)


def test_tutorial_word_doc_with_padding():
    # In [8]: doc starts [1 591 202 14 ...] and is post-padded with 0 / '<PAD>'.
    ids = np.array([1, 591, 202, 14, 0, 0, 0])
    tokens = np.array(["<START>", "please", "give", "this", "<PAD>", "<PAD>", "<PAD>"])
    doc = padded(PrevectorizedPipeline(VOCAB), ids, tokens)
    assert doc.text == "<START> please give this"
    assert doc.ids == ids.tolist()  # the model reads exactly what the user gave
    assert [(t.text, t.span) for t in doc.tokens[text_positions(doc.input)]] == [
        ("<START>", (0, 7)), ("please", (8, 14)), ("give", (15, 19)), ("this", (20, 24))]
    assert (doc.input.padded, doc.input.padding_side) == (3, "post")


def test_char_level_tokens_are_concatenated():
    ids = [4, 12, 3, 2, 26, 0, 0]
    tokens = ["t", "h", "e", " ", "I", "<PAD>", "<PAD>"]
    doc = padded(PrevectorizedPipeline(level="char"), ids, tokens)
    assert doc.text == "the I"
    assert [t.span for t in doc.tokens] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), None, None]


def test_pad_id_inside_the_text_is_kept():
    doc = padded(PrevectorizedPipeline(), [5, 0, 6, 0], ["a", "<PAD>", "b", "<PAD>"])
    assert doc.input.padded == 1
    assert doc.text == "a <PAD> b"


def test_pre_padding():
    doc = padded(PrevectorizedPipeline(), [0, 0, 5, 0, 6], ["<PAD>", "<PAD>", "x", "<PAD>", "y"], padding="pre")
    kept = doc.tokens[text_positions(doc.input)]
    assert [(t.text, t.span) for t in kept] == [("x", (0, 1)), ("<PAD>", (2, 7)), ("y", (8, 9))]


def test_ids_without_tokens_use_the_vocabulary_and_unknown_ids_show_as_numbers():
    doc = padded(PrevectorizedPipeline(VOCAB), [1, 591, 99, 0])
    assert [t.text for t in doc.tokens] == ["<START>", "please", "<99>", "<PAD>"]
    assert doc.text == "<START> please <99>"


def test_integral_float_ids_are_accepted():
    doc = padded(PrevectorizedPipeline(), np.array([3.0, 4.0, 0.0]), ["a", "b", "<PAD>"])
    assert doc.ids == [3, 4, 0] and doc.input.padded == 1


@pytest.mark.parametrize("ids, tokens, message", [
    ([1, 2], ["a"], "sample 's1': 2 ids but 1 tokens"),
    ([1, 2.5], ["a", "b"], "sample 's1': id 2.5 is not an integer"),
    ([0, 0], ["a", "b"], "sample 's1': every position is padding"),
])
def test_errors_name_the_sample(ids, tokens, message):
    with pytest.raises(InputError, match=message):
        padded(PrevectorizedPipeline(), ids, tokens)


def test_text_input_is_refused():
    with pytest.raises(InputError, match="takes ids"):
        PrevectorizedPipeline().encode("some text")


def test_unknown_id_names_come_from_the_vocabulary_only():
    with pytest.raises(KeyError, match="id 7 is not in the vocabulary"):
        PrevectorizedPipeline({1: "a"}).token_text(7)
