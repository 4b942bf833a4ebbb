"""From prepared documents to `DocumentExplanation`s: batching, targets, variants, resizing, trimming.

Documents stream through in batches of `batch_size`, so memory stays bounded however many there are.
Variable-length documents are sorted by length so batches carry little padding, and padded together only
when the model masks padding (else only equal lengths share a batch): an explanation always explains the
prediction the model makes on the document alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from reportgen.engine.batching import batches, pad_batch, predict_ids
from reportgen.engine.gradcam import GradCAM
from reportgen.engine.resize import KINDS
from reportgen.engine.targets import document_targets, predicted_labels, static_targets, top_k
from reportgen.engine.variants import heatmaps_of
from reportgen.errors import InputError, ReportgenError
from reportgen.models.adapter import ModelAdapter
from reportgen.models.layers import LayerEntry
from reportgen.results import DocumentExplanation, Heatmap, InputInfo, LayerMap, Prediction, Token
from reportgen.text.padding import text_positions



@dataclass
class DocumentInput:
    """One document ready for the model: `ids` is exactly what the model sees (user padding included)."""

    id: str
    text: str
    tokens: list[Token]  # one per position of `ids`; pad positions included
    ids: list[int]
    input: InputInfo
    true_labels: list[int] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ExplainSettings:
    targets: object = "predicted"
    relu: tuple[bool, ...] = (True,)
    counterfactual: tuple[bool, ...] = (False,)
    interpolation: tuple[str, ...] = ("linear",)
    score: str = "logit"
    normalize_gradients: bool = False
    batch_size: int = 64

    def __post_init__(self) -> None:
        for kind in self.interpolation:
            if kind not in KINDS:
                raise ReportgenError(f"interpolation kind {kind!r}: expected one of {', '.join(KINDS)}")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, (int, np.integer)):
            raise ReportgenError(f"batch_size {self.batch_size!r}: expected a whole number, at least 1")
        if self.batch_size < 1:
            raise ReportgenError("batch_size must be at least 1")


def explain_documents(adapter: ModelAdapter, docs: list[DocumentInput], layers: list[LayerEntry],
                      settings: ExplainSettings, progress: Callable[[int], None] | None = None,
                      pad_id: int = 0, heatmaps: bool = True) -> list[DocumentExplanation]:
    """Explain every document for every (layer, target, variant, interpolation) combination.

    `heatmaps` False: only the layer maps every heatmap derives from (what the build stores), none expanded:
    a character-level chunk's heatmaps as Python lists would hold gigabytes."""
    engine = engine_for(adapter, layers, settings.score)
    results: list[DocumentExplanation | None] = [None] * len(docs)
    for batch in plan_batches(adapter, docs, layers, settings.batch_size, pad_id):
        for pos, explanation in zip(batch, _explain_batch(adapter, engine, [docs[i] for i in batch], layers,
                                                           settings, pad_id, heatmaps)):
            results[pos] = explanation
        if progress is not None:
            progress(len(batch))
    return results  # type: ignore[return-value]


def engine_for(adapter: ModelAdapter, layers: list[LayerEntry], score: str) -> GradCAM:
    """One engine per (model, layers, score): its compiled steps are traced once and reused across calls."""
    key = (tuple(e.path for e in layers), score)
    if key not in adapter._engines:
        adapter._engines[key] = GradCAM(adapter, layers, score)
    return adapter._engines[key]


def plan_batches(adapter: ModelAdapter, docs: list[DocumentInput], layers: list[LayerEntry], batch_size: int,
                 pad_id: int) -> Iterable[list[int]]:
    limit = adapter.id_limit()
    for doc in docs:
        if limit is not None and doc.ids and (min(doc.ids) < 0 or max(doc.ids) >= limit[1]):
            pos, bad = next((p, i) for p, i in enumerate(doc.ids) if not 0 <= i < limit[1])
            raise InputError(f"sample {doc.id!r}: id {bad} at position {pos} is outside the model's vocabulary "
                             f"(its embedding {limit[0]!r} takes ids 0..{limit[1] - 1})")
        if len(doc.ids) == 0:
            raise ReportgenError(f"sample {doc.id!r}: no tokens after vectorisation; the model cannot take an "
                                 "empty document")
        if adapter.input_length is not None and len(doc.ids) != adapter.input_length:
            raise ReportgenError(f"sample {doc.id!r}: {len(doc.ids)} ids but the model takes exactly "
                                 f"{adapter.input_length}")
    order = sorted(range(len(docs)), key=lambda i: (len(docs[i].ids), i))
    # a layer whose time axis does not follow the input (e.g. a strided conv) cannot have in-batch padding
    # cut from its mean, so for such layers only equal lengths share a batch
    equal = adapter.input_length is None and any(adapter.shapes[e.path].time_axis
                                                 and not adapter.shapes[e.path].follows_input for e in layers)
    yield from batches(adapter, order, [len(docs[i].ids) for i in order], batch_size, pad_id, equal_lengths=equal)


def _explain_batch(adapter, engine: GradCAM, docs: list[DocumentInput], layers, settings: ExplainSettings,
                   pad_id: int, expand: bool = True) -> list[DocumentExplanation]:
    ids = pad_batch(adapter, [d.ids for d in docs], pad_id)
    own = [own_positions(adapter, d) for d in docs]
    starts = np.array([o.start for o in own], dtype=np.int32)
    lengths = np.array([o.stop for o in own], dtype=np.int32)
    request = settings.targets
    fixed = static_targets(request, adapter.labels)
    k = top_k(request) if adapter.task != "multilabel" else None
    per_doc_notes: list[list[str]] = [[] for _ in docs]
    if fixed is not None:
        out = engine.attribute(ids, lengths, targets=np.tile(np.array(fixed, dtype=np.int32), (len(docs), 1)),
                               starts=starts)
        counts = [len(fixed)] * len(docs)
    elif k is not None:
        out = engine.attribute(ids, lengths, top_k=min(k, len(adapter.labels)), starts=starts)
        counts = [min(k, len(adapter.labels))] * len(docs)
    else:
        # per-document targets that depend on the prediction ("true", multilabel "predicted"): predict first
        probs = predict_ids(adapter, [d.ids for d in docs], batch_size=len(docs))
        chosen = []
        for i, d in enumerate(docs):
            t, notes = document_targets(request, adapter.labels, probs[i], adapter.task, adapter.threshold,
                                        d.true_labels, d.id)
            chosen.append(t)
            per_doc_notes[i].extend(notes)
        width = max(len(t) for t in chosen)
        table = np.array([t + [t[0]] * (width - len(t)) for t in chosen], dtype=np.int32)
        out = engine.attribute(ids, lengths, targets=table, starts=starts)
        counts = [len(t) for t in chosen]
    return [_document(adapter, d, b, out, layers, settings, counts[b], per_doc_notes[b], expand)
            for b, d in enumerate(docs)]


def own_positions(adapter: ModelAdapter, doc: DocumentInput) -> slice:
    """The positions of `doc.ids` that the gradient mean runs over: the document's own positions.

    Fixed-length model: all of them (its padding is part of every input the model reads), unless it is fed
    a padding mask. Variable-length model: all but the padding the caller declared (`pad_value`) when the
    model masks that padding, which is then exactly like the padding reportgen adds to batch documents (never
    counted, as the step's mask already excludes positions past `doc.ids`). Padding the model does not mask
    changes its output, so it is part of what it reads and counts (`ModelAdapter.masks_declared_padding`).
    """
    n = len(doc.ids)
    if not doc.input.padded:
        return slice(0, n)
    kept = text_positions(doc.input)
    pad_ids = {doc.ids[i] for i in range(n) if not kept.start <= i < kept.stop}
    return kept if adapter.masks_declared_padding(pad_ids) else slice(0, n)


def _document(adapter: ModelAdapter, doc: DocumentInput, b: int, out, layers, settings: ExplainSettings,
              n_targets: int, notes: list[str], expand: bool = True) -> DocumentExplanation:
    probs = [float(p) for p in out.probabilities[b]]
    predicted = predicted_labels(np.asarray(probs), adapter.task, adapter.threshold)
    n = len(doc.ids)
    keep = text_positions(doc.input)
    own = own_positions(adapter, doc)
    layer_maps: list[LayerMap] = []
    heatmaps: list[Heatmap] = []
    for entry in layers:
        shape = adapter.shapes[entry.path]
        for slot in range(n_targets):
            target = int(out.targets[b, slot])
            raw = out.maps[entry.path][slot][b]
            if shape.follows_input:
                raw = raw[:n]  # the batch was padded past this document; its own steps come first
            map_notes = []
            if shape.time_axis and not shape.follows_input and own != slice(0, n):
                map_notes.append(f"layer {entry.path!r}: its time steps do not follow the tokens, so the "
                                 f"{doc.input.padded} masked padding positions could not be left out of its "
                                 "gradient mean")
            layer_map = LayerMap(layer=entry.path, target=target, target_label=adapter.labels[target],
                                 score=float(out.scores[b, slot]), grad_norm=float(out.grad_norms[entry.path][slot, b]),
                                 values=np.array(raw if shape.time_axis else raw[:1], dtype=np.float32),
                                 time_axis=shape.time_axis, notes=map_notes)
            layer_maps.append(layer_map)
            if expand:
                heatmaps.extend(heatmaps_of(layer_map, n, keep, relu=settings.relu,
                                            counterfactual=settings.counterfactual,
                                            interpolation=settings.interpolation,
                                            normalize_gradients=settings.normalize_gradients,
                                            score_kind=settings.score))
    return DocumentExplanation(
        id=doc.id, text=doc.text, tokens=[doc.tokens[i] for i in range(keep.start, keep.stop)],
        prediction=Prediction(probabilities=probs, predicted=predicted,
                              threshold=adapter.threshold if adapter.task == "multilabel" else None),
        heatmaps=heatmaps, input=_with_notes(doc.input, doc.notes + notes), true_labels=doc.true_labels,
        layer_maps=layer_maps)


def _with_notes(info: InputInfo, notes: list[str]) -> InputInfo:
    if not notes:
        return info
    return InputInfo(length=info.length, padding_side=info.padding_side, padded=info.padded,
                     truncated=info.truncated, truncating_side=info.truncating_side,
                     notes=list(info.notes) + [n for n in notes if n not in info.notes])
