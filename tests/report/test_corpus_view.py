"""The corpus evidence view: grouping by label, links to example documents, shortcuts first, numbers as text."""

from __future__ import annotations

from urllib.parse import unquote

from reportgen.report.corpus import corpus_view, example_path
from reportgen.results import CorpusEvidence, LabelEvidence, WordEvidence, WordExample


def word(name, total, flags=(), documents=3, examples=()):
    return WordEvidence(word=name, total=total, total_low=total - 1, total_high=total + 1, mean=total / documents,
                        mean_low=None, mean_high=None, documents=documents, flags=list(flags),
                        examples=[WordExample(i, doc_id, w) for i, (doc_id, w) in enumerate(examples)])


def label(layer, target, name, toward=(), away=(), toward_mean=(), away_mean=()):
    return LabelEvidence(layer=layer, target=target, label=name, documents=10, vocabulary=20, min_documents=5,
                         toward=list(toward), away=list(away), toward_mean=list(toward_mean),
                         away_mean=list(away_mean))


def evidence(*labels):
    return CorpusEvidence(bootstrap=100, seed=0, confidence=0.95, top=5, labels=list(labels))


def test_no_evidence_no_view():
    assert corpus_view(None) is None
    assert corpus_view(evidence()) is None


def test_sections_group_layers_under_their_label_in_label_order():
    view = corpus_view(evidence(label("conv", 1, "pos"), label("lstm", 1, "pos"), label("conv", 0, "neg")))
    assert [(s.label, [layer.layer for layer in s.layers]) for s in view.labels] == [("neg", ["conv"]),
                                                                                     ("pos", ["conv", "lstm"])]
    anchors = [s.anchor for s in view.labels] + [layer.anchor for s in view.labels for layer in s.layers]
    assert len(set(anchors)) == len(anchors)
    assert view.confidence_text == "95 %" and view.bootstrap == 100


def test_example_links_go_to_the_page_or_to_the_index_filtered_to_the_document():
    pages = {"a<1>": "samples/a-1.html"}
    assert example_path("a<1>", pages) == ("samples/a-1.html", True)
    path, has_page = example_path('x & "y"#z', pages)
    assert not has_page and path.startswith("index.html#q=")
    assert unquote(path.removeprefix("index.html#q=")) == 'x & "y"#z'
    assert "#" not in path.removeprefix("index.html#") and " " not in path  # one fragment, nothing to break it

    view = corpus_view(evidence(label("conv", 0, "neg", toward=[word("w", 2.0, examples=[("a<1>", 0.5),
                                                                                         ("b", -0.25)])])),
                       pages)
    [row] = view.labels[0].layers[0].toward
    assert [(e.doc_id, e.path, e.has_page, e.weight_text) for e in row.examples] == [
        ("a<1>", "samples/a-1.html", True, "+0.5"), ("b", "index.html#q=b", False, "\u22120.25")]


def test_shortcuts_are_the_flagged_words_of_every_ranking_once_strongest_first():
    br, ten, good = word("br", 5.0, ["markup"]), word("10", -7.0, ["number"]), word("good", 9.0)
    view = corpus_view(evidence(label("conv", 0, "neg", toward=[good, br], away=[ten], toward_mean=[br, good],
                                      away_mean=[ten]),
                                label("lstm", 0, "neg", toward=[word("br", 8.0, ["markup"], examples=[("d", 1)])]),
                                label("conv", 1, "pos", away=[word("br", -5.0, ["markup"])])))
    layer = view.labels[0].layers[0]
    assert [(r.word, r.direction, r.flag_text) for r in layer.shortcuts] == [("10", "away", "number"),
                                                                            ("br", "toward", "markup")]
    # across sections each word once, with every place it ranks, strongest place first
    assert [(w.word, w.strongest) for w in view.shortcuts] == [("br", 8.0), ("10", 7.0)]
    br_places = view.shortcuts[0].places
    assert [(p.label, p.layer, p.direction, p.total_text) for p in br_places] == [
        ("neg", "lstm", "toward", "+8"), ("neg", "conv", "toward", "+5"), ("pos", "conv", "away", "\u22125")]
    assert [p.anchor for p in br_places] == ["label-0-layer-2", "label-0-layer-1", "label-1-layer-1"]
    assert [e.doc_id for e in view.shortcuts[0].examples] == ["d"]  # the examples of its strongest place


def test_numbers_as_text():
    row = corpus_view(evidence(label("conv", 0, "neg", away=[word("bad", -1.5)]))).labels[0].layers[0].away[0]
    assert (row.total_text, row.total_ci_text) == ("\u22121.5", "\u22122.5 \u2026 \u22120.5")
    assert row.mean_ci_text == "\u2014"  # no interval: a dash, not a made-up number
    assert row.mean_text == "\u22120.5"


def test_a_view_of_some_layers_and_fewer_words():
    words = [word(f"w{k}", 10.0 - k) for k in range(6)]
    full = evidence(label("conv", 0, "neg", toward=words), label("lstm", 0, "neg", toward=words))
    view = corpus_view(full, layers=["lstm"], top=4)
    assert [layer.layer for s in view.labels for layer in s.layers] == ["lstm"]
    assert [r.word for r in view.labels[0].layers[0].toward] == ["w0", "w1", "w2", "w3"]
    assert corpus_view(full, layers=["dense"]) is None


def test_numbers_read_the_same_from_the_build_and_from_explanations_json():
    # explanations.json keeps 7 significant digits: -10.04999999 is stored as -10.05, which 3 digits show as
    # -10.1 (10.05 is just above 10.05 in binary); the build's own float must show the same
    built = word("x", -3.0)
    built.total_low, built.total = -10.04999999, -1.234567849
    stored = word("x", -3.0)
    stored.total_low, stored.total = -10.05, -1.234568
    a = corpus_view(evidence(label("conv", 0, "neg", away=[built]))).labels[0].layers[0].away[0]
    b = corpus_view(evidence(label("conv", 0, "neg", away=[stored]))).labels[0].layers[0].away[0]
    assert a.total_ci_text == b.total_ci_text == "\u221210.1 \u2026 \u22122"
    assert (a.total, a.total_low) == (b.total, b.total_low) == (-1.234568, -10.05)
