"""Fake results with corpus evidence: `tests.fakes.make_results` documents (the ones with a page) plus documents
without a page whose words are shortcuts (markup, a number, a name) and a word that is HTML (`<script>`)."""

from __future__ import annotations

import random

import numpy as np

from reportgen.corpus import CorpusEvidenceBuilder
from reportgen.results import CorpusRow, CorpusSummary
from tests.fakes import make_results

SHORTCUT_TEXT = "We watched it in Paris <br /><br /> and gave it 10 <script> stars. Paris again"
SHORTCUT_UNITS = [("We", (0, 2)), ("watched", (3, 10)), ("it", (11, 13)), ("in", (14, 16)), ("Paris", (17, 22)),
                  ("br", (24, 26)), ("br", (30, 32)), ("and", (36, 39)), ("gave", (40, 44)), ("it", (45, 47)),
                  ("10", (48, 50)), ("<script>", (51, 59)), ("stars", (60, 65)), (".", (65, 66)),
                  ("Paris", (67, 72)), ("again", (73, 78))]
STRONG = {"br": 1.0, "10": 0.8, "<script>": 0.9, "paris": 0.7, ".": -0.9}
UNPAGED = "unpaged & <b>{}</b>"  # ids of documents without a page: need escaping and quoting in links


def corpus_results(n_extra: int = 30, bootstrap: int = 50, seed: int = 0, **kwargs):
    results = make_results(**kwargs)
    layers = list(results.settings.layers)
    builder = CorpusEvidenceBuilder(results.model.labels, layers, bootstrap=bootstrap, seed=seed, top=8)
    for d, doc in enumerate(results.documents):
        units = [(t.text, t.span) for t in doc.tokens]
        for h in doc.heatmaps:
            if not h.relu and not h.counterfactual and h.interpolation == "linear":
                builder.add(d, doc.id, doc.text, units, h.layer, h.target, np.array(h.weights))
    rng = random.Random(seed)
    first = len(results.documents)
    for k in range(n_extra):
        weights = np.array([STRONG.get(u.lower(), rng.uniform(-0.3, 0.3)) for u, _ in SHORTCUT_UNITS])
        for layer in layers:
            builder.add(first + k, UNPAGED.format(k), SHORTCUT_TEXT, SHORTCUT_UNITS, layer, 0, weights)
    results.corpus_evidence = builder.finish()
    # the corpus the evidence was counted over: the documents with a page, then the extra ones without
    rows = [CorpusRow(d, doc.id, doc.text[:80], len(doc.tokens), doc.true_labels, list(doc.prediction.predicted),
                      list(doc.prediction.probabilities), doc.prediction.threshold, True, {})
            for d, doc in enumerate(results.documents)]
    rows += [CorpusRow(first + k, UNPAGED.format(k), SHORTCUT_TEXT[:80], len(SHORTCUT_UNITS), None, [0],
                       [1.0] + [0.0] * (len(results.model.labels) - 1), None, False, {}) for k in range(n_extra)]
    results.corpus = CorpusSummary(len(rows), "every document up to the fake's page count", rows)
    return results
