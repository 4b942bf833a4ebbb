"""Token weights → highlighted segments of the original text.

The segments of a document, concatenated, are exactly its original text: text between tokens is kept as
written (it joins a highlighted run only when the tokens on both sides have the same level), neighbouring
tokens of one level become one run (one element on every medium: each element costs a browser and, far more,
WeasyPrint; a character-level map is run-length merged this way), text at level 0 is plain text, and a run
knows the smallest and largest weight of its tokens (a word that occurs twice is not split between its
occurrences). Where token spans overlap (aggregated or n-gram tokens) a character's weight is the sum of the
tokens covering it. Tokens that are not in the text (a start token) become chips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from reportgen.report.colors import Scale, format_number, format_weight, level_class
from reportgen.results import Token
from reportgen.text.aggregate import word_of_tokens, word_spans_of, word_sums


@dataclass(frozen=True)
class Segment:
    """A piece of the original text; `level` 0 means plain text."""

    text: str
    level: int = 0
    low: float | None = None  # smallest weight in the run (None for plain text)
    high: float | None = None
    tokens: int = 0  # tokens in the run

    @property
    def css_class(self) -> str | None:
        return level_class(self.level)

    @property
    def weights_text(self) -> str:
        """'+0.32' for one token or a run of equal weights, '+0.12 to +0.3' for a run's range; '' for plain text."""
        if self.low is None or self.high is None:
            return ""
        if self.low == self.high:
            return format_weight(self.low)
        return f"{format_weight(self.low)} to {format_weight(self.high)}"

    @property
    def told_weights(self) -> str:
        """The weight or range as a reader is told it ('+0.00379', '+0.12 to +0.3'): 3 significant digits and a
        true minus, as the evidence chart prints weights; the exact weights stay in `data-w`."""
        if self.low is None or self.high is None:
            return ""
        low, high = _told(self.low), _told(self.high)
        return low if low == high else f"{low} to {high}"

    @property
    def count_text(self) -> str:
        return f", {self.tokens} tokens" if self.tokens > 1 else ""

    @property
    def title(self) -> str:
        """The hover title: the run's weight or range, and how many tokens it holds when more than one."""
        return self.weights_text + self.count_text if self.weights_text else ""

    def description(self, target_label: str | None, counterfactual: bool = False) -> str:
        """What a screen reader announces for the run: its weight or range, which way it pushes the explained
        label, and its token count ('+0.12 to +0.3 toward positive, 4 tokens')."""
        if not self.told_weights:
            return ""
        return describe(self.told_weights, self.level, target_label, counterfactual) + self.count_text


@dataclass(frozen=True)
class Chip:
    """A token with no place in the text (start token, pre-vectorised ids), shown as a small marker."""

    text: str
    weight: float | None
    level: int

    @property
    def css_class(self) -> str | None:
        return level_class(self.level)

    @property
    def title(self) -> str:
        return format_weight(self.weight)

    def description(self, target_label: str | None, counterfactual: bool = False) -> str:
        if not self.level or self.weight is None:
            return ""
        return describe(_told(self.weight), self.level, target_label, counterfactual)


def _told(weight: float) -> str:
    return format_number(weight, 3, signed=True)


def describe(weight_text: str, level: int, target_label: str | None, counterfactual: bool) -> str:
    """'+0.32 toward positive', '−0.1 away from positive': the weight as a reader is told it, then the
    way it pushes the map's label. A counterfactual map's positive weights push the label's score down (as the
    lead's legend says), so there the sides swap. Without a label, the weight alone."""
    if target_label is None or not level:
        return weight_text
    toward = (level > 0) != counterfactual
    return f"{weight_text} {'toward' if toward else 'away from'} {target_label}"


@dataclass(frozen=True)
class Highlight:
    segments: tuple[Segment, ...]
    chips: tuple[Chip, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def spans(self) -> int:
        """Highlighted runs (what a renderer pays for)."""
        return sum(1 for s in self.segments if s.level) + sum(1 for c in self.chips if c.level)


def align_weights(tokens: Sequence[Token], weights: Sequence[float | None],
                  truncating_side: str | None = None) -> list[float | None]:
    """One weight (or None) per token, even when the heatmap is shorter than the token list.

    The engine gives one weight per token it explained; if the token list also holds tokens cut off by
    truncation, the weights belong to the kept end: the last tokens for `pre` truncation, else the first.
    """
    n = len(tokens)
    w = list(weights[:n]) if truncating_side != "pre" else list(weights[-n:] if n else [])
    missing = n - len(w)
    if missing <= 0:
        return w
    if truncating_side == "pre":
        return [None] * missing + w
    return w + [None] * missing


# A piece of text between two consecutive token boundaries: [start, end, value, token indices, level].
# `value` is the summed weight of the weighted tokens covering it, None where none does. Plain lists: a
# report cuts millions of these.
_Piece = list


def _pieces(text: str, tokens: Sequence[Token], weights: Sequence[float | None], scale: Scale,
            ) -> tuple[list[_Piece], list[Chip]]:
    """Cut the text at every token boundary; each elementary piece knows which tokens cover it."""
    n = len(text)
    weights = weights[:len(tokens)]
    levels = scale.levels_of(weights)  # all at once (a Python call per token was a character site's top cost)
    chips: list[Chip] = []
    placed: list[tuple[int, int, int, float | None, int]] = []
    for i, (token, weight) in enumerate(zip(tokens, weights)):
        span = token.span
        if span is not None:
            start, end = min(max(span[0], 0), n), min(max(span[1], 0), n)
            if end > start:
                placed.append((start, end, i, weight, levels[i]))
                continue
        chips.append(Chip(token.text, weight, levels[i]))
    placed.sort(key=lambda p: p[:3])
    pieces: list[_Piece] = []
    if all(a[1] <= b[0] for a, b in zip(placed, placed[1:])):  # the usual case: no overlaps
        position = 0
        for start, end, i, weight, level in placed:
            if start > position:
                pieces.append([position, start, None, (), 0])
            if weight is None:
                pieces.append([start, end, None, (), 0])
            else:
                pieces.append([start, end, weight, (i,), level])
            position = end
        if position < n:
            pieces.append([position, n, None, (), 0])
        return pieces, chips
    # Overlaps: sweep over every cut; tokens join at their start cut and leave at their end cut.
    cuts = sorted({0, n, *(p[0] for p in placed), *(p[1] for p in placed)})
    starts: dict[int, list[tuple[int, int, float | None]]] = {}
    for start, end, i, weight, _ in placed:
        starts.setdefault(start, []).append((end, i, weight))
    active: dict[int, tuple[int, float | None]] = {}
    for a, b in zip(cuts, cuts[1:]):
        for end, i, weight in starts.get(a, ()):
            active[i] = (end, weight)
        for i in [i for i, (end, _) in active.items() if end <= a]:
            del active[i]
        ids = tuple(sorted(i for i, (_, w) in active.items() if w is not None))
        value = sum(active[i][1] for i in ids) if ids else None  # type: ignore[misc]
        pieces.append([a, b, value, ids, 0])
    for piece, level in zip(pieces, scale.levels_of([p[2] for p in pieces])):
        piece[4] = level
    return pieces, chips


def highlight(text: str, tokens: Sequence[Token], weights: Sequence[float | None], scale: Scale) -> Highlight:
    """Segments of `text` coloured by `weights` (one per token) on `scale`, plus chips for unplaced tokens:
    neighbouring tokens of one level (and the unweighted text between them) share a segment.

    Tokens that do not overlap (every model's own tokens) are cut into runs with numpy: a character map has
    tens of thousands of tokens, and a Python step per token was most of a character-level site's time."""
    n = len(text)
    tokens, weights = tokens[:len(weights)], weights[:len(tokens)]
    spans = np.array([t.span if t.span is not None else (0, 0) for t in tokens], dtype=np.int64).reshape(-1, 2)
    spans = np.clip(spans, 0, n)
    placed = spans[:, 1] > spans[:, 0]
    index = np.flatnonzero(placed)
    order = index[np.lexsort((index, spans[index, 1], spans[index, 0]))]
    starts, ends = spans[order, 0], spans[order, 1]
    if np.any(ends[:-1] > starts[1:]):
        return _highlight_overlapping(text, tokens, weights, scale)
    levels = np.array(scale.levels_of(weights), dtype=np.int64).reshape(-1)
    chips = tuple(Chip(tokens[i].text, weights[i], int(levels[i])) for i in np.flatnonzero(~placed).tolist())
    if None in weights:
        weighted = np.array([w is not None for w in weights], dtype=bool).reshape(-1)
    else:
        weighted = np.ones(len(weights), dtype=bool)
    values = np.array(weights, dtype=float).reshape(-1)  # None -> nan, never read: `weighted` is False there
    segments = _segments(text, starts, ends, weighted[order], values[order], levels[order])
    return Highlight(tuple(segments), chips)


def _segments(text: str, starts: np.ndarray, ends: np.ndarray, weighted: np.ndarray, values: np.ndarray,
              levels: np.ndarray) -> list[Segment]:
    """Segments of `text` from tokens in text order that do not overlap (their spans, whether each has a weight,
    the weights and their levels): the same runs `_highlight_overlapping` cuts, array by array."""
    n, m = len(text), len(starts)
    previous_end = np.concatenate(([0], ends[:-1])).astype(np.int64)
    gap_before = starts > previous_end
    tail = bool(ends[-1] < n) if m else n > 0
    token_at = np.arange(m) + np.cumsum(gap_before)  # each token's place among the pieces, gaps included
    total = m + int(gap_before.sum()) + int(tail)
    if not total:
        return []
    piece_start = np.empty(total, dtype=np.int64)
    piece_end = np.empty(total, dtype=np.int64)
    piece_weighted = np.zeros(total, dtype=bool)
    piece_value = np.full(total, np.nan)
    piece_level = np.zeros(total, dtype=np.int64)
    piece_start[token_at], piece_end[token_at] = starts, ends
    piece_weighted[token_at] = weighted
    piece_value[token_at] = np.where(weighted, values, np.nan)
    piece_level[token_at] = np.where(weighted, levels, 0)
    gap_at = token_at[gap_before] - 1
    piece_start[gap_at], piece_end[gap_at] = previous_end[gap_before], starts[gap_before]
    if tail:
        piece_start[-1], piece_end[-1] = (ends[-1] if m else 0), n
    if total > 2:  # text no weighted token covers joins a run when the pieces on both sides have the same level
        joins = (~piece_weighted[1:-1] & piece_weighted[:-2] & piece_weighted[2:]
                 & (piece_level[:-2] == piece_level[2:]))
        piece_level[1:-1][joins] = piece_level[:-2][joins]
    first = np.flatnonzero(np.concatenate(([True], piece_level[1:] != piece_level[:-1])))
    last = np.concatenate((first[1:], [total])) - 1
    low = np.fmin.reduceat(piece_value, first)  # nan (no weight) is skipped
    high = np.fmax.reduceat(piece_value, first)
    count = np.add.reduceat(piece_weighted.astype(np.int64), first)
    return [Segment(text[a:b], level, lo, hi, k) if level and k else Segment(text[a:b])
            for a, b, level, lo, hi, k in zip(piece_start[first].tolist(), piece_end[last].tolist(),
                                             piece_level[first].tolist(), low.tolist(), high.tolist(),
                                             count.tolist())]


def _highlight_overlapping(text: str, tokens: Sequence[Token], weights: Sequence[float | None], scale: Scale,
                           ) -> Highlight:
    """`highlight` piece by piece, for tokens whose spans overlap (aggregated or n-gram tokens)."""
    pieces, chips = _pieces(text, tokens, weights, scale)
    # Text no weighted token covers joins a run when the pieces on both sides have the same level.
    for j in range(1, len(pieces) - 1):
        before, piece, after = pieces[j - 1], pieces[j], pieces[j + 1]
        if piece[2] is None and before[2] is not None and after[2] is not None and before[4] == after[4]:
            piece[4] = before[4]
    segments: list[Segment] = []
    run: list[_Piece] = []

    def flush() -> None:
        level = run[0][4]
        chunk = text[run[0][0]:run[-1][1]]
        values = [p[2] for p in run if p[2] is not None]
        if level == 0 or not values:
            segments.append(Segment(chunk))
        else:
            count = len({i for p in run for i in p[3]})
            segments.append(Segment(chunk, level, min(values), max(values), count))
        run.clear()

    for piece in pieces:
        if run and run[-1][4] != piece[4]:
            flush()
        run.append(piece)
    if run:
        flush()
    return Highlight(tuple(segments), tuple(chips))


def aggregate_words(text: str, tokens: Sequence[Token], weights: Sequence[float | None],
                    ) -> tuple[list[Token], list[float | None]]:
    """Character or subword tokens → words of the text (`reportgen.text.aggregate` rules), each weighing its sum.

    Tokens not in the text are kept as they are, first; words no weighted token falls in are left out.
    """
    if len(weights) == len(tokens) and None not in weights:
        tokens_in_text, weights_in_text = tokens, weights  # the usual case; a token with no span is in no word
    else:
        placed = [(t, w) for t, w in zip(tokens, weights) if t.span is not None and w is not None]
        tokens_in_text, weights_in_text = [t for t, _ in placed], [w for _, w in placed]
    sums, counts = word_sums(text, tokens_in_text, weights_in_text)
    out_tokens = [t for t in tokens if t.span is None]
    out_weights = [w for t, w in zip(tokens, weights) if t.span is None]
    spans = word_spans_of(text)
    for number in np.flatnonzero(counts).tolist():
        start, end = spans[number]
        out_tokens.append(Token(text[start:end], (start, end)))
        out_weights.append(float(sums[number]))
    return out_tokens, out_weights


def is_char_level(tokens: Sequence[Token]) -> bool:
    """True when every token in the text covers exactly one character."""
    spans = [t.span for t in tokens if t.span is not None]
    return bool(spans) and all(e - s == 1 for s, e in spans)


def splits_words(text: str, tokens: Sequence[Token]) -> bool:
    """True when the tokens cut the text's words into pieces, so word sums (`aggregate_words`) say something
    the tokens do not: character tokens, or two tokens of one word, one ending where the next begins, that both
    hold a letter or digit (WordPiece's "play", "##er"). A word tokenizer's tokens within one written word are
    apart, cut by a character it dropped ("well-known" → well, known), or touch only at punctuation ("movie",
    ","); overlapping n-grams do not touch: a word-level report is left as it is."""
    if is_char_level(tokens):
        return True
    words = word_of_tokens(text, tokens).tolist()
    pieces = sorted((t.span[0], t.span[1], word) for t, word in zip(tokens, words)
                    if t.span is not None and word >= 0 and any(c.isalnum() for c in text[t.span[0]:t.span[1]]))
    return any(b[0] == a[1] and a[2] == b[2] for a, b in zip(pieces, pieces[1:]))
