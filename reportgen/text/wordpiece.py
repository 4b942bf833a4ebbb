"""WordPiece subwords, as KerasHub's `WordPieceTokenizer` makes them, with each subword's characters in the
original text.

The ids are those of `keras_hub.tokenizers.WordPieceTokenizer(vocabulary, lowercase, strip_accents,
split=True, split_on_cjk=True, suffix_indicator="##", oov_token="[UNK]")` (its Python path, which its
TensorFlow path matches): accents stripped (NFD, combining marks dropped), the text split on ASCII
whitespace, control and format characters (dropped) and on punctuation and CJK characters (kept as words
of their own), each word case-folded (NFKC, casefold, NFKC, default-ignorable code points dropped), then
cut greedily into the longest pieces the vocabulary holds, pieces after the first prefixed with "##"; a
word that cannot be cut, or of more than 100 UTF-8 bytes, is the OOV token. It is reimplemented here, in
the standard library, because KerasHub's tokenizer gives ids but not where each piece came from.

Every character the tokenizer reads keeps the index of the original character it came from, so a subword
highlights exactly the characters it was cut from ("un", "##break", "##able" cover "un", "break", "able";
an accented "é" stays under the piece that holds its "e"). When normalising a word as a whole differs from
normalising it character by character (a rare composition across characters), the ids follow the whole
word, as the tokenizer does, and each of its pieces points at the whole word.
"""

from __future__ import annotations

import unicodedata

from reportgen.results import Token
from reportgen.text.base import Encoded, TextPipeline
from reportgen.text.vocab import Vocabulary

SUFFIX = "##"
MAX_BYTES_PER_WORD = 100
_ASCII_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
        (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
# Unicode default-ignorable code points, which tf_text.case_fold_utf8 drops (as KerasHub's casefold_utf8)
_IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
              (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
              (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
              (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))


def _is_space(char: str) -> bool:
    return char in " \t\n\r\f" or unicodedata.category(char) in ("Cc", "Cf")


def _is_kept_delimiter(char: str) -> bool:
    code = ord(char)
    return (char in _ASCII_PUNCTUATION or unicodedata.category(char).startswith("P")
            or any(low <= code <= high for low, high in _CJK))


def _casefold(text: str) -> str:
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in text if not any(low <= ord(c) <= high for low, high in _IGNORABLE))


def _strip_accents(text: str, origin: list[int]) -> tuple[str, list[int]]:
    chars, where = [], []
    for char, at in zip(text, origin):
        for part in unicodedata.normalize("NFD", char):
            if unicodedata.category(part) != "Mn":
                chars.append(part)
                where.append(at)
    return "".join(chars), where


def split_words(text: str, strip_accents: bool) -> list[tuple[str, list[int]]]:
    """KerasHub's pre-tokenisation before case folding: (word, original index of each of its characters)."""
    origin = list(range(len(text)))
    if strip_accents:
        text, origin = _strip_accents(text, origin)
    words: list[tuple[str, list[int]]] = []
    current: list[int] = []  # positions in `text`
    for position, char in enumerate(text):
        if _is_space(char) or _is_kept_delimiter(char):
            if current:
                words.append(("".join(text[p] for p in current), [origin[p] for p in current]))
                current = []
            if not _is_space(char):
                words.append((char, [origin[position]]))
        else:
            current.append(position)
    if current:
        words.append(("".join(text[p] for p in current), [origin[p] for p in current]))
    return words


class WordPiecePipeline(TextPipeline):
    """Text -> WordPiece ids, each subword with the span of the original characters it was cut from."""

    level = "word"

    def __init__(self, vocab: Vocabulary, lower: bool = False, strip_accents: bool = False,
                 oov_token: str = "[UNK]", start_token: str | None = None, pad_id: int = 0):
        self.vocab = vocab
        self.lower = lower
        self.strip_accents = strip_accents
        self.oov_token = oov_token
        self.oov_id = vocab.require(oov_token, "OOV token")
        self.start_token = start_token
        self.start_id = vocab.require(start_token, "start token") if start_token is not None else None
        self.pad_id = pad_id

    def encode(self, text: str) -> Encoded:
        ids: list[int] = []
        tokens: list[Token] = []
        if self.start_id is not None:
            ids.append(self.start_id)
            tokens.append(Token(self.start_token, None, self.start_id))
        words = split_words(text, self.strip_accents)
        unknown = 0
        for word, origin in words:
            folded, where = self._fold(word, origin)
            pieces = self._pieces(folded)
            if pieces is None:
                unknown += 1
                ids.append(self.oov_id)
                tokens.append(Token(self.oov_token, (origin[0], origin[-1] + 1), self.oov_id))
                continue
            for piece, start, end in pieces:
                span = (where[start], where[end - 1] + 1) if where is not None else (origin[0], origin[-1] + 1)
                ids.append(self.vocab.token_to_id[piece])
                tokens.append(Token(piece, span, ids[-1]))
        notes = []
        if unknown:
            notes.append(f"{unknown} of {len(words)} words cannot be cut into pieces of the vocabulary; the model "
                         f"sees them as {self.oov_token!r}")
        return Encoded(text, ids, tokens, notes)

    def _fold(self, word: str, origin: list[int]) -> tuple[str, list[int] | None]:
        """The word as the vocabulary sees it, and the original index of each of its characters (None when
        only the whole word can be placed)."""
        if not self.lower:
            return word, origin
        folded = _casefold(word)
        parts = [_casefold(char) for char in word]
        if "".join(parts) != folded:
            return folded, None
        return folded, [at for part, at in zip(parts, origin) for _ in part]

    def _pieces(self, word: str) -> list[tuple[str, int, int]] | None:
        """Greedy longest-match-first pieces (vocabulary string, start, end in `word`), None for the OOV."""
        if not word:
            return []
        if len(word.encode("utf-8")) > MAX_BYTES_PER_WORD:
            return None
        pieces = []
        start = 0
        lookup = self.vocab.token_to_id
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else SUFFIX + word[start:end]
                if piece in lookup:
                    break
                end -= 1
            if end == start:
                return None
            pieces.append((piece, start, end))
            start = end
        return pieces

    def token_text(self, token_id: int) -> str:
        token = self.vocab.token_for(token_id)
        if token is None:
            raise KeyError(f"id {token_id} is not in {self.vocab.source}")
        return token
