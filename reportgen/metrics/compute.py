"""`compute_metrics`: every faithfulness number of a report in one call (the build wires only this)."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from reportgen.metrics.faithfulness import (
    Chunker,
    PerturbationBatch,
    PredictFn,
    Progress,
    SkipDocument,
    plan_document,
)
from reportgen.metrics.recommend import layer_table, recommend_layer
from reportgen.metrics.sanity import ComputeMaps, sanity_check
from reportgen.metrics.settings import MetricsSettings
from reportgen.results import DocumentExplanation, LayerInfo, MetricsReport

AOPC_FORMULA = "AOPC = 1/(K+1) * sum_{k=0..K} (p_0 - p_k)  (Samek et al. 2017, L = K steps)"
COUNT_RULE = "k % of n removable tokens = floor(k/100 * n), at least 1, at most n"

Removable = Callable[[DocumentExplanation], Sequence[bool]] | Mapping[str, Sequence[bool]] | None


def _layer_names(layers: Sequence[str | LayerInfo]) -> tuple[list[str], str | None]:
    names, auto = [], None
    for layer in layers:
        if isinstance(layer, LayerInfo):
            names.append(layer.path)
            if layer.auto and auto is None:
                auto = layer.path
        else:
            names.append(str(layer))
    return names, auto


def _mask_for(doc: DocumentExplanation, removable: Removable) -> Sequence[bool] | None:
    if removable is None:
        return None
    if callable(removable):
        return removable(doc)
    return removable.get(doc.id)


def compute_metrics(
    documents: Sequence[DocumentExplanation],
    predict_fn: PredictFn,
    *,
    layers: Sequence[str | LayerInfo],
    settings: MetricsSettings | Mapping[str, Any] | None = None,
    pad_id: int = 0,
    oov_id: int | None = None,
    removable: Removable = None,
    progress: Progress | None = None,
    auto_layer: str | None = None,
    model: Any = None,
    compute_maps: ComputeMaps | None = None,
    map_labels: Sequence[str] | None = None,
    reuse: bool = True,
    chunks: Chunker | None = None,
) -> tuple[dict[str, dict[str, Any] | None], MetricsReport]:
    """Score the heatmaps of the first `settings.max_samples` documents; returns (per_doc, report).

    per_doc maps every document id to what belongs in `DocumentExplanation.metrics` (None when the document
    was not scored); report is `ReportResults.metrics`, a typed `MetricsReport`. The JSON layout of both is
    documented in `reportgen.metrics`. `layers` are layer paths in model order (or the report's `LayerInfo`s,
    whose `auto` flag then names the auto layer). `removable(doc)` (or a mapping id -> mask) gives one bool per token:
    False for tokens that must stay, such as a start token; None makes every token removable.
    `progress(done, total)` is called after each `predict_fn` batch. With `model` and `compute_maps` (and
    `settings.sanity`), the model randomisation check runs too, per layer when `compute_maps` returns a
    mapping layer -> maps (a plain list of maps judges the only layer in `layers`); the recommendation then
    prefers the layers that pass it. `reuse` (the default) randomises `model` in place for the check, so
    `compute_maps` gets the same model object each time and what it compiled for it serves every run;
    False hands it clones, as before (same numbers, one compile per randomised model). `chunks` cuts the
    perturbed inputs, sorted by length, into `predict_fn` calls (see `PerturbationBatch.run`); by default
    `settings.batch_size` inputs a call.
    """
    s = MetricsSettings.from_mapping(settings)
    if s.removal == "oov" and oov_id is None:
        from reportgen.errors import SpecError

        raise SpecError("metrics.removal: 'oov' needs an OOV token (input.oov_token); use pad or delete")
    names, auto_from_layers = _layer_names(layers)
    auto = auto_layer if auto_layer is not None else auto_from_layers

    chosen = list(documents[: s.max_samples])
    batch = PerturbationBatch()
    plans, skipped = [], []
    for doc in chosen:
        try:
            plans.append(plan_document(doc, names, s, pad_id=pad_id, oov_id=oov_id,
                                       removable=_mask_for(doc, removable), batch=batch))
        except SkipDocument as why:
            skipped.append({"id": doc.id, "reason": str(why)})
    probs = batch.run(predict_fn, s.batch_size, progress, chunks)

    per_doc: dict[str, dict[str, Any] | None] = {doc.id: None for doc in documents}
    notes: list[str] = []
    for plan in plans:
        metrics, doc_notes = plan.results(probs)
        per_doc[plan.doc.id] = metrics or None
        notes.extend(doc_notes)

    rows = layer_table(per_doc, names, auto_layer=auto, confidence=s.confidence)
    sanity = None
    if s.sanity and model is not None and compute_maps is not None:
        sanity = sanity_check(model, compute_maps, top_layers=s.sanity_top_layers, seed=s.sanity_seed,
                              threshold=s.sanity_threshold, labels=map_labels, in_place=reuse)
        verdicts = {entry["layer"]: entry for entry in sanity["layers"]}
        # maps given as one unnamed group (a caller explaining a single layer) judge that layer
        if None in verdicts and len(names) == 1:
            verdicts[names[0]] = verdicts.pop(None)
            verdicts[names[0]]["layer"] = names[0]
    for row in rows:
        entry = verdicts.get(row["layer"]) if sanity is not None else None
        row["sanity"] = None if entry is None else {k: entry[k] for k in ("passed", "mean_abs", "top_layers")}
    # The table and the recommendation are worked out on plain rows (recommend.py marks the best in place);
    # the record is typed once they are final.
    report: dict[str, Any] = {
        "settings": {
            **s.to_dict(),
            "pad_id": pad_id,
            "oov_id": oov_id,
            "aopc_formula": AOPC_FORMULA,
            "count_rule": COUNT_RULE,
        },
        "samples": [p.doc.id for p in plans],
        "skipped": skipped,
        "not_evaluated": len(documents) - len(chosen),
        "predict_calls": batch.calls,
        "predicted_inputs": len(batch),
        "layers": rows,
        **recommend_layer(rows, auto),
        "sanity": sanity,
        "notes": notes,
    }
    return per_doc, MetricsReport.from_dict(report)
