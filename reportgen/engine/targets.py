"""Which label indices to explain for each document.

Target requests: "predicted", "all", "true", "top-K", or a list of label names / indices. A binary model
with one sigmoid unit has two labels ([negative, positive]); explaining `negative` explains 1 - p (or -z
for the logit). Multi-label models explain each label on its own; `predicted` means every label whose
probability reaches the threshold (the top one, with a note, when none does).
"""

from __future__ import annotations

import numpy as np

from reportgen.errors import ReportgenError, TargetError
from reportgen.spec.choices import TARGET_KEYWORDS, parse_top_k

_REQUESTS = f"{', '.join(TARGET_KEYWORDS)}, top-K, or label names/indices"


def label_index(ref, labels: list[str]) -> int:
    if isinstance(ref, bool):
        raise TargetError(f"target {ref!r}: expected a label name or index")
    if isinstance(ref, (int, np.integer)):
        if not 0 <= int(ref) < len(labels):
            raise TargetError(f"target {int(ref)} is out of range: the model has {len(labels)} labels "
                              f"(0..{len(labels) - 1})")
        return int(ref)
    if not isinstance(ref, str):
        raise TargetError(f"target {ref!r}: expected a label name or index, not {type(ref).__name__}")
    if ref in labels:
        return labels.index(ref)
    if ref.lstrip("-").isdigit():
        return label_index(int(ref), labels)
    raise TargetError(f"target {ref!r} is not a label; labels are: {', '.join(labels)}")


def static_targets(request, labels: list[str]) -> list[int] | None:
    """The same targets for every document, or None when they depend on the document."""
    if isinstance(request, np.ndarray):  # compared with == below it would give an array, not a bool
        request = request.tolist() if request.ndim else request.item()
    if isinstance(request, (list, tuple)):
        out: list[int] = []
        for ref in request:
            idx = label_index(ref, labels)
            if idx not in out:
                out.append(idx)
        if not out:
            raise TargetError("targets: an empty list; give at least one label")
        return out
    if request == "all":
        return list(range(len(labels)))
    if request in ("predicted", "true") or top_k(request) is not None:
        return None
    if isinstance(request, (int, np.integer)) or (isinstance(request, str) and (request in labels)):
        return [label_index(request, labels)]
    raise TargetError(f"targets {request!r}: expected {_REQUESTS}")


def top_k(request) -> int | None:
    """K for "top-K" and "predicted" on single-label tasks (predicted = top-1), else None."""
    if isinstance(request, str) and request == "predicted":
        return 1
    try:
        return parse_top_k(request)
    except ValueError as error:
        raise TargetError(f"targets: {error}") from None


def predicted_labels(probs: np.ndarray, task: str, threshold: float) -> list[int]:
    """The model's decision for one document: argmax, or every label at/over threshold for multilabel
    (possibly none)."""
    if task == "multilabel":
        return [int(i) for i in np.flatnonzero(probs >= threshold)]
    if task == "binary" and len(probs) == 2:
        return [1 if probs[1] >= threshold else 0]
    return [int(np.argmax(probs))]


def document_targets(request, labels: list[str], probs: np.ndarray, task: str, threshold: float,
                     true_labels: list[int] | None, doc_id: str) -> tuple[list[int], list[str]]:
    """Targets for one document plus notes a reader should see."""
    fixed = static_targets(request, labels)
    if fixed is not None:
        return fixed, []
    if request == "true":
        if not true_labels:
            raise ReportgenError(f"sample {doc_id!r}: targets 'true' but the sample has no label")
        return list(true_labels), []
    k = top_k(request)
    if request == "predicted":
        chosen = predicted_labels(probs, task, threshold)
        if chosen:
            return chosen, []
        best = int(np.argmax(probs))
        return [best], [f"no label reaches the threshold {threshold:g}; explaining the most probable, "
                        f"{labels[best]!r}"]
    k = min(k, len(labels))
    order = np.argsort(-probs, kind="stable")[:k]
    return [int(i) for i in order], []
