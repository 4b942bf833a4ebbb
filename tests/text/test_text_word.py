"""Word pipeline: Keras 2 tokenisation with spans into the original text, start token, OOV, num_words."""

import pytest

from reportgen.errors import InputError
from reportgen.text.vocab import Vocabulary
from reportgen.text.word import KERAS2_FILTERS, WordPipeline, split_words


def keras2_text_to_word_sequence(text, filters=KERAS2_FILTERS, lower=True, split=" "):
    """Keras 2.x keras.preprocessing.text.text_to_word_sequence, written out as a reference."""
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [piece for piece in text.split(split) if piece]


def spans(words):
    return [(w.text, w.start, w.end) for w in words]


def test_capitals_punctuation_and_whitespace_hand_computed():
    text = "Hello, World!  It's\tGREAT\n<br />ok"
    assert spans(split_words(text)) == [
        ("hello", 0, 5), ("world", 7, 12), ("it's", 15, 19), ("great", 20, 25), ("br", 27, 29), ("ok", 32, 34)]


def test_br_tags():
    text = "great movie<br /><br />bad"
    assert spans(split_words(text)) == [
        ("great", 0, 5), ("movie", 6, 11), ("br", 12, 14), ("br", 18, 20), ("bad", 23, 26)]


def test_unicode_spans_count_code_points():
    text = "Café déjà-vu 😀 東京"
    assert spans(split_words(text)) == [
        ("café", 0, 4), ("déjà", 5, 9), ("vu", 10, 12), ("😀", 13, 14), ("東京", 15, 17)]


def test_carriage_return_and_nbsp_stay_inside_words_as_in_keras2():
    assert spans(split_words("one\r\ntwo")) == [("one\r", 0, 4), ("two", 5, 8)]
    assert spans(split_words("a\u00a0b c")) == [("a\u00a0b", 0, 3), ("c", 4, 5)]


def test_lowercase_that_changes_length_keeps_spans():
    # "İ".lower() is two characters; the span still covers the original word only.
    assert spans(split_words("İstanbul x")) == [("i\u0307stanbul", 0, 8), ("x", 9, 10)]


def test_lowercase_uses_the_whole_text_context():
    # Final sigma: Keras lowercases the whole text, where "Σ" before ".Β" is not word-final.
    assert [w.text for w in split_words("ΑΣ.Β")] == ["ασ", "β"]
    assert [w.text for w in split_words("ΑΣ Β")] == ["ας", "β"]


def test_multi_character_split_string():
    # text_to_word_sequence(split="--"): filters become "--" too, then str.split("--").
    assert spans(split_words("ab--cd,e", split="--")) == [("ab", 0, 2), ("cd", 4, 6), ("e", 7, 8)]


@pytest.mark.parametrize("text", [
    "", "   ", "!!!", "Hello, World!  It's\tGREAT\n<br />ok", "a\t\tb\n\nc  d", "x--y__z", "MiXeD CaSe...",
    "Ünïcödé ÅNGSTRÖM", "tab\tand\rcr", "emoji😀inside", "İİ ΣΣ. ΑΣ",
])
@pytest.mark.parametrize("lower", [True, False])
def test_words_match_keras2_and_spans_point_at_them(text, lower):
    words = split_words(text, lower=lower)
    assert [w.text for w in words] == keras2_text_to_word_sequence(text, lower=lower)
    for w in words:
        original = text[w.start:w.end]
        if lower:  # the word alone lowercases the same, except for the context-dependent final sigma
            assert original.lower() == w.text or "Σ" in original
        else:
            assert original == w.text
        assert not any(c in KERAS2_FILTERS or c == " " for c in original)


VOCAB = Vocabulary({"<PAD>": 0, "<START>": 1, "<OOV>": 2, "the": 3, "cat": 4, "sat": 5, "on": 6, "mat": 7})


def test_pipeline_ids_tokens_and_start_token():
    pipe = WordPipeline(VOCAB, start_token="<START>", oov_token="<OOV>")
    text = "The cat sat on THE mat!"
    enc = pipe.encode(text)
    assert enc.text == text
    assert enc.ids == [1, 3, 4, 5, 6, 3, 7]
    assert [t.span for t in enc.tokens] == [None, (0, 3), (4, 7), (8, 11), (12, 14), (15, 18), (19, 22)]
    assert [t.text for t in enc.tokens] == ["<START>", "the", "cat", "sat", "on", "the", "mat"]
    assert [t.id for t in enc.tokens] == enc.ids
    assert enc.notes == []


def test_unknown_words_get_the_oov_id():
    enc = WordPipeline(VOCAB, oov_token="<OOV>").encode("The dog sat")
    assert enc.ids == [3, 2, 5]
    assert (enc.tokens[1].text, enc.tokens[1].span) == ("<OOV>", (4, 7))
    assert enc.notes and "1 of 3 words" in enc.notes[0]


def test_unknown_words_are_dropped_without_oov_token():
    enc = WordPipeline(VOCAB).encode("The dog sat")
    assert enc.ids == [3, 5]
    assert [t.span for t in enc.tokens] == [(0, 3), (8, 11)]
    assert "dropped" in enc.notes[0]


def test_max_id_is_keras_num_words():
    enc = WordPipeline(VOCAB, oov_token="<OOV>", max_id=5).encode("the cat sat on mat")
    assert enc.ids == [3, 4, 2, 2, 2]
    enc = WordPipeline(VOCAB, max_id=5).encode("the cat sat on mat")
    assert enc.ids == [3, 4]


def test_no_punctuation_stripping_keeps_filters_inside_words():
    pipe = WordPipeline(VOCAB, strip_punctuation=False, oov_token="<OOV>")
    enc = pipe.encode("the cat,sat\ton")
    assert [t.span for t in enc.tokens] == [(0, 3), (4, 14)]
    assert enc.ids == [3, 2]


def test_case_kept_when_lower_false():
    enc = WordPipeline(VOCAB, lower=False, oov_token="<OOV>").encode("The cat")
    assert enc.ids == [2, 4]


def test_special_tokens_must_be_in_the_vocabulary():
    with pytest.raises(InputError, match="start token '<S>' is not in the vocabulary"):
        WordPipeline(VOCAB, start_token="<S>")
    with pytest.raises(InputError, match="OOV token '<UNK>' is not in the vocabulary"):
        WordPipeline(VOCAB, oov_token="<UNK>")


def test_token_text():
    assert WordPipeline(VOCAB).token_text(4) == "cat"
