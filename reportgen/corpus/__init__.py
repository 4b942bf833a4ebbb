"""Corpus evidence: which words drive each label across every explained document, computed while the
documents stream past (`CorpusEvidenceBuilder`), with bootstrap intervals over documents and flags for words
that look like shortcuts (markup, numbers, names, punctuation).

Imports: errors, results, text, store, numpy; never engine, models, metrics, report, render, commands, build,
cli, api, output or TensorFlow/Keras (the build feeds it rows; the report reads what `finish()` returns).
"""

from reportgen.corpus.evidence import CorpusEvidenceBuilder, bootstrap_weights, shortcut_flags

__all__ = ["CorpusEvidenceBuilder", "bootstrap_weights", "shortcut_flags"]
