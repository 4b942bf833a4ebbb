"""Character weights read as words."""

import pytest

from reportgen.results import Token
from reportgen.text.aggregate import aggregate_to_words, word_spans
from reportgen.text.char import CharPipeline
from reportgen.text.vocab import Vocabulary


def char_tokens(text):
    return [Token(c, (i, i + 1), 0) for i, c in enumerate(text)]


def test_word_spans_split_on_any_whitespace():
    assert word_spans("the IRS  is\tok.\n") == [(0, 3), (4, 7), (9, 11), (12, 15)]
    assert word_spans("") == [] and word_spans("  ") == []
    assert word_spans("a\u00a0b") == [(0, 1), (2, 3)]


def test_sum_and_mean_by_hand():
    text = "ab  c!"
    weights = [1.0, 3.0, 100.0, 100.0, 2.0, 4.0]  # the spaces' weights belong to no word
    words = aggregate_to_words(text, char_tokens(text), weights)
    assert [(w.text, w.span, w.sum, w.mean, w.tokens) for w in words] == [
        ("ab", (0, 2), 4.0, 2.0, 2), ("c!", (4, 6), 6.0, 3.0, 2)]


def test_tokens_without_span_and_words_without_tokens():
    text = "ab cd"
    tokens = [Token("<S>", None, 1), Token("a", (0, 1), 2), Token("b", (1, 2), 3)]
    words = aggregate_to_words(text, tokens, [50.0, 1.0, 2.0])
    assert [(w.text, w.sum, w.mean, w.tokens) for w in words] == [("ab", 3.0, 1.5, 2), ("cd", 0.0, None, 0)]


def test_normalize_words_pipeline_output():
    text = "Hi,  there"
    vocab = Vocabulary.from_tokens(["<PAD>", "<OOV>"] + sorted(set(text)))
    enc = CharPipeline(vocab, normalize_words=True).encode(text)
    # tokens: H i ' ' t h e r e ; the joining space has the span of the gap's first whitespace (3).
    weights = [1.0, 2.0, 10.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    words = aggregate_to_words(text, enc.tokens, weights)
    assert [(w.text, w.sum, w.tokens) for w in words] == [("Hi,", 3.0, 2), ("there", 5.0, 5)]


def test_length_mismatch():
    with pytest.raises(ValueError):
        aggregate_to_words("ab", char_tokens("ab"), [1.0])
