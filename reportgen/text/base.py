"""The text pipeline contract: text -> model ids, tokens and character offsets into the original text.

Every pipeline (word, char, in-model TextVectorization, pre-vectorised, user hook) returns an `Encoded`
whose `ids[i]` is what the model sees for `tokens[i]`, and whose `tokens[i].span` points at the characters
of the *original* text that token came from (None for tokens not in the text, such as a start token).
Padding and truncation to a model's fixed length happen later (`reportgen.text.padding`), so that the
engine knows exactly which positions are padding.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from reportgen.results import Token


@dataclass
class Encoded:
    text: str
    ids: list[int]
    tokens: list[Token]
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.tokens):
            raise ValueError(f"{len(self.ids)} ids but {len(self.tokens)} tokens")


class TextPipeline(ABC):
    """Turns a document into model ids. `level` is "word" or "char"; `pad_id` is what padding uses.

    `fixed_length` is set when the pipeline itself pads/truncates (a TextVectorization layer with
    `output_sequence_length`, always "post" on both sides): the model then sees `fit_length(ids,
    fixed_length, "post", "post", pad_id)` whatever the model's input length says.
    """

    level: str = "word"
    pad_id: int = 0
    fixed_length: int | None = None

    @abstractmethod
    def encode(self, text: str) -> Encoded:
        """Vectorise one document; never pads or truncates."""

    def encode_many(self, texts: list[str]) -> list[Encoded]:
        return [self.encode(t) for t in texts]

    def token_text(self, token_id: int) -> str:
        """The vocabulary string for an id (names pre-vectorised ids given without tokens)."""
        raise NotImplementedError
