"""The Python API, in the spirit of the 2019 eli5 tutorial this project grew from.

    model = reportgen.load_model("model.keras")              # Keras 3, or a Keras 2 .h5 converted
    E = reportgen.explain_prediction(model, doc, tokens=tokens, layer=3, targets=[1])
    E.targets[0].target, E.targets[0].score, E.targets[0].heatmap
    E.targets[0].weighted_spans.docs_weighted_spans[0].spans   # [(token, [(start, end)], weight), ...]
    html = reportgen.format_as_html(E)

    docs = reportgen.explain(model, texts, pipeline=..., layers="all", targets="all")  # batched

Differences from the tutorial, on purpose: the default score is the logit (probabilities saturate), a
repeated token keeps its own weight, and padding is trimmed only at the padded end.
"""

from __future__ import annotations

import numbers
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from reportgen.errors import InputError, ReportgenError
from reportgen.results import DocumentExplanation, Heatmap

_ADAPTERS: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()
# the file format of each model load_model returned: users get the plain Keras model, the report its format
_FORMATS: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()


def load_model(path) -> Any:
    """Load a Keras 3 model (.keras, Keras 3 .h5) or convert a Keras 2 HDF5 model."""
    from reportgen.models.load import load_keras_model

    loaded = load_keras_model(path)
    _FORMATS[loaded.model] = loaded.format
    return loaded.model


def adapter_for(model, labels: Sequence[str] | None = None, task: str = "auto", threshold: float = 0.5,
                path: str = "", model_inputs: dict | None = None, output: str | None = None, pad_id: int = 0):
    """One adapter per (model, labels, task, threshold, inputs, output), so compiled engine steps are reused.

    `model`: a Keras model, what `models.load.load_keras_model` returned (a LoadedModel), or an adapter.
    `model_inputs`/`output`/`pad_id`: a multi-input or multi-output model (`ModelAdapter.from_model`)."""
    from reportgen.models.adapter import ModelAdapter, check_model
    from reportgen.models.load import LoadedModel

    if isinstance(model, ModelAdapter):
        return model
    fmt = None
    if isinstance(model, LoadedModel):
        model, fmt = model.model, model.format
    check_model(model, path)  # before the weak-key caches, which raise TypeError on what is not a model
    if fmt is None:
        fmt = _FORMATS.get(model, "keras")
    key = (tuple(labels) if labels is not None else None, task, threshold,
           tuple(sorted((model_inputs or {}).items())), output, pad_id)
    per_model = _ADAPTERS.setdefault(model, {})
    if key not in per_model:
        per_model[key] = ModelAdapter.from_model(model, list(labels) if labels is not None else None, task,
                                                 threshold, path, format=fmt, model_inputs=model_inputs,
                                                 output=output, pad_id=pad_id)
    return per_model[key]


def load_adapter(path, labels: Sequence[str] | None = None):
    """A model file loaded (Keras 3 or converted Keras 2) and wrapped in its adapter (the commands' start)."""
    from reportgen.models.load import load_keras_model

    return adapter_for(load_keras_model(path), labels, path=str(path))


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def explain(model, docs, tokens=None, layers="auto", targets="predicted", relu=(True,), counterfactual=(False,),
            interpolation_kinds=("linear",), score: str = "logit", normalize_gradients: bool = False,
            pad_value=None, padding: str = "post", truncating: str = "post", batch_size: int = 64,
            pipeline=None, labels: Sequence[str] | None = None, task: str = "auto", threshold: float = 0.5,
            ids: Sequence[str] | None = None, progress=None) -> list[DocumentExplanation]:
    """Explain many documents: an id array (documents x positions), ragged id lists, or texts.

    Every combination of layers x targets x relu x counterfactual x interpolation kinds is computed from
    one forward and one backward pass per target slot and batch. Returns one DocumentExplanation each.
    """
    from reportgen.engine.inputs import prepare
    from reportgen.engine.runner import ExplainSettings, explain_documents

    adapter = adapter_for(model, labels, task, threshold)
    prepared = prepare(adapter, docs, tokens=tokens, pipeline=pipeline, pad_value=pad_value, padding=padding,
                       truncating=truncating)
    if ids is not None:
        if isinstance(ids, (str, bytes)) or not hasattr(ids, "__len__"):
            raise ReportgenError(f"ids: expected one id per document, not {type(ids).__name__}")
        if len(ids) != len(prepared):
            raise ReportgenError(f"ids: {len(ids)} ids for {len(prepared)} documents")
        for doc, doc_id in zip(prepared, ids):
            doc.id = str(doc_id)
    settings = ExplainSettings(targets=targets, relu=_as_tuple(relu), counterfactual=_as_tuple(counterfactual),
                               interpolation=_as_tuple(interpolation_kinds), score=score,
                               normalize_gradients=normalize_gradients, batch_size=batch_size)
    pad_id = int(pad_value) if isinstance(pad_value, (int, np.integer)) else getattr(pipeline, "pad_id", 0)
    return explain_documents(adapter, prepared, adapter.resolve_layers(layers), settings, progress, pad_id)


# ----- the tutorial's objects ------------------------------------------------------------------------
@dataclass
class DocWeightedSpans:
    document: str
    spans: list[tuple[str, list[tuple[int, int]], float]]


@dataclass
class WeightedSpans:
    docs_weighted_spans: list[DocWeightedSpans]


@dataclass
class TargetExplanation:
    target: int
    target_label: str
    score: float
    proba: float
    heatmap: np.ndarray
    weighted_spans: WeightedSpans
    layer: str
    heatmap_record: Heatmap = field(repr=False, default=None)


@dataclass
class Explanation:
    estimator: str
    method: str
    description: str
    targets: list[TargetExplanation]
    document: DocumentExplanation = field(repr=False, default=None)
    labels: list[str] = field(default_factory=list)
    layer: str | None = None  # path of the layer explained (as eli5's Grad-CAM explanations carry it)


def explain_prediction(model, doc, tokens=None, targets=None, layer=None, relu: bool = True,
                       counterfactual: bool = False, pad_value=None, padding: str = "post",
                       interpolation_kind: str = "linear", score: str = "logit",
                       normalize_gradients: bool = False, pipeline=None, labels=None) -> Explanation:
    """Explain one document (`doc` a batch of one, as in the tutorial; a single id list; or a single text
    with a pipeline). `targets` and `layer` take what `explain` takes, for one layer."""
    if layer is not None and isinstance(layer, (list, tuple)):
        if len(layer) != 1:
            raise ReportgenError(f"layer: explain_prediction explains one layer, got {len(layer)}; use "
                                 "reportgen.explain(layers=[...]) for several")
        layer = layer[0]
    docs = explain(model, _one_document(doc), tokens=_one_token_row(tokens),
                   layers=layer if layer is not None else "auto",
                   targets="predicted" if targets is None else targets, relu=relu,
                   counterfactual=counterfactual, interpolation_kinds=interpolation_kind, score=score,
                   normalize_gradients=normalize_gradients, pad_value=pad_value, padding=padding,
                   pipeline=pipeline, labels=labels)
    d = docs[0]
    adapter = adapter_for(model, labels)
    target_list = []
    for h in d.heatmaps:
        spans = [(t.text, [t.span] if t.span is not None else [], float(w)) for t, w in zip(d.tokens, h.weights)]
        target_list.append(TargetExplanation(
            target=h.target, target_label=h.target_label, score=h.score,
            proba=float(d.prediction.probabilities[h.target]), heatmap=np.asarray(h.weights),
            weighted_spans=WeightedSpans([DocWeightedSpans(d.text, spans)]), layer=h.layer, heatmap_record=h))
    return Explanation(estimator=getattr(adapter.model, "name", "model"), method="Grad-CAM",
                       description="Grad-CAM for text classification: token weights from a hidden layer's "
                                   "activations weighted by the target's averaged gradients.",
                       targets=target_list, document=d, labels=list(adapter.labels),
                       layer=d.heatmaps[0].layer if d.heatmaps else None)


def _one_document(doc):
    """`doc` as a batch of one for `explain`, or a one-line error naming `doc`."""
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, np.ndarray):
        if doc.ndim == 1:
            return doc[None, :]
        if doc.ndim == 2 and doc.shape[0] == 1:
            return doc
        if doc.ndim == 2:
            raise InputError(f"doc: a batch of one document expected, got {doc.shape[0]}; use reportgen.explain")
        raise InputError(f"doc: an id array of one document must be 1-D or 2-D (1 x positions), not {doc.ndim}-D")
    if isinstance(doc, (list, tuple)) and doc:
        if all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in doc):
            return [list(doc)]  # one document's ids
        if len(doc) == 1 and isinstance(doc[0], (str, list, tuple, np.ndarray)):
            return list(doc)
        if all(isinstance(x, (str, list, tuple, np.ndarray)) for x in doc):
            raise InputError(f"doc: a batch of one document expected, got {len(doc)}; use reportgen.explain")
    raise InputError(f"doc: expected a text, a list of ids or an id array of one document, not "
                     f"{type(doc).__name__}" + (" (empty)" if isinstance(doc, (list, tuple)) else ""))


def _one_token_row(tokens):
    """The tokens of one document (a row, or a batch of one row) as `explain`'s list of rows."""
    if tokens is None:
        return None
    if isinstance(tokens, (str, bytes)):
        raise InputError("tokens: expected a list of token strings (one per position), not a string")
    if isinstance(tokens, np.ndarray):
        return [tokens] if tokens.ndim == 1 else tokens
    rows = list(tokens)
    if rows and all(isinstance(t, str) for t in rows):
        return [rows]
    return rows


def format_as_html(explanation: Explanation, scale_max: float | None = None) -> str:
    """A self-contained, escaped HTML fragment: each target's highlighted text, legend and hover values."""
    from reportgen.render.html import render_fragment

    parts = [render_fragment(explanation.document, t.heatmap_record, scale_max=scale_max,
                             labels=explanation.labels) for t in explanation.targets]
    return "\n".join(parts)


def show_prediction(model, doc, **kwargs):
    """In a notebook: display the explanation as HTML (IPython optional; returns the HTML object or text)."""
    html = format_as_html(explain_prediction(model, doc, **kwargs))
    try:
        from IPython.display import HTML
    except ImportError:
        return html
    return HTML(html)


def save_results(results, directory) -> Path:
    """Write `results` as a build does: explanations.json and the stored maps (results/maps.parquet) in
    `directory`; `reportgen.read_results(directory)` reads them back with every heatmap."""
    from reportgen.output import dump_json
    from reportgen.store import MapsWriter, results_tables

    folder = Path(directory)
    with MapsWriter(folder / results.maps_file) as writer:
        for table in results_tables(results):
            writer.write(table)
    return dump_json(results.to_dict(), folder / "explanations.json")
