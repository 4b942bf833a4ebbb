"""Batched Grad-CAM: one forward pass records every requested layer for K copies of the batch (one per
target slot, padded to a row bucket); one backward pass reaches all of them.

For document x, layer output A (time x channels) and target score y:
    w_c = mean_t dy/dA[t, c]      (over the document's own time steps, [start, end) per document)
    map[t] = sum_c w_c A[t, c]
The runner decides each document's own steps (see `runner.own_positions`); the step only applies them, and
only to layers whose time axis follows the input (others average over all their steps).
The step returns that map at the layer's resolution plus the L2 norm of the whole gradient tensor, so the
variants (relu, counterfactual, gradient normalisation) are derived afterwards without recomputation:
normalising the gradients divides the map by that norm; counterfactual negates it.

A layer without a time axis, (batch, channels), gives one number per document: sum_c dy/dA_c * A_c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.engine.batching import TOKEN_BUDGET
from reportgen.errors import ModelError, ReportgenError
from reportgen.models.adapter import ModelAdapter
from reportgen.models.layers import LayerEntry
from reportgen.models.tracing import run_traced
from reportgen.spec.choices import SCORE_KINDS


@dataclass
class BatchMaps:
    """Engine output for one batch. maps[path][k] is (batch, layer time steps) for target slot k."""

    maps: dict[str, list[np.ndarray]]
    grad_norms: dict[str, np.ndarray]  # path -> (K, batch)
    scores: np.ndarray  # (batch, K): the explained target scores (logit or probability)
    targets: np.ndarray  # (batch, K): label index per slot
    probabilities: np.ndarray  # (batch, n_labels)


# A step traced for a static row count runs the IMDB BiLSTM about twice as fast as the shape-free one
# (benchmarks/engine.py, 2 cores: 6 batches of 64 reviews, 0.49 against 0.95 s; 4 reviews, 86 against 124 ms):
# the gradient of Keras' RNN loop costs a fixed overhead per time step when the batch size is unknown (the
# forward alone does not: 27.3 against 26.7 ms, so the shape-free predict step keeps). So rows are
# padded (with copies of the first rows, dropped afterwards) up to the next of a few sizes, 64, 96, 128,
# 192, ... (at most a third wasted), each traced once when first met; a row bucket that would overrun the
# token budget goes through the shape-free step (long documents, where that overhead is small against the work).
# Fewer rows than 64 (the default batch of 64 documents) take the shape-free step too: they are a corpus's
# last batches and its budget-cut batches of long documents, whose sizes vary with the corpus, and each bucket
# traced holds ~30 MB for the rest of the run (IMDB, 5,000 held-out reviews: buckets of 16, 24 and 48 rows
# were traced besides 64, and the peak memory grew with the corpus for it).
MIN_STATIC_ROWS = 64


def static_rows(rows: int, positions: int) -> int | None:
    """The padded row count of a call with `rows` rows of `positions` ids, or None for the shape-free step."""
    if rows < MIN_STATIC_ROWS:
        return None
    bucket = MIN_STATIC_ROWS
    while bucket < rows:
        bucket = bucket * 3 // 2 if bucket & (bucket - 1) == 0 else bucket * 4 // 3
    return bucket if bucket * max(positions, 1) <= TOKEN_BUDGET else None


# XLA (jit_compile=True) is off. Measured on CPU (benchmarks/engine.py part 6, 2 cores), 1 target, the IMDB
# BiLSTM: against the shape-free step XLA was 3.3x faster a batch, but against the row-bucketed step only
# 1.24x (36.4 vs 45.0 ms a 64-review batch at load 1.9), maps within 2.6e-6 of the plain step's (relative to
# each map's largest value), and XLA compiles every new batch shape (rows x positions) again: the first
# pass over 4 shapes took 4.2 s against 0.26 s, so it pays off only after ~450 batches of known shapes. The
# BBC Conv1D model cannot be compiled at all: its string input path (TextVectorization, a string Fill) has
# no XLA kernel.
class GradCAM:
    """Grad-CAM over a fixed set of layers of one model; `attribute` is called once per batch.

    `score` is "logit" (pre-activation of the final layer, as in the Grad-CAM paper) or "probability"
    (the tutorial's choice; saturates for confident predictions).

    K targets are K copies of the batch (slot-major rows, one (document, target) pair a row) through one
    forward and one non-persistent backward pass, so the step's signature knows nothing of K: one trace
    per kind of target request (targets given, or the top-K chosen inside) and per row bucket
    (`static_rows`), whatever the lengths and target counts. Tracing dominates a small build (the IMDB
    BiLSTM step: ~3 s to trace plus ~3 s of graph optimisation on its first call, against ~0.3 s for the
    demo's 41 reviews after): a build meets one or two buckets (its full batches, its last one). A
    persistent tape with K backward passes would need one trace per K, each ~1.6x as long to trace
    (measured on the IMDB sample: 4.4 s for K=2 against 2.75 s for K=1). Rows are independent (inference
    mode), so each copy's gradient is exactly its own target's. The price is K forwards where one would do:
    on the BBC Conv1D model (cheap forward) all 5 targets cost 192 against 114 ms a 32-article batch, for a
    first call of 0.6 against 2.8 s; on the IMDB BiLSTM K=2 costs less than before (0.3 vs 0.84 s for the
    demo's 41 reviews). `jit_compile` (XLA) stays off: see the note above the class.
    """

    def __init__(self, adapter: ModelAdapter, layers: list[LayerEntry], score: str = "logit",
                 jit_compile: bool = False):
        if score not in SCORE_KINDS:
            raise ReportgenError(f"score {score!r}: expected {' or '.join(repr(k) for k in SCORE_KINDS)}")
        for e in layers:
            # checked here, before tracing: an error raised inside the traced step reaches the user wrapped
            # in AutoGraph's multi-line dump (run_traced unwraps those too, as a second line of defence)
            adapter.check_explainable(e)
        self.adapter = adapter
        self.layers = list(layers)
        self.score = score
        self.jit_compile = jit_compile
        self._steps: dict[tuple[bool, int | None], object] = {}  # (choose_top, static rows or None)

    def tracing_count(self) -> int:
        """How many times this engine's steps were traced (one per kind of target request and row bucket)."""
        return sum(step.experimental_get_tracing_count() for step in self._steps.values())

    def attribute(self, ids: np.ndarray, lengths: np.ndarray, targets: np.ndarray | None = None,
                  top_k: int | None = None, starts: np.ndarray | None = None) -> BatchMaps:
        """Maps for a batch. Either `targets` (batch, K) label indices, or `top_k`: the K most probable.

        The gradient mean covers positions [starts, lengths) of each document (starts default to 0)."""
        import tensorflow as tf

        if (targets is None) == (top_k is None):
            raise ValueError("give exactly one of targets or top_k")
        choose_top = targets is None
        k = int(top_k) if choose_top else int(targets.shape[1])
        batch = len(ids)
        starts = np.zeros(batch, dtype=np.int32) if starts is None else np.asarray(starts, dtype=np.int32)
        ends = np.asarray(lengths, dtype=np.int32)
        # top-K: the rank each slot explains; else the label per document and slot
        chosen = np.tile(np.arange(k, dtype=np.int32), (batch, 1)) if choose_top else np.asarray(targets, np.int32)
        # K copies of a batch hold K times its working memory: slots go through in groups that keep the
        # rows to the token budget the batch itself was cut to (at least one slot a call)
        positions = batch * ids.shape[1]
        per_call = k if positions * k <= TOKEN_BUDGET else max(1, TOKEN_BUDGET // max(1, positions))
        parts = []
        for first in range(0, k, per_call):
            slots = min(k, first + per_call) - first
            rows = slots * batch
            # row s * batch + b is document b for slot first + s; padding rows repeat the first rows, dropped after
            take = np.arange(static_rows(rows, ids.shape[1]) or rows) % rows
            row_ids = np.tile(ids, (slots, 1))[take]
            row_chosen = chosen[:, first:first + slots].T.reshape(-1)[take, None]
            out = run_traced(self._step(choose_top), tf.constant(row_ids, dtype=self.adapter.input_dtype),
                             tf.constant(np.tile(starts, slots)[take]), tf.constant(np.tile(ends, slots)[take]),
                             tf.constant(row_chosen))
            parts.append((slots, [m.numpy()[:rows] for m in out[0]], [n.numpy()[:rows] for n in out[1]],
                          out[2].numpy()[:rows], out[3].numpy()[:rows], out[4]))
        maps = {e.path: [layer_maps[i][s * batch:(s + 1) * batch] for slots, layer_maps, *_ in parts
                         for s in range(slots)] for i, e in enumerate(self.layers)}
        norms = {e.path: np.concatenate([n[i].reshape(slots, batch) for slots, _, n, *_ in parts])
                 for i, e in enumerate(self.layers)}
        return BatchMaps(maps=maps, grad_norms=norms,
                         scores=np.concatenate([p[3].reshape(p[0], batch).T for p in parts], axis=1),
                         targets=np.concatenate([p[4].reshape(p[0], batch).T for p in parts], axis=1),
                         probabilities=parts[0][5].numpy()[:batch])

    def _step(self, choose_top: bool):
        """The compiled step for this kind of target request: one trace per row bucket it meets."""

        def step(ids, starts, ends, chosen):
            rows = static_rows(int(ids.shape[0]), int(ids.shape[1]))
            if (choose_top, rows) not in self._steps:
                self._steps[(choose_top, rows)] = self._build_step(choose_top, rows)
            return self._steps[(choose_top, rows)](ids, starts, ends, chosen)

        return step

    def _build_step(self, choose_top: bool, rows: int | None):
        import tensorflow as tf

        adapter, layers, score = self.adapter, self.layers, self.score
        follows = [adapter.shapes[e.path].follows_input for e in layers]

        # rows: the static row count of this trace (None: any); positions always stay free
        signature = [tf.TensorSpec([rows, None], adapter.input_dtype), tf.TensorSpec([rows], tf.int32),
                     tf.TensorSpec([rows], tf.int32), tf.TensorSpec([rows, 1], tf.int32)]

        # autograph off: the step has no tensor-dependent Python control flow, and converting it (and the
        # Keras code it calls) only adds tracing time
        @tf.function(input_signature=signature, autograph=False, jit_compile=self.jit_compile)
        def step(rows, row_starts, row_ends, chosen):
            # each row is one (document, target) pair: chosen holds its label, or the rank to explain
            record: dict = {}
            with tf.GradientTape() as tape:
                with adapter.capture([e.layer for e in layers], record, ids=rows, watch=tape.watch):
                    outputs = adapter.model(adapter.model_input(rows), training=False)
                    logits = adapter.logits_from(record, outputs)
                all_scores = adapter.class_scores(logits, score)
                probs = adapter.class_scores(logits, "probability")
                if choose_top:
                    ranked = tf.math.top_k(probs, k=tf.reduce_max(chosen) + 1, sorted=True).indices
                    row_targets = tf.gather(ranked, chosen, batch_dims=1)[:, 0]
                else:
                    row_targets = chosen[:, 0]
                row_scores = tf.gather(all_scores, row_targets[:, None], batch_dims=1)[:, 0]
                total = tf.reduce_sum(row_scores)
            activations = [record[id(e.layer)] for e in layers]
            grads = tape.gradient(total, activations, unconnected_gradients=tf.UnconnectedGradients.NONE)
            maps, norms = [], []
            for i, (a, g) in enumerate(zip(activations, grads)):
                if g is None:
                    raise ModelError(f"layer {layers[i].path!r}: the target score has no gradient "
                                     "with respect to this layer's output")
                a = tf.cast(a, tf.float32)
                g = tf.cast(g, tf.float32)
                if len(a.shape) == 3:
                    steps = tf.shape(a)[1]
                    if follows[i]:
                        # only the document's own steps: neither the padding the batch adds nor the
                        # padding a masked model ignores may dilute the mean
                        mask = (tf.sequence_mask(row_ends, steps, dtype=tf.float32)
                                - tf.sequence_mask(row_starts, steps, dtype=tf.float32))[:, :, None]
                        denom = tf.cast(tf.maximum(row_ends - row_starts, 1), tf.float32)[:, None]
                        weights = tf.reduce_sum(g * mask, axis=1) / denom
                        g = g * mask
                    else:
                        weights = tf.reduce_mean(g, axis=1)
                    layer_map = tf.einsum("btc,bc->bt", a, weights)
                    norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=[1, 2]))
                elif len(a.shape) == 2:
                    layer_map = tf.reduce_sum(g * a, axis=1, keepdims=True)
                    norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=1))
                else:
                    raise ModelError(f"layer {layers[i].path!r}: output rank {len(a.shape)}; Grad-CAM "
                                     "for text needs (batch, time, channels) or (batch, channels)")
                maps.append(layer_map)
                norms.append(norm)
            return maps, norms, row_scores, row_targets, probs

        return step
