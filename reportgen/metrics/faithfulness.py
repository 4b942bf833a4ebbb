"""Does removing what a heatmap calls relevant change the prediction? Deletion curves, AOPC,
comprehensiveness and sufficiency for token heatmaps.

Notation: a document has n removable tokens (the caller's mask; a start token is not removable); p_k is the
target's probability (from `predict_fn`) after step k of a deletion curve, p_0 the unchanged document's.

- How many tokens a fraction f means: `removal_count(f, n)` = floor(f * n), at least 1 for f > 0, at most n.
  Never more than the stated share, except that every step and bin removes at least one token.
- Deletion curve with K steps (`steps`): step k removes the first `removal_count(k * max_fraction / K, n)`
  positions of an order. MoRF = most relevant first (weights descending), LeRF = least relevant first
  (the reverse of the MoRF order), random = a seeded random order. Equal weights (say the zeros of a ReLU
  map) are put in a seeded random order first, so ties carry no position bias and a uniform map scores at
  the random level.
- AOPC, following Samek et al. 2017 (eq. 12) with L = K:  AOPC = 1/(K+1) * sum_{k=0..K} (p_0 - p_k).
  The k = 0 term is 0, so this is K/(K+1) times the mean drop over steps 1..K.
- random_aopc: the mean over seeds of the random-order AOPC (equal to the AOPC of the mean curve).
- Comprehensiveness (DeYoung et al. 2020, ERASER): mean over bins b of p_0 - p(without the top b tokens).
- Sufficiency: mean over bins b of p_0 - p(only the top b of the removable tokens kept; tokens that are not
  removable stay). Higher comprehensiveness and lower sufficiency mean a more faithful map.

Every perturbed input is registered with a `PerturbationBatch`, which drops duplicates and later sends them
through `predict_fn` in chunks of at most `batch_size` (or as the caller's `chunks` cuts them), for all
documents together.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from reportgen.metrics.settings import MetricsSettings
from reportgen.results import DocumentExplanation, Heatmap

PredictFn = Callable[[list[list[int]]], Any]  # batch of id lists (no padding) -> [B, n_labels] probabilities
Progress = Callable[[int, int], None]  # (inputs predicted so far, inputs in all)
# (input positions sorted by length, their lengths, batch_size) -> consecutive groups of those positions
Chunker = Callable[[list[int], list[int], int], Iterable[Sequence[int]]]

# Salts keep the tie-breaking stream apart from the random-reference streams of the same document.
_RANDOM_SALT = 0
_TIE_SALT = 1
# predict_fn's probability for the unchanged document may differ from the explained one by float noise only.
PROBABILITY_TOLERANCE = 1e-3


class SkipDocument(Exception):
    """A document that cannot be scored; the message says why (it ends up in the report)."""


def removal_count(fraction: float, n: int) -> int:
    """Tokens making up `fraction` of `n`: floor(fraction * n), at least 1 when fraction > 0, at most n."""
    if fraction <= 0 or n <= 0:
        return 0
    return min(n, max(1, math.floor(fraction * n + 1e-9)))


def perturb(ids: Sequence[int], positions: Sequence[int], removal: str, *, pad_id: int,
            oov_id: int | None) -> list[int]:
    """`ids` with `positions` replaced by the pad id ("pad") or the OOV id ("oov"), or left out ("delete")."""
    row = np.asarray(ids, dtype=np.int64)
    gone = np.asarray(positions, dtype=np.intp)
    if removal in ("pad", "oov"):
        if removal == "oov" and oov_id is None:
            raise ValueError("removal 'oov' needs an oov_id")
        row = row.copy()
        row[gone] = pad_id if removal == "pad" else oov_id
        return row.tolist()
    if removal == "delete":
        keep = np.ones(len(row), dtype=bool)
        keep[gone] = False
        # A model may not take an empty sequence: the empty document is one pad token.
        return row[keep].tolist() or [pad_id]
    raise ValueError(f"unknown removal {removal!r}")


def document_rng(doc_id: str, *stream: int) -> np.random.Generator:
    """A generator that depends only on the document id and the stream, not on which documents run."""
    return np.random.default_rng([*stream, zlib.crc32(doc_id.encode("utf-8"))])


def relevance_order(weights: Sequence[float], removable: Sequence[bool], rng: np.random.Generator) -> np.ndarray:
    """Removable positions, most relevant first; equal weights in the order of a permutation drawn from `rng`.

    Missing weights (None/NaN) count as the least relevant.
    """
    positions = np.flatnonzero(np.asarray(removable, dtype=bool))
    shuffled = rng.permutation(positions)
    w = np.array([np.nan if x is None else x for x in weights], dtype=np.float64)[shuffled]
    w = np.where(np.isnan(w), -np.inf, w)
    return shuffled[np.argsort(-w, kind="stable")]


def random_order(removable: Sequence[bool], rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(np.flatnonzero(np.asarray(removable, dtype=bool)))


def aopc(curve: Sequence[float]) -> float:
    """1/(K+1) * sum_{k=0..K} (p_0 - p_k) for a curve p_0..p_K (Samek et al. 2017)."""
    p = np.asarray(curve, dtype=np.float64)
    return float(np.mean(p[0] - p))


class PerturbationBatch:
    """Unique inputs of every document, predicted together in chunks of at most `batch_size`.

    Curves and bins of one document often ask for the same input (step 0 of every curve is the document
    itself, a MoRF step can be a comprehensiveness bin, a LeRF step a sufficiency bin, two layers' maps
    can rank alike): `add` returns the index of the one copy, so each input is predicted once.
    """

    def __init__(self) -> None:
        self._index: dict[tuple[int, ...], int] = {}
        self.inputs: list[tuple[int, ...]] = []
        self.calls = 0  # predict_fn calls made by `run`

    def add(self, ids: Sequence[int]) -> int:
        key = tuple(map(int, ids))
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.inputs)
            self.inputs.append(key)
        return index

    def __len__(self) -> int:
        return len(self.inputs)

    def run(self, predict_fn: PredictFn, batch_size: int, progress: Progress | None = None,
            chunks: Chunker | None = None) -> np.ndarray:
        """Probabilities [len(self), n_labels], one `predict_fn` call per chunk.

        Chunks hold inputs of similar length (sorted by length, stable), so "delete" perturbations pad little
        and an adapter that can only batch equal lengths splits them rarely. `chunks(order, lengths,
        batch_size)` cuts that order (e.g. to a token budget, so each call is one full model batch); by
        default every chunk holds `batch_size` inputs but the last.
        """
        total = len(self.inputs)
        order = sorted(range(total), key=lambda i: len(self.inputs[i]))
        if chunks is None:
            groups = [order[start:start + batch_size] for start in range(0, total, batch_size)]
        else:
            groups = [list(group) for group in chunks(order, [len(self.inputs[i]) for i in order], batch_size)]
        out: np.ndarray | None = None
        done = 0
        for rows in groups:
            probs = np.asarray(predict_fn([list(self.inputs[i]) for i in rows]), dtype=np.float64)
            self.calls += 1
            if probs.ndim != 2 or probs.shape[0] != len(rows):
                raise ValueError(f"predict_fn returned shape {probs.shape} for {len(rows)} documents; "
                                 "expected [batch, n_labels]")
            if out is None:
                out = np.zeros((total, probs.shape[1]))
            out[rows] = probs
            done += len(rows)
            if progress is not None:
                progress(done, total)
        return out if out is not None else np.zeros((0, 0))


def select_heatmaps(doc: DocumentExplanation, layer: str, *, relu: bool | None = None,
                    interpolation: str | None = None) -> dict[int, Heatmap]:
    """The map scored per target: the first non-counterfactual one of `layer` matching relu/interpolation."""
    chosen: dict[int, Heatmap] = {}
    for h in doc.heatmaps:
        if h.layer != layer or h.counterfactual:
            continue
        if relu is not None and h.relu != relu:
            continue
        if interpolation is not None and h.interpolation != interpolation:
            continue
        chosen.setdefault(h.target, h)
    return dict(sorted(chosen.items()))


@dataclass
class _MapPlan:
    layer: str
    heatmap: Heatmap
    morf: list[int]
    lerf: list[int]
    without_top: list[int]  # per bin
    only_top: list[int]  # per bin


@dataclass
class DocumentPlan:
    """Indices into a PerturbationBatch for everything one document needs; `results` reads them back."""

    doc: DocumentExplanation
    settings: MetricsSettings
    n_removable: int
    counts: list[int]
    bin_counts: list[int]
    original: int
    random: list[list[int]]  # per seed, per step
    maps: list[_MapPlan] = field(default_factory=list)

    @property
    def fractions(self) -> list[float]:
        s = self.settings
        return [k * s.max_fraction / s.steps for k in range(s.steps + 1)]

    def results(self, probs: np.ndarray) -> tuple[dict[str, dict[str, dict[str, Any]]], list[str]]:
        """(metrics for DocumentExplanation.metrics, notes) from the batch's probabilities."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        notes: list[str] = []
        fractions = [float(f) for f in self.fractions]
        for plan in self.maps:
            t = plan.heatmap.target
            if t >= probs.shape[1]:
                raise ValueError(f"predict_fn gives {probs.shape[1]} probabilities; target {t} is out of range")
            p0 = float(probs[self.original, t])
            explained = self.doc.prediction.probabilities
            if t < len(explained) and explained[t] is not None and abs(explained[t] - p0) > PROBABILITY_TOLERANCE:
                note = (f"sample {self.doc.id}: predict_fn gives p={p0:.4f} for label {t} on the unchanged "
                        f"document, the explained prediction was {explained[t]:.4f}")
                if note not in notes:
                    notes.append(note)
            morf = [float(probs[i, t]) for i in plan.morf]
            lerf = [float(probs[i, t]) for i in plan.lerf]
            random_curves = np.array([[probs[i, t] for i in seed_curve] for seed_curve in self.random])
            random_mean = [float(v) for v in random_curves.mean(axis=0)]
            comp_bins = [p0 - float(probs[i, t]) for i in plan.without_top]
            suff_bins = [p0 - float(probs[i, t]) for i in plan.only_top]
            morf_aopc = aopc(morf)
            random_aopc = float(np.mean([aopc(c) for c in random_curves]))
            out.setdefault(plan.layer, {})[str(t)] = {
                "target_label": plan.heatmap.target_label,
                "predicted": t in self.doc.prediction.predicted,
                "relu": plan.heatmap.relu,
                "interpolation": plan.heatmap.interpolation,
                "removable": self.n_removable,
                "probability": p0,
                "aopc": morf_aopc,
                "random_aopc": random_aopc,
                "lerf_aopc": aopc(lerf),
                "aopc_gain": morf_aopc - random_aopc,
                "comprehensiveness": float(np.mean(comp_bins)),
                "sufficiency": float(np.mean(suff_bins)),
                "bins": [float(b) for b in self.settings.bins],
                "bin_counts": list(self.bin_counts),
                "comprehensiveness_bins": comp_bins,
                "sufficiency_bins": suff_bins,
                "curves": {
                    "fractions": fractions,
                    "removed": list(self.counts),
                    "morf": morf,
                    "lerf": lerf,
                    "random": random_mean,
                },
            }
        return out, notes


def plan_document(doc: DocumentExplanation, layers: Sequence[str], settings: MetricsSettings, *,
                  pad_id: int, oov_id: int | None, removable: Sequence[bool] | None,
                  batch: PerturbationBatch) -> DocumentPlan:
    """Register every perturbation of `doc` with `batch`; raises SkipDocument when it cannot be scored."""
    ids = [t.id for t in doc.tokens]
    if any(i is None for i in ids):
        raise SkipDocument("its tokens have no model ids")
    mask = [True] * len(ids) if removable is None else [bool(x) for x in removable]
    if len(mask) != len(ids):
        raise SkipDocument(f"the removable mask has {len(mask)} entries for {len(ids)} tokens")
    n = sum(mask)
    if n < 2:
        raise SkipDocument(f"{n} removable token(s); at least 2 are needed")
    removal, s = settings.removal, settings

    row = np.asarray(ids, dtype=np.int64)  # converted once: a document has hundreds of perturbations

    def add(positions: Sequence[int]) -> int:
        return batch.add(perturb(row, positions, removal, pad_id=pad_id, oov_id=oov_id))

    counts = [removal_count(k * s.max_fraction / s.steps, n) for k in range(s.steps + 1)]
    bin_counts = [removal_count(b, n) for b in s.bins]
    plan = DocumentPlan(doc=doc, settings=s, n_removable=n, counts=counts, bin_counts=bin_counts,
                        original=batch.add(ids), random=[])
    for seed in s.seeds:
        order = random_order(mask, document_rng(doc.id, _RANDOM_SALT, seed))
        plan.random.append([add(order[:c]) for c in counts])
    for layer in layers:
        for heatmap in select_heatmaps(doc, layer, relu=s.relu, interpolation=s.interpolation).values():
            if len(heatmap.weights) != len(ids):
                raise SkipDocument(f"layer {layer} target {heatmap.target}: {len(heatmap.weights)} weights "
                                   f"for {len(ids)} tokens")
            order = relevance_order(heatmap.weights, mask, document_rng(doc.id, _TIE_SALT, 0))
            least_first = order[::-1]
            plan.maps.append(_MapPlan(
                layer=layer,
                heatmap=heatmap,
                morf=[add(order[:c]) for c in counts],
                lerf=[add(least_first[:c]) for c in counts],
                without_top=[add(order[:c]) for c in bin_counts],
                only_top=[add(order[c:]) for c in bin_counts],
            ))
    return plan
