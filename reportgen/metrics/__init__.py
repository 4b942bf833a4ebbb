"""Faithfulness metrics, layer recommendation and the model randomisation sanity check.

Imports: errors, results, Keras (the sanity check re-initialises layers); never report, render, output,
commands, build, cli or api.

The build calls `compute_metrics(documents, predict_fn, layers=..., settings=..., pad_id=..., oov_id=...,
removable=..., progress=..., model=..., compute_maps=..., chunks=...)` (chunks: the engine's token budget,
so each predict_fn call is one full model batch; the sanity check randomises `model` in place, so the
engine's compiled step serves every run) and stores `per_doc[doc.id]` in
`DocumentExplanation.metrics` and `report` in `ReportResults.metrics`. Formulas: `faithfulness` (curves,
AOPC, comprehensiveness, sufficiency), `recommend` (intervals, best layer), `sanity` (randomisation).
`report` is a typed `reportgen.results.MetricsReport` whose records (`LayerScore`, `SanityVerdict`,
`SanityReport`, `SanityLayer`, `SanityRun`, `SkippedSample`) have exactly the keys below as attributes; its
`settings`, each row's `curves` and `per_doc` are plain dicts. Below is the JSON (`to_dict()`): plain dicts,
lists, floats, ints, bools, str and None; dicts are built in a fixed order (layers in model order, targets by
label index) and lists keep the order stated.

DocumentExplanation.metrics — None when the document was not scored, else keyed by layer path, then by the
target label index as a string ("0", "1", ...; sort numerically when showing):
    {
      "<layer>": {
        "<target>": {
          "target_label": str,
          "relu": bool, "interpolation": str,   # which of the document's maps was scored
          "removable": int,                     # n, the removable tokens of the document
          "probability": float,                 # p_0: predict_fn on the unchanged document
          "aopc": float,                        # most relevant first (MoRF)
          "random_aopc": float,                 # random order, mean over the seeds
          "lerf_aopc": float,                   # least relevant first
          "aopc_gain": float,                   # aopc - random_aopc (what the layer ranking uses)
          "comprehensiveness": float,           # mean of comprehensiveness_bins
          "sufficiency": float,                 # mean of sufficiency_bins
          "bins": [float],                      # fractions, e.g. [0.01, 0.05, 0.1, 0.2, 0.5]
          "bin_counts": [int],                  # tokens those fractions meant for this document
          "comprehensiveness_bins": [float],    # p_0 - p(without the top tokens), per bin
          "sufficiency_bins": [float],          # p_0 - p(only the top tokens), per bin
          "curves": {
            "fractions": [float],               # K+1 nominal fractions 0 .. max_fraction (shared x axis)
            "removed": [int],                   # tokens actually removed at each step
            "morf": [float], "lerf": [float], "random": [float]   # target probability per step
          }
        }
      }
    }

ReportResults.metrics:
    {
      "settings": {MetricsSettings fields..., "seeds": [int], "pad_id": int, "oov_id": int | None,
                   "aopc_formula": str, "count_rule": str},   # removal operator included
      "samples": [str],                # ids scored, in report order
      "skipped": [{"id": str, "reason": str}],
      "not_evaluated": int,            # documents past max_samples
      "predict_calls": int, "predicted_inputs": int,
      "layers": [                      # one row per layer, model order
        {"layer": str, "n": int,       # samples with a score for this layer
         "mean": float | None, "ci_low": float | None, "ci_high": float | None,   # AOPC gain, t interval
         "aopc": float | None, "random_aopc": ..., "lerf_aopc": ..., "comprehensiveness": ...,
         "sufficiency": ...,           # means over samples
         "auto": bool, "best": bool,   # best: the recommended layer
         "curves": {"fractions": [...], "morf": [...], "random": [...], "lerf": [...]} | None,
         "sanity": None | {            # None: the check did not run (or gave this layer no maps)
           "passed": bool | None,      # every run of sanity.layers[] for this layer passed
           "mean_abs": float | None,   # highest mean |rho| over those runs (the run that decides)
           "top_layers": int | None}}  # that run's top_layers
      ],
      "recommended_layer": str | None, # highest mean among the layers that pass the sanity check;
                                       # of all scored layers when none passes or the check did not run
      "auto_layer": str | None,
      "differs_from_auto": bool | None,
      "separated": bool | None,        # recommended layer's interval wholly above that of every other
                                       # candidate (the passing layers, or all when none passes)
      "most_faithful_layer": str | None,   # highest mean of all scored layers, sanity aside
      "recommended_passes_sanity": bool | None,   # None: the check did not run
      "recommendation_note": str,      # why the recommended layer, in words a page can show
      "sanity": None | {
        "method": str, "threshold": float, "seed": int,
        "layers": [                    # one entry per explained layer, model order
          {"layer": str | None,        # None: one unnamed group of maps for several scored layers
           "passed": bool | None, "mean_abs": float | None, "top_layers": int | None,   # as the row's
           "runs": [{"top_layers": int, "randomized_layers": [str], "n": int, "undefined": int,
                     "mean": float | None, "mean_abs": float | None, "min": float | None,
                     "max": float | None, "unchanged": int, "passed": bool | None,
                     "rho": [float | None], "labels": [str] | None}]}
        ]
      },
      "notes": [str]                   # e.g. predict_fn disagreeing with the explained prediction
    }

Schema 2 (was 1): the sanity check runs per layer (`sanity.layers[]` replaces `sanity.passed`, `sanity.runs`
and the build's `sanity.layer`, which named the only layer checked), each `layers[]` row carries its
`sanity` verdict, and the recommendation prefers passing layers (`most_faithful_layer`,
`recommended_passes_sanity`, `recommendation_note` are new).
"""

from reportgen.metrics.compute import compute_metrics
from reportgen.metrics.settings import MetricsSettings

__all__ = ["compute_metrics", "MetricsSettings"]
