"""Word-level pipeline reproducing Keras 2 `Tokenizer.texts_to_sequences` with character offsets.

Keras 2 `text_to_word_sequence`: lowercase the whole text (optional), replace every filter character by the
split string, `str.split(split)`, drop empty pieces. Only the split string separates words: a "\\r" or a
non-breaking space is not in the default filters, so it stays inside a word, as it did for the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from reportgen.results import Token
from reportgen.text.base import Encoded, TextPipeline
from reportgen.text.offsets import lower_with_origin, origin_span
from reportgen.text.vocab import Vocabulary

# keras.preprocessing.text.text_to_word_sequence's default `filters` (Keras 2).
KERAS2_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


@dataclass(frozen=True)
class Word:
    text: str  # as the model's vocabulary sees it (lowercased when asked)
    start: int  # span in the original text
    end: int
    origins: tuple[int, ...] = field(default=(), compare=False)  # original index of each character of text


def split_words(text: str, filters: str = KERAS2_FILTERS, lower: bool = True, split: str = " ") -> list[Word]:
    """Keras 2 `text_to_word_sequence(text, filters, lower, split)`, each word with its original span."""
    if not split:
        raise ValueError("split must be a non-empty string")
    source, origin = lower_with_origin(text) if lower else (text, list(range(len(text))))
    # Replace filter characters by the split string, remembering where each output character came from
    # (a multi-character split string maps all its characters to the filtered character).
    filter_set = set(filters)
    pieces: list[str] = []
    where: list[int] = []
    for index, char in enumerate(source):
        if char in filter_set:
            pieces.append(split)
            where.extend([origin[index]] * len(split))
        else:
            pieces.append(char)
            where.append(origin[index])
    translated = "".join(pieces)
    # str.split(split) by hand, to keep positions: non-overlapping matches, left to right.
    words: list[Word] = []
    position = 0
    while True:
        found = translated.find(split, position)
        stop = len(translated) if found < 0 else found
        if stop > position:
            start, end = origin_span(where, position, stop)
            words.append(Word(translated[position:stop], start, end, tuple(where[position:stop])))
        if found < 0:
            return words
        position = found + len(split)


def known_id(vocab: Vocabulary, piece: str, max_id: int | None) -> int | None:
    """A piece's id as Keras 2 Tokenizer keeps it: None when unknown or when its id >= max_id (num_words)."""
    token_id = vocab.get(piece)
    if token_id is None or (max_id is not None and token_id >= max_id):
        return None
    return token_id


def unknown_note(unknown: int, total: int, unit: str, max_id: int | None, oov_token: str | None) -> str:
    limit = f" or have ids >= {max_id}" if max_id is not None else ""
    what = f"{unknown} of {total} {unit} are not in the vocabulary{limit}"
    if oov_token is not None:
        return f"{what}; the model sees them as {oov_token!r}"
    return f"{what}; there is no OOV token, so they were dropped (as Keras 2 does)"


class VocabularyPipeline(TextPipeline):
    """What the word and char pipelines share: Keras 2 `Tokenizer` lookup of text pieces in a vocabulary.

    `max_id` is Keras' `num_words`: ids >= max_id count as unknown. Unknown pieces get the `oov_token`'s
    id (and its text; the span still points at the piece as written) or, without an OOV token, are
    dropped, as Keras 2 does, with a note. A `start_token` is prepended with span None.
    """

    def __init__(self, vocab: Vocabulary, start_token: str | None, oov_token: str | None, pad_id: int,
                 max_id: int | None):
        self.vocab = vocab
        self.pad_id = pad_id
        self.max_id = max_id
        self.start_token = start_token
        self.start_id = vocab.require(start_token, "start token") if start_token is not None else None
        self.oov_token = oov_token
        self.oov_id = vocab.require(oov_token, "OOV token") if oov_token is not None else None

    def encode_pieces(self, text: str, pieces: Sequence[tuple[str, tuple[int, int] | None]], unit: str) -> Encoded:
        """Ids and tokens of `pieces` (text as the vocabulary sees it, span in `text`); `unit` names them in
        the note about unknown pieces."""
        ids: list[int] = []
        tokens: list[Token] = []
        if self.start_id is not None:
            ids.append(self.start_id)
            tokens.append(Token(self.start_token, None, self.start_id))
        unknown = 0
        for piece, span in pieces:
            token_id, token_text = known_id(self.vocab, piece, self.max_id), piece
            if token_id is None:
                unknown += 1
                if self.oov_id is None:
                    continue
                token_id, token_text = self.oov_id, self.oov_token
            ids.append(token_id)
            tokens.append(Token(token_text, span, token_id))
        notes = [unknown_note(unknown, len(pieces), unit, self.max_id, self.oov_token)] if unknown else []
        return Encoded(text, ids, tokens, notes)

    def token_text(self, token_id: int) -> str:
        token = self.vocab.token_for(token_id)
        if token is None:
            raise KeyError(f"id {token_id} is not in {self.vocab.source}")
        return token


class WordPipeline(VocabularyPipeline):
    """Text -> word ids with each word's span in the original text (unknown words: `VocabularyPipeline`)."""

    level = "word"

    def __init__(self, vocab: Vocabulary, lower: bool = True, strip_punctuation: bool = True,
                 filters: str = KERAS2_FILTERS, split: str = " ", start_token: str | None = None,
                 oov_token: str | None = None, pad_id: int = 0, max_id: int | None = None):
        if not split:
            raise ValueError("split must be a non-empty string")
        super().__init__(vocab, start_token, oov_token, pad_id, max_id)
        self.lower = lower
        # Keras 2 with filters="" splits on the split string only (tabs and newlines stay inside words).
        self.filters = filters if strip_punctuation else ""
        self.split = split

    def encode(self, text: str) -> Encoded:
        words = split_words(text, self.filters, self.lower, self.split)
        return self.encode_pieces(text, [(word.text, (word.start, word.end)) for word in words], "words")
