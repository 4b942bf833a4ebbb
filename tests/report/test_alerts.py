"""The report's alerts (issue 11, item 1): each finding is raised exactly when the results say so, and shown first
on the index and in the PDF summary."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from reportgen.render.html import render_site
from reportgen.report.alerts import report_alerts
from reportgen.report.structure import Orders, plan_site
from reportgen.results import PdfSamples
from tests.fakes import make_results


def sanity_metrics(results, passed: dict[str, bool | None], mean_abs: dict[str, float], recommended: str) -> dict:
    """A metrics record (the dict form the templates also accept) with a sanity verdict per layer."""
    return {"recommended_layer": recommended, "layers": [{"layer": name} for name in passed],
            "sanity": {"layers": [{"layer": name, "passed": passed[name], "mean_abs": mean_abs[name]}
                                  for name in passed]}}


def kinds(alerts):
    return [a.kind for a in alerts]


@pytest.fixture()
def results():
    return make_results(n_docs=6, seed=3, nasty=True)


def test_plain_results_raise_only_what_is_true_of_them(results):
    truncated = [d.id for d in results.documents if d.input.truncated]
    alerts = report_alerts(results)
    # make_results truncates long texts at 80 tokens, has no metrics, and its model has a note: those are the only findings
    assert kinds(alerts) == ((["truncated"] if truncated else []) + ["lead-unchecked"]
                             + ["model-note"] * len(results.model.notes))
    assert [a.text for a in alerts if a.kind == "model-note"] == results.model.notes
    if truncated:
        assert all(doc_id in alerts[0].text for doc_id in truncated[:3])
        assert f"{len(truncated)} sample" in alerts[0].text


def test_a_sanity_check_no_layer_passes_is_the_first_warning_with_its_strongest_rho(results):
    layers = results.settings.layers
    results.metrics = sanity_metrics(results, {layers[0]: False, layers[1]: False},
                                     {layers[0]: 0.91, layers[1]: 0.987}, recommended=layers[0])
    alerts = report_alerts(results)
    assert alerts[0].kind == "sanity-failed" and alerts[0].warning
    assert f"0.910 at {layers[0]}, 0.987 at {layers[1]}" in alerts[0].text  # each layer's mean |rho|
    assert alerts[0].link == "metrics.html#sanity" and alerts[0].pdf_anchor == "metrics"


def test_one_failing_layer_among_passing_ones_is_a_note_naming_it(results):
    layers = results.settings.layers
    results.metrics = sanity_metrics(results, {layers[0]: True, layers[1]: False},
                                     {layers[0]: 0.2, layers[1]: 0.95}, recommended=layers[0])
    (alert,) = [a for a in report_alerts(results) if a.kind.startswith("sanity")]
    assert alert.kind == "sanity-failed-some" and not alert.warning
    assert layers[1] in alert.text and layers[0] not in alert.text


def test_no_verdict_at_all_raises_nothing(results):
    layers = results.settings.layers
    results.metrics = sanity_metrics(results, {layers[0]: None}, {layers[0]: None}, recommended=layers[0])
    assert not [a for a in report_alerts(results) if a.kind.startswith("sanity")]


def test_the_lead_layer_is_named_when_metrics_chose_another_than_auto_or_none_checked_it(results):
    layers = results.settings.layers
    results.metrics = {"recommended_layer": layers[1], "auto_layer": layers[0], "differs_from_auto": True}
    (alert,) = [a for a in report_alerts(results) if a.kind.startswith("lead")]
    assert alert.kind == "lead-not-auto" and alert.link == "metrics.html#which-layer"
    assert alert.text.index(layers[1]) < alert.text.index(layers[0])  # the lead, then the rule's choice
    results.metrics = {"recommended_layer": layers[0], "auto_layer": layers[0], "differs_from_auto": False}
    assert not [a for a in report_alerts(results) if a.kind.startswith("lead")]
    results.metrics = None
    (alert,) = [a for a in report_alerts(results) if a.kind.startswith("lead")]
    assert alert.kind == "lead-unchecked" and Orders.of(results).layers[0] in alert.text


def test_a_lead_map_of_zeros_is_named_as_blank(results):
    orders = Orders.of(results)
    blank = results.documents[4]
    lead = orders.lead(blank)
    # every map of the lead layer and target at 0: the lead (signed, or relu) map is blank
    for h in blank.heatmaps:
        if h.layer == lead.layer and h.target == lead.target:
            h.weights = [0.0 for _ in h.weights]
    (alert,) = [a for a in report_alerts(results) if a.kind == "blank-maps"]
    assert alert.text.startswith("1 sample has a blank map at layer " + lead.layer)
    assert blank.id in alert.text and alert.warning
    assert alert.link == plan_site(results).sample_paths[4]


def test_accuracy_over_chosen_samples_is_flagged_with_the_count_a_reader_sees(results):
    results.settings.samples_chosen_by = ["select", "extra"]
    labelled = [d for d in results.documents if d.true_labels is not None]
    right = sum(1 for d in labelled if d.prediction.predicted == sorted(d.true_labels))
    (alert,) = [a for a in report_alerts(results) if a.kind == "curated-accuracy"]
    assert f"({right} of {len(labelled)})" in alert.text
    assert "samples.select and samples.extra" in alert.text
    results.settings.samples_chosen_by = []
    assert "curated-accuracy" not in kinds(report_alerts(results))


def test_a_pdf_with_fewer_samples_is_a_note(results):
    results.pdf_samples = PdfSamples("errors-first", 2, [results.documents[0].id, results.documents[1].id],
                                     "2 of 6 samples: wrong first")
    (alert,) = [a for a in report_alerts(results) if a.kind == "pdf-subset"]
    assert alert.text.startswith("report.pdf shows 2 of the 6 samples;") and not alert.warning
    results.pdf_samples.left_out = [results.documents[2].id]
    (alert,) = [a for a in report_alerts(results) if a.kind == "pdf-subset"]
    assert alert.text.startswith("report.pdf shows 2 of the 6 samples (1 more that output.pdf.samples chose did "
                                 "not fit output.pdf.max_pages);")
    results.pdf_samples = PdfSamples("all", None, [d.id for d in results.documents], "all")
    assert "pdf-subset" not in kinds(report_alerts(results))


def test_warnings_come_before_notes(results):
    layers = results.settings.layers
    results.model.notes = ["padding with id 0 changes this model's predictions (it is not masked)"]
    results.settings.samples_chosen_by = ["select"]
    results.metrics = sanity_metrics(results, {layers[0]: False}, {layers[0]: 0.99}, recommended=layers[0])
    severities = [a.severity for a in report_alerts(results)]
    assert severities == sorted(severities, key=lambda s: s != "warning")
    assert "model-note" in kinds(report_alerts(results))


class Alerts(HTMLParser):
    """The alerts box of a page: each item's kind, text and link."""

    def __init__(self, source):
        super().__init__()
        self.depth, self.items, self.boxes = 0, [], 0
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-role") == "alerts":
            self.boxes += 1
            self.depth = 1
        elif self.depth:
            self.depth += tag not in ("br",)
            if tag == "li":
                self.items.append({"kind": attrs.get("data-kind"), "text": "", "href": None})
            if tag == "a" and self.items:
                self.items[-1]["href"] = attrs.get("href")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and self.items:
            self.items[-1]["text"] += data


def test_the_index_shows_every_alert_first_escaped_and_linked(results, tmp_path):
    hostile = "<b>conv</b>&\u202e"
    results.pdf_samples = PdfSamples("ids", None, [results.documents[0].id], "1 of 6 samples")
    results.settings.samples_chosen_by = ["select"]
    results.model.notes = [f"layer {hostile} note"]
    render_site(results, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    box = Alerts(page)
    expected = report_alerts(results)
    assert box.boxes == 1 and [item["kind"] for item in box.items] == kinds(expected)
    assert page.index('data-role="alerts"') < page.index('class="model-summary"')  # before anything else
    assert "<b>conv</b>" not in page and "&lt;b&gt;conv&lt;/b&gt;" in page
    for item, alert in zip(box.items, expected):
        assert item["text"].startswith("Warning:" if alert.warning else "Note:")
        target = item["href"].split("#")[0]
        # report.pdf is written beside the site by a build; this test renders the site alone
        assert target == "report.pdf" if alert.kind == "pdf-subset" else (tmp_path / target).is_file(), item["href"]


def test_no_alerts_no_box(tmp_path, monkeypatch):
    results = make_results(n_docs=3, seed=8, nasty=False, max_length=None)
    results.model.notes = []
    results.metrics = {"recommended_layer": results.settings.layers[0]}
    assert report_alerts(results) == []
    import reportgen.render.html as site

    monkeypatch.setattr(site, "report_alerts", lambda *_: [])  # the metrics page needs a full record; not the index
    results.metrics = None
    render_site(results, tmp_path)
    assert 'data-role="alerts"' not in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_the_pdf_summary_starts_with_the_alerts(results, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from reportgen.render.pdf import render_pdf

    layers = results.settings.layers
    results.metrics = None
    results.settings.samples_chosen_by = ["select"]
    render_pdf(results, tmp_path / "report.pdf", {"samples": 1})
    reader = pypdf.PdfReader(tmp_path / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"\s+", " ", text)
    assert "Read this first" in text
    assert "is over samples chosen by samples.select" in text
    assert text.index("Read this first") < text.index("How the model did")
    assert layers  # the layers are still named elsewhere in the PDF


def test_markup_numbers_and_punctuation_among_the_corpus_evidence_are_a_warning_names_are_not():
    from tests.report.test_corpus_view import evidence, label, word

    def steady(name, total, flags, documents=6):
        w = word(name, total, flags, documents=documents)
        w.total_low, w.total_high = (total / 2, total * 2) if total > 0 else (total * 2, total / 2)
        return w

    results = make_results(n_docs=4, seed=3)
    wavering = word("quot", 8.0, ["markup"], documents=9)  # its interval (7 ... 9 by `word`) is steady: shifted
    wavering.total_low = -1.0
    results.corpus_evidence = evidence(label("conv", 0, "neg", toward=[
        word("good", 9.0), wavering, steady("br", 5.0, ["markup"]), steady("paris", 4.0, ["name"]),
        steady("!!", 3.0, ["punctuation"], documents=2)], away=[steady("10", -7.0, ["number"])]))
    [alert] = [a for a in report_alerts(results) if a.kind == "shortcuts"]
    assert alert.warning and alert.link == "corpus.html#shortcuts-title" and alert.pdf_anchor == "corpus"
    # strongest first, each with its flag, side, label and layer
    assert alert.text.index("10 (number; away neg at conv") < alert.text.index("br (markup; toward neg at conv")
    # a name, an interval that crosses 0, or fewer documents than the corpus page ranks by mean: not raised
    assert all(w not in alert.text for w in ("paris", "good", "quot", "!!"))

    results.corpus_evidence = evidence(label("conv", 0, "neg", toward=[steady("paris", 4.0, ["name"])]))
    assert not [a for a in report_alerts(results) if a.kind == "shortcuts"]
