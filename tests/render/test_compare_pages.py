"""The comparison pages from fake results: the flip list links a page per flipped document, user text is
escaped, the bytes are the same on every render, and the PDF has the section."""

from __future__ import annotations

import copy
import html
import re

import pytest

from fakes import make_results
from reportgen.compare import compare_models
from reportgen.render.html import render_site
from reportgen.report.structure import Orders
from reportgen.results import ComparisonReport


def with_comparison(n_docs: int = 10):
    """Multiclass fake results (nasty ids, labels and texts) and a baseline that moves the predictions of
    documents 1, 4 and 7 to the next label by known probabilities."""
    results = make_results(n_docs=n_docs, task="multiclass", targets="all", nasty=True, seed=5)
    labels = results.model.labels
    baseline = copy.deepcopy(results.documents)
    moved = {}
    for i in (1, 4, 7):
        doc = baseline[i]
        new = (doc.prediction.predicted[0] + 1) % len(labels)
        probabilities = [0.05] * len(labels)
        probabilities[new] = 1 - 0.05 * (len(labels) - 1)
        change = max(abs(a - b) for a, b in zip(probabilities, results.documents[i].prediction.probabilities))
        doc.prediction.probabilities, doc.prediction.predicted = probabilities, [new]
        for h in doc.heatmaps:
            h.weights = list(reversed(h.weights))
        moved[doc.id] = change
    orders = Orders.of(results)
    model = copy.deepcopy(results.model)
    model.name = 'base "<b>"'
    record = compare_models(results.documents, labels, baseline, labels, name='base "<b>"', model=model,
                            layers=list(results.settings.layers), candidate_lead=orders.lead,
                            baseline_lead=orders.lead, resamples=100)
    results.comparison = ComparisonReport(candidate=results.model.name, baselines=[record])
    expected = [doc_id for doc_id, _ in sorted(moved.items(), key=lambda kv: (-kv[1], kv[0]))]
    return results, expected


def test_flip_list_links_each_flipped_documents_page_in_order(tmp_path):
    results, expected = with_comparison()
    render_site(results, tmp_path)
    page = (tmp_path / "compare.html").read_text(encoding="utf-8")
    flips = re.search(r'<ol class="flips" data-role="flips">(.*?)</ol>', page, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)">Sample <span class="doc-id">([^<]*)</span>', flips)
    assert [html.unescape(doc_id) for _, doc_id in links] == expected
    for href, doc_id in links:
        target = (tmp_path / html.unescape(href)).read_text(encoding="utf-8")
        assert f'<span class="doc-id">{doc_id}</span>' in target
        assert target.count('data-role="lead-map"') == 2  # baseline and candidate side by side
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="compare.html" data-role="compare-link"' in index


def test_user_text_is_escaped_and_the_bytes_repeat(tmp_path):
    results, _ = with_comparison()
    first = {p.relative_to(tmp_path / "a").as_posix(): p.read_bytes()
             for p in render_site(results, tmp_path / "a") if "compare" in p.as_posix()}
    second = {p.relative_to(tmp_path / "b").as_posix(): p.read_bytes()
              for p in render_site(results, tmp_path / "b") if "compare" in p.as_posix()}
    assert first == second and len(first) == 4  # compare.html and three flipped documents
    for data in first.values():
        text = data.decode("utf-8")
        assert "<script>" not in text and '"<b>"' not in text and "<b>politics</b>" not in text
    assert "base &#34;&lt;b&gt;&#34;" in first["compare.html"].decode("utf-8")


def test_the_pdf_has_a_comparison_section(tmp_path):
    pytest.importorskip("weasyprint")
    import shutil
    import subprocess

    from reportgen.render.pdf import render_pdf

    results, expected = with_comparison(n_docs=8)
    render_pdf(results, tmp_path / "report.pdf", {"samples": 2, "max_pages": 20})
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Model comparison" in text and f"Flipped documents ({len(expected)})" in text


def test_the_evidence_shift_carries_the_candidates_corpus_statistics_where_present(tmp_path):
    from reportgen.report.comparison import evidence_shift
    from reportgen.results import CorpusEvidence, LabelEvidence, WordEvidence

    results, _ = with_comparison()
    (baseline,) = results.comparison.baselines
    label, words, covered = evidence_shift(results, baseline)[0]
    assert covered is None and all(w.corpus is None for w in words)  # no corpus evidence: nothing to add
    ranked, unranked = words[0].word, words[1].word
    lead = Orders.of(results).lead_layer
    stats = WordEvidence(ranked.upper(), 12.5, 10.25, 14.75, 1.25, 1.0, 1.5, 7, ["number"], [])
    other_layer = WordEvidence(unranked, 3.0, None, None, 3.0, None, None, 1, [], [])
    results.corpus_evidence = CorpusEvidence(50, 1, 0.95, 10, [
        LabelEvidence(lead, 0, label, 123, 400, 2, [stats], [], [], []),
        LabelEvidence("another layer", 0, label, 123, 400, 2, [other_layer], [], [], [])])
    render_site(results, tmp_path)
    page = (tmp_path / "compare.html").read_text(encoding="utf-8")
    table = re.search(r'<table class="evidence-shift" data-label="%s">(.*?)</table>' % re.escape(html.escape(label)),
                      page, re.S).group(1)
    assert "whole corpus (123 documents)" in table
    cells = dict(re.findall(r'<th scope="row">([^<]*)</th>.*?<td class="num" data-role="corpus-total">(.*?)</td>',
                            table))
    assert cells[html.escape(ranked)] == '+12.5 (+10.2 … +14.8), 7 docs <span class="muted">(number)</span>'
    assert cells[html.escape(unranked)] == '<span class="muted">not ranked</span>'  # ranked at another layer only
