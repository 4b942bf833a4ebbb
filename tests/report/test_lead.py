"""The lead map of a sample page and a PDF sample (issue 15, item 1 and the lead of item 2): the signed map of
the lead layer, on a per-document scale whose maximum is the 95th percentile of |weight|, a note in words
where no token is highlighted, a note for a layer without a time axis, the true label's map on a wrong
prediction, a caption in plain words."""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import numpy as np
import pytest

from reportgen.render import html as site
from reportgen.report import colors
from reportgen.report.structure import Orders, field_of, plan_site
from reportgen.report.views import Views
from tests.fakes import make_results


def _lead_html(lead) -> str:
    env = site.make_environment()
    return env.from_string('{% import "macros.html" as m %}{{ m.lead_maps(lead) }}').render(lead=lead)


def test_the_robust_maximum_is_the_95th_percentile_of_abs_weight():
    rng = np.random.default_rng(5)
    weights = list(rng.normal(0, 0.1, size=137)) + [25.0, None, float("nan")]  # one outlier, two non-weights
    expected = float(np.percentile(np.abs([w for w in weights if w is not None and np.isfinite(w)]), 95))
    assert colors.robust_max(weights) == pytest.approx(expected, rel=1e-12)
    assert colors.robust_max(weights) < 1.0  # the outlier does not set the scale
    assert colors.robust_max([0.0] * 40 + [0.5]) == 0.5  # a zero percentile falls back to the maximum
    assert colors.robust_max([]) == 0.0
    scale = colors.lead_scale(weights)
    assert scale.levels == colors.LEVELS and scale.max == pytest.approx(expected, rel=1e-12)
    assert f"95th percentile of |weight| in this document = {colors.format_number(scale.max)}" in scale.label
    assert scale.level(25.0) == colors.LEVELS  # stronger than the maximum: the top level


def test_the_lead_is_the_signed_map_on_the_documents_own_scale():
    results = make_results(n_docs=8, seed=4, relu=(True, False))
    views = Views(results, Orders.of(results))
    for i, doc in enumerate(results.documents):
        lead = views.lead(i)
        first = lead.maps[0]
        h = first.panel.heatmap
        assert (h.relu, h.counterfactual, h.layer) == (False, False, "conv1d")  # signed, first layer (no metrics)
        assert h.target in doc.prediction.predicted or not doc.prediction.predicted
        weights = [abs(w) for m in lead.maps for w in m.panel.heatmap.weights[:len(doc.tokens)] if w is not None]
        if not doc.input.truncated:
            assert lead.legend.scale.max == pytest.approx(float(np.percentile(weights, 95)), rel=1e-12)
        assert lead.legend.scale.levels == colors.LEVELS and lead.legend.signed
        assert views.sample(i)["main"] == first.panel


def test_the_blank_note_appears_exactly_when_no_token_reaches_level_one():
    results = make_results(n_docs=12, seed=7, task="multiclass", targets="all", relu=(False,))
    # make every wrong prediction's true-label map tiny: on the shared scale it cannot reach level 1
    wrong = [i for i, d in enumerate(results.documents) if d.correct is False]
    assert wrong
    for i in wrong:
        doc = results.documents[i]
        truth = [k for k in doc.true_labels if k not in doc.prediction.predicted][0]
        for h in doc.heatmaps:
            if h.target == truth:
                h.weights = [None if w is None else w * 1e-6 for w in h.weights]
    views = Views(results, Orders.of(results))
    blanks = 0
    for i, doc in enumerate(results.documents):
        lead = views.lead(i)
        for lm in lead.maps:
            step = lead.legend.scale.max / colors.LEVELS
            visible = any(w is not None and abs(w) >= step / 2 for w in lm.panel.heatmap.weights[:len(doc.tokens)])
            assert (lm.blank_note is None) == visible, (i, lm.role)
            html = _lead_html(dataclasses.replace(lead, maps=[lm]))
            assert ('data-role="blank-note"' in html) == (not visible)
            if not visible:
                blanks += 1
                assert lm.role == "lead-map-true"
                assert f"No weight reaches the first level: all |w| &lt; {colors.format_number(step / 2)}." in html
                assert 'data-level' not in html.split('data-role="lead-map-true"')[1]
    assert blanks == len(wrong)


def test_a_zero_map_says_so_in_words():
    results = make_results(n_docs=2, seed=1, relu=(False,))
    for h in results.documents[0].heatmaps:
        h.weights = [0.0 for _ in h.weights]
    lead = Views(results, Orders.of(results)).lead(0)
    assert lead.maps[0].blank_note == "No weight reaches the first level: all |w| < 0."


def test_the_site_marks_the_lead_map_and_shows_the_true_labels_map_on_a_wrong_prediction(tmp_path):
    results = make_results(n_docs=10, seed=2, task="multiclass", targets="all", relu=(True, False))
    site.render_site(results, tmp_path)
    plan = plan_site(results)
    wrong = 0
    for doc, path in zip(results.documents, plan.sample_paths):
        source = (tmp_path / path).read_text(encoding="utf-8")
        assert source.count('data-role="lead-map"') == 1
        lead = source.split('data-role="lead-map"')[1].split("</figure>")[0]
        assert re.search(r'data-level="-?[1-8]"', lead)  # the document's own scale: something shows
        labels = results.model.labels
        missed = [k for k in doc.true_labels or [] if k not in doc.prediction.predicted]
        if doc.correct is False and missed:
            wrong += 1
            assert source.count('data-role="lead-map-true"') == 1
            assert source.index('data-role="lead-map"') < source.index('data-role="lead-map-true"')
            true_caption = source.split('data-role="lead-map-true"')[0].rsplit("<figcaption>", 1)[1]
            assert true_caption.startswith("True label: Words pushing toward <strong>")
            assert site.escape(labels[missed[0]]) in true_caption
        else:
            assert 'data-role="lead-map-true"' not in source
        # the lead's legend names the label of each map it covers, in page order, never "the map's label"
        legend = source[:source.index('data-role="lead-map"')].rsplit('<figure class="legend">', 1)[1]
        legend = legend[:legend.index("</figcaption>")]
        shown = [labels[doc.prediction.predicted[0]]] + ([labels[missed[0]]] if doc.correct is False and missed
                                                         else [])
        assert "the map&#39;s label" not in legend and "the map's label" not in legend
        if len(shown) == 2:
            names = (f"<strong>{site.escape(shown[0])}</strong> in the first map, "
                     f"<strong>{site.escape(shown[1])}</strong> in the second")
            assert f"words push toward {names};" in legend and f"words push away from {names}." in legend
        else:
            assert f"words push toward <strong>{site.escape(shown[0])}</strong>;" in legend
    assert wrong
    views = Views(results, Orders.of(results))
    for i, doc in enumerate(results.documents):
        lead = views.lead(i)
        assert len({m.panel.scale for m in lead.maps}) == 1  # one scale for both maps


def test_a_layer_without_a_time_axis_is_a_one_line_note(tmp_path):
    results = make_results(n_docs=3, seed=6, uniform_layer=True)
    orders = dataclasses.replace(Orders.of(results), lead_layer="pool")
    lead = Views(results, orders).lead(0)
    assert lead.maps == [] and lead.legend is None
    assert lead.uniform_note.startswith("Layer pool has no time axis")
    html = _lead_html(lead)
    assert 'data-role="lead-uniform"' in html and "data-level" not in html and 'class="text"' not in html


class _Metrics(SimpleNamespace):
    pass


@pytest.mark.parametrize("typed", [True, False])
def test_the_lead_layer_and_caption_follow_the_metrics(typed):
    results = make_results(n_docs=4, seed=9, relu=(False,))
    assert Orders.of(results).lead_layer == "conv1d"  # no metrics: auto, the first layer
    record = {"recommended_layer": "encoder/lstm", "recommended_passes_sanity": True,
              "layers": [{"layer": "conv1d"}, {"layer": "encoder/lstm"}, {"layer": "embedding"}]}
    results.metrics = _Metrics(**record) if typed else record
    assert field_of(results.metrics, "recommended_layer") == "encoder/lstm"
    orders = Orders.of(results)
    assert orders.lead_layer == "encoder/lstm"
    views = Views(results, orders)
    lead = views.lead(0)
    assert lead.layer == "encoder/lstm" and lead.maps[0].panel.heatmap.layer == "encoder/lstm"
    html = _lead_html(lead)
    label = site.escape(lead.maps[0].target_label)
    assert (f"Words pushing toward <strong>{label}</strong> (blue) and away from it (orange) — layer "
            "encoder/lstm") in html
    assert "best of 3 by the deletion test and the sanity check" in html and "warning" not in html
    if typed:
        results.metrics.recommended_passes_sanity = False
    else:
        results.metrics["recommended_passes_sanity"] = False
    html = _lead_html(Views(results, orders).lead(0))
    assert "<strong>warning:</strong> most faithful of 3 by the deletion test, but no layer passes" in html


def test_a_recommended_layer_that_was_not_explained_falls_back_to_auto():
    results = make_results(n_docs=2, seed=9)
    results.metrics = {"recommended_layer": "dense_9", "recommended_passes_sanity": True, "layers": []}
    orders = Orders.of(results)
    assert orders.lead_layer == "conv1d"
    assert Views(results, orders).lead(0).why == ""


def test_the_pdf_sample_reads_the_lead_with_the_sites_levels():
    results = make_results(n_docs=3, seed=3, relu=(True, False))
    paper = Views(results, Orders.of(results), levels=4)
    view = paper.paper_sample(0, [], first=True, max_bars=5)
    assert view.lead.legend.scale.levels == colors.LEVELS
    assert view.lead.maps[0].panel.scale == Views(results, Orders.of(results)).lead(0).maps[0].panel.scale


def test_the_lead_scale_leaves_every_token_below_the_median_plain():
    # a long tail of small weights (the wash the IMDB maps had: 82 % of tokens tinted at p95/16)
    rng = np.random.default_rng(3)
    weights = list(rng.normal(0.0, 0.05, 200)) + [1.5, -1.2, 0.9]
    scale = colors.lead_scale(weights)
    magnitudes = np.abs(np.array(weights))
    median, top = np.percentile(magnitudes, 50), np.percentile(magnitudes, 95)
    levels = [scale.level(w) for w in weights]
    expected_lit = [abs(w) > median and abs(w) >= top / 16 for w in weights]  # floor, then half a level
    assert [lv != 0 for lv in levels] == expected_lit
    assert sum(expected_lit) <= len(weights) // 2
    assert scale.dead_zone == pytest.approx(max(median, top / 16))
    assert "median |weight|" in scale.label
    # the strongest tokens still reach the top level: the floor only clears the wash
    assert levels[-3] == colors.LEVELS and levels[-2] == -colors.LEVELS
