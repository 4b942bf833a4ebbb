"""Two models' explanations of the same documents -> a `BaselineComparison` (see the package docstring)."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from reportgen.compare.maps import TOP_K, agreement
from reportgen.compare.stats import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    LEVEL,
    mcnemar_exact,
    paired_bootstrap,
    rate_difference,
    ratio,
)
from reportgen.errors import InputError
from reportgen.results import (
    BaselineComparison,
    DocumentExplanation,
    FlippedDocument,
    Heatmap,
    MapAgreement,
    McNemarTest,
    MetricDifference,
    ModelInfo,
)

# (document, target label index in that model's labels) -> the model's lead map of it, or None
LeadMap = Callable[[DocumentExplanation, int], "Heatmap | None"]


def label_order(candidate_labels: Sequence[str], baseline_labels: Sequence[str]) -> list[int]:
    """For each candidate label, the baseline's index of the label of the same name."""
    if sorted(candidate_labels) != sorted(baseline_labels) or len(set(baseline_labels)) != len(baseline_labels):
        raise InputError(f"the baseline's labels ({', '.join(baseline_labels)}) are not the report model's "
                         f"({', '.join(candidate_labels)}); labels are matched by name")
    return [list(baseline_labels).index(name) for name in candidate_labels]


def kind_of(baseline_right: bool | None, candidate_right: bool | None) -> str:
    if baseline_right is None or candidate_right is None:
        return "no-truth"
    if candidate_right and not baseline_right:
        return "fixed"
    if baseline_right and not candidate_right:
        return "broken"
    return "both-wrong"


def compare_models(candidate_docs: Sequence[DocumentExplanation], candidate_labels: Sequence[str],
                   baseline_docs: Sequence[DocumentExplanation], baseline_labels: Sequence[str], *, name: str,
                   model: ModelInfo, layers: Sequence[str], candidate_lead: LeadMap, baseline_lead: LeadMap,
                   top_k: int = TOP_K, resamples: int = BOOTSTRAP_RESAMPLES,
                   seed: int = BOOTSTRAP_SEED) -> BaselineComparison:
    """Compare the baseline's explanations with the candidate's, document by document (same ids, same order)."""
    if [d.id for d in candidate_docs] != [d.id for d in baseline_docs]:
        raise ValueError("the two models' documents differ: compare explanations of the same documents")
    to_baseline = label_order(candidate_labels, baseline_labels)
    to_candidate = {b: c for c, b in enumerate(to_baseline)}
    n_labels = len(candidate_labels)

    def predicted(doc: DocumentExplanation, baseline: bool) -> list[int]:
        """Predicted labels as candidate indices, sorted."""
        return sorted(to_candidate[k] for k in doc.prediction.predicted) if baseline else \
            sorted(doc.prediction.predicted)

    def probabilities(doc: DocumentExplanation, baseline: bool) -> list[float]:
        p = doc.prediction.probabilities
        return [float(p[to_baseline[c]]) for c in range(n_labels)] if baseline else [float(x) for x in p]

    pred_b = [predicted(d, True) for d in baseline_docs]
    pred_c = [predicted(d, False) for d in candidate_docs]
    truth = [None if d.true_labels is None else sorted(d.true_labels) for d in candidate_docs]
    scored = [i for i, t in enumerate(truth) if t is not None]

    differences, mcnemar = _scores(candidate_labels, pred_b, pred_c, truth, scored, resamples, seed)
    confusion = _confusion(n_labels, pred_b, pred_c)

    flips = []
    for i, (b_doc, c_doc) in enumerate(zip(baseline_docs, candidate_docs)):
        if pred_b[i] == pred_c[i]:
            continue
        right_b = None if truth[i] is None else pred_b[i] == truth[i]
        right_c = None if truth[i] is None else pred_c[i] == truth[i]
        p_b, p_c = probabilities(b_doc, True), probabilities(c_doc, False)
        flips.append(FlippedDocument(
            id=c_doc.id, kind=kind_of(right_b, right_c),
            baseline_predicted=[candidate_labels[k] for k in pred_b[i]],
            candidate_predicted=[candidate_labels[k] for k in pred_c[i]],
            true_labels=None if truth[i] is None else [candidate_labels[k] for k in truth[i]],
            baseline_probabilities=p_b, candidate_probabilities=p_c,
            change=max(abs(c - b) for b, c in zip(p_b, p_c))))
    flips.sort(key=lambda f: (-f.change, f.id))

    agreements = [_agreement(b_doc, c_doc, pred_c[i], candidate_labels, to_baseline, candidate_lead,
                             baseline_lead, top_k)
                  for i, (b_doc, c_doc) in enumerate(zip(baseline_docs, candidate_docs))]
    return BaselineComparison(
        name=name, model=model, documents=list(baseline_docs), layers=list(layers), scored=len(scored),
        differences=differences, mcnemar=mcnemar, confusion=confusion, flips=flips, agreement=agreements,
        bootstrap={"resamples": resamples, "seed": seed, "level": LEVEL})


def _scores(labels: Sequence[str], pred_b: list[list[int]], pred_c: list[list[int]],
            truth: list[list[int] | None], scored: list[int], resamples: int,
            seed: int) -> tuple[list[MetricDifference], McNemarTest]:
    """Accuracy, per-label precision and recall of both models over the documents with a true label."""
    right_b = np.array([pred_b[i] == truth[i] for i in scored], dtype=np.float64)
    right_c = np.array([pred_c[i] == truth[i] for i in scored], dtype=np.float64)
    ones = np.ones(len(scored))
    n = len(scored)

    def difference(metric: str, label: str | None, hits_c, hits_b, base_c, base_b) -> MetricDifference:
        value_c = ratio(hits_c.sum(), base_c.sum())
        value_b = ratio(hits_b.sum(), base_b.sum())
        low, high = paired_bootstrap(n, rate_difference(hits_c, hits_b, base_c, base_b), resamples, seed)
        diff = None if value_c is None or value_b is None else value_c - value_b
        return MetricDifference(metric, label, value_b, value_c, diff, low, high)

    out = [difference("accuracy", None, right_c, right_b, ones, ones)]
    for k, label in enumerate(labels):
        true_k = np.array([k in truth[i] for i in scored], dtype=np.float64)
        said_b = np.array([k in pred_b[i] for i in scored], dtype=np.float64)
        said_c = np.array([k in pred_c[i] for i in scored], dtype=np.float64)
        out.append(difference("precision", label, said_c * true_k, said_b * true_k, said_c, said_b))
        out.append(difference("recall", label, said_c * true_k, said_b * true_k, true_k, true_k))
    baseline_only = int(((right_b == 1) & (right_c == 0)).sum())
    candidate_only = int(((right_c == 1) & (right_b == 0)).sum())
    return out, McNemarTest(baseline_only, candidate_only, mcnemar_exact(baseline_only, candidate_only))


def _confusion(n_labels: int, pred_b: list[list[int]], pred_c: list[list[int]]) -> list[list[int]]:
    """Rows the baseline's first predicted label, columns the candidate's; a document where either model
    predicts no label (a multilabel model under every threshold) is not counted."""
    matrix = [[0] * n_labels for _ in range(n_labels)]
    for b, c in zip(pred_b, pred_c):
        if b and c:
            matrix[b[0]][c[0]] += 1
    return matrix


def _agreement(b_doc: DocumentExplanation, c_doc: DocumentExplanation, pred_c: list[int], labels: Sequence[str],
               to_baseline: list[int], candidate_lead: LeadMap, baseline_lead: LeadMap, k: int) -> MapAgreement:
    """The two lead maps of the candidate's predicted label (else the first label both models explained)."""
    if [t.text for t in b_doc.tokens] != [t.text for t in c_doc.tokens]:
        return MapAgreement(c_doc.id, None, None, None, None, None, 0,
                            "the two models read different tokens: their maps cannot be compared token by token")
    c_targets = {h.target for h in c_doc.heatmaps}
    b_targets = {h.target for h in b_doc.heatmaps}
    both = [t for t in range(len(labels)) if t in c_targets and to_baseline[t] in b_targets]
    order = [t for t in pred_c if t in both] + [t for t in both if t not in pred_c]
    if not order:
        return MapAgreement(c_doc.id, None, None, None, None, None, 0, "no label has a map from both models")
    target = order[0]
    c_map, b_map = candidate_lead(c_doc, target), baseline_lead(b_doc, to_baseline[target])
    if c_map is None or b_map is None:
        return MapAgreement(c_doc.id, labels[target], None, None, None, None, 0,
                            "a model has no lead map of this label")
    if len(b_map.weights) != len(c_map.weights):
        return MapAgreement(c_doc.id, labels[target], b_map.layer, c_map.layer, None, None, 0,
                            "the two maps cover different numbers of tokens")
    rho, overlap, used = agreement(b_map.weights, c_map.weights, k)
    note = "" if rho is not None else "one map is constant: no rank correlation"
    return MapAgreement(c_doc.id, labels[target], b_map.layer, c_map.layer, rho, overlap, used, note)
