"""A one-output model's true-label map is the predicted map with its signs swapped: the lead draws it once and
says so, instead of a second, mirrored copy (and a mirrored evidence chart) on a wrong prediction."""

from __future__ import annotations

import pytest

from reportgen.report.structure import Orders
from reportgen.report.views import Views
from tests.fakes import make_results


@pytest.fixture()
def wrong_binary():
    results = make_results(n_docs=4, task="binary", seed=6, targets="all", relu=(False,), nasty=False)
    index, doc = 1, results.documents[1]
    predicted = doc.prediction.predicted[0]
    doc.true_labels = [1 - predicted]  # a wrong prediction
    return results, index


def lead_pair(results, index):
    orders = Orders.of(results)
    doc = results.documents[index]
    first = orders.lead(doc)
    other = orders.lead(doc, doc.true_labels[0])
    return first, other


def test_a_mirrored_true_label_map_is_a_note_not_a_second_map(wrong_binary):
    results, index = wrong_binary
    first, other = lead_pair(results, index)
    other.weights = [None if w is None else -w for w in first.weights]
    lead = Views(results, Orders.of(results)).lead(index)
    assert [m.role for m in lead.maps] == ["lead-map"]
    assert lead.mirror_note and other.target_label in lead.mirror_note and first.target_label in lead.mirror_note
    assert len(Views(results, Orders.of(results)).evidences(index, lead)) == 1


def test_a_map_that_is_not_the_mirror_is_drawn(wrong_binary):
    results, index = wrong_binary
    first, other = lead_pair(results, index)
    other.weights = [None if w is None else -w for w in first.weights]
    k = next(i for i, w in enumerate(other.weights) if w)
    other.weights[k] *= 1.5  # one token differs by half its weight: not a mirror
    lead = Views(results, Orders.of(results)).lead(index)
    assert [m.role for m in lead.maps] == ["lead-map", "lead-map-true"] and lead.mirror_note is None


def test_the_site_shows_the_note_where_the_second_map_would_be(wrong_binary, tmp_path):
    from reportgen.render.html import render_site
    from reportgen.report.structure import plan_site

    results, index = wrong_binary
    first, other = lead_pair(results, index)
    other.weights = [None if w is None else -w for w in first.weights]
    render_site(results, tmp_path)
    page = (tmp_path / plan_site(results).sample_paths[index]).read_text(encoding="utf-8")
    assert 'data-role="lead-mirror"' in page and 'data-role="lead-map-true"' not in page
    assert 'data-role="lead-map"' in page
