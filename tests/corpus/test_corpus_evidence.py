"""Corpus evidence statistics against brute-force computations on hand-made corpora."""

from __future__ import annotations

import json
import math
import random
import re
from collections import defaultdict
from dataclasses import asdict

import numpy as np
import pytest

from reportgen.corpus import CorpusEvidenceBuilder, shortcut_flags
from reportgen.results import CorpusEvidence

WORD = re.compile(r"\w+|[^\w\s]+")  # words, and runs of punctuation as units of their own
LABELS = ["negative", "positive"]


def units_of(text: str) -> list[tuple[str, tuple[int, int]]]:
    return [(m.group(), (m.start(), m.end())) for m in WORD.finditer(text)]


# (text, weights per whitespace word): words repeat inside and across documents, signs mixed
HAND = [
    ("good film good plot", [2.0, 1.0, 4.0, -1.0]),
    ("bad film", [-3.0, 0.5]),
    ("good bad ugly", [1.0, -1.0, -0.5]),
    ("film film film", [0.2, 0.4, -0.1]),
    ("plot twist good", [0.0, 8.0, 2.0]),
    ("ugly plot", [-2.0, -2.0]),
]


def brute_force(docs, bootstrap_rows=None):
    """Per word: normalised contributions per document, totals, frequencies, means (plain Python loops)."""
    contributions = defaultdict(dict)  # word -> doc -> summed normalised weight
    for d, (text, weights) in enumerate(docs):
        top = max(abs(w) for w in weights)
        for (word, _), w in zip(units_of(text), weights):
            word = word.lower()
            contributions[word][d] = contributions[word].get(d, 0.0) + (w / top if top else 0.0)
    stats = {}
    for word, per_doc in contributions.items():
        total = sum(per_doc.values())
        stats[word] = {"total": total, "documents": len(per_doc), "mean": total / len(per_doc),
                       "per_doc": per_doc}
    return stats


def build(docs, order=None, layer="conv", target=1, **kwargs) -> CorpusEvidence:
    builder = CorpusEvidenceBuilder(LABELS, ["conv", "lstm"], **kwargs)
    for d in (order if order is not None else range(len(docs))):
        text, weights = docs[d]
        builder.add(d, f"doc{d}", text, units_of(text), layer, target, np.array(weights))
    return builder.finish()


def all_words(label) -> dict:
    return {w.word: w for ranking in (label.toward, label.away, label.toward_mean, label.away_mean) for w in ranking}


def test_totals_frequencies_means_and_rankings_match_a_brute_force_count():
    expected = brute_force(HAND)
    evidence = build(HAND, bootstrap=0, top=10, min_documents=1)
    [label] = evidence.labels
    assert (label.layer, label.target, label.label, label.documents) == ("conv", 1, "positive", len(HAND))
    assert label.vocabulary == len(expected)
    for word, got in all_words(label).items():
        assert got.total == pytest.approx(expected[word]["total"])
        assert got.documents == expected[word]["documents"]
        assert got.mean == pytest.approx(expected[word]["mean"])
    toward = sorted((w for w in expected if expected[w]["total"] > 0), key=lambda w: -expected[w]["total"])
    away = sorted((w for w in expected if expected[w]["total"] < 0), key=lambda w: expected[w]["total"])
    assert [w.word for w in label.toward] == toward
    assert [w.word for w in label.away] == away
    by_mean = sorted((w for w in expected if expected[w]["mean"] > 0), key=lambda w: -expected[w]["mean"])
    assert [w.word for w in label.toward_mean] == by_mean
    # "good": doc 0 gives (2 + 4) / 4, doc 2 gives 1 / 1, doc 4 gives 2 / 8
    assert all_words(label)["good"].total == pytest.approx(1.5 + 1.0 + 0.25)


def test_each_document_counts_alike_whatever_the_scale_of_its_map():
    scaled = [(text, [w * 1000.0 ** d for w in weights]) for d, (text, weights) in enumerate(HAND)]
    a, b = build(HAND, bootstrap=0, top=10).labels[0], build(scaled, bootstrap=0, top=10).labels[0]
    assert [(w.word, pytest.approx(w.total)) for w in a.toward] == [(w.word, w.total) for w in b.toward]


def test_ranking_by_mean_needs_the_minimum_document_frequency():
    label = build(HAND, bootstrap=0, top=10, min_documents=3).labels[0]
    expected = brute_force(HAND)
    assert {w.word for w in label.toward_mean + label.away_mean} == {
        w for w in expected if expected[w]["documents"] >= 3 and expected[w]["mean"] != 0}
    assert label.min_documents == 3
    # the default: 5 documents, or 1 % of them when that is more, never more than the corpus
    builder = CorpusEvidenceBuilder(LABELS, ["conv"])
    assert [builder.min_documents_for(n) for n in (3, 40, 499, 501, 5000)] == [3, 5, 5, 6, 50]


def test_top_keeps_the_strongest_words_only():
    label = build(HAND, bootstrap=0, top=2).labels[0]
    # by hand: good 6/4 + 1 + 2/8 = 2.75, film 0.5/2 + 0.5/3 + 0.5/0.4 = 1.67, twist 8/8 = 1
    assert [w.word for w in label.toward] == ["good", "film"]
    assert len(label.away) == 2


def replicate_totals(stats, word, seed, replicates):
    """Poisson bootstrap by hand: document d's weight in replicate b is Poisson(1) drawn from a generator seeded
    (seed, d), as the builder documents."""
    totals, frequencies = np.zeros(replicates), np.zeros(replicates)
    for d, contribution in stats[word]["per_doc"].items():
        draws = np.random.default_rng([seed, d]).poisson(1.0, replicates)
        for b in range(replicates):
            totals[b] += draws[b] * contribution
            frequencies[b] += draws[b]
    return totals, frequencies


@pytest.mark.parametrize("corpus", ["hand", "random"])
def test_bootstrap_intervals_are_the_percentiles_of_the_seeded_replicates(corpus):
    # the hand corpus's words are in few documents (their replicates are drawn when needed), the random
    # corpus's in many, more than sparse_limit(300) = 75 (their replicates are summed as documents arrive)
    docs = HAND if corpus == "hand" else random_corpus(200, seed=2)
    seed, replicates = 7, 300
    expected = brute_force(docs)
    label = build(docs, bootstrap=replicates, seed=seed, top=10, min_documents=1).labels[0]
    for word, got in all_words(label).items():
        totals, frequencies = replicate_totals(expected, word, seed, replicates)
        low, high = np.quantile(totals, [0.025, 0.975])
        assert (got.total_low, got.total_high) == (pytest.approx(low), pytest.approx(high))
        drawn = frequencies > 0
        means = totals[drawn] / frequencies[drawn]
        low, high = np.quantile(means, [0.025, 0.975])
        assert (got.mean_low, got.mean_high) == (pytest.approx(low), pytest.approx(high))


def test_bootstrap_interval_has_the_width_of_the_poisson_bootstrap_variance():
    # a Poisson(1)-weighted sum of contributions c_d has variance sum(c_d^2); with 400 documents it is close to
    # normal, so the 95 % interval is about total +- 1.96 sqrt(sum c^2)
    rng = random.Random(3)
    docs = []
    for _ in range(400):
        weights = [rng.uniform(-1, 1), rng.uniform(0, 1), 1.0]
        docs.append(("alpha beta anchor", weights))
    expected = brute_force(docs)["alpha"]
    label = build(docs, bootstrap=2000, top=5).labels[0]
    alpha = all_words(label)["alpha"]
    spread = 1.96 * math.sqrt(sum(c * c for c in expected["per_doc"].values()))
    assert alpha.total_low == pytest.approx(expected["total"] - spread, abs=0.12 * spread)
    assert alpha.total_high == pytest.approx(expected["total"] + spread, abs=0.12 * spread)
    assert alpha.total_low < alpha.total < alpha.total_high


def evidence_dict(evidence):
    return json.loads(json.dumps(asdict(evidence)))


def assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
    else:
        assert a == b


def random_corpus(n_docs, seed=0, vocabulary=("Paris", "film", "br", "10", "good", "bad", "the", "!", "plot")):
    rng = random.Random(seed)
    docs = []
    for _ in range(n_docs):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(1, 12))]
        docs.append((" ".join(words), [round(rng.uniform(-1, 1), 3) for _ in words]))
    return docs


def test_same_numbers_whatever_the_order_and_chunking_of_add_calls():
    docs = random_corpus(60)
    ordered = build(docs, bootstrap=50, seed=1, top=6, examples=2)
    order = list(range(len(docs)))
    random.Random(9).shuffle(order)
    shuffled = build(docs, order=order, bootstrap=50, seed=1, top=6, examples=2)
    assert_same(evidence_dict(ordered), evidence_dict(shuffled))

    # chunked and interleaved with another layer and label, as a build feeds rows
    builder = CorpusEvidenceBuilder(LABELS, ["conv", "lstm"], bootstrap=50, seed=1, top=6, examples=2)
    for start in range(0, len(docs), 7):
        for d in order[start:start + 7]:
            text, weights = docs[d]
            builder.add(d, f"doc{d}", text, units_of(text), "lstm", 0, -np.array(weights))
            builder.add(d, f"doc{d}", text, units_of(text), "conv", 1, np.array(weights))
    mixed = builder.finish()
    assert [(e.label, e.layer) for e in mixed.labels] == [("negative", "lstm"), ("positive", "conv")]
    assert_same(evidence_dict(ordered)["labels"][0], evidence_dict(mixed)["labels"][1])


def test_example_documents_are_those_with_the_largest_contribution():
    docs = random_corpus(40, seed=4)
    expected = brute_force(docs)
    label = build(docs, bootstrap=0, top=9, examples=3).labels[0]
    for word, got in all_words(label).items():
        per_doc = expected[word]["per_doc"]
        best = sorted(per_doc, key=lambda d: (-abs(per_doc[d]), d))[:3]
        assert [e.doc_index for e in got.examples] == best
        assert [e.doc_id for e in got.examples] == [f"doc{d}" for d in best]
        assert [e.weight for e in got.examples] == [pytest.approx(per_doc[d]) for d in best]


def internal_size(builder: CorpusEvidenceBuilder) -> tuple:
    """Every array's shape, every example and sparse list's length: what the builder holds."""
    out = []
    for key, tally in sorted(builder._tallies.items()):
        arrays = {name: value.shape for name, value in vars(tally).items() if isinstance(value, np.ndarray)}
        out.append((key, sorted(arrays.items()), sum(len(v) for v in tally.examples.values()),
                    tally.pairs - tally.dropped))
    return tuple(out), len(builder._words)


def test_memory_depends_on_the_vocabulary_not_on_the_number_of_documents():
    sizes = []
    for n_docs in (50, 2000):
        builder = CorpusEvidenceBuilder(LABELS, ["conv"], bootstrap=20, examples=3)
        for d, (text, weights) in enumerate(random_corpus(n_docs, seed=5)):
            builder.add(d, f"doc{d}", text, units_of(text), "conv", 1, np.array(weights))
        sizes.append(internal_size(builder))
    assert sizes[0] == sizes[1]
    (_, arrays, examples, sparse), words = sizes[0][0][0], sizes[0][1]
    assert words == 9 and examples == 9 * 3 and sparse == 0
    assert dict(arrays)["boot_total"][1] == 20


def test_rare_words_get_no_replicate_rows():
    # 300 documents, each with the two common words and a word of its own: only the common words are in more
    # than sparse_limit(100) = 25 documents, so only they hold a row of replicates
    from reportgen.corpus.evidence import sparse_limit

    builder = CorpusEvidenceBuilder(LABELS, ["conv"], bootstrap=100)
    for d in range(300):
        text = f"common also rare{d}"
        builder.add(d, str(d), text, units_of(text), "conv", 0, np.array([1.0, -0.5, 0.25]))
    [tally] = builder._tallies.values()
    assert tally.rows == 2
    rare = [builder._vocabulary[f"rare{d}"] for d in range(300)]
    assert tally.sparse_words == 300 and [tally.pairs_of(w) for w in rare] == [[(d, 0.25)] for d in range(300)]
    assert sparse_limit(100) == 25


def test_a_word_gets_a_row_after_the_sparse_limit_and_kept_pairs_survive_compaction():
    # bootstrap 20: sparse_limit 5. Words a<k> and b<k> are in documents 6k..6k+5 (a row from their sixth),
    # rare<d> in document d only: the pairs of a and b words are dropped when they get their row, so the pair
    # arrays are compacted instead of holding all 1,800 pairs ever kept
    from reportgen.corpus.evidence import sparse_limit

    assert sparse_limit(20) == 5
    docs = [(f"a{d // 6} b{d // 6} rare{d}", [1.0, -0.5, 0.25 + d / 1000]) for d in range(600)]
    builder = CorpusEvidenceBuilder(LABELS, ["conv"], bootstrap=20, seed=3, top=2000, min_documents=1)
    for d, (text, weights) in enumerate(docs):
        builder.add(d, f"doc{d}", text, units_of(text), "conv", 1, np.array(weights))
    [tally] = builder._tallies.values()
    assert tally.rows == 200 and tally.sparse_words == 600
    assert len(tally.pair_doc) < 1800
    expected = brute_force(docs)
    label = builder.finish().labels[0]
    got = all_words(label)
    assert len(got) == 800
    for word in ("a0", "b57", "a99", "rare0", "rare311", "rare599"):
        totals, _ = replicate_totals(expected, word, 3, 20)
        low, high = np.quantile(totals, [0.025, 0.975])
        assert (got[word].total_low, got[word].total_high) == (pytest.approx(low), pytest.approx(high))


def test_shortcut_flags_on_hand_made_words():
    assert shortcut_flags("br") == ["markup"]
    assert shortcut_flags("nbsp") == ["markup"]
    assert shortcut_flags("quot") == ["markup"]
    assert shortcut_flags("<br") == ["markup"]
    assert shortcut_flags("href=") == ["markup"]
    assert shortcut_flags("/>") == ["markup"]
    assert shortcut_flags("10") == ["number"]
    assert shortcut_flags("10/10") == ["number"]
    assert shortcut_flags("1,000.5") == ["number"]
    assert shortcut_flags("...") == ["punctuation"]
    assert shortcut_flags("!") == ["punctuation"]
    assert shortcut_flags("great") == []
    assert shortcut_flags("a") == []  # an English word and a tag name: not flagged
    assert shortcut_flags("net") == []  # "net profit", not only .net
    assert shortcut_flags("2nd") == []  # a word with a digit in it, not a number
    assert shortcut_flags("paris", capitalised=3, not_initial=4) == ["name"]
    assert shortcut_flags("paris", capitalised=2, not_initial=4) == []
    assert shortcut_flags("i", capitalised=9, not_initial=9) == []


def test_names_are_capitalised_where_no_sentence_starts():
    docs = [
        "We saw Paris twice. The city is Paris.",
        "Paris was fine. the end! The Start",  # "Paris", "The" start sentences; "Start" does not
        'He said "Great" then great. "Great!"',
        "I think I like it\nThe line break starts one",
    ]
    docs = [(text, [1.0] * len(units_of(text))) for text in docs]
    label = build(docs, bootstrap=0, top=30, examples=0).labels[0]
    flags = {w.word: w.flags for w in label.toward}
    assert flags["paris"] == ["name"]  # capitalised in both of its two non-initial occurrences
    assert flags["the"] == []  # capitalised only where a sentence (or a line) starts
    assert flags["start"] == ["name"]
    assert flags["great"] == []  # "Great" mid-sentence once, "great" once: 1 of 2 is not most
    assert flags["i"] == []


def test_a_unit_never_in_the_text_is_a_model_token():
    assert shortcut_flags("<start>", in_text=False) == ["token"]
    assert shortcut_flags("good", in_text=False) == ["token"]
    docs = [("good film", [("<START>", None), ("good", (0, 4)), ("[UNK]", None), ("film", (5, 9))]),
            ("film", [("<START>", None), ("[UNK]", (0, 4))])]  # [UNK] once stands for a word of the text
    builder = CorpusEvidenceBuilder(LABELS, ["conv"], bootstrap=0, top=10)
    for d, (text, units) in enumerate(docs):
        builder.add(d, str(d), text, units, "conv", 0, np.ones(len(units)))
    flags = {w.word: w.flags for w in builder.finish().labels[0].toward}
    assert flags == {"<start>": ["token"], "good": [], "[unk]": [], "film": []}


def test_unknown_layer_target_or_mismatched_weights_are_refused():
    builder = CorpusEvidenceBuilder(LABELS, ["conv"])
    with pytest.raises(ValueError, match="layer 'dense'"):
        builder.add(0, "a", "x", [("x", (0, 1))], "dense", 0, np.array([1.0]))
    with pytest.raises(ValueError, match="target 2"):
        builder.add(0, "a", "x", [("x", (0, 1))], "conv", 2, np.array([1.0]))
    with pytest.raises(ValueError, match="1 units but 2 weights"):
        builder.add(0, "a", "x", [("x", (0, 1))], "conv", 0, np.array([1.0, 2.0]))


def test_a_blank_map_and_units_without_span_are_counted_without_dividing_by_zero():
    builder = CorpusEvidenceBuilder(LABELS, ["conv"], bootstrap=10)
    builder.add(0, "a", "x y", [("x", None), ("y", (2, 3))], "conv", 0, np.zeros(2))
    [label] = builder.finish().labels
    assert label.documents == 1 and label.vocabulary == 2
    assert label.toward == [] and label.away == []


def test_the_evidence_reads_back_from_its_json():
    evidence = build(random_corpus(30), bootstrap=20, top=4)
    data = evidence_dict(evidence)
    assert CorpusEvidence.from_dict(data) == evidence
    data["labels"][0]["toward"][0].pop("flags")
    with pytest.raises(ValueError, match=r"corpus_evidence.labels\[0\].toward\[0\]: missing keys flags"):
        CorpusEvidence.from_dict(data)
