"""Models that take raw strings: ids from the model's own Keras 3 `TextVectorization` layer, offsets from
running the layer on each piece of the original text.

Measured on TF 2.21 / Keras 3.15 (and tested against the layer in tests/text/test_text_vectorization.py):
- the "whitespace" split is `tf.strings.split`: runs of ASCII whitespace (" \\t\\n\\v\\f\\r") separate
  tokens; U+00A0, U+3000, U+2003, U+0085 do not;
- "lower" is `tf.strings.lower` without an encoding: A-Z only ("ÉCOLE" becomes "École");
- "strip_punctuation" removes ASCII punctuation (string.punctuation) only;
- "character" splits into Unicode code points, whitespace included;
- `output_sequence_length` keeps the first tokens and pads after them with 0; id 0 is never a token.
Standardisation never adds or removes ASCII whitespace, so each whitespace-separated piece of the original
text ("chunk") gives the layer's tokens for that piece. All chunks go through the layer in one batch; the
concatenated result is checked against the layer's output on the whole text. A token's span is its chunk,
tightened to the part without ASCII punctuation when the layer strips punctuation.
If the layer's split is a custom function, or the check fails (a custom standardisation that moves
whitespace), the ids still come from the layer but tokens get no spans, with a note.
"""

from __future__ import annotations

from typing import Any

from reportgen.errors import InputError, ModelError
from reportgen.results import Token
from reportgen.text.base import Encoded, TextPipeline
from reportgen.text.offsets import ASCII_PUNCTUATION, ASCII_WHITESPACE, runs_outside

_STRIPS_PUNCTUATION = ("strip_punctuation", "lower_and_strip_punctuation")


class TextVectorizationPipeline(TextPipeline):
    """Wraps a `keras.layers.TextVectorization` (output_mode="int", no ngrams) found in a model.

    `fixed_length` is the layer's `output_sequence_length`: the layer truncates (keeping the first tokens)
    and pads after them itself. `encode` returns every token of the text, so `padding.fit_length(ids,
    fixed_length, "post", "post")` tells which ones the model saw.
    """

    def __init__(self, layer: Any):
        config = layer.get_config()
        name = getattr(layer, "name", "text_vectorization")
        if config.get("output_mode") != "int":
            raise ModelError(f"layer {name!r}: TextVectorization output_mode={config.get('output_mode')!r} "
                             f"has no token positions to explain; only output_mode='int' is supported")
        if config.get("ngrams") is not None:
            raise ModelError(f"layer {name!r}: TextVectorization ngrams={config.get('ngrams')!r} mixes "
                             f"n-grams into the sequence, which cannot be mapped to text positions; "
                             f"use a model without ngrams")
        self.layer = layer
        self.name = name
        self.standardize = config.get("standardize")
        self.split = config.get("split")
        self.fixed_length = config.get("output_sequence_length")
        self.pad_id = 0
        self.level = "char" if self.split == "character" else "word"
        self.vocabulary = [str(token) for token in layer.get_vocabulary()]

    def token_text(self, token_id: int) -> str:
        return self.vocabulary[token_id]

    def encode(self, text: str) -> Encoded:
        return self.encode_many([text])[0]

    def encode_many(self, texts: list[str]) -> list[Encoded]:
        for number, text in enumerate(texts):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InputError(f"text {number}: character {exc.start} cannot be encoded as UTF-8 "
                                 f"(a lone surrogate?); fix the sample's text") from None
        whole = self._run(texts)
        chunk_lists = [self._chunks(text) for text in texts]
        if any(chunks is None for chunks in chunk_lists):
            return [self._without_spans(text, ids, "its split is a custom function")
                    for text, ids in zip(texts, whole)]
        flat = [text[start:end] for text, chunks in zip(texts, chunk_lists) for start, end in chunks]
        per_chunk = iter(self._run(flat))
        out = []
        for text, chunks, whole_ids in zip(texts, chunk_lists, whole):
            ids: list[int] = []
            tokens: list[Token] = []
            for start, end in chunks:
                span = self._tighten(text, start, end)
                for token_id in next(per_chunk):
                    ids.append(token_id)
                    tokens.append(Token(self.vocabulary[token_id], span, token_id))
            if not self._agrees(ids, whole_ids):
                out.append(self._without_spans(text, whole_ids, "cutting the text at whitespace does not "
                                               "reproduce the layer's tokens (custom standardisation?)"))
                continue
            notes = []
            if self.fixed_length is not None and len(ids) > self.fixed_length:
                notes.append(f"the text has {len(ids)} tokens; the model's TextVectorization layer "
                             f"{self.name!r} keeps the first {self.fixed_length}, so the last "
                             f"{len(ids) - self.fixed_length} are not seen by the model")
            out.append(Encoded(text, ids, tokens, notes))
        return out

    def _run(self, strings: list[str]) -> list[list[int]]:
        """The layer's ids for each string, its padding (id 0) removed."""
        if not strings:
            return []
        import tensorflow as tf

        result = self.layer(tf.constant(strings, dtype=tf.string))
        rows = result.to_list() if hasattr(result, "to_list") else result.numpy().tolist()
        return [[int(i) for i in row if i != 0] for row in rows]

    def _chunks(self, text: str) -> list[tuple[int, int]] | None:
        if self.split == "whitespace":
            return runs_outside(text, ASCII_WHITESPACE.__contains__)
        if self.split == "character":
            return [(i, i + 1) for i in range(len(text))]
        if self.split is None:
            return [(0, len(text))] if text else []
        return None

    def _tighten(self, text: str, start: int, end: int) -> tuple[int, int]:
        if self.standardize not in _STRIPS_PUNCTUATION:
            return start, end
        first, last = start, end
        while first < last and text[first] in ASCII_PUNCTUATION:
            first += 1
        while last > first and text[last - 1] in ASCII_PUNCTUATION:
            last -= 1
        return (first, last) if first < last else (start, end)

    def _agrees(self, ids: list[int], whole_ids: list[int]) -> bool:
        if self.fixed_length is None:
            return ids == whole_ids
        return ids[:self.fixed_length] == whole_ids

    def _without_spans(self, text: str, ids: list[int], why: str) -> Encoded:
        tokens = [Token(self.vocabulary[i], None, i) for i in ids]
        note = (f"the model's TextVectorization layer {self.name!r} cannot be mapped to character "
                f"offsets ({why}); its tokens are shown without highlights in the text")
        if self.fixed_length is not None and len(ids) == self.fixed_length:
            note += f"; the text may have more than the {self.fixed_length} tokens the model sees"
        return Encoded(text, ids, tokens, [note])
