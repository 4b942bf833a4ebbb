"""Span merging on hand examples: the original text comes back exactly, tokens keep their own weights."""

from __future__ import annotations

import re

from reportgen.report.colors import Scale
from reportgen.report.spans import aggregate_words, align_weights, highlight, is_char_level
from reportgen.results import Token
from tests.fakes import make_results

UNIT = Scale(1.0, "layer", "")


def words(text):
    return [Token(m.group(), (m.start(), m.end())) for m in re.finditer(r"\w+", text)]


def plain(hl):
    return [(s.text, s.level) for s in hl.segments]


def test_hand_example_merges_runs_and_keeps_repeated_tokens_apart():
    text = "the cat sat on the mat"
    # levels on a unit scale: 0.5→4, 0.02→0, -0.9→-7, 0.1→1
    hl = highlight(text, words(text), [0.5, 0.5, 0.02, -0.9, 0.1, 0.5], UNIT)
    assert plain(hl) == [("the cat", 4), (" sat ", 0), ("on", -7), (" ", 0), ("the", 1), (" ", 0), ("mat", 4)]
    assert hl.text == text
    assert hl.segments[0].title == "+0.5, 2 tokens"
    assert hl.segments[2].title == "-0.9"
    assert hl.segments[4].title == "+0.1"  # the second "the" keeps its own weight, not 0.6 / 2
    assert hl.spans == 4


def test_text_between_tokens_joins_a_run_only_between_equal_levels():
    text = "a, b; c"
    hl = highlight(text, words(text), [0.45, 0.55, -0.5], UNIT)
    assert plain(hl) == [("a, b", 4), ("; ", 0), ("c", -4)]
    assert hl.segments[0].title == "+0.45 to +0.55, 2 tokens"
    assert hl.segments[0].description("pos") == "+0.45 to +0.55 toward pos, 2 tokens"
    assert hl.segments[2].description("pos") == "\u22120.5 away from pos"  # as the evidence chart writes it
    assert hl.segments[0].description("pos", counterfactual=True) == "+0.45 to +0.55 away from pos, 2 tokens"


def test_whitespace_newlines_and_untokenised_text_survive():
    text = "  Hello,\n\n  world!\t(x) "
    hl = highlight(text, words(text), [0.9, 0.9, 0.9], UNIT)
    assert hl.text == text
    assert plain(hl) == [("  ", 0), ("Hello,\n\n  world!\t(x", 7), (") ", 0)]


def test_a_character_map_is_run_length_merged():
    text = "ab cd, e"
    chars = [Token(ch, (i, i + 1)) for i, ch in enumerate(text)]
    # levels on a unit scale: 0.5, 0.45, 0.55 → 4; 0.9 → 7; 0.02 → 0; -0.5 → -4
    weights = [0.5, 0.45, 0.55, 0.9, 0.9, 0.02, 0.02, -0.5]
    hl = highlight(text, chars, weights, UNIT)
    assert plain(hl) == [("ab ", 4), ("cd", 7), (", ", 0), ("e", -4)]
    assert [(s.low, s.high, s.tokens) for s in hl.segments if s.level] == [(0.45, 0.55, 3), (0.9, 0.9, 2),
                                                                          (-0.5, -0.5, 1)]
    assert hl.spans == 3
    assert hl.segments[1].title == "+0.9, 2 tokens"


def test_tokens_without_a_span_become_chips():
    text = "good film"
    tokens = [Token("<START>", None, 1)] + words(text)
    hl = highlight(text, tokens, [0.9, 0.0, 0.3], UNIT)
    assert [(c.text, c.level, c.title) for c in hl.chips] == [("<START>", 7, "+0.9")]
    assert plain(hl) == [("good ", 0), ("film", 2)]


def test_overlapping_spans_add_up_per_character():
    text = "abcd"
    tokens = [Token("ab", (0, 2)), Token("bc", (1, 3)), Token("d", (3, 4))]
    hl = highlight(text, tokens, [0.25, 0.25, 0.0], UNIT)
    # a: 0.25 → 2, b: 0.25 + 0.25 → 4, c: 0.25 → 2, d: 0 → plain
    assert plain(hl) == [("a", 2), ("b", 4), ("c", 2), ("d", 0)]
    assert hl.segments[1].title == "+0.5, 2 tokens"


def test_spans_outside_the_text_and_missing_weights():
    text = "ab"
    tokens = [Token("a", (0, 1)), Token("zz", (5, 9)), Token("b", (1, 2))]
    hl = highlight(text, tokens, [0.9, 0.9, None], UNIT)
    assert hl.text == text
    assert plain(hl) == [("a", 7), ("b", 0)]
    assert [c.text for c in hl.chips] == ["zz"]


def test_an_all_zero_map_highlights_nothing():
    text = "one two"
    hl = highlight(text, words(text), [0.0, 0.0], Scale(0.0, "layer", ""))
    assert plain(hl) == [("one two", 0)]


def test_only_tokens_and_no_text():
    tokens = [Token("<START>", None), Token("great", None), Token("film", None)]
    hl = highlight("", tokens, [0.1, 0.9, -0.9], UNIT)
    assert hl.segments == ()
    assert [c.level for c in hl.chips] == [1, 7, -7]


def test_align_weights_for_truncated_token_lists():
    tokens = words("a b c d")
    assert align_weights(tokens, [1, 2]) == [1, 2, None, None]
    assert align_weights(tokens, [1, 2], "pre") == [None, None, 1, 2]
    assert align_weights(tokens, [1, 2, 3, 4, 5]) == [1, 2, 3, 4]
    assert align_weights(tokens, [1, 2, 3, 4, 5], "pre") == [2, 3, 4, 5]


def test_word_sums_of_character_tokens():
    text = "ab  c.d\nxy"
    tokens = [Token("<s>", None)] + [Token(ch, (i, i + 1)) for i, ch in enumerate(text)]
    weights = [9.0] + [float(i) for i in range(len(text))]
    out_tokens, out_weights = aggregate_words(text, tokens, weights)
    assert [(t.text, t.span) for t in out_tokens] == [("<s>", None), ("ab", (0, 2)), ("c.d", (4, 7)),
                                                      ("xy", (8, 10))]
    assert out_weights == [9.0, 0 + 1, 4 + 5 + 6, 8 + 9]
    assert is_char_level(tokens) and not is_char_level(out_tokens)


def test_segments_rebuild_every_synthetic_document():
    for level in ("word", "char"):
        results = make_results(n_docs=6, level=level, seed=5, task="multiclass")
        for doc in results.documents:
            for h in doc.heatmaps:
                scale = Scale(max(abs(w) for w in h.weights) or 1.0, "document", "")
                hl = highlight(doc.text, doc.tokens, h.weights, scale)
                assert hl.text == doc.text
                # a highlighted segment never mixes levels: every token inside has the run's level
                for seg in hl.segments:
                    if seg.level:
                        assert scale.level(seg.low) == seg.level == scale.level(seg.high)
