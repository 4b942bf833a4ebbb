"""Character-level weights read as words.

A word is a maximal run of non-whitespace characters of the original text (`str.isspace`, so tabs,
newlines and Unicode spaces separate words; punctuation stays part of its word, "loan." is one word).
A token belongs to the word holding the first character of its span; tokens with no span (a start token)
or whose span starts on whitespace (a space character) belong to no word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from reportgen.results import Token
from reportgen.text.offsets import runs_outside


@dataclass
class WordWeight:
    text: str  # the word as written
    span: tuple[int, int]
    sum: float  # sum of its tokens' weights (0.0 when it has none)
    mean: float | None  # mean over its tokens; None when no token falls in it (e.g. dropped characters)
    tokens: int  # how many tokens fell in it


def word_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the maximal runs of non-whitespace characters."""
    return runs_outside(text, str.isspace)


def aggregate_to_words(text: str, tokens: Sequence[Token], weights: Sequence[float]) -> list[WordWeight]:
    """Sum and mean of per-token weights over each word of `text`, in text order."""
    if len(tokens) != len(weights):
        raise ValueError(f"{len(weights)} weights for {len(tokens)} tokens")
    spans = word_spans(text)
    word_of_char = [-1] * len(text)
    for number, (start, end) in enumerate(spans):
        word_of_char[start:end] = [number] * (end - start)
    sums = [0.0] * len(spans)
    counts = [0] * len(spans)
    for token, weight in zip(tokens, weights):
        if token.span is None or not 0 <= token.span[0] < len(text):
            continue
        number = word_of_char[token.span[0]]
        if number >= 0:
            sums[number] += float(weight)
            counts[number] += 1
    return [WordWeight(text[start:end], (start, end), total, total / count if count else None, count)
            for (start, end), total, count in zip(spans, sums, counts)]
