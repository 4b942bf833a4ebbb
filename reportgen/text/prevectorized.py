"""Pre-vectorised input: the user gives ids (and usually their tokens), as the 2019 tutorial did with its
`doc` and `tokens` arrays.

There is no original text, so the document text is built from the tokens: joined by single spaces for
word-level models, concatenated for character-level ones; each token's span points into that text.
The run of pad ids at the padded end (`padding`) is removed, so the engine pads it back itself and knows
which positions are padding; `Encoded.given_length` keeps the length the ids arrived with, so the model
can be fed exactly what the user gave. A pad id inside the text is kept.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from reportgen.errors import InputError
from reportgen.results import Token
from reportgen.text.base import Encoded, TextPipeline
from reportgen.text.padding import strip_end_padding
from reportgen.text.vocab import Vocabulary

LEVELS = ("word", "char")


class PrevectorizedPipeline(TextPipeline):
    """Ids (+ tokens) -> Encoded. `tokens_for_ids` (a Vocabulary or {id: token}) names ids given without
    tokens and turns tokens given without ids into ids."""

    def __init__(self, tokens_for_ids: Vocabulary | Mapping[int, str] | None = None, level: str = "word",
                 pad_id: int = 0, padding: str = "post"):
        if level not in LEVELS:
            raise ValueError(f"level must be 'word' or 'char', not {level!r}")
        self.level = level
        self.pad_id = pad_id
        self.padding = padding
        if isinstance(tokens_for_ids, Vocabulary):
            self.id_to_token = dict(tokens_for_ids.id_to_token)
            self.source = tokens_for_ids.source
        else:
            self.id_to_token = {int(k): str(v) for k, v in (tokens_for_ids or {}).items()}
            self.source = "the vocabulary"
        self.token_to_id = {token: token_id for token_id, token in self.id_to_token.items()}

    def encode(self, text: str) -> Encoded:
        raise InputError("pre-vectorised input takes ids and tokens, not text; give the sample's `ids` "
                         "(and `tokens`) instead of `text`")

    def encode_ids(self, ids: Sequence[int] | None, tokens: Sequence[str] | None = None,
                   sample: str = "sample") -> Encoded:
        """Build the document from ids and/or tokens; `sample` names it in errors."""
        if ids is None and tokens is None:
            raise InputError(f"{sample}: give `ids`, `tokens` or both")
        if ids is None:
            ids = [self._id_for(token, sample) for token in tokens]
        ids = [_as_id(value, sample, position) for position, value in enumerate(ids)]
        notes: list[str] = []
        if tokens is None:
            unnamed = sorted({i for i in ids if i not in self.id_to_token})
            tokens = [self.id_to_token.get(i, f"<{i}>") for i in ids]
            if unnamed:
                notes.append(f"{len(unnamed)} ids have no vocabulary entry and are shown as <id>")
        else:
            tokens = [str(token) for token in tokens]
            if len(tokens) != len(ids):
                raise InputError(f"{sample}: {len(ids)} ids but {len(tokens)} tokens; give one token per id")
        given_length = len(ids)
        ids, removed = strip_end_padding(ids, self.pad_id, self.padding)
        if removed:
            start = removed if self.padding == "pre" else 0
            tokens = tokens[start:start + len(ids)]
            notes.append(f"{removed} padding ids (value {self.pad_id}) at the {self.padding} end were set "
                         f"aside; the model still sees them")
        text, spans = join_tokens(tokens, self.level)
        encoded_tokens = [Token(token, span, token_id) for token, span, token_id in zip(tokens, spans, ids)]
        return Encoded(text, ids, encoded_tokens, notes, given_length=given_length)

    def token_text(self, token_id: int) -> str:
        if token_id not in self.id_to_token:
            raise KeyError(f"id {token_id} is not in {self.source}")
        return self.id_to_token[token_id]

    def _id_for(self, token: str, sample: str) -> int:
        if token not in self.token_to_id:
            raise InputError(f"{sample}: token {token!r} is not in {self.source}; give `ids` as well, "
                             f"or use tokens from the vocabulary")
        return self.token_to_id[token]


def join_tokens(tokens: Sequence[str], level: str) -> tuple[str, list[tuple[int, int] | None]]:
    """The document text made of tokens, and each token's span in it (None for an empty token)."""
    separator = " " if level == "word" else ""
    spans: list[tuple[int, int] | None] = []
    position = 0
    for index, token in enumerate(tokens):
        if index:
            position += len(separator)
        spans.append((position, position + len(token)) if token else None)
        position += len(token)
    return separator.join(tokens), spans


def _as_id(value: object, sample: str, position: int) -> int:
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{sample}: id {value!r} at position {position} is not an integer")
    if value < 0:
        raise InputError(f"{sample}: id {value} at position {position} is negative")
    return value
