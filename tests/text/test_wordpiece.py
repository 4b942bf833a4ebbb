"""WordPiece subwords with offsets: the ids KerasHub's WordPieceTokenizer gives, and spans that point at the
characters each piece was cut from (checked by hand on small vocabularies, and against KerasHub itself)."""

from __future__ import annotations

import pytest

from reportgen.errors import ReportgenError
from reportgen.text.vocab import Vocabulary
from reportgen.text.wordpiece import WordPiecePipeline

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "un", "##break", "##able", "the", "cafe", "shares", "rose", "5", "%", ",", ".",
         "stra", "##sse", "!", "fi", "##ne", "日", "本"]


def pipeline(**kwargs) -> WordPiecePipeline:
    return WordPiecePipeline(Vocabulary.from_tokens(VOCAB), **kwargs)


def pieces(encoded, text):
    return [(t.text, text[t.span[0]:t.span[1]] if t.span else None) for t in encoded.tokens]


def test_subwords_point_at_their_characters() -> None:
    text = "The  unbreakable, shares rose 5%!"
    encoded = pipeline(lower=True).encode(text)
    assert pieces(encoded, text) == [
        ("the", "The"), ("un", "un"), ("##break", "break"), ("##able", "able"), (",", ","), ("shares", "shares"),
        ("rose", "rose"), ("5", "5"), ("%", "%"), ("!", "!")]
    assert encoded.ids == [6, 3, 4, 5, 12, 8, 9, 10, 11, 16]
    assert encoded.notes == []


def test_accents_casefold_and_ligatures_keep_their_original_characters() -> None:
    text = "CAFÉ Straße ﬁne"
    encoded = pipeline(lower=True, strip_accents=True).encode(text)
    # "É" loses its accent and is lowercased; "ß" folds to "ss" (two characters from one); the ligature
    # "ﬁ" becomes "fi": each piece still covers the original characters it came from
    assert pieces(encoded, text) == [("cafe", "CAFÉ"), ("stra", "Stra"), ("##sse", "ße"), ("fi", "ﬁ"),
                                     ("##ne", "ne")]


def test_unknown_words_are_the_oov_piece_over_the_whole_word() -> None:
    text = "unbreakables the"
    encoded = pipeline(lower=True).encode(text)
    assert pieces(encoded, text) == [("[UNK]", "unbreakables"), ("the", "the")]
    assert encoded.notes == ["1 of 2 words cannot be cut into pieces of the vocabulary; the model sees them as "
                             "'[UNK]'"]


def test_case_is_kept_without_lower_and_cjk_characters_are_words() -> None:
    encoded = pipeline().encode("The 日本")
    assert [t.text for t in encoded.tokens] == ["[UNK]", "日", "本"]
    assert [t.span for t in encoded.tokens] == [(0, 3), (4, 5), (5, 6)]


def test_start_token_has_no_span_and_an_unknown_oov_token_is_refused() -> None:
    encoded = pipeline(lower=True, start_token="[CLS]").encode("the")
    assert encoded.ids == [2, 6] and encoded.tokens[0].span is None
    with pytest.raises(ReportgenError, match="OOV token"):
        WordPiecePipeline(Vocabulary.from_tokens(["a", "b"]))


@pytest.mark.parametrize("lower,strip", [(True, True), (False, False)])
def test_ids_equal_keras_hub_word_piece_tokenizer(lower, strip) -> None:
    keras_hub = pytest.importorskip("keras_hub")
    texts = ["Shares in Über-Café rose 5.2% (to £3bn) on Monday; analysts said: \"unbreakable!\"",
             "Naïve résumé\u00a0façade — ﬁnal STRASSE straße İstanbul ǅemal zero\u200bwidth 日本語 x" + "y" * 120,
             "tabs\tand\nnewlines\r\nhere... 1,000,000 e-mail @home #tag"]
    words = sorted({w for t in texts for w in t.lower().split()} | {"un", "##break", "##able", "##s", "##e", "s"})
    vocabulary = ["[PAD]", "[UNK]"] + sorted(set(words) | set("abcdefghijklmnopqrstuvwxyz0123456789.,;:%()£\"!-"))
    vocabulary = list(dict.fromkeys(vocabulary + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]))
    tokenizer = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=vocabulary, lowercase=lower, strip_accents=strip)
    ours = WordPiecePipeline(Vocabulary.from_tokens(vocabulary), lower=lower, strip_accents=strip)
    for text in texts:
        want = [int(i) for i in tokenizer(text)]
        encoded = ours.encode(text)
        assert encoded.ids == want
        assert all(0 <= t.span[0] < t.span[1] <= len(text) for t in encoded.tokens)
