"""Character-level weights read as words.

A word is a maximal run of non-whitespace characters of the original text (`str.isspace`, so tabs,
newlines and Unicode spaces separate words; punctuation stays part of its word, "loan." is one word).
A token belongs to the word holding the first character of its span; tokens with no span (a start token)
or whose span starts on whitespace (a space character) belong to no word.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import numpy as np

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


@functools.lru_cache(maxsize=16)
def _words_of(text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The word spans of `text` and the word number of each character (-1 on whitespace). Cached: a report sums
    every map of a document over the same words."""
    spans = word_spans(text)
    word_of_char = np.full(len(text), -1, dtype=np.int64)
    for number, (start, end) in enumerate(spans):
        word_of_char[start:end] = number
    word_of_char.flags.writeable = False
    return spans, word_of_char


def word_spans_of(text: str) -> list[tuple[int, int]]:
    """`word_spans(text)`, cached for the texts in use (do not modify the list)."""
    return _words_of(text)[0]


def word_of_tokens(text: str, tokens: Sequence[Token]) -> np.ndarray:
    """The number of the word (in `word_spans(text)`) each token belongs to, -1 for none."""
    _, word_of_char = _words_of(text)
    starts = np.fromiter((-1 if t.span is None else t.span[0] for t in tokens), dtype=np.int64, count=len(tokens))
    inside = (starts >= 0) & (starts < len(text))
    words = np.full(len(tokens), -1, dtype=np.int64)
    words[inside] = word_of_char[starts[inside]]
    return words


def word_sums(text: str, tokens: Sequence[Token], weights: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Per word of `text`: the sum of its tokens' weights (0.0 when none) and how many tokens fell in it.

    np.bincount adds each word's weights one by one in token order, the same additions a Python loop makes."""
    if len(tokens) != len(weights):
        raise ValueError(f"{len(weights)} weights for {len(tokens)} tokens")
    spans, _ = _words_of(text)
    words = word_of_tokens(text, tokens)
    in_word = words >= 0
    values = np.array(weights, dtype=float)[in_word]
    sums = np.bincount(words[in_word], weights=values, minlength=len(spans))
    counts = np.bincount(words[in_word], minlength=len(spans))
    return sums, counts


def aggregate_to_words(text: str, tokens: Sequence[Token], weights: Sequence[float]) -> list[WordWeight]:
    """Sum and mean of per-token weights over each word of `text`, in text order."""
    sums, counts = word_sums(text, tokens, weights)
    return [WordWeight(text[start:end], (start, end), total, total / count if count else None, count)
            for (start, end), total, count in zip(_words_of(text)[0], sums.tolist(), counts.tolist())]
