"""The review's alerts from fake comparison records: the candidate worse on a label, many confident flips, its
maps failing the sanity check while the baseline's pass; each in the report's alerts (index box, PDF, terminal)
with a link to the baseline's section of the comparison page."""

from __future__ import annotations

import copy
from dataclasses import replace
import re

from fakes import make_results
from reportgen.render.html import render_site
from reportgen.report.alerts import WARNING, report_alerts
from reportgen.results import (
    BaselineComparison,
    ComparisonReport,
    FlippedDocument,
    LayerScore,
    McNemarTest,
    MetricDifference,
    MetricsReport,
    SanityVerdict,
)

BOOTSTRAP = {"resamples": 100, "seed": 1, "level": 0.95}


def layer_score(layer: str, passed: bool | None, mean_abs: float = 0.5) -> LayerScore:
    return LayerScore(layer, 10, 0.1, 0.05, 0.15, 0.3, 0.2, 0.1, 0.3, 0.1, False, False, None,
                      None if passed is None else SanityVerdict(passed, mean_abs, 1))


def metrics(*rows: LayerScore) -> MetricsReport:
    return MetricsReport({"confidence": 0.95}, [], [], 0, 0, 0, list(rows), None, None, None, None, None, None,
                         "", None, [])


def flip(doc_id: str, change: float, kind: str = "broken") -> FlippedDocument:
    """Document number `doc_id` of the fake results (review() puts its id and labels in)."""
    return FlippedDocument(doc_id, kind, [], [], None, [0.9, 0.1], [0.9 - change, 0.1 + change], change)


def review(differences=(), flips=(), baseline_metrics=None, candidate_metrics=None, name="base <b>"):
    """Binary fake results (10 documents) and one baseline record with exactly the given findings."""
    results = make_results(n_docs=10, seed=2)
    results.metrics = candidate_metrics
    labels = results.model.labels
    flips = [replace(f, id=results.documents[int(f.id)].id, baseline_predicted=[labels[0]],
                          candidate_predicted=[labels[1]], true_labels=[labels[0]]) for f in flips]
    record = BaselineComparison(
        name=name, model=copy.deepcopy(results.model), documents=copy.deepcopy(results.documents),
        layers=list(results.settings.layers), scored=10,
        differences=[MetricDifference("accuracy", None, 0.8, 0.8, 0.0, -0.1, 0.1), *differences],
        mcnemar=McNemarTest(1, 1, 1.0), confusion=[[5, 0], [0, 5]], flips=list(flips), agreement=[],
        bootstrap=BOOTSTRAP, metrics=baseline_metrics)
    results.comparison = ComparisonReport(candidate=results.model.name, baselines=[record])
    return results


def kinds(results) -> dict[str, object]:
    return {a.kind: a for a in report_alerts(results) if a.kind.startswith("compare-")}


def test_no_finding_no_alert():
    label = make_results(n_docs=1, seed=2).model.labels[0]
    results = review(differences=[MetricDifference("recall", label, 0.8, 0.7, -0.1, -0.3, 0.02)],
                     flips=[flip("0", 0.9)])
    assert kinds(results) == {}


def test_worse_on_a_label_when_the_paired_interval_is_below_zero():
    labels = make_results(n_docs=1, seed=2).model.labels
    results = review(differences=[MetricDifference("recall", labels[1], 0.9, 0.6, -0.3, -0.5, -0.1),
                                  MetricDifference("precision", labels[0], 0.9, 0.8, -0.1, -0.2, 0.05),
                                  MetricDifference("precision", labels[1], 0.5, 0.7, 0.2, 0.1, 0.3)])
    alert = kinds(results)["compare-worse"]
    assert alert.severity == WARNING
    # only the row whose whole interval is below 0: recall on the second label, 60 % against 90 %
    assert f"recall on {labels[1]} 60 % against 90 %" in alert.text and "precision" not in alert.text
    assert alert.link.startswith("compare.html#vs-") and alert.pdf_anchor == "comparison"


def test_many_confident_flips():
    # 10 documents: "many" is at least 2 and at least 10 % of them, with a change of 0.4 or more
    one = review(flips=[flip("0", 0.9), flip("1", 0.39), flip("2", 0.2)])
    assert "compare-confident-flips" not in kinds(one)
    two = review(flips=[flip("0", 0.9), flip("1", 0.4, kind="fixed"), flip("2", 0.2)])
    alert = kinds(two)["compare-confident-flips"]
    assert alert.text.startswith("2 of 10 documents") and "1 of them from right to wrong" in alert.text


def test_the_candidates_maps_fail_the_sanity_check_while_the_baselines_pass():
    lead = make_results(n_docs=1, seed=2).settings.layers[0]
    failing = metrics(layer_score(lead, False, 0.91))
    passing = metrics(layer_score(lead, True, 0.12))
    alert = kinds(review(baseline_metrics=passing, candidate_metrics=failing))["compare-sanity-failed"]
    assert alert.severity == WARNING and "0.91" in alert.text and "0.12" in alert.text
    # the other way round, both failing, or a model without a verdict: no such alert
    for baseline, candidate in ((failing, passing), (failing, failing), (None, failing),
                                (metrics(layer_score(lead, None)), failing)):
        assert "compare-sanity-failed" not in kinds(review(baseline_metrics=baseline, candidate_metrics=candidate))


def test_alerts_link_the_baselines_section_from_the_index(tmp_path):
    labels = make_results(n_docs=1, seed=2).model.labels
    results = review(differences=[MetricDifference("recall", labels[1], 0.9, 0.6, -0.3, -0.5, -0.1)],
                     flips=[flip("0", 0.9), flip("1", 0.8)])
    render_site(results, tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    box = re.search(r'<section class="alerts" data-role="alerts".*?</section>', index, re.S).group(0)
    found = dict(re.findall(r'data-kind="(compare-[a-z-]+)">.*?<a href="([^"]+)"', box))
    assert set(found) == {"compare-worse", "compare-confident-flips"}
    page = (tmp_path / "compare.html").read_text(encoding="utf-8")
    for href in found.values():
        path, anchor = href.split("#")
        assert path == "compare.html" and f'id="{anchor}"' in page
    assert "base &lt;b&gt;" in box and "base <b>" not in box
    # the comparison page lists the same findings in the baseline's section
    assert re.findall(r'<li class="alert alert-\w+" data-kind="(compare-[a-z-]+)"', page) == [
        "compare-worse", "compare-confident-flips"]


def worse_review():
    labels = make_results(n_docs=1, seed=2).model.labels
    return review(differences=[MetricDifference("recall", labels[1], 0.9, 0.6, -0.3, -0.5, -0.1)])


def test_the_terminal_lists_the_review_alerts_like_the_others(tmp_path):
    from reportgen.build import BuildSummary
    from reportgen.commands.build import summary_lines

    results = worse_review()
    lines = summary_lines(BuildSummary(out_dir=tmp_path, documents=10, alerts=report_alerts(results)), 1.0)
    (line,) = [line for line in lines if "does worse than the baseline" in line]
    assert line.startswith("warning: imdb_cnn_lstm does worse than the baseline base <b>: recall on ")
    assert re.search(r"\(see \S*compare\.html#vs-base-b-[0-9a-f]{8}\)$", line), line


def test_the_pdf_lists_the_review_alerts_and_points_at_its_comparison_section(tmp_path):
    import shutil
    import subprocess

    import pytest

    pytest.importorskip("weasyprint")
    from reportgen.render.pdf import render_pdf

    render_pdf(worse_review(), tmp_path / "report.pdf", {"samples": 1, "max_pages": 20})
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True,
                                   text=True).stdout.split())
    assert "Warning: imdb_cnn_lstm does worse than the baseline base <b>" in text
    assert "(see the comparison with base <b>)" in text
