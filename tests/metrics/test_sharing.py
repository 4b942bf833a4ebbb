"""Perturbed inputs that coincide are predicted once, in full batches, and sharing them changes no number.

The reference is the brute force: every perturbation each curve and bin asks for, predicted on its own
(a `PerturbationBatch` that keeps duplicates), against the shared run.
"""

from __future__ import annotations

import itertools
import math

import pytest

from reportgen.metrics import compute, compute_metrics
from reportgen.metrics.faithfulness import PerturbationBatch, document_rng, perturb, random_order
from tests.fakes import make_results
from tests.metrics.test_metrics import HAND_IDS, HAND_SETTINGS, HAND_WEIGHTS, additive_predict, document, heatmap
from tests.render.test_metrics_render import toy_predict

SETTINGS = {"steps": 5, "max_samples": 5, "random_seeds": 3, "batch_size": 16}


class KeepsDuplicates(PerturbationBatch):
    """Every request is its own input: what the stage would predict without any sharing."""

    def add(self, ids):
        self.inputs.append(tuple(int(t) for t in ids))
        return len(self.inputs) - 1


class Counting:
    def __init__(self, predict):
        self.predict = predict
        self.calls: list[list[tuple[int, ...]]] = []

    def __call__(self, batch):
        self.calls.append([tuple(ids) for ids in batch])
        return self.predict(batch)

    @property
    def inputs(self):
        return [x for call in self.calls for x in call]


def assert_close(a, b, where=""):
    """Equal structure, and floats equal within float noise (nested dicts and lists)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for key in a:
            assert_close(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert b == pytest.approx(a, abs=1e-12), where
    else:
        assert a == b, where


def removable(doc):
    return [t.span is not None for t in doc.tokens]


@pytest.fixture(scope="module")
def fake():
    res = make_results(n_docs=6, seed=5, nasty=True)
    return res.documents, [layer for layer in res.model.layers if layer.path in res.settings.layers]


def run(docs, layers, predict, **settings):
    return compute_metrics(docs, predict, layers=layers, removable=removable, settings={**SETTINGS, **settings})


@pytest.mark.parametrize("removal", ["pad", "delete"])  # delete: lengths differ, chunks are sorted by length
def test_shared_results_equal_the_brute_force(fake, monkeypatch, removal):
    docs, layers = fake
    shared = Counting(toy_predict)
    per_doc, report = run(docs, layers, shared, removal=removal)
    monkeypatch.setattr(compute, "PerturbationBatch", KeepsDuplicates)
    brute = Counting(toy_predict)
    per_doc_brute, report_brute = run(docs, layers, brute, removal=removal)

    assert len(brute.inputs) > len(shared.inputs), "nothing was shared: the test would prove nothing"
    assert set(brute.inputs) == set(shared.inputs)
    assert per_doc.keys() == per_doc_brute.keys() and any(per_doc.values())
    assert_close(per_doc, per_doc_brute)
    a, b = report.to_dict(), report_brute.to_dict()
    assert (a.pop("predicted_inputs"), a.pop("predict_calls")) == (len(shared.inputs), len(shared.calls))
    assert (b.pop("predicted_inputs"), b.pop("predict_calls")) == (len(brute.inputs), len(brute.calls))
    assert a == b


def test_each_distinct_input_is_predicted_once_in_full_batches(fake, monkeypatch):
    docs, layers = fake
    shared = Counting(toy_predict)
    _, report = run(docs, layers, shared)
    assert len(shared.inputs) == len(set(shared.inputs)) == report.predicted_inputs

    # the requests, counted by hand: per scored document the original, seeds x (K+1) random steps, and per
    # scored map (layer x target) MoRF and LeRF at K+1 steps plus comprehensiveness and sufficiency per bin
    monkeypatch.setattr(compute, "PerturbationBatch", KeepsDuplicates)
    brute = Counting(toy_predict)
    run(docs, layers, brute)
    k, bins = SETTINGS["steps"], 5
    maps = sum(len({(h.layer, h.target) for h in d.heatmaps if not h.counterfactual and
                    h.layer in [layer.path for layer in layers]}) for d in docs[:SETTINGS["max_samples"]])
    assert len(brute.inputs) == SETTINGS["max_samples"] * (1 + 3 * (k + 1)) + maps * (2 * (k + 1) + 2 * bins)

    size = SETTINGS["batch_size"]
    sizes = [len(call) for call in shared.calls]
    assert len(sizes) == math.ceil(report.predicted_inputs / size) == report.predict_calls
    assert sizes[:-1] == [size] * (len(sizes) - 1) and 1 <= sizes[-1] <= size


def test_coinciding_perturbations_by_hand():
    """n = 5, steps remove 0, 1, 2 tokens, bins 1 and 3 tokens; MoRF order = positions 1, 3, 0, 4, 2."""
    calls = Counting(additive_predict)
    doc = document("d", HAND_IDS, [heatmap(HAND_WEIGHTS)])
    _, report = compute_metrics([doc], calls, layers=["conv"], settings=HAND_SETTINGS, pad_id=0)

    def gone(*positions):
        return tuple(perturb(HAND_IDS, positions, "pad", pad_id=0, oov_id=None))

    order = random_order([True] * 5, document_rng("d", 0, 0))  # the one seed's reference order
    expected = {
        gone(),  # the original = step 0 of MoRF, LeRF and the random order
        gone(1), gone(1, 3),  # MoRF steps 1, 2; the first is also "without the top 1" (comprehensiveness)
        gone(2), gone(2, 4),  # LeRF steps 1, 2; the second is also "only the top 3 kept" (sufficiency)
        gone(1, 3, 0),  # without the top 3
        gone(3, 0, 4, 2),  # only the top 1 kept
        gone(*order[:1]), gone(*order[:2]),  # random steps 1, 2 (may coincide with the above)
    }
    # 1 + 3 random + 3 MoRF + 3 LeRF + 2 + 2 bins = 14 requests
    assert len(expected) <= 9 < 14
    assert sorted(calls.inputs) == sorted(expected)
    assert report.predicted_inputs == len(expected) and report.predict_calls == 1


def test_a_chunker_fills_each_call_to_its_budget(fake, monkeypatch):
    """The build cuts the length-sorted inputs to the engine's token budget; here a budget of 200 positions
    (an input counts as its length, a call as inputs x its longest), at most 16 inputs."""
    docs, layers = fake
    budget = 200

    def to_budget(order, lengths, batch_size):
        group: list[int] = []
        widest = 0
        for pos, length in zip(order, lengths):
            if group and (len(group) == batch_size or max(widest, length) * (len(group) + 1) > budget):
                yield group
                group, widest = [], 0
            group.append(pos)
            widest = max(widest, length)
        if group:
            yield group

    shared = Counting(toy_predict)
    progress = []
    per_doc, report = compute_metrics(docs, shared, layers=layers, removable=removable, settings=SETTINGS,
                                      progress=lambda done, total: progress.append((done, total)),
                                      chunks=to_budget)
    calls = shared.calls
    assert report.predict_calls == len(calls) and len(shared.inputs) == len(set(shared.inputs))
    lengths = [len(x) for x in shared.inputs]
    assert lengths == sorted(lengths)
    for call, after in zip(calls, calls[1:]):
        width = max(map(len, call))
        assert len(call) * width <= budget or len(call) == 1
        # full: the next input would not have fitted
        assert len(call) == 16 or (len(call) + 1) * max(width, len(after[0])) > budget
    assert len(calls) > math.ceil(report.predicted_inputs / 16)  # the budget, not the count, cut them
    assert [d for d, _ in progress] == list(itertools.accumulate(len(c) for c in calls))
    monkeypatch.setattr(compute, "PerturbationBatch", KeepsDuplicates)
    per_doc_brute, _ = run(docs, layers, toy_predict)
    assert_close(per_doc, per_doc_brute)
