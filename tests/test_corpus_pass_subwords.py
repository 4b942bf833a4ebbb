"""The build's corpus pass on a subword document: each row's top words and the corpus evidence count whole
words of the text, never WordPiece pieces, with the sums done by hand."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from reportgen.corpus_pass import CorpusPass
from reportgen.results import DocumentExplanation, InputInfo, LayerMap, Prediction
from reportgen.store import table_of
from tests.report.test_subword_words import TEXT, WEIGHTS, subword_tokens


def test_corpus_pass_gathers_subwords_into_words(tmp_path):
    layer_map = LayerMap("enc", 1, "pos", 1.0, 1.0, np.array(WEIGHTS, dtype=np.float32), True)
    doc = DocumentExplanation("d", TEXT, subword_tokens(), Prediction([0.2, 0.8], [1]), [], InputInfo(len(WEIGHTS)),
                              layer_maps=[layer_map])
    context = SimpleNamespace(settings=None, adapter=SimpleNamespace(labels=["neg", "pos"]),
                              layers=[SimpleNamespace(path="enc")], oov_id=None)
    corpus = CorpusPass(tmp_path, SimpleNamespace(), context)
    corpus.add(table_of([doc]))
    corpus.close()
    # by hand (WEIGHTS summed per word): record. 4 - 0.5, records! -0.25 + 2 + 0.03125, unbreakable -2 + 0.5 + 0.25
    assert corpus.rows[0].top_words == {"enc": [["record", 3.5, 1], ["records", 1.78125, 1],
                                                ["unbreakable", -1.25, 1]]}
    evidence = corpus.corpus_evidence.labels[0]
    words = {w.word for w in evidence.toward + evidence.away}
    assert words == {"the", "player's", "unbreakable", "record.", "players", "break", "records!"}
