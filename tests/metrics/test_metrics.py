"""Faithfulness metrics on explicit toy formulas, worked out by hand (no TensorFlow here)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np
import pytest

from reportgen.errors import SpecError
from reportgen.metrics import MetricsSettings, compute_metrics
from reportgen.metrics.faithfulness import aopc, perturb, relevance_order, removal_count
from reportgen.metrics.recommend import confidence_interval, layer_table, recommend_layer
from reportgen.metrics.sanity import compare_maps, spearman
from reportgen.results import (DocumentExplanation, Heatmap, InputInfo, LayerInfo, MetricsReport, ModelInfo,
                               Prediction, ReportResults, ReportSettings, Token)

# The toy model: p(positive) = 0.1 + the contributions of the ids present; other ids (pad 0, OOV 1) add 0.
CONTRIBUTION = {10: 0.4, 11: 0.2, 12: 0.1, 13: 0.05, 14: 0.0}


def additive_predict(batch):
    p = np.array([0.1 + sum(CONTRIBUTION.get(i, 0.0) for i in ids) for ids in batch])
    return np.stack([1 - p, p], axis=1)


def heatmap(weights, layer="conv", target=1, relu=False, counterfactual=False, interpolation="linear"):
    return Heatmap(layer=layer, target=target, target_label=["neg", "pos"][target], score_kind="logit", score=0.0,
                   relu=relu, counterfactual=counterfactual, normalize_gradients=False,
                   interpolation=interpolation, interpolation_used=interpolation, weights=list(weights))


def document(doc_id, ids, heatmaps, probabilities=None):
    if probabilities is None:
        probabilities = [float(x) for x in additive_predict([ids])[0]]
    return DocumentExplanation(id=doc_id, text="", tokens=[Token(str(i), None, i) for i in ids],
                               prediction=Prediction(probabilities, [int(np.argmax(probabilities))]),
                               heatmaps=heatmaps, input=InputInfo(length=len(ids)))


# ids by position:      12   10    14   11   13
HAND_IDS = [12, 10, 14, 11, 13]
HAND_WEIGHTS = [0.3, 0.9, -0.5, 0.6, 0.1]
# MoRF order (weights descending): positions 1, 3, 0, 4, 2  = ids 10, 11, 12, 13, 14
HAND_SETTINGS = {"steps": 2, "max_fraction": 0.4, "bins": [0.2, 0.6], "random_seeds": 1}


def hand_result(**overrides):
    doc = document("d", HAND_IDS, [heatmap(HAND_WEIGHTS)])
    per_doc, report = compute_metrics([doc], additive_predict, layers=["conv"],
                                      settings={**HAND_SETTINGS, **overrides}, pad_id=0, oov_id=1)
    return per_doc["d"]["conv"]["1"], report


def test_hand_computed_aopc_comprehensiveness_sufficiency():
    m, _ = hand_result()
    # n = 5 removable; steps at fractions 0, 0.2, 0.4 remove 0, 1, 2 tokens.
    assert m["curves"]["fractions"] == pytest.approx([0.0, 0.2, 0.4])
    assert m["curves"]["removed"] == [0, 1, 2]
    # p0 = 0.1 + 0.4 + 0.2 + 0.1 + 0.05 + 0 = 0.85
    # MoRF: remove id 10 -> 0.45; remove 10, 11 -> 0.25
    assert m["probability"] == pytest.approx(0.85)
    assert m["curves"]["morf"] == pytest.approx([0.85, 0.45, 0.25])
    # AOPC = 1/3 * ((0.85-0.85) + (0.85-0.45) + (0.85-0.25)) = 1/3 * (0 + 0.40 + 0.60) = 1/3
    assert m["aopc"] == pytest.approx(1 / 3)
    # LeRF: remove id 14 -> 0.85; remove 14, 13 -> 0.80; AOPC = 1/3 * (0 + 0 + 0.05) = 0.0166667
    assert m["curves"]["lerf"] == pytest.approx([0.85, 0.85, 0.80])
    assert m["lerf_aopc"] == pytest.approx(0.05 / 3)
    # bins 0.2, 0.6 of 5 tokens = 1, 3 tokens.
    assert m["bin_counts"] == [1, 3]
    # comprehensiveness: without {10}: 0.45 -> 0.40; without {10, 11, 12}: 0.15 -> 0.70; mean 0.55
    assert m["comprehensiveness_bins"] == pytest.approx([0.40, 0.70])
    assert m["comprehensiveness"] == pytest.approx(0.55)
    # sufficiency: only {10}: 0.1 + 0.4 = 0.5 -> 0.35; only {10, 11, 12}: 0.8 -> 0.05; mean 0.20
    assert m["sufficiency_bins"] == pytest.approx([0.35, 0.05])
    assert m["sufficiency"] == pytest.approx(0.20)
    assert m["aopc_gain"] == pytest.approx(m["aopc"] - m["random_aopc"])


def test_random_reference_matches_its_expectation():
    # A random token carries 0.75 / 5 = 0.15 on average: expected drops 0, 0.15, 0.30 -> AOPC = 0.45 / 3 = 0.15.
    m, report = hand_result(random_seeds=400)
    assert m["random_aopc"] == pytest.approx(0.15, abs=0.02)
    assert m["curves"]["random"] == pytest.approx([0.85, 0.70, 0.55], abs=0.03)
    assert report.settings["seeds"] == list(range(400))


def test_random_reference_is_deterministic_and_per_document():
    a, _ = hand_result()
    b, _ = hand_result()
    assert a["random_aopc"] == b["random_aopc"]
    # The same document scored alongside others gets the same random reference.
    other = document("other", [13, 12, 11, 10, 14, 12], [heatmap([1, 2, 3, 4, 5, 6])])
    doc = document("d", HAND_IDS, [heatmap(HAND_WEIGHTS)])
    per_doc, _ = compute_metrics([other, doc], additive_predict, layers=["conv"], settings=HAND_SETTINGS)
    assert per_doc["d"]["conv"]["1"]["random_aopc"] == a["random_aopc"]


def test_random_equals_morf_when_only_the_count_matters():
    # p = 0.9 - 0.1 * (pads): every order gives 0.9, 0.8, 0.7 -> AOPC = (0 + 0.1 + 0.2) / 3 = 0.1
    def count_predict(batch):
        p = np.array([0.9 - 0.1 * ids.count(0) for ids in batch])
        return np.stack([1 - p, p], axis=1)

    doc = document("d", HAND_IDS, [heatmap(HAND_WEIGHTS)], probabilities=[0.1, 0.9])
    per_doc, _ = compute_metrics([doc], count_predict, layers=["conv"], settings={**HAND_SETTINGS, "random_seeds": 3})
    m = per_doc["d"]["conv"]["1"]
    assert m["aopc"] == pytest.approx(0.1)
    assert m["random_aopc"] == pytest.approx(0.1)
    assert m["lerf_aopc"] == pytest.approx(0.1)
    assert m["aopc_gain"] == pytest.approx(0.0, abs=1e-12)


def test_removal_count_rule():
    assert [removal_count(k * 0.05, 5) for k in range(11)] == [0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2]
    assert removal_count(0.01, 50) == 1  # 0.5 tokens -> at least one
    assert removal_count(0.2, 7) == 1  # 1.4 -> 1, never more than the share
    assert removal_count(0.6, 5) == 3  # 0.6 * 5 is 3.0000000000000004 in floats
    assert removal_count(1.0, 4) == 4
    assert removal_count(0.5, 0) == 0


def test_removal_operators_give_the_right_ids():
    ids = [1, 12, 10, 14, 11]
    assert perturb(ids, [2, 4], "pad", pad_id=0, oov_id=2) == [1, 12, 0, 14, 0]
    assert perturb(ids, [2, 4], "oov", pad_id=0, oov_id=2) == [1, 12, 2, 14, 2]
    assert perturb(ids, [2, 4], "delete", pad_id=0, oov_id=2) == [1, 12, 14]
    assert perturb(ids, [], "delete", pad_id=0, oov_id=2) == ids
    assert perturb([5, 6], [0, 1], "delete", pad_id=0, oov_id=None) == [0]  # never an empty document


@pytest.mark.parametrize("removal, expected", [
    # MoRF step 1 removes position 2 (id 10, the highest weight); position 0 is the start token and stays.
    ("pad", [1, 12, 0, 14, 11, 13]),
    ("oov", [1, 12, 2, 14, 11, 13]),
    ("delete", [1, 12, 14, 11, 13]),
])
def test_removal_operator_reaches_predict_fn_and_is_recorded(removal, expected):
    seen = []

    def recording_predict(batch):
        seen.extend(tuple(ids) for ids in batch)
        return additive_predict(batch)

    ids = [1] + HAND_IDS
    doc = document("d", ids, [heatmap([5.0] + HAND_WEIGHTS)])  # the start token's weight is highest on purpose
    per_doc, report = compute_metrics([doc], recording_predict, layers=["conv"], pad_id=0, oov_id=2,
                                      settings={**HAND_SETTINGS, "removal": removal},
                                      removable=lambda d: [t.id != 1 for t in d.tokens])
    assert report.settings["removal"] == removal
    assert tuple(expected) in seen
    assert all(s[0] == 1 for s in seen), "the start token was removed"
    m = per_doc["d"]["conv"]["1"]
    assert m["removable"] == 5
    # id 1 and 2 contribute nothing, so the numbers are the hand case's for every operator
    assert m["aopc"] == pytest.approx(1 / 3)
    assert m["sufficiency"] == pytest.approx(0.20)


def test_oov_removal_without_oov_id_is_a_spec_error():
    doc = document("d", HAND_IDS, [heatmap(HAND_WEIGHTS)])
    with pytest.raises(SpecError, match="metrics.removal"):
        compute_metrics([doc], additive_predict, layers=["conv"], settings={"removal": "oov"}, oov_id=None)


def test_settings_validation_names_the_key():
    with pytest.raises(SpecError, match="metrics.removal"):
        MetricsSettings(removal="zero")
    with pytest.raises(SpecError, match="metrics.max_fraction"):
        MetricsSettings.from_mapping({"max_fraction": 1.5})
    with pytest.raises(SpecError, match="metrics.stepz"):
        MetricsSettings.from_mapping({"stepz": 3})


def test_ties_break_without_position_bias():
    # All weights equal: the order must not simply be left to right for every seed of the tie stream.
    orders = {tuple(relevance_order([0.0] * 8, [True] * 8, np.random.default_rng(s))) for s in range(5)}
    assert len(orders) > 1
    # Distinct weights: strictly by weight, non-removable positions left out.
    order = relevance_order([0.1, 0.5, None, 0.9, 0.2], [True, True, True, False, True], np.random.default_rng(0))
    assert list(order) == [1, 4, 0, 2]


def test_aopc_formula_by_hand():
    # K = 3: 1/4 * (0 + 0.1 + 0.3 + 0.6) = 0.25
    assert aopc([0.9, 0.8, 0.6, 0.3]) == pytest.approx(0.25)


def test_batching_is_bounded_and_deduplicated():
    calls = []

    def counting_predict(batch):
        calls.append([tuple(ids) for ids in batch])
        return additive_predict(batch)

    rng = np.random.default_rng(7)
    docs = []
    for i in range(12):
        ids = [int(x) for x in rng.integers(10, 15, size=int(rng.integers(4, 12)))]
        maps = [heatmap(rng.normal(size=len(ids)), layer=layer, target=t) for layer in ("a", "b") for t in (0, 1)]
        docs.append(document(f"s{i:02d}", ids, maps))
    settings = {"steps": 4, "random_seeds": 2, "batch_size": 7, "max_samples": 9}
    progress = []
    per_doc, report = compute_metrics(docs, counting_predict, layers=["a", "b"], settings=settings,
                                      progress=lambda done, total: progress.append((done, total)))
    sizes = [len(c) for c in calls]
    inputs = [x for c in calls for x in c]
    assert max(sizes) <= 7
    assert len(set(inputs)) == len(inputs), "an input was predicted twice"
    assert len(calls) == math.ceil(len(inputs) / 7) == report.predict_calls
    # Upper bound per document: original + seeds * K + layers * targets * (2K + 2 bins) = 1 + 8 + 4 * 18
    assert len(inputs) <= 9 * (1 + 2 * 4 + 2 * 2 * (2 * 4 + 2 * 5))
    assert progress[-1] == (len(inputs), len(inputs))
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    # max_samples: only the first nine documents are scored, the rest are None
    assert report.samples == [f"s{i:02d}" for i in range(9)]
    assert report.not_evaluated == 3
    assert [per_doc[f"s{i:02d}"] is None for i in range(12)] == [False] * 9 + [True] * 3
    assert list(per_doc["s00"]) == ["a", "b"] and list(per_doc["s00"]["a"]) == ["0", "1"]


def test_variant_selection_and_skips():
    signed = heatmap(HAND_WEIGHTS, relu=False)
    relu = heatmap([0.0, 0.0, 0.0, 0.0, 1.0], relu=True)  # says id 13 is everything
    counterfactual = heatmap(HAND_WEIGHTS[::-1], counterfactual=True)
    docs = [document("d", HAND_IDS, [counterfactual, relu, signed]),
            document("short", [10], [heatmap([1.0])]),
            document("noid", HAND_IDS, [heatmap(HAND_WEIGHTS)])]
    docs[2].tokens[0].id = None
    per_doc, report = compute_metrics(docs, additive_predict, layers=["conv"], settings={**HAND_SETTINGS, "relu": False})
    assert per_doc["d"]["conv"]["1"]["relu"] is False
    assert per_doc["d"]["conv"]["1"]["aopc"] == pytest.approx(1 / 3)
    # default: the first non-counterfactual map, here the ReLU one (MoRF removes 13 first: 0.85 -> 0.80)
    per_doc, report = compute_metrics(docs, additive_predict, layers=["conv"], settings=HAND_SETTINGS)
    assert per_doc["d"]["conv"]["1"]["relu"] is True
    assert per_doc["d"]["conv"]["1"]["curves"]["morf"][1] == pytest.approx(0.80)
    assert [s.id for s in report.skipped] == ["short", "noid"]
    assert per_doc["short"] is None and per_doc["noid"] is None


def test_probability_disagreement_is_noted():
    doc = document("d", HAND_IDS, [heatmap(HAND_WEIGHTS)], probabilities=[0.5, 0.5])
    _, report = compute_metrics([doc], additive_predict, layers=["conv"], settings=HAND_SETTINGS)
    assert len(report.notes) == 1 and "sample d" in report.notes[0]


def test_confidence_interval_by_hand():
    # mean 0.25; s = sqrt((0.15^2 + 0.05^2 + 0.05^2 + 0.15^2) / 3) = 0.1290994; t(0.975, 3) = 3.182446 (tables)
    # half width = 3.182446 * 0.1290994 / 2 = 0.4108512 / 2 = 0.2054256
    mean, low, high = confidence_interval([0.1, 0.2, 0.3, 0.4])
    assert mean == pytest.approx(0.25)
    assert low == pytest.approx(0.25 - 0.2054256, abs=1e-6)
    assert high == pytest.approx(0.25 + 0.2054256, abs=1e-6)
    assert confidence_interval([0.3]) == (0.3, None, None)
    assert confidence_interval([]) == (None, None, None)


def _entry(gain):
    curves = {"fractions": [0, 0.5], "morf": [1, 1 - gain], "random": [1, 1], "lerf": [1, 1]}
    return {"aopc_gain": gain, "aopc": gain, "random_aopc": 0.0, "lerf_aopc": 0.0, "comprehensiveness": 0.0,
            "sufficiency": 0.0, "curves": curves}


def test_layer_table_averages_targets_first_then_samples():
    per_doc = {
        "x": {"a": {"0": _entry(0.1), "1": _entry(0.3)}, "b": {"1": _entry(0.5)}},
        "y": {"a": {"1": _entry(0.4)}, "b": {"1": _entry(0.1)}},
        "z": None,
    }
    rows = layer_table(per_doc, ["a", "b"], auto_layer="b")
    # layer a: sample x = (0.1 + 0.3) / 2 = 0.2, sample y = 0.4 -> mean 0.3 over n = 2
    assert rows[0]["layer"] == "a" and rows[0]["n"] == 2 and rows[0]["mean"] == pytest.approx(0.3)
    assert rows[0]["curves"]["morf"] == pytest.approx([1.0, 0.7])
    assert rows[1]["mean"] == pytest.approx(0.3) and rows[1]["auto"] is True
    # exact tie -> the deeper (later) layer
    rec = recommend_layer(rows, auto_layer="b")
    assert rec["recommended_layer"] == "b" and rec["differs_from_auto"] is False
    assert [r["best"] for r in rows] == [False, True]


def test_recommendation_differs_from_auto_and_separation():
    rows = [
        {"layer": "a", "mean": 0.30, "ci_low": 0.25, "ci_high": 0.35},
        {"layer": "b", "mean": 0.10, "ci_low": 0.05, "ci_high": 0.15},
        {"layer": "c", "mean": None, "ci_low": None, "ci_high": None},
    ]
    rec = recommend_layer(rows, auto_layer="b")
    assert {k: rec[k] for k in ("recommended_layer", "auto_layer", "differs_from_auto", "separated")} == {
        "recommended_layer": "a", "auto_layer": "b", "differs_from_auto": True, "separated": True}
    # no row carries a sanity verdict: chosen by deletion alone, and the record says the check did not run
    assert rec["recommended_passes_sanity"] is None and rec["most_faithful_layer"] == "a"
    assert "did not run" in rec["recommendation_note"]
    rows[1]["ci_high"] = 0.26
    assert recommend_layer(rows)["separated"] is False
    assert recommend_layer(rows)["differs_from_auto"] is None


def _row(layer, mean, low, high, passed):
    sanity = None if passed == "off" else {"passed": passed, "mean_abs": 0.2 if passed else 0.9, "top_layers": 1}
    return {"layer": layer, "mean": mean, "ci_low": low, "ci_high": high, "sanity": sanity}


def test_recommendation_skips_a_layer_that_fails_the_sanity_check():
    # embedding has the highest gain but its maps fail the check; of the two that pass, conv is better
    rows = [_row("embedding", 0.65, 0.60, 0.70, False), _row("conv", 0.43, 0.38, 0.48, True),
            _row("dense_seq", 0.20, 0.10, 0.30, True), _row("pool", None, None, None, True)]
    rec = recommend_layer(rows, auto_layer="dense_seq")
    assert rec["recommended_layer"] == "conv" and rec["most_faithful_layer"] == "embedding"
    assert [r["best"] for r in rows] == [False, True, False, False]
    assert rec["recommended_passes_sanity"] is True and rec["differs_from_auto"] is True
    # separated among the candidates: conv's interval (0.38..) lies above dense_seq's (..0.30); embedding's
    # higher interval does not count against it, since embedding is not a candidate
    assert rec["separated"] is True
    note = rec["recommendation_note"]
    assert "among the 2 of 3 layers whose maps pass the sanity check" in note
    assert "embedding scores higher on the deletion test (AOPC gain 0.650 against 0.430)" in note
    # a verdict of None (no rank order to compare) is not a pass either
    rows[2]["sanity"]["passed"] = None
    rec = recommend_layer(rows, auto_layer="conv")
    assert rec["recommended_layer"] == "conv" and rec["separated"] is None and rec["differs_from_auto"] is False
    assert rec["recommendation_note"].startswith("The only one of 3 layers whose maps pass the sanity check.")
    # when the most faithful layer passes, the sanity check changes nothing
    rows[0]["sanity"]["passed"] = True
    rec = recommend_layer(rows)
    assert rec["recommended_layer"] == "embedding" and rec["recommended_passes_sanity"] is True
    assert "scores higher" not in rec["recommendation_note"]


def test_recommendation_when_no_layer_passes_warns_and_takes_the_most_faithful():
    rows = [_row("embedding", 0.65, 0.60, 0.70, False), _row("conv", 0.43, 0.38, 0.48, False),
            _row("pool", 0.01, -0.1, 0.12, None)]
    rec = recommend_layer(rows, auto_layer="conv")
    assert rec["recommended_layer"] == "embedding" == rec["most_faithful_layer"]
    assert rec["recommended_passes_sanity"] is False and [r["best"] for r in rows] == [True, False, False]
    assert rec["separated"] is True  # among all scored layers, since none passes
    assert rec["recommendation_note"].startswith("No layer's maps pass the sanity check")
    assert "best of 3 by the deletion test alone" in rec["recommendation_note"]
    # sanity off for every row: not a failure, an untested choice
    rows = [_row("embedding", 0.65, 0.60, 0.70, "off"), _row("conv", 0.43, 0.38, 0.48, "off")]
    rec = recommend_layer(rows)
    assert rec["recommended_layer"] == "embedding" and rec["recommended_passes_sanity"] is None
    assert "did not run" in rec["recommendation_note"]
    none = recommend_layer([_row("a", None, None, None, True)])
    assert none["recommended_layer"] is None and none["recommended_passes_sanity"] is None


def test_spearman_and_compare_maps():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks (1,2,3,4) vs (2,1,4,3): d^2 = 1+1+1+1 = 4; rho = 1 - 6*4/(4*15) = 0.6
    assert spearman([1, 2, 3, 4], [2, 1, 4, 3]) == pytest.approx(0.6)
    assert spearman([1, 1, 1], [2, 2, 2]) == 1.0
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    result = compare_maps([[1, 2, 3, 4], [1, 2, 3, 4], [0, 0, 0, 0]], [[4, 3, 2, 1], [2, 1, 4, 3], [1, 2, 3, 4]])
    assert result["n"] == 2 and result["undefined"] == 1
    assert result["mean"] == pytest.approx(-0.2) and result["mean_abs"] == pytest.approx(0.8)
    assert result["min"] == pytest.approx(-1.0) and result["unchanged"] == 2 and result["passed"] is False


def test_output_is_json_ready_and_round_trips_through_results():
    docs = [document(f"d{i}", HAND_IDS[i:] + HAND_IDS[:i], [heatmap(HAND_WEIGHTS)]) for i in range(3)]
    per_doc, report = compute_metrics(docs, additive_predict, layers=[
        LayerInfo(path="conv", index=1, class_name="Conv1D", output_shape=[None, 5, 4], time_axis=True, auto=True)],
        settings=HAND_SETTINGS)
    assert report.auto_layer == "conv" and report.layers[0].auto is True
    # asdict, not to_dict: the numbers themselves must be JSON-ready, before any rounding or NaN -> None
    first = json.dumps([per_doc, asdict(report)], sort_keys=True, allow_nan=False)
    again_per_doc, again = compute_metrics(docs, additive_predict, layers=["conv"], auto_layer="conv",
                                           settings=HAND_SETTINGS)
    assert first == json.dumps([again_per_doc, asdict(again)], sort_keys=True, allow_nan=False)
    for doc in docs:
        doc.metrics = per_doc[doc.id]
    model = ModelInfo(name="toy", path="toy.keras", task="binary", labels=["neg", "pos"], input_kind="ids",
                      input_length=None, layers=[], output_activation="sigmoid")
    results = ReportResults(title="t", model=model, documents=docs, settings=ReportSettings(), metrics=report)
    data = json.loads(json.dumps(results.to_dict(), allow_nan=False))
    back = ReportResults.from_dict(data)
    assert back.metrics.recommended_layer == "conv"
    assert back.metrics == MetricsReport.from_dict(report.to_dict())
    assert back.documents[0].metrics["conv"]["1"]["aopc"] == pytest.approx(1 / 3)


def test_delete_mode_chunks_hold_inputs_of_similar_length():
    calls = []

    def recording_predict(batch):
        calls.append([len(ids) for ids in batch])
        return additive_predict(batch)

    docs = [document(f"s{i}", [10, 11, 12, 13, 14, 12, 11][: 3 + i], [heatmap(range(3 + i))]) for i in range(5)]
    compute_metrics(docs, recording_predict, layers=["conv"], settings={"removal": "delete", "batch_size": 4})
    lengths = [n for call in calls for n in call]
    assert lengths == sorted(lengths)  # sorted across chunks, so each chunk pads as little as possible
    assert max(len(c) for c in calls) <= 4


def test_metrics_record_refuses_keys_it_does_not_have_and_names_where():
    _, report = hand_result()
    data = report.to_dict()
    assert MetricsReport.from_dict(data) == MetricsReport.from_dict(json.loads(json.dumps(data)))
    with pytest.raises(ValueError, match=r"^explanations\.json metrics: unknown keys aopc_total, sanity_layer$"):
        MetricsReport.from_dict({**data, "sanity_layer": "conv", "aopc_total": 1.0})
    row = data["layers"][0]
    with pytest.raises(ValueError, match=r"^explanations\.json metrics\.layers\[0\]\.sanity: unknown keys rho$"):
        MetricsReport.from_dict({**data, "layers": [{**row, "sanity": {"passed": True, "mean_abs": 0.1,
                                                                        "top_layers": 1, "rho": [0.1]}}]})
    with pytest.raises(ValueError, match=r"^explanations\.json metrics\.layers\[0\]: missing keys ci_low$"):
        MetricsReport.from_dict({**data, "layers": [{k: v for k, v in row.items() if k != "ci_low"}]})
    # schema 1's report-wide verdict is refused too, through the results' own reader
    results = ReportResults(title="t", model=ModelInfo(name="toy", path="toy.keras", task="binary",
                                                       labels=["neg", "pos"], input_kind="ids", input_length=None,
                                                       layers=[], output_activation="sigmoid"),
                            documents=[], settings=ReportSettings(), metrics=report).to_dict()
    results["metrics"]["sanity"] = {"method": "m", "threshold": 0.5, "seed": 0, "passed": True, "layers": []}
    with pytest.raises(ValueError, match=r"^explanations\.json metrics\.sanity: unknown keys passed$"):
        ReportResults.from_dict(results)
