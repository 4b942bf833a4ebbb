"""The overview's SVG charts (render/charts.py) read back: bars against hand counts, shading against shares,
intervals against the chart's own axis, hostile labels, byte-identical output, and the charts in the PDF."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest

from reportgen.metrics.settings import MetricsSettings
from reportgen.render import html as site
from reportgen.render.charts import aopc_svg, confusion_svg, histogram_svg
from reportgen.report.charts import aopc_chart, confusion_chart, probability_histogram
from reportgen.report.summary import label_summary
from reportgen.results import MetricsReport, ReportResults
from tests.fakes import json_round_trip, make_results
from tests.report.test_chart_numbers import binary, with_predictions

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<script>alert(1)</script>", "a" * 200 + " very long label", "\u202eevil\u202c & <b>"]


def curves(scale):
    fractions = [0.0, 0.1, 0.2, 0.3]
    return {"fractions": fractions, "morf": [0.9, 0.9 - scale, 0.9 - 2 * scale, 0.9 - 3 * scale],
            "random": [0.9, 0.85, 0.8, 0.75], "lerf": [0.9, 0.9, 0.88, 0.87]}


def metrics_report(layers=("conv1d", "encoder/lstm", "dense")) -> MetricsReport:
    rows = [
        {"mean": 0.125, "ci_low": -0.05, "ci_high": 0.3, "passed": False, "best": False},
        {"mean": 0.4, "ci_low": 0.31, "ci_high": 0.52, "passed": True, "best": True},
        {"mean": -0.02, "ci_low": None, "ci_high": None, "passed": None, "best": False},
    ]
    return MetricsReport.from_dict({
        "settings": {**MetricsSettings().to_dict(), "pad_id": 0, "aopc_formula": "mean drop",
                     "count_rule": "k % of n tokens"},
        "samples": ["a", "b"], "skipped": [], "not_evaluated": 0, "predict_calls": 1, "predicted_inputs": 40,
        "layers": [{"layer": layer, "n": 2, "mean": r["mean"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                    "aopc": 0.3, "random_aopc": 0.175, "lerf_aopc": 0.01, "comprehensiveness": 0.25,
                    "sufficiency": 0.125, "auto": k == 0, "best": r["best"], "curves": curves(0.1 * (k + 1)),
                    "sanity": {"passed": r["passed"], "mean_abs": 0.5, "top_layers": 1}}
                   for k, (layer, r) in enumerate(zip(layers, rows))],
        "recommended_layer": layers[1], "auto_layer": layers[0], "differs_from_auto": True, "separated": True,
        "most_faithful_layer": layers[1],
        "sanity": {"method": "model randomisation", "threshold": 0.5, "seed": 0, "layers": []},
        "recommended_passes_sanity": True, "recommendation_note": "the only passing layer", "notes": [],
    })


def parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))  # well-formed XML, or this raises
    assert root.get("viewBox") and root.get("width") == "100%" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text and root.find(f"{SVG}desc").text is not None
    assert "opacity" not in str(svg) and "<script" not in str(svg)
    return root


def axis(root, css_class, coordinate):
    """value -> position from the chart's own tick marks (a straight line through the first and last)."""
    ticks = [(float(t.get("data-value")), float(t.get(coordinate))) for t in root.iter(f"{SVG}line")
             if t.get("class") == css_class]
    (v0, p0), (v1, p1) = ticks[0], ticks[-1]
    return lambda value: p0 + (value - v0) * (p1 - p0) / (v1 - v0)


def test_histogram_bars_read_back_as_the_hand_counts():
    rows = [binary(0.0, 0), binary(0.05, 1), binary(0.5, 1), binary(0.55, 0), binary(0.93, 1), binary(1.0, 1),
            binary(0.31, 0), binary(0.72, None), binary(0.999, 1), binary(0.12, 0)]
    root = parse(histogram_svg(probability_histogram(with_predictions("binary", rows))))
    y_of, x_of = axis(root, "y-tick", "y1"), axis(root, "x-tick", "x1")
    per_count = y_of(0) - y_of(1)
    drawn = {}
    for bar in root.iter(f"{SVG}g"):
        if not (bar.get("class") or "").startswith("bar "):
            continue
        rect = bar.find(f"{SVG}rect")
        x, width = float(rect.get("x")), float(rect.get("width"))
        bin_low = round(float(bar.get("data-low")), 1)
        assert x_of(bin_low) < x and x + width < x_of(bin_low + 0.1)  # inside its bin on the x axis
        drawn[(bin_low, bar.get("data-series"))] = round(float(rect.get("height")) / per_count, 1)
    # the hand count of test_binary_histogram_by_hand, bar heights in counts
    assert drawn == {(0.0, "correct"): 1, (0.0, "wrong"): 1, (0.1, "correct"): 1, (0.3, "correct"): 1,
                     (0.5, "correct"): 1, (0.5, "wrong"): 1, (0.7, "unlabelled"): 1, (0.9, "correct"): 3}
    threshold = [line for line in root.iter(f"{SVG}line") if line.get("class") == "threshold"]
    assert len(threshold) == 1 and float(threshold[0].get("x1")) == pytest.approx(x_of(0.5), abs=0.1)
    # stacked: the wrong segment of bin 0.5 sits right on top of its correct one
    segments = {(b.get("data-low"), b.get("data-series")): b.find(f"{SVG}rect") for b in root.iter(f"{SVG}g")
                if b.get("data-series")}
    correct, wrong = segments[("0.5", "correct")], segments[("0.5", "wrong")]
    assert float(wrong.get("y")) + float(wrong.get("height")) == pytest.approx(float(correct.get("y")), abs=0.1)


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_confusion_shading_darkens_with_the_share_and_marks_the_diagonal_without_colour():
    truth = [0] * 10 + [1] * 7 + [2] * 3
    predicted = [0] * 9 + [1] + [1] * 4 + [0] * 2 + [2] + [2, 2, 0]
    rows = [([0.1, 0.1, 0.1, 0.7], [p], [t]) for t, p in zip(truth, predicted)]
    root = parse(confusion_svg(confusion_chart(label_summary(with_predictions("multiclass", rows)))))
    cells = [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("cell")]
    assert len(cells) == 16
    by_share = sorted(((float(c.get("data-share", -1)), luminance(c.find(f"{SVG}rect").get("fill"))) for c in cells))
    assert [lum for _, lum in by_share] == sorted((lum for _, lum in by_share), reverse=True)
    assert by_share[0][1] == 1.0 and by_share[-1][1] < 0.3  # no sample: white; the whole row: dark
    counts = {(int(c.get("data-true")), int(c.get("data-predicted"))): int(c.get("data-count")) for c in cells}
    assert counts[(0, 0)] == 9 and counts[(1, 0)] == 2 and counts[(2, 0)] == 1
    texts = {(int(c.get("data-true")), int(c.get("data-predicted"))): [t.text for t in c.iter(f"{SVG}text")]
             for c in cells}
    assert texts[(0, 0)] == ["9", "90%"] and texts[(1, 2)] == ["1", "14%"] and texts[(3, 3)] == ["0"]
    for cell in cells:  # bold numbers on the diagonal only
        bold = all(t.get("font-weight") == "bold" for t in cell.iter(f"{SVG}text"))
        assert bold == (cell.get("data-true") == cell.get("data-predicted"))
    outlines = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "diagonal"]
    assert len(outlines) == 4 and all(float(r.get("stroke-width")) >= 2 for r in outlines)


def test_ci_bars_span_the_interval_on_the_charts_own_axis():
    chart = aopc_chart(metrics_report())
    root = parse(aopc_svg(chart))
    x_of = axis(root, "x-tick", "x1")
    layers = {g.get("data-layer"): g for g in root.iter(f"{SVG}g") if g.get("data-layer")}
    for row in chart.rows:
        group = layers[row.layer]
        ci = [line for line in group.iter(f"{SVG}line") if line.get("class") == "ci"]
        if row.ci_low is None:
            assert not ci
        else:
            assert float(ci[0].get("x1")) == pytest.approx(x_of(row.ci_low), abs=0.06)
            assert float(ci[0].get("x2")) == pytest.approx(x_of(row.ci_high), abs=0.06)
        dot = group.find(f"{SVG}circle")
        assert float(dot.get("cx")) == pytest.approx(x_of(row.mean), abs=0.06)
        words = " ".join(t.text for t in group.iter(f"{SVG}text"))
        # failing the sanity check: an open dot, a dashed interval and the words, not only a colour
        assert ("sanity failed" in words) == row.failed_sanity
        assert (dot.get("fill") == "#ffffff") == row.failed_sanity
        assert ("recommended" in words) == row.best
    zero = [line for line in root.iter(f"{SVG}line") if line.get("class") == "zero"][0]
    assert float(zero.get("x1")) == pytest.approx(x_of(0.0), abs=0.06)


def test_hostile_labels_are_escaped_cut_and_kept_whole_in_titles():
    results = with_predictions("multiclass", [([0.4, 0.3, 0.3], [k % 3], [(k + 1) % 3]) for k in range(6)])
    results.model.labels = list(HOSTILE)
    chart_svg = str(confusion_svg(confusion_chart(label_summary(results))))
    root = parse(chart_svg)
    assert "\u202e" not in chart_svg and "<b>" not in chart_svg
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "<script>alert(1)</script>" in titles and HOSTILE[1] in titles
    labels = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "row-label" for t in g.iter(f"{SVG}text")]
    assert len(labels[1]) <= 16 and labels[1].endswith("\u2026")
    histogram = str(histogram_svg(probability_histogram(results)))
    parse(histogram)
    report = metrics_report(layers=tuple(HOSTILE))
    aopc = str(aopc_svg(aopc_chart(report)))
    root = parse(aopc)
    assert "\u202e" not in aopc and "<script>" not in aopc
    assert {g.get("data-layer") for g in root.iter(f"{SVG}g") if g.get("data-layer")} >= {HOSTILE[0]}


def test_charts_are_byte_identical_on_re_render_and_after_a_json_round_trip(tmp_path):
    results = make_results(n_docs=10, task="binary", seed=11, labels_given=0.8)
    results.metrics = metrics_report()
    site.render_site(results, tmp_path / "a")
    site.render_site(json_round_trip(results), tmp_path / "b")
    for page in ("index.html", "metrics.html"):
        first = (tmp_path / "a" / page).read_text(encoding="utf-8")
        assert first == (tmp_path / "b" / page).read_text(encoding="utf-8")
    index = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    metrics = (tmp_path / "a" / "metrics.html").read_text(encoding="utf-8")
    assert 'id="how-the-model-did"' in index
    assert 'data-role="confusion-chart"' in index and 'data-role="probability-histogram"' in index
    for anchor in ("which-layer", "faithfulness-chart", "deletion-curves", "sanity"):
        assert f'id="{anchor}"' in metrics
    # small multiples: one curve chart per layer, all on the same x range, one legend for the grid
    charts = re.findall(r'<svg class="deletion-curve".*?</svg>', metrics, flags=re.S)
    assert len(charts) == 3 and metrics.count('class="deletion-legend"') == 1
    ends = {max(float(p.split(",")[0]) for line in ET.fromstring(c).iter(f"{SVG}polyline")
                for p in line.get("points").split()) for c in charts}
    assert len(ends) == 1  # every layer's last fraction (0.3) lands on the same x


def test_the_pdf_summary_and_metrics_pages_hold_the_charts(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    from reportgen.render.pdf import render_pdf
    results = make_results(n_docs=4, task="binary", seed=3, words=(20, 40), max_length=None)
    results.metrics = metrics_report()
    render_pdf(results, tmp_path / "r.pdf", {}, None, None)
    reader = pypdf.PdfReader(io.BytesIO((tmp_path / "r.pdf").read_bytes()))
    pages = [page.extract_text() for page in reader.pages]
    summary = next(k for k, text in enumerate(pages) if "How the model did" in text)
    # words that only the charts draw: the matrix's axis titles, the histogram's threshold, the AOPC axis and
    # the deletion curves' axis (once per small multiple)
    assert "predicted label" in pages[summary] and "threshold 0.5" in pages[summary]
    rest = "\n".join(pages[summary:])
    assert "AOPC gain over random order" in rest and "sanity failed" in rest
    assert rest.count("tokens removed (share of removable tokens)") == 3
