"""The numbers behind the overview's charts (report/charts.py), checked against hand counts."""

from __future__ import annotations

import pytest

from reportgen.report.charts import (SHADE_STEPS, aopc_chart, bin_index, confusion_chart, count_ticks, nice_ticks,
                                     probability_histogram, shade_step)
from reportgen.report.summary import label_summary
from reportgen.results import Prediction
from tests.fakes import make_results


def with_predictions(task, rows, threshold=None):
    """Fake results whose documents carry the given (probabilities, predicted, true labels)."""
    results = make_results(n_docs=len(rows), task=task, seed=2, nasty=False)
    for doc, (probs, predicted, true) in zip(results.documents, rows):
        doc.prediction = Prediction(list(probs), list(predicted), threshold)
        doc.true_labels = true
    return results


def binary(p, true):
    return ([1 - p, p], [int(p >= 0.5)], None if true is None else [true])


def test_binary_histogram_by_hand():
    rows = [binary(0.0, 0), binary(0.05, 1), binary(0.5, 1), binary(0.55, 0), binary(0.93, 1), binary(1.0, 1),
            binary(0.31, 0), binary(0.72, None), binary(0.999, 1), binary(0.12, 0)]
    hist = probability_histogram(with_predictions("binary", rows))
    # by hand: bin = first decimal of p(positive) (1.0 in the last bin); right = (p >= 0.5) == true
    # 0.0 c | 0.05 w | 0.5 c | 0.55 w | 0.93 c | 1.0 c | 0.31 c | 0.72 no label | 0.999 c | 0.12 c
    expected = {0: (1, 1, 0), 1: (1, 0, 0), 3: (1, 0, 0), 5: (1, 1, 0), 7: (0, 0, 1), 9: (3, 0, 0)}
    for k, b in enumerate(hist.bins):
        assert (b.correct, b.wrong, b.unlabelled) == expected.get(k, (0, 0, 0)), k
        assert (b.low, b.high) == pytest.approx((k / 10, (k + 1) / 10))
    assert hist.counted == 10 and hist.has_unlabelled
    assert hist.thresholds == [0.5]  # no threshold in the results: the default
    assert hist.axis_label == "p(class 1)"
    assert hist.count_ticks[0] == 0 and hist.count_ticks[-1] >= 3


def test_binary_threshold_comes_from_the_prediction():
    hist = probability_histogram(with_predictions("binary", [binary(0.2, 0)], threshold=0.3))
    assert hist.thresholds == [0.3]


def test_multiclass_counts_the_predicted_labels_probability_without_threshold():
    rows = [([0.7, 0.1, 0.1, 0.1], [0], [0]), ([0.2, 0.45, 0.3, 0.05], [1], [2]), ([0.25, 0.25, 0.26, 0.24], [2], [2])]
    hist = probability_histogram(with_predictions("multiclass", rows))
    counts = {k: (b.correct, b.wrong) for k, b in enumerate(hist.bins) if b.total}
    assert counts == {7: (1, 0), 4: (0, 1), 2: (1, 0)}
    assert hist.thresholds == [] and not hist.has_unlabelled


def test_multilabel_counts_each_predicted_label_against_the_true_set():
    rows = [([0.9, 0.6, 0.1, 0.55], [0, 1, 3], [0, 3]),  # 0.9 right, 0.6 wrong, 0.55 right
            ([0.4, 0.81, 0.2, 0.1], [1], [1, 2]),  # 0.81 right
            ([0.7, 0.2, 0.2, 0.2], [0], None)]  # no true labels
    hist = probability_histogram(with_predictions("multilabel", rows, threshold=0.5))
    counts = {k: (b.correct, b.wrong, b.unlabelled) for k, b in enumerate(hist.bins) if b.total}
    assert counts == {9: (1, 0, 0), 6: (0, 1, 0), 5: (1, 0, 0), 8: (1, 0, 0), 7: (0, 0, 1)}
    assert hist.thresholds == [0.5] and hist.unit == "predicted labels"


def test_bins_are_closed_on_the_left_and_the_last_holds_one():
    assert [bin_index(p) for p in (0.0, 0.1, 0.2, 0.3, 0.7, 0.9999, 1.0)] == [0, 1, 2, 3, 7, 9, 9]


def test_confusion_shares_and_shades():
    summary = label_summary(with_predictions("multiclass", [
        ([0.7, 0.1, 0.1, 0.1], [0], [0]), ([0.7, 0.1, 0.1, 0.1], [0], [0]), ([0.1, 0.7, 0.1, 0.1], [1], [0]),
        ([0.1, 0.1, 0.7, 0.1], [2], [2])]))
    chart = confusion_chart(summary)
    first = chart.rows[0]
    assert [c.count for c in first] == [2, 1, 0, 0] and chart.row_totals == [3, 0, 1, 0]
    assert first[0].share == pytest.approx(2 / 3) and first[0].diagonal and not first[1].diagonal
    assert first[0].percent_text == "67%" and chart.rows[1][1].share is None  # a label no sample has
    assert first[2].shade == 0 and chart.rows[2][2].shade == SHADE_STEPS
    shares = [k / 997 for k in range(998)]
    steps = [shade_step(s) for s in shares]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == SHADE_STEPS
    assert all(step >= 1 for share, step in zip(shares, steps) if share > 0)  # any sample is visible
    assert confusion_chart(label_summary(make_results(n_docs=3, task="multilabel"))) is None


def test_ticks_cover_the_data_and_hold_zero():
    for low, high in ((-0.013, 0.21), (0.0, 0.0004), (-2.5, -0.1), (0.0, 0.0), (-0.0346, 0.685)):
        ticks = nice_ticks(min(low, 0.0), max(high, 0.0))
        assert ticks[0] <= min(low, 0) and ticks[-1] >= max(high, 0) and 0.0 in ticks
        steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
        assert len(steps) == 1 and len(ticks) <= 8
    assert count_ticks(0) == [0, 1] and count_ticks(17) == [0, 5, 10, 15, 20]
    assert count_ticks(3) == [0, 1, 2, 3]


def test_aopc_axis_holds_every_interval():
    from tests.render.test_charts_svg import metrics_report
    chart = aopc_chart(metrics_report())
    for row in chart.rows:
        if row.ci_low is not None:
            assert chart.low <= row.ci_low <= row.mean <= row.ci_high <= chart.high
    assert [r.failed_sanity for r in chart.rows] == [True, False, False] and [r.best for r in chart.rows] == \
        [False, True, False]
    assert chart.confidence == "95 %" and aopc_chart(None) is None
