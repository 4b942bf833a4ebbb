"""Which samples report.pdf shows (output.pdf.samples): the rules, the record in explanations.json, the PDF.

Expectations are computed from the synthetic documents' own labels and predictions (which are wrong, which
true label each has), never from the chooser's intermediate values.
"""

from __future__ import annotations

import dataclasses
import io
import json

import pytest

from reportgen.errors import BuildError
from reportgen.render.pdf_plan import PdfOptions, plan_pdf
from reportgen.report.sample_choice import ORDER_RULES, choose_samples
from reportgen.results import ReportResults
from reportgen.spec.choices import PDF_SAMPLE_RULES
from tests.fakes import make_results


def ids_of(results, indices):
    return [results.documents[i].id for i in indices]


def wrong_ids(results):
    return [d.id for d in results.documents if d.correct is False]


def true_labels(results, ids):
    by_id = {d.id: d for d in results.documents}
    return {label for doc_id in ids for label in (by_id[doc_id].true_labels or [])}


def with_truth(results, truth):
    """The same documents with these true labels (None: no label); predictions stay, so `correct` follows."""
    docs = [dataclasses.replace(d, true_labels=t) for d, t in zip(results.documents, truth)]
    return dataclasses.replace(results, documents=docs)


def pick(results, samples):
    options = PdfOptions.from_mapping({"samples": samples, "max_pages": 10_000})
    return ids_of(results, plan_pdf(results, options).choice.indices)


def test_the_spec_and_the_chooser_know_the_same_rules():
    assert PDF_SAMPLE_RULES == ORDER_RULES


def test_wrong_predictions_come_first_then_every_true_label():
    results = make_results(n_docs=40, task="multiclass", seed=5, nasty=False)
    wrong = wrong_ids(results)
    assert 2 <= len(wrong) < 12, "the fixture needs some wrong predictions and room for right ones"
    chosen = pick(results, 12)  # a number alone: the default rule
    assert chosen[: len(wrong)] == [i for i in chosen if i in wrong] and set(wrong) <= set(chosen)
    labelled = {t for d in results.documents for t in (d.true_labels or [])}
    assert true_labels(results, chosen) == labelled
    assert len(chosen) == len(set(chosen)) == 12


def test_wrong_predictions_of_one_label_do_not_crowd_out_the_others():
    # 6 negative reviews predicted positive, then 2 right positives: 3 samples must still show a positive one
    results = make_results(n_docs=8, task="binary", seed=1, nasty=False)
    docs = [dataclasses.replace(d, prediction=dataclasses.replace(d.prediction, predicted=[1]),
                                true_labels=[0] if k < 6 else [1]) for k, d in enumerate(results.documents)]
    results = dataclasses.replace(results, documents=docs)
    assert pick(results, 3) == ["0", "1", "6"]  # the last wrong pick gives way; wrong ones still lead
    assert pick(results, 1) == ["0"]  # too few to cover both labels: the rule's order alone
    assert pick(results, 7) == ["0", "1", "2", "3", "4", "5", "6"]


def test_stratified_takes_each_true_label_in_turn_in_report_order():
    results = make_results(n_docs=12, task="binary", seed=2, nasty=False)
    truth = [[0], [0], [0], [1], None, [0], [1], [0], [0], [0], [0], [1]]
    results = with_truth(results, truth)
    # label 0, label 1, no label, in turn; each group in report order; an empty group is skipped
    assert pick(results, "stratified") == ["0", "3", "4", "1", "6", "2", "11", "5", "7", "8", "9", "10"]
    assert pick(results, {"pick": "stratified", "count": 4}) == ["0", "3", "4", "1"]


def test_explicit_ids_are_kept_in_their_order_and_unknown_ones_refused():
    results = make_results(n_docs=6, nasty=False)
    assert pick(results, ["4", 1, "3"]) == ["4", "1", "3"]
    with pytest.raises(BuildError, match=r"^output\.pdf\.samples: no sample with id 'nope' in this report"):
        pick(results, ["4", "nope"])


def test_a_number_larger_than_the_samples_takes_them_all_errors_first():
    results = make_results(n_docs=7, seed=4, nasty=False)
    chosen = pick(results, 100)
    assert sorted(chosen) == sorted(d.id for d in results.documents)
    assert chosen == pick(results, "errors-first")
    assert chosen[: len(wrong_ids(results))] == [c for c in chosen if c in wrong_ids(results)]


def test_all_keeps_report_order():
    results = make_results(n_docs=7, seed=4, nasty=False)
    assert pick(results, "all") == [d.id for d in results.documents]


def test_no_true_labels_at_all_gives_report_order_and_says_why():
    results = with_truth(make_results(n_docs=6, task="multiclass", nasty=False), [None] * 6)
    assert pick(results, 4) == ["0", "1", "2", "3"]
    assert pick(results, "stratified") == [d.id for d in results.documents]
    choice = choose_samples(results, "errors-first", 4)
    assert choice.describe() == "4 of 6 samples: in report order (no sample has a true label)"


def test_the_choice_is_deterministic_and_said_in_words():
    results = make_results(n_docs=30, task="multiclass", seed=5, nasty=False)
    first, again = choose_samples(results, "errors-first", 9), choose_samples(results, "errors-first", 9)
    assert first == again
    wrong = sum(1 for i in first.indices if results.documents[i].correct is False)
    assert first.describe().startswith(f"9 of 30 samples: the {wrong} wrong prediction")
    assert "then right ones" in first.describe()


def test_multilabel_samples_are_taken_once_and_cover_every_label():
    results = make_results(n_docs=30, task="multilabel", seed=3, nasty=False)
    chosen = pick(results, 6)
    assert len(set(chosen)) == 6
    labelled = {t for d in results.documents for t in (d.true_labels or [])}
    assert true_labels(results, chosen) == labelled


# ---- the record and the PDF ---------------------------------------------------------------------------

def test_the_record_survives_the_json_and_old_files_are_refused():
    results = make_results(n_docs=8, seed=6, nasty=False)
    plan = plan_pdf(results, PdfOptions.from_mapping({"samples": 5}))
    results.pdf_samples = plan.record(results)
    data = json.loads(json.dumps(results.to_dict()))
    assert data["pdf_samples"]["rule"] == "errors-first" and data["pdf_samples"]["count"] == 5
    assert data["pdf_samples"]["ids"] == ids_of(results, plan.choice.indices)
    back = ReportResults.from_dict(data)
    assert back.pdf_samples == results.pdf_samples
    with pytest.raises(ValueError, match="schema_version"):
        ReportResults.from_dict({**data, "schema_version": 2})


def test_the_pdf_shows_the_recorded_samples_in_the_recorded_order(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    from reportgen.render.pdf import render_pdf

    results = make_results(n_docs=10, task="binary", seed=1, words=(8, 16), nasty=False)
    results = with_truth(results, [list(d.prediction.predicted) if k % 3 else [1 - d.prediction.predicted[0]]
                                   for k, d in enumerate(results.documents)])
    options = {"samples": 5, "max_pages": 80}
    plan = plan_pdf(results, PdfOptions.from_mapping(options))  # as the build: plan, record, then render
    results.pdf_samples = plan.record(results)
    summary = render_pdf(results, tmp_path / "r.pdf", options, None, None, plan=plan)
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    titles = [item.title for item in reader.outline[-1]] if isinstance(reader.outline[-1], list) else []
    titles = titles or [item.title for item in reader.outline if not isinstance(item, list)]
    shown = [t.removeprefix("Sample ") for t in titles if t.startswith("Sample ")]
    assert shown == summary.samples == results.pdf_samples.ids
    wrong = wrong_ids(results)
    assert set(shown[: len(wrong)]) == set(wrong) and true_labels(results, shown) == {0, 1}
    attached = json.loads(reader.attachments["explanations.json"][0])
    assert attached["pdf_samples"]["ids"] == shown
    text = " ".join(" ".join(page.extract_text() for page in reader.pages[:4]).split())
    assert f"This PDF shows 5 of the report's 10 samples: the {len(wrong)} wrong predictions first" in text

    # results read back from another build's JSON: the attached record is this PDF's, not the stale one
    other = render_pdf(results, tmp_path / "s.pdf", {"samples": ["7", "2"]}, None, None)
    attached = json.loads(pypdf.PdfReader(tmp_path / "s.pdf").attachments["explanations.json"][0])
    assert other.samples == attached["pdf_samples"]["ids"] == ["7", "2"]
    assert attached["pdf_samples"]["rule"] == "ids"


@pytest.mark.parametrize("chunk_pages", [None, 1])
def test_samples_the_page_budget_drops_are_not_in_the_record_the_pdf_carries(tmp_path, chunk_pages):
    """max_pages leaves samples out only once the pages are laid out: the record (what explanations.json and
    the site's alerts are then written from, and the PDF's attached copy) names the samples really shown."""
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    from reportgen.render.pdf import render_pdf

    results = make_results(n_docs=6, task="binary", seed=4, words=(30, 60), nasty=False)
    everything = render_pdf(results, tmp_path / "all.pdf", {"samples": "all", "max_pages": 10_000}, None, None,
                            chunk_pages=chunk_pages)
    options = {"samples": "all", "max_pages": everything.pages - 2}  # two sample pages too many
    summary = render_pdf(results, tmp_path / "r.pdf", options, None, None, chunk_pages=chunk_pages)
    assert summary.over_budget and len(summary.samples) < len(results.documents)
    assert summary.record.ids == summary.samples
    assert summary.record.left_out == summary.over_budget
    attached = json.loads(pypdf.PdfReader(tmp_path / "r.pdf").attachments["explanations.json"][0])
    assert attached["pdf_samples"]["ids"] == summary.samples
