"""Pre-vectorised input (the tutorial's `doc` + `tokens` arrays)."""

import numpy as np
import pytest

from reportgen.errors import InputError
from reportgen.text.padding import fit_length
from reportgen.text.prevectorized import PrevectorizedPipeline
from reportgen.text.vocab import Vocabulary

VOCAB = Vocabulary({"<PAD>": 0, "<START>": 1, "<OOV>": 2, "please": 591, "give": 202, "this": 14})


def test_tutorial_word_doc_with_padding():
    # In [8]: doc starts [1 591 202 14 ...] and is post-padded with 0 / '<PAD>'.
    ids = np.array([1, 591, 202, 14, 0, 0, 0])
    tokens = np.array(["<START>", "please", "give", "this", "<PAD>", "<PAD>", "<PAD>"])
    enc = PrevectorizedPipeline(VOCAB).encode_ids(ids, tokens)
    assert enc.text == "<START> please give this"
    assert enc.ids == [1, 591, 202, 14]
    assert [(t.text, t.span) for t in enc.tokens] == [
        ("<START>", (0, 7)), ("please", (8, 14)), ("give", (15, 19)), ("this", (20, 24))]
    assert enc.given_length == 7
    assert "3 padding ids" in enc.notes[0]
    # Padding it back to the given length reproduces the user's input exactly.
    assert fit_length(enc.ids, enc.given_length)[0] == ids.tolist()


def test_char_level_tokens_are_concatenated():
    ids = [4, 12, 3, 2, 26, 0, 0]
    tokens = ["t", "h", "e", " ", "I", "<PAD>", "<PAD>"]
    enc = PrevectorizedPipeline(level="char").encode_ids(ids, tokens)
    assert enc.text == "the I"
    assert [t.span for t in enc.tokens] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


def test_pad_id_inside_the_text_is_kept():
    enc = PrevectorizedPipeline().encode_ids([5, 0, 6, 0], ["a", "<PAD>", "b", "<PAD>"])
    assert enc.ids == [5, 0, 6]
    assert enc.text == "a <PAD> b"


def test_pre_padding():
    enc = PrevectorizedPipeline(padding="pre").encode_ids([0, 0, 5, 0, 6], ["<PAD>", "<PAD>", "x", "<PAD>", "y"])
    assert enc.ids == [5, 0, 6]
    assert [(t.text, t.span) for t in enc.tokens] == [("x", (0, 1)), ("<PAD>", (2, 7)), ("y", (8, 9))]
    assert fit_length(enc.ids, enc.given_length, padding="pre")[0] == [0, 0, 5, 0, 6]


def test_ids_without_tokens_use_the_vocabulary():
    enc = PrevectorizedPipeline(VOCAB).encode_ids([1, 591, 99, 0])
    assert [t.text for t in enc.tokens] == ["<START>", "please", "<99>"]
    assert enc.text == "<START> please <99>"
    assert any("no vocabulary entry" in note for note in enc.notes)


def test_tokens_without_ids_use_the_vocabulary():
    enc = PrevectorizedPipeline(VOCAB).encode_ids(None, ["please", "give", "this"])
    assert enc.ids == [591, 202, 14]
    with pytest.raises(InputError, match="s7: token 'nope' is not in"):
        PrevectorizedPipeline(VOCAB).encode_ids(None, ["please", "nope"], sample="s7")


def test_integral_float_ids_are_accepted():
    enc = PrevectorizedPipeline().encode_ids(np.array([3.0, 4.0, 0.0]), ["a", "b", "<PAD>"])
    assert enc.ids == [3, 4]


def test_empty_token_has_no_span():
    enc = PrevectorizedPipeline().encode_ids([3, 1, 4], ["a", "", "b"])
    assert enc.text == "a  b"
    assert [t.span for t in enc.tokens] == [(0, 1), None, (3, 4)]


@pytest.mark.parametrize("ids, tokens, message", [
    ([1, 2], ["a"], "s1: 2 ids but 1 tokens"),
    ([1, 2.5], ["a", "b"], "s1: id 2.5 at position 1 is not an integer"),
    ([1, -2], ["a", "b"], "s1: id -2 at position 1 is negative"),
    (None, None, "s1: give `ids`, `tokens` or both"),
])
def test_errors_name_the_sample(ids, tokens, message):
    with pytest.raises(InputError, match=message):
        PrevectorizedPipeline().encode_ids(ids, tokens, sample="s1")


def test_text_input_is_refused():
    with pytest.raises(InputError, match="takes ids"):
        PrevectorizedPipeline().encode("some text")
