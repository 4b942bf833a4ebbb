"""The comparison's numbers against hand counts, brute force and scipy (no model, no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from reportgen.compare import compare_models
from reportgen.compare.maps import top_k_overlap
from reportgen.compare.stats import mcnemar_exact, paired_bootstrap, rate_difference
from reportgen.errors import InputError
from reportgen.results import DocumentExplanation, Heatmap, InputInfo, ModelInfo, Prediction, Token

LABELS = ["negative", "positive"]


def doc(doc_id: str, p_positive: float, truth: int | None, weights: list[float], labels=LABELS,
        order=(0, 1)) -> DocumentExplanation:
    """A binary document; `order` places (negative, positive) in the model's own output order."""
    probs = [0.0, 0.0]
    probs[order[0]], probs[order[1]] = 1 - p_positive, p_positive
    predicted = [order[1] if p_positive > 0.5 else order[0]]
    tokens = [Token(f"w{i}", (3 * i, 3 * i + 2)) for i in range(len(weights))]
    maps = [Heatmap("conv", t, labels[t], "logit", 0.0, False, False, False, "linear", "linear",
                    list(weights) if t == order[1] else [-w for w in weights]) for t in (0, 1)]
    return DocumentExplanation(doc_id, " ".join(t.text for t in tokens), tokens,
                               Prediction(probs, predicted), maps, InputInfo(len(tokens)),
                               None if truth is None else [order[truth]])


def lead(doc: DocumentExplanation, target: int):
    return next((h for h in doc.heatmaps if h.target == target), None)


def run(candidate, baseline, baseline_labels=LABELS, **kw):
    model = ModelInfo("base", "base.keras", "binary", list(baseline_labels), "ids", None, [], "sigmoid")
    return compare_models(candidate, LABELS, baseline, baseline_labels, name="base", model=model, layers=["conv"],
                          candidate_lead=lead, baseline_lead=lead, **kw)


def test_mcnemar_exact_matches_hand_counts_and_scipy():
    assert mcnemar_exact(2, 0) == pytest.approx(0.5)  # 2 * (1/2)^2
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    for b, c in [(1, 7), (5, 12), (10, 3)]:
        assert mcnemar_exact(b, c) == pytest.approx(stats.binomtest(min(b, c), b + c, 0.5).pvalue)


def test_paired_bootstrap_equals_a_plain_loop_over_the_same_resamples():
    rng = np.random.default_rng(0)
    right_a = (rng.random(30) < 0.6).astype(float)
    right_b = (rng.random(30) < 0.8).astype(float)
    ones = np.ones(30)
    low, high = paired_bootstrap(30, rate_difference(right_b, right_a, ones, ones), resamples=500, seed=7)
    rows = np.random.default_rng(7).integers(0, 30, size=(500, 30))
    diffs = sorted(sum(right_b[i] for i in row) / 30 - sum(right_a[i] for i in row) / 30 for row in rows)
    assert low == pytest.approx(np.percentile(diffs, 2.5))
    assert high == pytest.approx(np.percentile(diffs, 97.5))
    assert low < (right_b.mean() - right_a.mean()) < high


def test_top_k_overlap_counts_shared_positions():
    assert top_k_overlap([5, 4, 3, 2, 1], [1, 2, 3, 4, 5], k=2) == (0.0, 2)
    assert top_k_overlap([5, 4, 3, 2, 1], [4, 5, 0, 0, 9], k=3) == (pytest.approx(2 / 3), 3)
    assert top_k_overlap([1.0, 2.0], [2.0, 1.0], k=10) == (1.0, 2)  # k capped at the token count


def four_documents(baseline_order=(0, 1)):
    # truth:        a=pos  b=neg  c=pos  d=neg
    # candidate:    pos    neg    neg    neg     (right, right, wrong, right)
    # baseline:     neg    pos    neg    neg     (wrong, wrong, wrong, right)
    w = [0.1, 0.9, 0.3, 0.5]
    candidate = [doc("a", 0.9, 1, w), doc("b", 0.2, 0, w), doc("c", 0.4, 1, w), doc("d", 0.1, 0, w)]
    baseline = [doc("a", 0.3, 1, w[::-1], order=baseline_order), doc("b", 0.6, 0, w, order=baseline_order),
                doc("c", 0.45, 1, w, order=baseline_order), doc("d", 0.2, 0, w, order=baseline_order)]
    return candidate, baseline


def test_flips_accuracy_confusion_by_hand():
    candidate, baseline = four_documents()
    result = run(candidate, baseline, resamples=200)
    # a: baseline wrong -> candidate right (change |0.9 - 0.3| = 0.6); b: same, change 0.4; c, d agree
    assert [(f.id, f.kind) for f in result.flips] == [("a", "fixed"), ("b", "fixed")]
    assert result.flips[0].change == pytest.approx(0.6)
    assert result.flips[0].baseline_predicted == ["negative"] and result.flips[0].candidate_predicted == ["positive"]
    accuracy = result.differences[0]
    assert (accuracy.metric, accuracy.baseline, accuracy.candidate) == ("accuracy", 0.25, 0.75)
    assert accuracy.difference == pytest.approx(0.5)
    assert (result.mcnemar.baseline_only, result.mcnemar.candidate_only) == (0, 2)
    assert result.mcnemar.p_value == pytest.approx(0.5)
    # rows baseline's label, columns candidate's: (neg,pos)=a, (pos,neg)=b, (neg,neg)=c,d
    assert result.confusion == [[2, 1], [1, 0]]
    by = {(d.metric, d.label): d for d in result.differences}
    # candidate predicts positive once (a, right): precision 1; baseline predicts positive once (b, wrong): 0
    assert (by["precision", "positive"].candidate, by["precision", "positive"].baseline) == (1.0, 0.0)
    assert (by["recall", "positive"].candidate, by["recall", "positive"].baseline) == (0.5, 0.0)
    # same maps: rho 1 and full overlap; a's baseline map is w reversed: ranks [1,4,2,3] against [3,2,4,1],
    # d^2 = 16, rho = 1 - 6 * 16 / (4 * 15) = -0.6
    agreement = {a.id: a for a in result.agreement}
    assert agreement["b"].rank_correlation == pytest.approx(1.0) and agreement["b"].top_k_overlap == 1.0
    assert agreement["a"].rank_correlation == pytest.approx(-0.6)
    assert agreement["a"].target_label == "positive"


def test_labels_are_matched_by_name_whatever_the_baselines_output_order():
    candidate, baseline = four_documents()
    straight = run(candidate, baseline, resamples=200)
    candidate, swapped = four_documents(baseline_order=(1, 0))
    crossed = run(candidate, swapped, baseline_labels=["positive", "negative"], resamples=200)
    assert [(f.id, f.kind, f.baseline_probabilities) for f in crossed.flips] == \
        [(f.id, f.kind, f.baseline_probabilities) for f in straight.flips]
    assert crossed.confusion == straight.confusion
    assert [a.rank_correlation for a in crossed.agreement] == [a.rank_correlation for a in straight.agreement]


def test_other_label_names_are_refused():
    candidate, baseline = four_documents()
    with pytest.raises(InputError, match="matched by name"):
        run(candidate, baseline, baseline_labels=["neg", "pos"])


def test_documents_without_truth_are_flips_of_their_own_kind_and_not_scored():
    w = [0.2, 0.1]
    result = run([doc("x", 0.9, None, w), doc("y", 0.9, 1, w)], [doc("x", 0.1, None, w), doc("y", 0.8, 1, w)],
                 resamples=50)
    assert [(f.id, f.kind, f.true_labels) for f in result.flips] == [("x", "no-truth", None)]
    assert result.scored == 1
