"""The report's findings a reviewer must see first, computed once from a ReportResults.

One list feeds the index's alerts box (`data-role="alerts"`), the top of the PDF summary and the terminal's
warnings after a build. Each alert is one sentence, and a link to where the report explains it: a site path
(relative to the report's root, with an anchor) and, where the PDF has that part too, an anchor in the PDF.

Warnings change how the maps or the numbers may be read (a failed sanity check, a lead layer the metrics do not
recommend, blank maps, accuracy over a hand-picked selection); notes are facts a reviewer should know (the PDF
shows a subset, truncated texts, padding the model does not mask).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportgen.report.colors import format_number
from reportgen.report.structure import Orders, field_of, plan_site

if TYPE_CHECKING:
    from reportgen.report.views import Views
    from reportgen.results import ReportResults

WARNING = "warning"
NOTE = "note"
NAMED_SAMPLES = 3  # ids named in an alert's sentence; the rest are counted


@dataclass(frozen=True)
class Alert:
    kind: str  # a stable name users and tests can key on: "sanity-failed", "curated-accuracy", ...
    severity: str  # WARNING (changes how the maps may be read) or NOTE
    text: str  # one plain-text sentence; templates escape it
    link: str | None = None  # where it is explained, relative to the report's root ("metrics.html#sanity")
    link_text: str = ""
    pdf_anchor: str | None = None  # the same place in report.pdf ("metrics"), when the PDF has it

    @property
    def warning(self) -> bool:
        return self.severity == WARNING


def report_alerts(results: "ReportResults", views: "Views | None" = None) -> list[Alert]:
    """The findings of `results`: warnings first, each group in a fixed order. `views`: the caller's Views of
    the same results, whose lead maps it has highlighted (or will) anyway; without it, one of its own."""
    plan = plan_site(results, with_metrics=results.metrics is not None)
    orders = views.orders if views is not None else Orders.of(results)
    found = [*_sanity(results), *_lead_layer(results, orders), *_blank_maps(results, orders, plan.sample_paths, views),
             *_curated_accuracy(results), *_pdf_subset(results), *_truncated(results, plan.sample_paths),
             *_model_notes(results), *_comparison(results), *_shortcuts(results)]
    return sorted(found, key=lambda a: a.severity != WARNING)


def _comparison(results: "ReportResults") -> list[Alert]:
    """The candidate against each baseline of `compare:` (report/comparison.py owns the rules)."""
    if results.comparison is None:
        return []
    from reportgen.report.comparison import baseline_folders, comparison_alerts

    return [alert for baseline, folder in zip(results.comparison.baselines, baseline_folders(results.comparison))
            for alert in comparison_alerts(results, baseline, f"vs-{folder}")]


# Flags that say a word is not language: its weight is the model leaning on the data's form. Names and the
# model's own tokens are listed on the corpus page but are often legitimate evidence (a politician, a club).
SHORTCUT_FLAGS = ("markup", "number", "punctuation")


def _shortcuts(results: "ReportResults") -> list[Alert]:
    """Markup, numbers or punctuation among the words that weigh most across the corpus, in enough documents
    (the corpus page's bar for ranking by mean) and with an interval that keeps its sign: a word in two
    documents is listed on the corpus page, not raised here."""
    evidence = getattr(results, "corpus_evidence", None)
    found: dict[str, tuple] = {}
    for item in evidence.labels if evidence is not None else []:
        for direction, words in (("toward", item.toward), ("away", item.away)):
            for word in words:
                flags = [f for f in word.flags if f in SHORTCUT_FLAGS]
                steady = (word.total_low is not None and word.total_low > 0) or \
                         (word.total_high is not None and word.total_high < 0)
                if flags and steady and word.documents >= item.min_documents:
                    place = (abs(word.total), word, flags, direction, item)
                    if word.word not in found or place[0] > found[word.word][0]:
                        found[word.word] = place
    if not found:
        return []
    ranked = sorted(found.values(), key=lambda place: (-place[0], place[1].word))
    named = [f"{word.word} ({', '.join(flags)}; {direction} {item.label} at {item.layer}, total "
             f"{format_number(word.total, 3, signed=True)} over {word.documents} documents)"
             for _, word, flags, direction, item in ranked[:NAMED_SAMPLES]]
    more = f" and {len(ranked) - NAMED_SAMPLES} more" if len(ranked) > NAMED_SAMPLES else ""
    return [Alert("shortcuts", WARNING,
                  f"Words that are not language rank among the strongest evidence across the corpus: "
                  f"{'; '.join(named)}{more}. The model may lean on the data's form rather than its meaning.",
                  "corpus.html#shortcuts-title", "possible shortcuts", "corpus")]


def _sanity(results: "ReportResults") -> list[Alert]:
    sanity = field_of(results.metrics, "sanity")
    entries = field_of(sanity, "layers") or []
    verdicts = [(field_of(e, "layer"), field_of(e, "passed"), field_of(e, "mean_abs")) for e in entries]
    if not verdicts:
        return []
    if any(passed is True for _, passed, _ in verdicts):
        failed = [layer for layer, passed, _ in verdicts if passed is False and layer is not None]
        if not failed:
            return []
        return [Alert("sanity-failed-some", NOTE,
                      f"Layer{'s' if len(failed) > 1 else ''} {', '.join(failed)} fail{'' if len(failed) > 1 else 's'} "
                      "the model randomisation sanity check: their maps barely change when the model's top layers "
                      "are re-initialised.", "metrics.html#sanity", "the sanity check", "metrics")]
    if not any(passed is False for _, passed, _ in verdicts):
        return []  # no verdict at all (too few maps): the metrics page says why
    shown = [(layer, rho) for layer, _, rho in verdicts if layer is not None and rho is not None]
    rho = (" (mean |\u03c1| " + ", ".join(f"{abs(value):.3f} at {layer}" for layer, value in shown[:NAMED_SAMPLES])
           + (f" and {len(shown) - NAMED_SAMPLES} more" if len(shown) > NAMED_SAMPLES else "") + ")") if shown else ""
    return [Alert("sanity-failed", WARNING,
                  f"No explained layer passes the model randomisation sanity check{rho}: the maps stay almost the "
                  "same when the model's top layers are re-initialised, so they may show the words more than what "
                  "the model learned.", "metrics.html#sanity", "the sanity check", "metrics")]


def _lead_layer(results: "ReportResults", orders: Orders) -> list[Alert]:
    """Which layer the maps lead with, when that is not what a reader would assume: the metrics chose another
    layer than the `auto` rule would (the lead follows the metrics, `structure.lead_layer`), or no metrics
    checked the rule's choice at all."""
    lead = orders.lead_layer or (orders.layers[0] if orders.layers else None)
    if lead is None:
        return []
    metrics = results.metrics
    if metrics is None:
        return [Alert("lead-unchecked", NOTE,
                      f"The maps lead with layer {lead}, chosen by rule: no faithfulness metrics were computed to "
                      "check that its maps follow the model (metrics.enabled).", "method.html", "how the maps are made",
                      "method")]
    recommended, auto = field_of(metrics, "recommended_layer"), field_of(metrics, "auto_layer")
    if recommended == lead and auto is not None and field_of(metrics, "differs_from_auto"):
        return [Alert("lead-not-auto", NOTE,
                      f"The maps lead with layer {lead}, which the faithfulness metrics recommend, not layer {auto} "
                      "that the auto rule picks.", "metrics.html#which-layer", "which layer", "metrics")]
    return []


def _blank_maps(results: "ReportResults", orders: Orders, sample_paths: list[str],
                views: "Views | None" = None) -> list[Alert]:
    """Samples whose lead map shows no colour: every token under the first level of its own scale."""
    if views is None:
        from reportgen.report.views import Views

        views = Views(results, orders)
    blank: dict[str, list[int]] = {}
    for i in range(len(results.documents)):
        lead = views.lead(i)
        if lead is not None and any(m.blank_note for m in lead.maps):
            blank.setdefault(lead.layer, []).append(i)
    alerts = []
    for layer, indices in blank.items():
        n = len(indices)
        alerts.append(Alert("blank-maps", WARNING,
                            f"{n} sample{'s have' if n > 1 else ' has'} a blank map at layer {layer} (no token "
                            f"reaches the first colour level): {_some_ids(results, indices)}.",
                            sample_paths[indices[0]], f"sample {results.documents[indices[0]].id}"))
    return alerts


def _curated_accuracy(results: "ReportResults") -> list[Alert]:
    chosen_by = results.settings.samples_chosen_by
    labelled = [d for d in results.every_document() if d.true_labels is not None]
    if not chosen_by or not labelled:
        return []
    correct = sum(1 for d in labelled if d.correct)
    keys = " and ".join(", ".join(f"samples.{key}" for key in chosen_by).rsplit(", ", 1))
    return [Alert("curated-accuracy", WARNING,
                  f"The accuracy shown ({correct} of {len(labelled)}) is over samples chosen by {keys}, not a random "
                  "draw from the data: it does not estimate how well the model does.",
                  "index.html#how-the-model-did", "how the model did", "summary")]


def _pdf_subset(results: "ReportResults") -> list[Alert]:
    record = results.pdf_samples
    total = len(results.documents)
    if record is None or len(record.ids) >= total:
        return []
    cut = (f" ({len(record.left_out)} more that output.pdf.samples chose did not fit output.pdf.max_pages)"
           if record.left_out else "")
    return [Alert("pdf-subset", NOTE,
                  f"report.pdf shows {len(record.ids)} of the {total} samples{cut}; the site and explanations.json "
                  "hold them all.", "report.pdf", "report.pdf", "summary")]


def _truncated(results: "ReportResults", sample_paths: list[str]) -> list[Alert]:
    indices = [i for i, d in enumerate(results.documents) if d.input.truncated]
    if not indices:
        return []
    n = len(indices)
    return [Alert("truncated", NOTE,
                  f"{n} sample{'s were' if n > 1 else ' was'} cut to the model's input length; the cut tokens have "
                  f"no weight: {_some_ids(results, indices)}.", sample_paths[indices[0]],
                  f"sample {results.documents[indices[0]].id}")]


def _model_notes(results: "ReportResults") -> list[Alert]:
    """What loading the model found (padding the model does not mask, an input length the spec set)."""
    return [Alert("model-note", NOTE, note[:1].upper() + note[1:] + ("" if note.endswith(".") else "."),
                  "model.html", "the model") for note in results.model.notes]


def _some_ids(results: "ReportResults", indices: list[int]) -> str:
    ids = [results.documents[i].id for i in indices[:NAMED_SAMPLES]]
    more = len(indices) - len(ids)
    return ", ".join(ids) + (f" and {more} more" if more else "")
