"""Character-level pipeline: one token per character, each with the span of its original character.

Plain mode reproduces Keras 2 `Tokenizer(char_level=True).texts_to_sequences`: lowercase the text when
`lower`, then one token per character (no filters: spaces, tabs and punctuation are tokens too).

`normalize_words=True` reproduces the 2019 tutorial's multiclass vectorisation,
`list(" ".join(text_to_word_sequence(text, lower=lower)))`: words as Keras 2 cuts them, joined by single
spaces. Each character of a word maps to its original character. A joining space stands for the whole gap
between two words (filtered characters and whitespace); it gets the span of the gap's first whitespace
character, or of the gap's first character when the gap has no whitespace ("a,b"), so it highlights a
real separator and never a letter. Characters before the first and after the last word give no tokens.
"""

from __future__ import annotations

from reportgen.text.base import Encoded
from reportgen.text.offsets import lower_with_origin
from reportgen.text.vocab import Vocabulary
from reportgen.text.word import KERAS2_FILTERS, VocabularyPipeline, split_words


class CharPipeline(VocabularyPipeline):
    """Text -> character ids. Unknown characters (or ids >= `max_id`) get the `oov_token`'s id, or are
    dropped with a note when `oov_token` is None (`VocabularyPipeline`)."""

    level = "char"

    def __init__(self, vocab: Vocabulary, lower: bool = False, normalize_words: bool = False,
                 oov_token: str | None = "<OOV>", filters: str = KERAS2_FILTERS, split: str = " ",
                 start_token: str | None = None, pad_id: int = 0, max_id: int | None = None):
        super().__init__(vocab, start_token, oov_token, pad_id, max_id)
        self.lower = lower
        self.normalize_words = normalize_words
        self.filters = filters
        self.split = split

    def characters(self, text: str) -> list[tuple[str, tuple[int, int] | None]]:
        """The characters the model reads, each with its span in `text`."""
        if not self.normalize_words:
            lowered, origin = lower_with_origin(text) if self.lower else (text, list(range(len(text))))
            return [(char, (origin[i], origin[i] + 1)) for i, char in enumerate(lowered)]
        words = split_words(text, self.filters, self.lower, self.split)
        chars: list[tuple[str, tuple[int, int] | None]] = []
        for index, word in enumerate(words):
            if index:
                chars.append((" ", _gap_span(text, words[index - 1].end, word.start)))
            chars.extend((char, (at, at + 1)) for char, at in zip(word.text, word.origins))
        return chars

    def encode(self, text: str) -> Encoded:
        return self.encode_pieces(text, self.characters(text), "characters")


def _gap_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    for index in range(start, end):
        if text[index].isspace():
            return index, index + 1
    return (start, start + 1) if end > start else None  # no gap only with exotic multi-character splits
