"""How the model did on the report's labelled samples: accuracy and a confusion matrix, or per-label counts.

Single-label tasks (binary, multiclass): accuracy and a confusion matrix (rows = true label, columns =
predicted). Multilabel: exact-match accuracy (the predicted set equals the true set) and, per label,
true/false positives, false negatives, precision and recall. Only samples with a true label count.
These are counts over predictions already in the results; nothing is recomputed from the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reportgen.results import ReportResults


@dataclass(frozen=True)
class LabelStats:
    label: str
    tp: int
    fp: int
    fn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass(frozen=True)
class Summary:
    multilabel: bool
    labels: list[str]
    labelled: int  # samples with a true label
    total: int
    correct: int
    confusion: list[list[int]] | None  # single-label tasks only
    per_label: list[LabelStats] | None  # multilabel only

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None


def label_summary(results: "ReportResults") -> Summary | None:
    """None when no sample has a true label."""
    labels = list(results.model.labels)
    everything = results.every_document()
    docs = [d for d in everything if d.true_labels is not None]
    if not docs:
        return None
    multilabel = results.model.task == "multilabel"
    correct = sum(1 for d in docs if d.correct)
    if multilabel:
        stats = []
        for k, name in enumerate(labels):
            tp = sum(1 for d in docs if k in d.prediction.predicted and k in d.true_labels)
            fp = sum(1 for d in docs if k in d.prediction.predicted and k not in d.true_labels)
            fn = sum(1 for d in docs if k not in d.prediction.predicted and k in d.true_labels)
            stats.append(LabelStats(name, tp, fp, fn))
        return Summary(True, labels, len(docs), len(everything), correct, None, stats)
    n = len(labels)
    matrix = [[0] * n for _ in range(n)]
    for d in docs:
        if len(d.true_labels) != 1 or len(d.prediction.predicted) != 1:
            continue
        t, p = d.true_labels[0], d.prediction.predicted[0]
        if 0 <= t < n and 0 <= p < n:
            matrix[t][p] += 1
    return Summary(False, labels, len(docs), len(everything), correct, matrix, None)
