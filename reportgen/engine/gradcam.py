"""Batched Grad-CAM: one forward pass records every requested layer; one backward pass per target slot
reaches all of them.

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


class GradCAM:
    """Grad-CAM over a fixed set of layers of one model; `attribute` is called once per batch.

    `score` is "logit" (pre-activation of the final layer, as in the Grad-CAM paper) or "probability"
    (the tutorial's choice; saturates for confident predictions). The compiled step is traced once per
    target-slot count and reused for every batch.
    """

    def __init__(self, adapter: ModelAdapter, layers: list[LayerEntry], score: str = "logit"):
        if score not in SCORE_KINDS:
            raise ReportgenError(f"score {score!r}: expected {' or '.join(repr(k) for k in SCORE_KINDS)}")
        for e in layers:
            # checked here, before tracing: an error raised inside the traced step reaches the user wrapped
            # in AutoGraph's multi-line dump (run_traced unwraps those too, as a second line of defence)
            adapter.check_explainable(e)
        self.adapter = adapter
        self.layers = list(layers)
        self.score = score
        self._steps: dict[tuple, object] = {}

    def attribute(self, ids: np.ndarray, lengths: np.ndarray, targets: np.ndarray | None = None,
                  top_k: int | None = None, starts: np.ndarray | None = None) -> BatchMaps:
        """Maps for a batch. Either `targets` (batch, K) label indices, or `top_k`: the K most probable.

        The gradient mean covers positions [starts, lengths) of each document (starts default to 0)."""
        import tensorflow as tf

        if (targets is None) == (top_k is None):
            raise ValueError("give exactly one of targets or top_k")
        k = int(targets.shape[1]) if targets is not None else int(top_k)
        step = self._step(k, targets is None)
        ids_t = tf.constant(ids, dtype=self.adapter.input_dtype)
        lengths_t = tf.constant(lengths, dtype=tf.int32)
        starts_t = tf.constant(np.zeros(len(ids), dtype=np.int32) if starts is None else starts, dtype=tf.int32)
        if targets is None:
            targets = np.zeros((len(ids), k), dtype=np.int32)
        maps, norms, scores, chosen, probs = run_traced(step, ids_t, starts_t, lengths_t,
                                                        tf.constant(targets, dtype=tf.int32))
        return BatchMaps(
            maps={e.path: [m.numpy() for m in maps[i]] for i, e in enumerate(self.layers)},
            grad_norms={e.path: np.stack([n.numpy() for n in norms[i]]) for i, e in enumerate(self.layers)},
            scores=scores.numpy(), targets=chosen.numpy(), probabilities=probs.numpy())

    def _step(self, k: int, choose_top: bool):
        key = (k, choose_top)
        if key not in self._steps:
            self._steps[key] = self._build_step(k, choose_top)
        return self._steps[key]

    def _build_step(self, k: int, choose_top: bool):
        import tensorflow as tf

        adapter, layers, score = self.adapter, self.layers, self.score
        follows = [adapter.shapes[e.path].follows_input for e in layers]

        # a fixed signature: one trace per target-slot count, whatever the batch size and length
        signature = [tf.TensorSpec([None, None], adapter.input_dtype), tf.TensorSpec([None], tf.int32),
                     tf.TensorSpec([None], tf.int32), tf.TensorSpec([None, k], tf.int32)]

        @tf.function(input_signature=signature)
        def step(ids, starts, ends, given_targets):
            record: dict = {}
            # persistent only when several backward passes share it (it doubles the tracing time)
            with tf.GradientTape(persistent=k > 1) as tape:
                with adapter.capture([e.layer for e in layers], record, ids=ids, watch=tape.watch):
                    outputs = adapter.model(adapter.model_input(ids), training=False)
                    logits = adapter.logits_from(record, outputs)
                all_scores = adapter.class_scores(logits, score)
                probs = adapter.class_scores(logits, "probability")
                if choose_top:
                    targets = tf.math.top_k(probs, k=k, sorted=True).indices
                else:
                    targets = given_targets
                target_scores = tf.gather(all_scores, targets, batch_dims=1)
                totals = [tf.reduce_sum(target_scores[:, slot]) for slot in range(k)]
            activations = [record[id(e.layer)] for e in layers]
            maps = [[] for _ in layers]
            norms = [[] for _ in layers]
            for slot in range(k):
                grads = tape.gradient(totals[slot], activations,
                                      unconnected_gradients=tf.UnconnectedGradients.NONE)
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
                            mask = (tf.sequence_mask(ends, steps, dtype=tf.float32)
                                    - tf.sequence_mask(starts, steps, dtype=tf.float32))[:, :, None]
                            denom = tf.cast(tf.maximum(ends - starts, 1), tf.float32)[:, None]
                            weights = tf.reduce_sum(g * mask, axis=1) / denom
                            g = g * mask
                        else:
                            weights = tf.reduce_mean(g, axis=1)
                        maps[i].append(tf.einsum("btc,bc->bt", a, weights))
                        norms[i].append(tf.sqrt(tf.reduce_sum(tf.square(g), axis=[1, 2])))
                    elif len(a.shape) == 2:
                        maps[i].append(tf.reduce_sum(g * a, axis=1, keepdims=True))
                        norms[i].append(tf.sqrt(tf.reduce_sum(tf.square(g), axis=1)))
                    else:
                        raise ModelError(f"layer {layers[i].path!r}: output rank {len(a.shape)}; Grad-CAM "
                                             "for text needs (batch, time, channels) or (batch, channels)")
            del tape
            return maps, norms, target_scores, targets, probs

        return step
