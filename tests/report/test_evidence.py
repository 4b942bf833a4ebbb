"""Ranked evidence (report/evidence.py): word forms summed within a document, checked against hand sums."""

from __future__ import annotations

import re

import pytest

from reportgen.report.evidence import HOW, evidence, rank, word_form, word_sums
from reportgen.report.structure import Orders
from reportgen.report.views import Views
from reportgen.results import DocumentExplanation, Heatmap, InputInfo, Prediction, Token
from tests.fakes import make_results


def tokens_of(text: str, pattern: str = r"\w+|[^\w\s]+") -> list[Token]:
    return [Token(m.group(), (m.start(), m.end())) for m in re.finditer(pattern, text)]


TEXT = "Great movie, GREAT cast! The movie... was great."
#        0     1    2 3     4   5 6   7    8   9   10  11
WEIGHTS = [0.5, -0.2, 0.05, 0.25, 0.1, -0.05, 0.0, -0.3, -0.05, None, 0.25, 0.05]


def test_forms_are_lowercased_with_edge_punctuation_trimmed():
    assert word_form("Movie,") == "movie"
    assert word_form("\u00abÉTÉ\u00bb") == "été"
    assert word_form("don't") == "don't"  # inner punctuation stays
    assert word_form("...") == "..."  # all punctuation: kept as written
    assert word_form("  ") == ""


def test_sums_by_hand():
    tokens = tokens_of(TEXT)
    assert [t.text for t in tokens] == ["Great", "movie", ",", "GREAT", "cast", "!", "The", "movie", "...", "was",
                                        "great", "."]
    sums = {w.word: (w.weight, w.count, w.first) for w in word_sums(TEXT, tokens, WEIGHTS)}
    # by hand: great = 0.5 + 0.25 + 0.25 over three occurrences (two cases); movie = -0.2 - 0.3; "was" has no
    # weight (truncated) and is left out; "the" sums to 0
    assert sums == {"great": (pytest.approx(1.0), 3, 0), "movie": (pytest.approx(-0.5), 2, 1),
                    ",": (0.05, 1, 2), "cast": (0.1, 1, 4), "!": (-0.05, 1, 5), "the": (0.0, 1, 6),
                    "...": (-0.05, 1, 8), ".": (0.05, 1, 11)}


def test_ranking_ties_by_first_occurrence_and_zero_on_neither_side():
    toward, away = rank(word_sums(TEXT, tokens_of(TEXT), WEIGHTS))
    assert [w.word for w in toward] == ["great", "cast", ",", "."]  # "," and "." tie at 0.05: "," comes first
    assert [w.word for w in away] == ["movie", "!", "..."]  # "!" and "..." tie at -0.05
    assert "the" not in [w.word for w in toward + away]


def test_whitespace_tokens_with_attached_punctuation_are_one_form():
    text = "Movie, movie MOVIE. bad"
    sums = word_sums(text, tokens_of(text, r"\S+"), [0.1, 0.2, 0.3, -1.0])
    assert [(w.word, round(w.weight, 9), w.count) for w in sums] == [("movie", 0.6, 3), ("bad", -1.0, 1)]


def test_top_n_per_side():
    words = [f"w{k}" for k in range(20)]
    text = " ".join(words)
    weights = [(k + 1) * (1 if k % 2 else -1) for k in range(20)]
    toward, away = rank(word_sums(text, tokens_of(text), weights), top=8)
    assert [w.word for w in toward] == [f"w{k}" for k in (19, 17, 15, 13, 11, 9, 7, 5)]
    assert [w.word for w in away] == [f"w{k}" for k in (18, 16, 14, 12, 10, 8, 6, 4)]


def test_character_tokens_are_gathered_into_words_first():
    text = "ab Ab c"
    tokens = [Token(ch, (i, i + 1)) for i, ch in enumerate(text) if not ch.isspace()]
    sums = word_sums(text, tokens, [0.1, 0.2, 0.3, 0.4, -0.5])
    assert [(w.word, round(w.weight, 9), w.count) for w in sums] == [("ab", 1.0, 2), ("c", -0.5, 1)]


def test_evidence_reads_a_truncated_heatmap_at_the_kept_end():
    text = "cut kept kept good"
    doc = DocumentExplanation("d", text, tokens_of(text), Prediction([0.2, 0.8], [1]),
                              [Heatmap("conv", 1, "pos", "logit", 1.0, False, False, False, "linear", "linear",
                                       [-1.0, 2.0, 3.0])], InputInfo(3, truncated=1, truncating_side="pre"))
    ev = evidence(doc, doc.heatmaps[0])
    assert [(w.word, w.weight, w.count) for w in ev.toward] == [("good", 3.0, 1), ("kept", 1.0, 2)]
    assert ev.away == () and ev.target_label == "pos" and ev.layer == "conv"
    assert HOW in ev.caption and "pos" in ev.caption


def test_views_take_the_signed_map_of_the_lead_layer_and_target():
    results = make_results(n_docs=3, relu=(True, False))
    views = Views(results, Orders.of(results))
    for i, doc in enumerate(results.documents):
        data = views.sample(i)
        lead = data["main"].heatmap
        assert not lead.relu  # the lead is the signed map itself (issue 15, item 1); the evidence reads it
        signed = next(h for h in doc.heatmaps if h.layer == "conv1d" and h.target == lead.target and not h.relu
                      and not h.counterfactual)
        assert lead is signed
        assert data["evidence"] == evidence(doc, signed, palette=results.settings.palette)
        assert data["evidence"].away  # a signed map has words on both sides
        paper = views.paper_sample(i, [(lead.layer, [lead])], first=True, max_bars=5)
        assert paper.evidence == data["evidence"]


def test_relu_only_reports_fall_back_to_the_lead_map():
    results = make_results(n_docs=2, relu=(True,))
    views = Views(results, Orders.of(results))
    ev = views.sample(0)["evidence"]
    assert ev.variant == "relu" and ev.away == () and "relu map" in ev.caption


# ---- the true label's evidence beside the predicted one's (issue 15, item 2) ----------------------------

WRONG_TEXT = "Thumbs down, a flop. Thumbs up cast"
#             0      1   2 3 4   5 6      7  8
POSITIVE = [0.4, -0.3, 0.0, 0.0, -0.5, 0.0, 0.2, 0.6, 0.1]  # the predicted label's signed map
NEGATIVE = [-0.1, 0.7, 0.0, 0.0, 0.9, 0.0, -0.2, -0.4, 0.05]  # the true label's signed map


def hand_results(true_label: int):
    """One hand-made document predicted positive (0.93); its true label is `true_label`. Each target has a relu
    map listed before its signed one, so the evidence must pick the signed map, not the first."""
    results = make_results(n_docs=1, nasty=True, layers=("conv1d",), relu=(True, False), targets="all")
    labels = results.model.labels
    assert labels == ["negative", "positive"]

    def maps(target: int, weights: list[float]) -> list[Heatmap]:
        return [Heatmap("conv1d", target, labels[target], "logit", 1.0, relu, False, False, "linear", "linear",
                        [max(0.0, w) for w in weights] if relu else list(weights)) for relu in (True, False)]

    doc = DocumentExplanation("hand", WRONG_TEXT, tokens_of(WRONG_TEXT), Prediction([0.07, 0.93], [1]),
                              maps(1, POSITIVE) + maps(0, NEGATIVE), InputInfo(9), [true_label])
    results.documents = [doc]
    return results


def test_a_wrong_prediction_gets_the_true_labels_evidence_after_the_predicted_ones():
    results = hand_results(true_label=0)
    views = Views(results, Orders.of(results))
    site_charts = views.sample(0)["evidences"]
    paper = views.paper_sample(0, [], first=True, max_bars=5)
    for charts in (site_charts, paper.evidences):
        assert [(ev.which, ev.target_label, ev.variant, ev.layer) for ev in charts] == [
            ("predicted", "positive", "signed", "conv1d"), ("true", "negative", "signed", "conv1d")]
        predicted, true = charts
        assert predicted.heading == "Evidence for the predicted label, positive"
        assert true.heading == "Evidence for the true label, negative"
        # by hand, positive: thumbs 0.4 + 0.2 (ties "up" 0.6, first), up 0.6, cast 0.1; down -0.3, flop -0.5
        assert [(w.word, w.weight, w.count) for w in predicted.toward] == [
            ("thumbs", pytest.approx(0.6), 2), ("up", 0.6, 1), ("cast", 0.1, 1)]
        assert [(w.word, w.weight) for w in predicted.away] == [("flop", -0.5), ("down", -0.3)]
        # negative: flop 0.9, down 0.7, cast 0.05; up -0.4, thumbs -0.1 - 0.2
        assert [(w.word, w.weight) for w in true.toward] == [("flop", 0.9), ("down", 0.7), ("cast", 0.05)]
        assert [(w.word, w.weight, w.count) for w in true.away] == [
            ("up", -0.4, 1), ("thumbs", pytest.approx(-0.3), 2)]
    assert views.sample(0)["evidence"] == site_charts[0] == paper.evidence


def test_a_right_prediction_gets_one_evidence_chart():
    results = hand_results(true_label=1)
    views = Views(results, Orders.of(results))
    data = views.sample(0)
    assert [ev.which for ev in data["evidences"]] == ["predicted"] == [
        ev.which for ev in views.paper_sample(0, [], first=True, max_bars=5).evidences]
    assert data["evidence"].target_label == "positive" and data["evidence"].heading.endswith("label, positive")
