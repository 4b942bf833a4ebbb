"""The numbers behind the overview's charts, format-neutral (the SVG is drawn by `render.charts`).

- `confusion_chart(summary)`: each cell's count, its share of the row (the true label's recall) and a shade
  step 0..SHADE_STEPS that only grows with the share;
- `probability_histogram(results)`: the samples' probabilities in BINS equal bins of [0, 1], split by correct,
  wrong and no true label, with the decision threshold(s). Binary: the probability of the second (positive)
  label, threshold = the model's (0.5 when the results give none). Multiclass: the predicted label's
  probability (its confidence; argmax, so no threshold). Multilabel: every predicted label's probability,
  correct when the label is in the true set, with the threshold(s) the predictions used;
- `aopc_chart(metrics)`: each layer's AOPC gain with its interval, and one axis (with ticks) holding zero and
  every interval;
- `curve_grid(metrics)`: the layers with deletion curves and the one x range their small multiples share.

Counts come from predictions already in the results; nothing is recomputed from the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportgen.report.summary import Summary

if TYPE_CHECKING:
    from reportgen.results import LayerScore, MetricsReport, ReportResults

BINS = 10
SHADE_STEPS = 5
DEFAULT_THRESHOLD = 0.5


# ---- confusion matrix ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfusionCell:
    true: int
    predicted: int
    count: int
    share: float | None  # count / row total (None for a label no sample has)
    shade: int  # 0 (no sample) .. SHADE_STEPS (the whole row), never smaller for a larger share

    @property
    def diagonal(self) -> bool:
        return self.true == self.predicted

    @property
    def percent_text(self) -> str:
        return "" if self.share is None else f"{self.share * 100:.0f}%"


@dataclass(frozen=True)
class ConfusionChart:
    labels: list[str]
    rows: list[list[ConfusionCell]]  # rows: true label; columns: predicted label
    row_totals: list[int]


def shade_step(share: float | None) -> int:
    if not share or share <= 0:
        return 0
    return max(1, min(SHADE_STEPS, math.ceil(share * SHADE_STEPS - 1e-9)))


def confusion_chart(summary: Summary | None) -> ConfusionChart | None:
    """None for multilabel tasks and reports without true labels."""
    if summary is None or summary.confusion is None:
        return None
    rows, totals = [], []
    for t, counts in enumerate(summary.confusion):
        total = sum(counts)
        totals.append(total)
        rows.append([ConfusionCell(t, p, count, count / total if total else None,
                                   shade_step(count / total if total else None))
                     for p, count in enumerate(counts)])
    return ConfusionChart(list(summary.labels), rows, totals)


# ---- probability histogram ----------------------------------------------------------------------------

@dataclass(frozen=True)
class HistogramBin:
    low: float
    high: float
    correct: int
    wrong: int
    unlabelled: int  # samples without a true label

    @property
    def total(self) -> int:
        return self.correct + self.wrong + self.unlabelled

    @property
    def range_text(self) -> str:
        return f"{self.low:.1f}\u2013{self.high:.1f}"


@dataclass(frozen=True)
class Histogram:
    task: str
    axis_label: str  # what the x axis measures, e.g. "p(positive)"
    what: str  # one sentence: what is counted
    bins: list[HistogramBin]
    thresholds: list[float]  # decision thresholds to draw (none for multiclass)
    count_ticks: list[float]  # the y axis
    unit: str  # "samples" or "predicted labels"

    @property
    def counted(self) -> int:
        return sum(b.total for b in self.bins)

    @property
    def has_unlabelled(self) -> bool:
        return any(b.unlabelled for b in self.bins)


def bin_index(probability: float, bins: int = BINS) -> int:
    """Bins are [k/bins, (k+1)/bins); the last one also holds 1.0."""
    return max(0, min(bins - 1, math.floor(probability * bins)))


def _threshold(value: float | None) -> float:
    return DEFAULT_THRESHOLD if value is None else float(value)


def probability_histogram(results: "ReportResults", bins: int = BINS) -> Histogram | None:
    """None when there is no document or the task is not one of binary, multiclass, multilabel."""
    task = results.model.task
    labels = results.model.labels
    # (probability, correct: True/False/None) per counted item
    items: list[tuple[float, bool | None]] = []
    thresholds: set[float] = set()
    for doc in results.every_document():
        probs = doc.prediction.probabilities
        if task == "binary" and len(probs) >= 2:
            items.append((float(probs[1]), doc.correct))
            thresholds.add(_threshold(doc.prediction.threshold))
        elif task == "multiclass" and doc.prediction.predicted:
            items.append((float(probs[doc.prediction.predicted[0]]), doc.correct))
        elif task == "multilabel":
            thresholds.add(_threshold(doc.prediction.threshold))
            for k in doc.prediction.predicted:
                right = None if doc.true_labels is None else k in doc.true_labels
                items.append((float(probs[k]), right))
    if not items:
        return None
    counts = [[0, 0, 0] for _ in range(bins)]
    for probability, right in items:
        counts[bin_index(probability, bins)][0 if right is True else 1 if right is False else 2] += 1
    hist_bins = [HistogramBin(k / bins, (k + 1) / bins, *c) for k, c in enumerate(counts)]
    if task == "binary":
        positive = labels[1] if len(labels) > 1 else "positive"
        axis, unit = f"p({positive})", "samples"
        what = f"Samples by the model's probability of {positive}, the second label"
    elif task == "multiclass":
        axis, unit = "probability of the predicted label", "samples"
        what = "Samples by the probability of the label the model predicts (its confidence)"
        thresholds = set()
    else:
        axis, unit = "probability of a predicted label", "predicted labels"
        what = "Every predicted label of every sample by its probability; correct when the label is true"
    top = max(b.total for b in hist_bins)
    return Histogram(task, axis, what, hist_bins, sorted(thresholds), count_ticks(top), unit)


def count_ticks(top: int, most: int = 5) -> list[float]:
    """Whole-number ticks from 0 up to at least `top`, at most about `most` + 1 of them."""
    step = 1
    while math.ceil(max(top, 1) / step) > most:
        step = _next_nice(step)
    return [float(v) for v in range(0, step * math.ceil(max(top, 1) / step) + 1, step)]


def _next_nice(step: int) -> int:
    magnitude = 10 ** int(math.log10(step))
    for factor in (1, 2, 5, 10):
        if factor * magnitude > step:
            return factor * magnitude
    return 10 * magnitude


# ---- per-layer faithfulness ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerGain:
    layer: str
    n: int
    mean: float | None  # AOPC gain
    ci_low: float | None
    ci_high: float | None
    best: bool  # the recommended layer
    auto: bool
    sanity_passed: bool | None  # None: not checked, or no verdict

    @property
    def failed_sanity(self) -> bool:
        return self.sanity_passed is False


@dataclass(frozen=True)
class AopcChart:
    rows: list[LayerGain]
    low: float  # the axis, which always holds 0 and every interval
    high: float
    ticks: list[float]
    confidence: str  # "95 %"
    checked: bool  # the sanity check ran


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Evenly spaced round ticks (1, 2, 2.5 or 5 times a power of ten) covering [low, high]."""
    if high <= low:
        high = low + 1.0
    span = high - low
    magnitude = 10 ** math.floor(math.log10(span / most))
    step = next(f * magnitude for f in (1, 2, 2.5, 5, 10, 20) if span / (f * magnitude) <= most)
    start = math.floor(low / step + 1e-9)
    stop = math.ceil(high / step - 1e-9)
    # rounded so a tick prints as the number it stands for (0.30000000000000004 -> 0.3)
    return [round(k * step, 12) + 0.0 for k in range(start, stop + 1)]


def aopc_chart(metrics: "MetricsReport | None") -> AopcChart | None:
    """None without metrics or without any layer row."""
    if metrics is None or not metrics.layers:
        return None
    rows = [_gain(row) for row in metrics.layers]
    values = [0.0] + [v for r in rows for v in (r.mean, r.ci_low, r.ci_high) if v is not None and math.isfinite(v)]
    ticks = nice_ticks(min(values), max(values))
    confidence = metrics.settings.get("confidence", 0.95)
    return AopcChart(rows, ticks[0], ticks[-1], ticks, f"{round(float(confidence) * 100)} %",
                     metrics.sanity is not None)


def _gain(row: "LayerScore") -> LayerGain:
    return LayerGain(row.layer, row.n, row.mean, row.ci_low, row.ci_high, row.best, row.auto,
                     None if row.sanity is None else row.sanity.passed)


# ---- deletion curves as small multiples ---------------------------------------------------------------

@dataclass(frozen=True)
class CurveGrid:
    rows: list["LayerScore"]  # layers with curves, model order
    x_max: float  # the share of removed tokens every small chart's x axis ends at


def curve_grid(metrics: "MetricsReport | None") -> CurveGrid | None:
    if metrics is None:
        return None
    rows = [row for row in metrics.layers if row.curves and row.curves.get("fractions")]
    if not rows:
        return None
    return CurveGrid(rows, max(float(f) for row in rows for f in row.curves["fractions"]) or 1.0)


def short_label(text: str, limit: int) -> str:
    """A label cut to `limit` characters with an ellipsis (the full text goes in a title and the table)."""
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"

