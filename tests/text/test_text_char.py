"""Character pipeline: plain Keras 2 char_level, and the tutorial's normalize_words vectorisation."""


from tests import paths
import pytest

from reportgen.text.char import CharPipeline
from reportgen.text.vocab import Vocabulary, load_vocabulary

SEED = paths.SEED
needs_seed = pytest.mark.skipif(not (SEED / "word_index.csv").exists(),
                                reason="the tutorial seed files (/work/shared/seed) are not present")

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def tutorial_tokens(text, lower=False):
    """The tutorial's string_to_tokens: list(' '.join(text_to_word_sequence(text, lower=False)))."""
    if lower:
        text = text.lower()
    words = [w for w in text.translate(str.maketrans({c: " " for c in FILTERS})).split(" ") if w]
    return list(" ".join(words))


def alphabet_vocab(chars):
    return Vocabulary.from_tokens(["<PAD>", "<OOV>"] + sorted(set(chars)))


@needs_seed
def test_tutorial_in_133_ids_and_tokens():
    vocab = load_vocabulary(SEED / "word_index.csv")
    text = "the IRS is afterr my car loan"
    enc = CharPipeline(vocab, normalize_words=True).encode(text)
    # In [133] prints [[ 4 12  3 ...  0  0  0]]; the rest is read off word_index.csv by hand.
    assert enc.ids[:3] == [4, 12, 3]
    assert enc.ids == [4, 12, 3, 2, 26, 40, 36, 2, 8, 11, 2, 5, 20, 4, 3, 9, 9, 2, 16, 18, 2, 15, 5, 9, 2,
                       14, 6, 5, 7]
    # In [133]'s tokens_s[0, :29] (before the '<PAD>' tokens).
    assert [t.text for t in enc.tokens] == ['t', 'h', 'e', ' ', 'I', 'R', 'S', ' ', 'i', 's', ' ', 'a', 'f',
                                            't', 'e', 'r', 'r', ' ', 'm', 'y', ' ', 'c', 'a', 'r', ' ', 'l',
                                            'o', 'a', 'n']
    assert [t.span for t in enc.tokens] == [(i, i + 1) for i in range(len(text))]
    assert enc.notes == []


@needs_seed
def test_seed_vocab_unknown_character_is_oov():
    vocab = load_vocabulary(SEED / "word_index.csv")
    enc = CharPipeline(vocab, normalize_words=True).encode("ÿes")
    assert enc.ids == [1, 3, 11]  # <OOV>, e, s


def test_normalize_words_gap_spans():
    text = "Hello,  world!\t(ok) a,b"
    pipe = CharPipeline(alphabet_vocab(text + " "), normalize_words=True)
    enc = pipe.encode(text)
    assert [t.text for t in enc.tokens] == tutorial_tokens(text)
    got = [(t.text, t.span) for t in enc.tokens]
    # Joining spaces: first whitespace of the gap (", " + " " -> index 6; "!\t(" -> the tab at 14;
    # ") " -> 19); the gap "," of "a,b" has no whitespace, so its first character (21).
    assert [(c, s) for c, s in got if c == " "] == [(" ", (6, 7)), (" ", (14, 15)), (" ", (19, 20)),
                                                     (" ", (21, 22))]
    letters = [(c, s) for c, s in got if c != " "]
    assert all(text[s[0]:s[1]] == c for c, s in letters)
    assert [s[0] for _, s in letters] == [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 16, 17, 20, 22]


@pytest.mark.parametrize("text", ["", "  ", "...", "a", "Multiple   spaces\tand\nlines", "x--y, z!!",
                                  "Ünï cödé 😀 東京"])
@pytest.mark.parametrize("lower", [False, True])
def test_normalize_words_matches_tutorial_tokens(text, lower):
    pipe = CharPipeline(alphabet_vocab(text.lower() + text + " "), normalize_words=True, lower=lower)
    enc = pipe.encode(text)
    assert [t.text for t in enc.tokens] == tutorial_tokens(text, lower)
    for token in enc.tokens:
        assert 0 <= token.span[0] < token.span[1] <= len(text)


def test_plain_mode_one_token_per_character():
    text = "Ab, c\td"
    enc = CharPipeline(alphabet_vocab(text)).encode(text)
    assert [t.text for t in enc.tokens] == list(text)
    assert [t.span for t in enc.tokens] == [(i, i + 1) for i in range(len(text))]
    vocab = alphabet_vocab(text)
    assert enc.ids == [vocab.get(c) for c in text]


def test_plain_mode_lower_with_length_change():
    vocab = alphabet_vocab("i\u0307a")
    enc = CharPipeline(vocab, lower=True).encode("İA")
    assert [t.text for t in enc.tokens] == ["i", "\u0307", "a"]
    assert [t.span for t in enc.tokens] == [(0, 1), (0, 1), (1, 2)]


def test_unknown_characters_without_oov_are_dropped():
    vocab = Vocabulary.from_tokens(["<PAD>", "a", "b"])
    enc = CharPipeline(vocab, oov_token=None).encode("abc")
    assert enc.ids == [1, 2]
    assert "1 of 3 characters" in enc.notes[0] and "dropped" in enc.notes[0]


def test_start_token_has_no_span():
    vocab = Vocabulary.from_tokens(["<PAD>", "<OOV>", "<S>", "a"])
    enc = CharPipeline(vocab, start_token="<S>").encode("a")
    assert enc.ids == [2, 3]
    assert [t.span for t in enc.tokens] == [None, (0, 1)]
