"""The metrics page, the per-sample partial and the SVG deletion curves (no TensorFlow)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict

import numpy as np
import pytest

from reportgen.metrics import compute_metrics
from reportgen.metrics.recommend import recommend_layer
from reportgen.render import html as site
from reportgen.render.curves import deletion_curve_svg
from reportgen.report.structure import plan_site
from reportgen.results import MetricsReport, ReportResults
from tests.fakes import json_round_trip, make_results

SVG = "{http://www.w3.org/2000/svg}"


def test_curve_points_by_hand():
    # plot area: x from 46 to 420 - 12 = 408 (362 wide), y from 30 to 240 - 42 = 198 (168 high)
    # (0, 1.0) -> (46, 30); (0.25, 0.5) -> (46 + 362/2, 30 + 168/2) = (227, 114); (0.5, 0) -> (408, 198)
    svg = deletion_curve_svg({"fractions": [0, 0.25, 0.5], "morf": [1.0, 0.5, 0.0], "random": [1.0, 0.75, 0.5]})
    root = ET.fromstring(str(svg))
    lines = {p.get("class"): p.get("points") for p in root.iter(f"{SVG}polyline")}
    assert lines["curve curve-morf"] == "46.0,30.0 227.0,114.0 408.0,198.0"
    # random: 0.75 -> 30 + 168 * 0.25 = 72; 0.5 -> 114
    assert lines["curve curve-random"] == "46.0,30.0 227.0,72.0 408.0,114.0"
    assert "curve curve-lerf" not in lines  # no LeRF values given: no line and no legend entry
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert ["0%", "10%", "20%", "30%", "40%", "50%"] == [t for t in texts if t.endswith("%")]
    assert all(v in texts for v in ("0", "0.25", "0.5", "0.75", "1"))
    assert "most relevant first" in texts and "random" in texts and "least relevant first" not in texts


def test_curve_svg_is_deterministic_escaped_and_breaks_at_missing_values():
    curves = {"fractions": [0, 0.1, 0.2, 0.3], "morf": [0.9, None, 0.5, 0.4], "random": [0.9, 0.8, 0.7, 0.6],
              "lerf": [0.9, 0.9, 0.85, 0.8]}
    a = deletion_curve_svg(curves, title='layer <b>"x"</b>')
    assert a == deletion_curve_svg(dict(curves), title='layer <b>"x"</b>')
    root = ET.fromstring(str(a))
    assert root.find(f"{SVG}title").text == 'layer <b>"x"</b>'  # escaped in the markup, intact as text
    assert "<b>" not in str(a)
    assert len([p for p in root.iter(f"{SVG}polyline") if p.get("class") == "curve curve-morf"]) == 2
    assert "opacity" not in str(a)
    assert deletion_curve_svg(None) == "" and deletion_curve_svg({"fractions": []}) == ""


def toy_predict(batch):
    """A fixed function of the ids: each id pushes the logit up or down by a hashed amount."""
    p = np.array([1 / (1 + np.exp(-sum(((i * 7919) % 13 - 6) / 4 for i in ids) / max(1, len(ids)) * 3))
                  for ids in batch])
    return np.stack([1 - p, p], axis=1)


@pytest.fixture(scope="module")
def results():
    res = make_results(n_docs=6, seed=5, nasty=True)
    layers = [layer for layer in res.model.layers if layer.path in res.settings.layers]
    per_doc, report = compute_metrics(res.documents, toy_predict, layers=layers,
                                      removable=lambda d: [t.span is not None for t in d.tokens],
                                      settings={"steps": 5, "max_samples": 5})
    for doc in res.documents:
        doc.metrics = per_doc[doc.id]
    run = {"top_layers": 1, "randomized_layers": ["dense"], "n": 4, "undefined": 1, "mean": 0.9, "mean_abs": 0.9,
           "min": 0.7, "max": 1.0, "unchanged": 4, "passed": False, "rho": [0.7, 0.9, 1.0, 1.0, None], "labels": None}
    passing = {**run, "mean": 0.1, "mean_abs": 0.2, "unchanged": 0, "passed": True}
    # a sanity check as compute_metrics records one; the recommendation is worked out on plain rows (asdict
    # keeps the numbers unrounded, so the JSON round trip below still has rounding to survive)
    report = asdict(report)
    report["sanity"] = {"method": "model randomisation", "threshold": 0.5, "seed": 0, "layers": [
        {"layer": "conv1d", "passed": False, "mean_abs": 0.9, "top_layers": 1, "runs": [run]},
        {"layer": "encoder/lstm", "passed": True, "mean_abs": 0.2, "top_layers": 1, "runs": [passing]}]}
    for row, entry in zip(report["layers"], report["sanity"]["layers"]):
        row["sanity"] = {k: entry[k] for k in ("passed", "mean_abs", "top_layers")}
    report.update(recommend_layer(report["layers"], report["auto_layer"]))
    res.metrics = MetricsReport.from_dict(report)
    return res


def sample_page(results, folder, index):
    return (folder / plan_site(results, with_metrics=True).sample_paths[index]).read_text(encoding="utf-8")


def render(results, tmp_path):
    site.render_site(results, tmp_path)
    return (tmp_path / "metrics.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def built(results, tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    return folder, render(results, folder)


def test_metrics_page_table_curves_and_sanity(results, built):
    _, page = built
    report = results.metrics
    body = page[page.index("<main>"):]
    rows = re.findall(r"<tr( class=\"[^\"]*\")?>\s*<th scope=\"row\"><code><a href=\"[^\"]+\">([^<]+)</a>", body)
    assert [name for _, name in rows][:2] == ["conv1d", "encoder/lstm"]
    best = report.recommended_layer
    assert (' class="best' in dict((n, c) for c, n in rows)[best])
    assert "Recommended layer: <code><a" in body and f">{best}</a>" in body
    auto = [r for r in report.layers if r.auto][0].layer
    assert auto == "conv1d"  # the fakes' LayerInfo marks conv1d as auto
    assert '<span class="badge">auto</span>' in body
    # the best row's mean, in the page's number format (3 significant digits, true minus sign)
    mean = [r for r in report.layers if r.best][0].mean
    shown = f"{abs(mean):.3g}"
    assert ("\u2212" if mean < 0 else "") + shown in body
    # one SVG per layer, well formed, with three lines each
    svgs = re.findall(r"<svg class=\"deletion-curve\".*?</svg>", body, flags=re.S)
    assert len(svgs) == 2
    for svg in svgs:
        assert len(list(ET.fromstring(svg).iter(f"{SVG}polyline"))) == 3
    assert "failed" in body and "top 1: <code>dense</code>" in body and "(+1 constant)" in body
    # each layer's verdict in its row of the layer table, and why the recommended layer was chosen
    table = body[body.index('<table class="data metrics-layers">'):]
    table = table[:table.index("</table>")]
    for row in re.findall(r"<tr.*?</tr>", table, flags=re.S)[1:]:
        layer = re.search(r"<code>(?:<a [^>]*>)?([^<]+)<", row).group(1)
        assert ("passed" if layer == "encoder/lstm" else "failed") in row, row
    assert best == "encoder/lstm"  # the only layer whose maps pass, whatever the deletion test says
    assert report.recommendation_note in html.unescape(body)
    assert "pad id (0)" in body and "5 steps up to 50 %" in body and "3 seeds (0, 1, 2)" in body
    assert "<script>" not in body  # sample ids in notes are escaped
    assert "metrics.max_samples" in body  # one of six documents was not scored


def test_sample_partial_shows_this_samples_numbers(results, built):
    tmp_path, _ = built
    doc = results.documents[3]
    page = sample_page(results, tmp_path, 3)
    section = page[page.index('<section class="sample-metrics">'):]
    section = section[:section.index("</section>")]
    for layer in ("conv1d", "encoder/lstm"):
        for target, entry in doc.metrics[layer].items():
            gain = entry["aopc_gain"]
            text = ("\u2212" if gain < 0 else "+") + f"{abs(gain):.3g}"
            assert f"<strong>{text}</strong>" in section
    assert section.index("conv1d") < section.index("encoder/lstm")
    # the document past max_samples has no metrics and no section
    last = results.documents[-1]
    assert last.metrics is None
    assert "sample-metrics" not in sample_page(results, tmp_path, len(results.documents) - 1)


def test_targets_in_numeric_order(results, tmp_path):
    res = ReportResults.from_dict(results.to_dict())
    res.documents = res.documents[:2]
    doc = res.documents[1]
    entry = doc.metrics["conv1d"][next(iter(doc.metrics["conv1d"]))]
    doc.metrics = {"conv1d": {"10": {**entry, "target_label": "label ten"}, "2": {**entry, "target_label": "label two"}}}
    render(res, tmp_path)
    page = sample_page(res, tmp_path, 1)
    assert page.index("label two") < page.index("label ten")


def test_pages_are_identical_after_a_json_round_trip(results, built, tmp_path):
    folder, first = built
    again = render(json_round_trip(results), tmp_path)
    assert first == again
    for index in range(len(results.documents)):
        assert sample_page(results, folder, index) == sample_page(results, tmp_path, index)


def test_results_with_metrics_round_trip_through_their_dict(results):
    data = results.to_dict()
    assert data["metrics"]["sanity"]["layers"][0]["runs"][0]["rho"][-1] is None  # every record is in there
    back = ReportResults.from_dict(data)
    assert isinstance(back.metrics, MetricsReport) and back.metrics.sanity.layers[1].runs[0].passed is True
    assert back.to_dict() == data
