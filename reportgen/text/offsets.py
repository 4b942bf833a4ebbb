"""Character-offset helpers shared by the pipelines.

Pipelines transform a text (lowercase, replace characters) before cutting it into tokens; these helpers
keep, for every character of the transformed text, the index of the original character it came from,
so a token's span always points into the text as the user wrote it.
"""

from __future__ import annotations

import string
from typing import Callable

# What TensorFlow's `tf.strings.split` (sep=None) splits on, and so Keras 3 `TextVectorization`'s
# "whitespace" split: ASCII whitespace only (measured: U+00A0, U+3000, U+2003, U+0085, U+001C do not split).
ASCII_WHITESPACE = frozenset(" \t\n\v\f\r")
# The characters Keras 3 `TextVectorization` removes with "strip_punctuation" (an ASCII-only regex).
ASCII_PUNCTUATION = frozenset(string.punctuation)


def lower_with_origin(text: str) -> tuple[str, list[int]]:
    """`text.lower()` and, for each of its characters, the index of the original character.

    `str.lower` can lengthen a text ("İ" becomes "i" + a combining dot), so positions cannot be assumed
    to line up. Lowercasing is per character except for the final-sigma rule, which keeps the length,
    so per-character lengths place every lowered character.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered, list(range(len(text)))
    origin: list[int] = []
    for index, char in enumerate(text):
        origin.extend([index] * len(char.lower()))
    return lowered, origin


def origin_span(origin: list[int], start: int, end: int) -> tuple[int, int]:
    """The original-text span of characters [start, end) of a transformed text (end > start)."""
    return origin[start], origin[end - 1] + 1


def runs_outside(text: str, is_separator: Callable[[str], bool]) -> list[tuple[int, int]]:
    """Spans of the maximal runs of characters that are not separators."""
    runs = []
    start = None
    for index, char in enumerate(text):
        if is_separator(char):
            if start is not None:
                runs.append((start, index))
                start = None
        elif start is None:
            start = index
    if start is not None:
        runs.append((start, len(text)))
    return runs

