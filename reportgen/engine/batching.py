"""Which documents share a forward pass, and how they are padded for it.

A batch never changes a prediction: variable-length documents are padded together only when the model
masks the pad id (`ModelAdapter.masks_padding`), else only documents of equal length share a batch. Every
batch also keeps to a token budget, so a few very long texts cannot blow up one batch.
"""

from __future__ import annotations

import numpy as np

from reportgen.errors import InputError, ReportgenError
from reportgen.models.adapter import ModelAdapter
from reportgen.models.tracing import run_traced

# Working memory follows padded token positions, not documents (about 22 KiB per position for a small
# BiLSTM): a batch holds at most this many, so a few very long texts cannot blow up one batch.
TOKEN_BUDGET = 32768


class PositionsError(InputError):
    """A document longer than a learned position embedding's positions."""

    spec_key = "input.max_tokens"


def token_budget_groups(order: list[int], lengths: list[int], batch_size: int, fixed_length: int | None = None):
    """Consecutive groups of `order` (sorted by length) with at most batch_size documents and at most
    TOKEN_BUDGET padded positions each (always at least one document)."""
    group: list[int] = []
    widest = 0
    for pos, length in zip(order, lengths):
        width = max(widest, fixed_length or length, 1)
        if group and (len(group) >= batch_size or width * (len(group) + 1) > TOKEN_BUDGET):
            yield group
            group, width = [], max(fixed_length or length, 1)
        group.append(pos)
        widest = width
    if group:
        yield group


def batches(adapter: ModelAdapter, order: list[int], lengths: list[int], batch_size: int, pad_id: int = 0,
            equal_lengths: bool = False):
    """Groups of document positions that can share a forward pass without changing any prediction.

    Fixed-length models: any grouping. Variable-length models: documents padded together only when
    the model masks the pad id (checked once) and the caller allows it; otherwise only documents of
    equal length share a batch. Every group keeps to batch_size documents and the token budget.
    """
    if not equal_lengths and (adapter.input_length is not None or adapter.masks_padding(pad_id)):
        yield from token_budget_groups(order, lengths, batch_size, adapter.input_length)
        return
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and lengths[end] == lengths[start]:
            end += 1
        yield from token_budget_groups(order[start:end], lengths[start:end], batch_size)
        start = end


def pad_batch(adapter: ModelAdapter, docs: list[list[int]], pad_id: int = 0) -> np.ndarray:
    """Post-pad to the longest document (variable length) or to the fixed length; never truncates."""
    length = adapter.input_length or max((len(d) for d in docs), default=1) or 1
    positions = adapter.max_positions()
    if positions is not None and length > positions[1]:
        # a longer document fails deep inside the position embedding with a shape error, so say it here
        raise PositionsError(f"a document of {length} tokens is longer than the {positions[1]} positions the model's "
                             f"position embedding {positions[0]!r} has; set input.max_tokens: {positions[1]} to cut "
                             "longer texts")
    arr = np.full((len(docs), length), pad_id, dtype=np.int64)
    for i, d in enumerate(docs):
        if len(d) > length:
            raise ReportgenError(f"document of {len(d)} tokens is longer than the model's input ({length})")
        arr[i, :len(d)] = d
    return arr


def predict_ids(adapter: ModelAdapter, batch: list[list[int]], batch_size: int = 64) -> np.ndarray:
    """Probabilities (n, n_labels) for documents given as unpadded id lists (padded as the model needs)."""
    import tensorflow as tf

    out = np.zeros((len(batch), len(adapter.labels)), dtype=np.float64)
    order = sorted(range(len(batch)), key=lambda i: len(batch[i]))
    fn = adapter.predict_step()
    for groups in batches(adapter, order, [len(batch[i]) for i in order], batch_size):
        ids = pad_batch(adapter, [batch[i] for i in groups])
        probs = run_traced(fn, tf.constant(ids, dtype=adapter.input_dtype)).numpy()
        out[groups] = probs
    return out
