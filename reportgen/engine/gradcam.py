"""Batched Grad-CAM: one forward pass records every requested layer for K copies of the batch (one per
target slot); one backward pass reaches all of them.

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


# XLA (jit_compile=True) is off. Measured on CPU (benchmarks/engine.py part 6, 2 cores), 1 target: the IMDB
# BiLSTM step runs 3.3x faster once compiled (36 vs 119 ms a 64-review batch at load 5; 101 vs 336 ms a
# 32-review batch at load 7), its maps within 2.6e-6 of the plain step's (relative to each map's largest
# value), but XLA compiles every new batch shape (rows x positions) again, 1.7-4.5 s each: first call 3.5 s
# against 1.6 s, and 5.2 s against 0.7 s for the next three shapes. It pays off only after ~20 batches of
# one shape, never in a demo build (41 reviews, one batch). The BBC Conv1D model cannot be compiled at all:
# its string input path (TextVectorization, a string Fill) has no XLA kernel.
class GradCAM:
    """Grad-CAM over a fixed set of layers of one model; `attribute` is called once per batch.

    `score` is "logit" (pre-activation of the final layer, as in the Grad-CAM paper) or "probability"
    (the tutorial's choice; saturates for confident predictions).

    One compiled step serves every batch size, length and target count (two in all: targets given, or
    the top-K chosen inside). Tracing dominates a small build (the IMDB BiLSTM step: ~3 s to trace plus
    ~3 s of graph optimisation on its first call, against ~0.3 s for the demo's 41 reviews after), so the
    step never retraces: its signature has no static dimension (a static batch size runs ~30% faster on
    the BiLSTM, but would trace once per size), and K targets are K copies of the batch (slot-major rows)
    through one forward and one non-persistent backward pass. A persistent tape with K backward passes
    would need one trace per K, each ~1.6x as long to trace (measured on the IMDB sample: 4.4 s for K=2
    against 2.75 s for K=1). Rows are independent (inference mode), so each copy's gradient is exactly its
    own target's. The price is K forwards where one would do: on the BBC Conv1D model (cheap forward) all 5
    targets cost 192 against 114 ms a 32-article batch, for a first call of 0.6 against 2.8 s; on the IMDB
    BiLSTM K=2 costs less than before (0.3 vs 0.84 s for the demo's 41 reviews). `jit_compile` (XLA) stays
    off: see the note above the class.
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
        self._steps: dict[bool, object] = {}

    def tracing_count(self) -> int:
        """How many times this engine's steps were traced (one per kind of target request, at most two)."""
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
        starts = np.zeros(batch, dtype=np.int32) if starts is None else starts
        # K copies of a batch hold K times its working memory: slots go through in groups that keep the
        # rows to the token budget the batch itself was cut to (at least one slot a call)
        positions = batch * ids.shape[1]
        per_call = k if positions * k <= TOKEN_BUDGET else max(1, TOKEN_BUDGET // max(1, positions))
        step = self._step(choose_top)
        ids_t = tf.constant(ids, dtype=self.adapter.input_dtype)
        starts_t = tf.constant(starts, dtype=tf.int32)
        ends_t = tf.constant(lengths, dtype=tf.int32)
        parts = []
        for first in range(0, k, per_call):
            slots = np.arange(first, min(k, first + per_call), dtype=np.int32)
            # top-K: the ranks to explain; else the label per document and slot
            chosen = np.tile(slots, (batch, 1)) if choose_top else np.asarray(targets)[:, slots]
            parts.append(run_traced(step, ids_t, starts_t, ends_t, tf.constant(chosen, dtype=tf.int32)))
        maps = {e.path: [m for part in parts for m in part[0][i].numpy()] for i, e in enumerate(self.layers)}
        norms = {e.path: np.concatenate([part[1][i].numpy() for part in parts]) for i, e in enumerate(self.layers)}
        return BatchMaps(maps=maps, grad_norms=norms,
                         scores=np.concatenate([part[2].numpy() for part in parts], axis=1),
                         targets=np.concatenate([part[3].numpy() for part in parts], axis=1),
                         probabilities=parts[0][4].numpy())

    def _step(self, choose_top: bool):
        if choose_top not in self._steps:
            self._steps[choose_top] = self._build_step(choose_top)
        return self._steps[choose_top]

    def _build_step(self, choose_top: bool):
        import tensorflow as tf

        adapter, layers, score = self.adapter, self.layers, self.score
        follows = [adapter.shapes[e.path].follows_input for e in layers]

        signature = [tf.TensorSpec([None, None], adapter.input_dtype), tf.TensorSpec([None], tf.int32),
                     tf.TensorSpec([None], tf.int32), tf.TensorSpec([None, None], tf.int32)]

        # autograph off: the step has no tensor-dependent Python control flow, and converting it (and the
        # Keras code it calls) only adds tracing time
        @tf.function(input_signature=signature, autograph=False, jit_compile=self.jit_compile)
        def step(ids, starts, ends, chosen):
            batch, k = tf.shape(chosen)[0], tf.shape(chosen)[1]
            # row s * batch + b is document b for slot s
            rows = tf.tile(ids, [k, 1])
            row_starts, row_ends = tf.tile(starts, [k]), tf.tile(ends, [k])
            record: dict = {}
            with tf.GradientTape() as tape:
                with adapter.capture([e.layer for e in layers], record, ids=rows, watch=tape.watch):
                    outputs = adapter.model(adapter.model_input(rows), training=False)
                    logits = adapter.logits_from(record, outputs)
                all_scores = adapter.class_scores(logits, score)
                probs = adapter.class_scores(logits, "probability")[:batch]
                if choose_top:
                    ranked = tf.math.top_k(probs, k=tf.reduce_max(chosen) + 1, sorted=True).indices
                    targets = tf.gather(ranked, chosen, batch_dims=1)
                else:
                    targets = chosen
                row_targets = tf.reshape(tf.transpose(targets), [-1])
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
                maps.append(tf.reshape(layer_map, [k, batch, -1]))
                norms.append(tf.reshape(norm, [k, batch]))
            return maps, norms, tf.transpose(tf.reshape(row_scores, [k, batch])), targets, probs

        return step
