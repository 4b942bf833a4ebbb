"""Stand-ins for the build's chunk functions, importable by Ray's worker processes.

`explain_samples` returns, per document, what the actor received (the rebuilt Sample's fields, the first index
of its call and which context it was given), so a test can check the trip against the samples it sent.
"""

from __future__ import annotations

import json
import os

import pyarrow as pa

from reportgen.errors import InputError, ModelError

LOADS = {"count": 0}  # per process: an actor loading its context twice would show 2


def load_context(spec):
    LOADS["count"] += 1
    return {"pid": os.getpid(), "loads": LOADS["count"], "title": spec.title}


def explain_samples(context, samples, first_index):
    n = len(samples)
    return pa.table({
        "doc_index": pa.array(range(first_index, first_index + n), pa.int32()),
        "doc_id": [s.id for s in samples],
        "sample": [json.dumps([s.id, s.text, s.label, s.ids, s.tokens, s.origin]) for s in samples],
        "first_index": [first_index] * n,
        "chunk_size": [n] * n,
        "pid": [context["pid"]] * n,
        "loads": [context["loads"]] * n,
        "title": [context["title"]] * n,
    })


def refuse_sample_7(context, samples, first_index):
    for s in samples:
        if s.id == "7":
            raise InputError("sample '7': the text gives no tokens")
    return explain_samples(context, samples, first_index)


def unloadable_model(spec):
    raise ModelError("model.keras: not a Keras model file")
