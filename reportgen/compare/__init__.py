"""Candidate against baseline: two models' results on the same documents, compared.

Imports: errors, results, metrics (its rank correlation of two maps) and numpy; never TensorFlow, report,
render, output, commands, build, cli or api. Pure computation: the build explains the same documents with
each model and hands both lists of `DocumentExplanation` here.

`compare_models(candidate_docs, candidate_labels, baseline_docs, baseline_labels, name=..., model=...,
layers=..., candidate_lead=..., baseline_lead=...)` gives a `reportgen.results.BaselineComparison`:
- `differences`: accuracy, then per label (candidate's label order) precision and recall of each model, the
  difference candidate − baseline, and its 95 % paired bootstrap interval (documents resampled together, so
  both models are scored on the same resample; `stats.paired_bootstrap`);
- `mcnemar`: McNemar's exact test on the documents exactly one model gets right (`stats.mcnemar_exact`);
- `confusion`: rows the baseline's predicted label, columns the candidate's (first predicted label);
- `flips`: every document whose predicted labels differ, largest probability change first;
- `agreement`: per document, the two lead maps' Spearman rank correlation and top-k overlap (`maps`).
Labels are matched by name: the baseline may order its outputs differently.
"""

from reportgen.compare.compute import compare_models

__all__ = ["compare_models"]
