"""The WordPiece pipeline's subwords, summed into the words of the text (what word panels and the ranked
evidence read), against sums done by hand."""

from __future__ import annotations

from reportgen.report.evidence import word_sums
from reportgen.report.spans import aggregate_words, splits_words
from reportgen.text.vocab import Vocabulary
from reportgen.text.wordpiece import WordPiecePipeline

VOCAB = ["[PAD]", "[UNK]", "un", "##break", "##able", "the", "shares", "rose", "5", "%", ",", "!", "re", "##cord",
         "##s"]


def test_wordpiece_subwords_sum_into_words():
    text = "The unbreakable, shares rose 5%! Records"
    encoded = WordPiecePipeline(Vocabulary.from_tokens(VOCAB), lower=True).encode(text)
    assert [t.text for t in encoded.tokens] == ["the", "un", "##break", "##able", ",", "shares", "rose", "5", "%",
                                                "!", "re", "##cord", "##s"]
    weights = [2.0 ** k for k in range(len(encoded.tokens))]  # every sum exact, and unique to its tokens
    assert splits_words(text, encoded.tokens)
    tokens, sums = aggregate_words(text, encoded.tokens, weights)
    w = weights
    assert [(t.text, t.span) for t in tokens] == [("The", (0, 3)), ("unbreakable,", (4, 16)), ("shares", (17, 23)),
                                                  ("rose", (24, 28)), ("5%!", (29, 32)), ("Records", (33, 40))]
    assert sums == [w[0], w[1] + w[2] + w[3] + w[4], w[5], w[6], w[7] + w[8] + w[9], w[10] + w[11] + w[12]]
    forms = [(e.word, e.weight) for e in word_sums(text, encoded.tokens, weights)]
    assert forms == [("the", w[0]), ("unbreakable", w[1] + w[2] + w[3] + w[4]), ("shares", w[5]), ("rose", w[6]),
                     ("5", w[7] + w[8] + w[9]), ("records", w[10] + w[11] + w[12])]
