"""Pre-vectorised input: the user gives ids (and usually their tokens), as the 2019 tutorial did with its
`doc` and `tokens` arrays.

There is no text to encode, so this pipeline only says how to read such ids: the vocabulary that names ids
given without tokens (`token_text`), the level the tokens are joined at, and the pad id. The documents
themselves are made by `reportgen.engine.inputs.from_padded`, the one path for pre-vectorised ids (it
joins the tokens into a text, and trims padding at the declared end only).
"""

from __future__ import annotations

from typing import Mapping

from reportgen.errors import InputError
from reportgen.text.base import Encoded, TextPipeline
from reportgen.text.vocab import Vocabulary

LEVELS = ("word", "char")


class PrevectorizedPipeline(TextPipeline):
    """The vocabulary and level of pre-vectorised ids. `tokens_for_ids` (a Vocabulary or {id: token}) names
    ids given without tokens."""

    def __init__(self, tokens_for_ids: Vocabulary | Mapping[int, str] | None = None, level: str = "word",
                 pad_id: int = 0):
        if level not in LEVELS:
            raise ValueError(f"level must be 'word' or 'char', not {level!r}")
        self.level = level
        self.pad_id = pad_id
        if isinstance(tokens_for_ids, Vocabulary):
            self.id_to_token = dict(tokens_for_ids.id_to_token)
            self.source = tokens_for_ids.source
        else:
            self.id_to_token = {int(k): str(v) for k, v in (tokens_for_ids or {}).items()}
            self.source = "the vocabulary"

    def encode(self, text: str) -> Encoded:
        raise InputError("pre-vectorised input takes ids and tokens, not text; give the sample's `ids` "
                         "(and `tokens`) instead of `text`")

    def token_text(self, token_id: int) -> str:
        if token_id not in self.id_to_token:
            raise KeyError(f"id {token_id} is not in {self.source}")
        return self.id_to_token[token_id]
