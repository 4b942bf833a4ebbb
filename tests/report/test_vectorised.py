"""The array paths (levels of a whole map, runs of non-overlapping tokens, word sums) against hand
computations and a brute-force reading of the text character by character."""

import math
import random

from reportgen.report.colors import Scale, robust_max
from reportgen.report.spans import aggregate_words, highlight
from reportgen.results import Token


def test_levels_of_a_map_by_hand():
    scale = Scale(1.0, "layer", "x")  # 8 levels: level k covers |w| in [(k - 0.5) / 8, (k + 0.5) / 8)
    weights = [0.0625, 0.06, -0.5, 2.0, -3.0, None, math.nan, math.inf, 0.0, 0.1874, 0.1875]
    assert scale.levels_of(weights) == [1, 0, -4, 8, -8, 0, 0, 0, 0, 1, 2]


def test_levels_of_on_paper_and_with_a_floor():
    paper = Scale(1.0, "layer", "x", levels=4)  # read level q is site level 2q; 0.5 is read level 2
    assert paper.levels_of([0.5, -0.2, 0.12]) == [4, -2, 0]
    floored = Scale(1.0, "document", "x", floor=0.2)  # 0.2 itself stays plain; 0.21 is level round(1.68) = 2
    assert floored.levels_of([0.2, -0.2, 0.21]) == [0, 0, 2]
    assert Scale(0.0, "layer", "x").levels_of([0.3, -1.0]) == [0, 0]


def test_robust_max_by_hand():
    # 21 magnitudes 0..20: the 95th percentile sits at position 19 exactly
    assert robust_max([float(i) * (-1) ** i for i in range(21)] + [None, math.nan]) == 19.0
    assert robust_max([0.0] * 30 + [0.7]) == 0.7  # percentile 0: the plain maximum
    assert robust_max([None]) == 0.0


def test_word_sums_by_hand():
    text = "ab  cd e"
    tokens = [Token("[start]", None)] + [Token(c, (i, i + 1)) for i, c in enumerate(text)]
    weights = [7.0, 0.5, 0.25, 9.0, 9.0, -1.0, None, 2.0, -0.5]  # the spaces' weights belong to no word
    out_tokens, sums = aggregate_words(text, tokens, weights)
    assert [(t.text, t.span) for t in out_tokens] == [("[start]", None), ("ab", (0, 2)), ("cd", (4, 6)),
                                                      ("e", (7, 8))]
    assert sums == [7.0, 0.75, -1.0, -0.5]


def _brute_force_check(text, tokens, weights, scale, result):
    """Every segment read back character by character: the text is whole, a highlighted segment holds only
    tokens of its level (its low, high and count are theirs), and neighbouring segments differ in level."""
    assert "".join(s.text for s in result.segments) == text
    position = 0
    for before, after in zip(result.segments, result.segments[1:]):
        assert before.level != after.level
    for segment in result.segments:
        inside = [(t, w) for t, w in zip(tokens, weights)
                  if t.span is not None and position <= t.span[0] < position + len(segment.text)
                  and t.span[1] > t.span[0]]
        weighted = [w for _, w in inside if w is not None]
        if segment.level:
            assert weighted and all(scale.level(w) == segment.level for w in weighted)
            assert (segment.low, segment.high, segment.tokens) == (min(weighted), max(weighted), len(weighted))
        else:
            assert all(scale.level(w) == 0 for w in weighted)
        position += len(segment.text)
    assert [c.text for c in result.chips] == [t.text for t in tokens if t.span is None]


def test_highlight_of_random_character_maps():
    rng = random.Random(7)
    for _ in range(400):
        text = "".join(rng.choice("ab c\n") for _ in range(rng.randint(0, 40)))
        tokens = [Token(c, (i, i + 1)) for i, c in enumerate(text) if rng.random() < 0.8]
        if rng.random() < 0.3:
            tokens.insert(0, Token("[start]", None))
        weights = [rng.choice([None, 0.0, 0.4, -0.4, rng.uniform(-1, 1)]) for _ in tokens]
        scale = Scale(rng.choice([1.0, 0.5]), "layer", "x", rng.choice([8, 4]))
        _brute_force_check(text, tokens, weights, scale, highlight(text, tokens, weights, scale))
