"""The comparison pages, format-neutral: the candidate (the report's model) against each baseline.

Reads `ReportResults.comparison` (computed by `reportgen.compare` at build time) and the two models'
documents; derives only what the sample pages derive too: lead maps on a scale, ranked evidence words.
- `comparison_pages(results, plan, views)`: the site's pages, `compare.html` and one page per flipped
  document under `samples/compare/<baseline>/`, as (Page, template, data);
- the evidence shift per label: every word form's weight in each model's lead maps of that label
  (`report.evidence.word_sums`), each map first divided by its own largest |weight| so two models' maps,
  whose raw scales differ, weigh alike, then averaged over the documents both models explained for the
  label; the words whose average changed most (candidate − baseline), each with the candidate's statistics
  over the whole corpus (`results.corpus_evidence`, total with its bootstrap interval, document frequency,
  shortcut flags) where that evidence ranks the word; the baseline explains only the page documents, so it
  has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Sequence

from reportgen.report import colors
from reportgen.report.alerts import NOTE, WARNING, Alert
from reportgen.report.colors import format_number
from reportgen.report.corpus import corpus_evidence_of
from reportgen.report.evidence import word_form, word_sums
from reportgen.report.spans import align_weights, highlight
from reportgen.report.structure import Orders, Page, relative_url, safe_name
from reportgen.report.views import Panel, Views, heatmap_caption, label_names, panels_legend

if TYPE_CHECKING:
    from reportgen.report.structure import SitePlan
    from reportgen.results import BaselineComparison, DocumentExplanation, ReportResults

SHIFT_TOP = 8
KIND_TEXT = {"fixed": "baseline wrong → candidate right", "broken": "baseline right → candidate wrong",
             "both-wrong": "both wrong, differently", "no-truth": "different predictions (no true label)"}
CONFIDENT = 0.4  # a probability change this large on a flip is a confident one
# "many" confident flips (an alert): at least this share of the compared documents, and at least this many
MANY_FLIPS_SHARE = 0.1
MANY_FLIPS_MIN = 2


@dataclass
class ShiftWord:
    word: str
    baseline: float
    candidate: float
    # the candidate's corpus statistics of the word for the label at its lead layer (results.WordEvidence),
    # when the corpus evidence ranks it; None otherwise
    corpus: object | None = None

    @property
    def change(self) -> float:
        return self.candidate - self.baseline

    def text(self, value: float) -> str:
        return format_number(value, 3, signed=True)


@dataclass
class ModelSide:
    """One model's column of a flipped document's page."""

    name: str
    role: str  # "baseline" / "candidate"
    predicted: str
    probabilities: list[tuple[str, float]]
    panel: Panel | None
    evidence: object | None  # report.evidence.Evidence


@dataclass
class FlipView:
    flip: object  # results.FlippedDocument
    kind_text: str
    url: str  # from the comparison page
    agreement: object | None  # results.MapAgreement
    sides: list[ModelSide] = field(default_factory=list)
    legend: object | None = None
    sample_url: str = ""


def baseline_results(results: "ReportResults", baseline: "BaselineComparison") -> "ReportResults":
    """The baseline's documents as a ReportResults of their own, so its lead maps and evidence come from the
    same Views and Orders the candidate's pages use."""
    from reportgen.results import ReportResults

    return ReportResults(title=results.title, model=baseline.model, documents=baseline.documents,
                         settings=replace(results.settings, layers=list(baseline.layers)))


def corpus_words(results: "ReportResults", layer: str | None, target: int) -> tuple[dict[str, object], int | None]:
    """The candidate's corpus evidence for one label at one layer: every word it ranks (toward or away, by total
    or mean) by its word form, and the documents it covers; ({}, None) without corpus evidence."""
    found = next((entry for entry in (getattr(corpus_evidence_of(results), "labels", None) or [])
                  if entry.layer == layer and entry.target == target), None)
    if found is None:
        return {}, None
    words: dict[str, object] = {}
    for w in (*found.toward, *found.away, *found.toward_mean, *found.away_mean):
        words.setdefault(word_form(w.word), w)
    return words, found.documents


def evidence_shift(results: "ReportResults", baseline: "BaselineComparison", top: int = SHIFT_TOP
                   ) -> list[tuple[str, list[ShiftWord], int | None]]:
    """Per label (candidate order): the `top` words whose normalised weight changed most (module docstring),
    each with the candidate's corpus statistics where its corpus evidence ranks the word, and the documents
    that evidence covers (None: no corpus evidence)."""
    candidate_orders, base = Orders.of(results), baseline_results(results, baseline)
    baseline_orders = Orders.of(base)
    out = []
    for k, label in enumerate(results.model.labels):
        b_index = baseline.model.labels.index(label)
        totals: dict[str, list[float]] = {}
        counted = 0
        for c_doc, b_doc in zip(results.documents, baseline.documents):
            c_map, b_map = candidate_orders.lead(c_doc, k), baseline_orders.lead(b_doc, b_index)
            if c_map is None or b_map is None or c_map.uniform or b_map.uniform:
                continue
            counted += 1
            for slot, (doc, h) in enumerate(((b_doc, b_map), (c_doc, c_map))):
                weights = align_weights(doc.tokens, h.weights, doc.input.truncating_side)
                peak = max((abs(w) for w in weights if w is not None), default=0.0) or 1.0
                for w in word_sums(doc.text or "", doc.tokens, [None if w is None else w / peak for w in weights]):
                    totals.setdefault(w.word, [0.0, 0.0])[slot] += w.weight
        words = [ShiftWord(word, b / counted, c / counted) for word, (b, c) in totals.items()] if counted else []
        words.sort(key=lambda w: (-abs(w.change), w.word))
        corpus, covered = corpus_words(results, candidate_orders.lead_layer, k)
        shown = [replace(w, corpus=corpus.get(w.word)) for w in words[:top]]
        out.append((label, shown, covered))
    return out


@dataclass
class FaithfulnessRow:
    """One explained layer of one model: its AOPC gain with the interval and its sanity-check verdict."""

    model: str
    role: str  # "baseline" / "candidate"
    layer: str
    lead: bool  # the layer the model's maps lead with
    n: int
    gain: float | None
    ci_low: float | None
    ci_high: float | None
    sanity: bool | None  # None: the check did not run or gave the layer no maps
    mean_abs: float | None


def lead_verdict(metrics, lead: str | None) -> tuple[object | None, bool | None]:
    """The lead layer's metrics row (None when the model has no metrics of it) and its sanity verdict."""
    row = next((r for r in (metrics.layers if metrics is not None else []) if r.layer == lead), None)
    return row, None if row is None or row.sanity is None else row.sanity.passed


def faithfulness(results: "ReportResults", baseline: "BaselineComparison") -> list[FaithfulnessRow]:
    """Each model's per-layer faithfulness on the same documents, baseline first (as the scores table), each
    in its layers' model order; [] when the build computed no metrics."""
    sides = [(baseline.name, "baseline", baseline.metrics, baseline.layers[0] if baseline.layers else None),
             (results.model.name, "candidate", results.metrics, Orders.of(results).lead_layer)]
    if any(metrics is None for _, _, metrics, _ in sides):
        return []
    return [FaithfulnessRow(name, role, r.layer, r.layer == lead, r.n, r.mean, r.ci_low, r.ci_high,
                            None if r.sanity is None else r.sanity.passed,
                            None if r.sanity is None else r.sanity.mean_abs)
            for name, role, metrics, lead in sides for r in metrics.layers]


def _side(name: str, role: str, doc: "DocumentExplanation", labels: Sequence[str], views: Views, doc_index: int,
          heatmap, scale, probabilities: Sequence[float]) -> ModelSide:
    panel = None
    if heatmap is not None:
        weights = align_weights(doc.tokens, heatmap.weights, doc.input.truncating_side)
        panel = Panel(heatmap, highlight(doc.text, doc.tokens, weights, scale), scale, heatmap_caption(heatmap))
    return ModelSide(name, role, label_names(labels, doc.prediction.predicted),
                     list(zip(labels, probabilities)), panel,
                     views.evidence(doc_index, heatmap) if heatmap is not None else None)


def flip_view(results: "ReportResults", baseline: "BaselineComparison", flip, views: Views, baseline_views: Views,
              url: str) -> FlipView:
    """A flipped document: both models' lead maps of the candidate's predicted label, on one scale."""
    index = next(i for i, d in enumerate(results.documents) if d.id == flip.id)
    c_doc, b_doc = results.documents[index], baseline.documents[index]
    target = results.model.labels.index(flip.candidate_predicted[0]) if flip.candidate_predicted else 0
    c_map = views.orders.lead(c_doc, target)
    b_map = baseline_views.orders.lead(b_doc, baseline.model.labels.index(results.model.labels[target]))
    weights = [w for doc, h in ((c_doc, c_map), (b_doc, b_map)) if h is not None
               for w in align_weights(doc.tokens, h.weights, doc.input.truncating_side)]
    scale = colors.lead_scale(weights, results.settings.palette)
    sides = [_side(baseline.name, "baseline", b_doc, baseline.model.labels, baseline_views, index, b_map, scale,
                   flip.baseline_probabilities),
             _side(results.model.name, "candidate", c_doc, results.model.labels, views, index, c_map, scale,
                   flip.candidate_probabilities)]
    sides[0].probabilities = list(zip(results.model.labels, flip.baseline_probabilities))
    panels = [s.panel for s in sides if s.panel is not None]
    agreement = next((a for a in baseline.agreement if a.id == flip.id), None)
    return FlipView(flip, KIND_TEXT.get(flip.kind, flip.kind), url, agreement, sides,
                    panels_legend(scale, panels) if panels else None)


def baseline_folders(comparison) -> list[str]:
    """Each baseline's file-safe name, in order: its flip pages' folder and, as `vs-NAME`, its section's anchor."""
    taken: set[str] = set()
    return [safe_name(baseline.name, taken) for baseline in comparison.baselines]


def comparison_alerts(results: "ReportResults", baseline: "BaselineComparison", anchor: str) -> list[Alert]:
    """What a reviewer must not miss about the candidate against `baseline` (the report's alerts list them with
    the others; `anchor` is the baseline's section): the candidate worse on accuracy or a label (the paired
    interval of the difference lies below 0), many confident flips, and its maps failing the sanity check while
    the baseline's pass."""
    link, pdf = f"compare.html#{anchor}", "comparison"
    name, candidate = baseline.name, results.model.name
    found = []
    worse = [d for d in baseline.differences if d.ci_high is not None and d.ci_high < 0]
    if worse:
        what = "; ".join(f"{d.metric}{f' on {d.label}' if d.label is not None else ''} "
                         f"{_percent(d.candidate)} against {_percent(d.baseline)}" for d in worse)
        found.append(Alert("compare-worse", WARNING,
                           f"{candidate} does worse than the baseline {name}: {what} (the "
                           f"{format_number(baseline.bootstrap['level'] * 100, 3)} % paired interval of the "
                           "difference lies below 0).", link, f"the comparison with {name}", pdf))
    confident = [f for f in baseline.flips if f.change >= CONFIDENT]
    n = len(baseline.documents)
    if confident and len(confident) >= max(MANY_FLIPS_MIN, MANY_FLIPS_SHARE * n):
        broken = sum(1 for f in confident if f.kind == "broken")
        found.append(Alert("compare-confident-flips", NOTE,
                           f"{len(confident)} of {n} documents change their prediction from {name} to {candidate} "
                           f"with a probability change of {format_number(CONFIDENT, 2)} or more"
                           f"{f', {broken} of them from right to wrong' if broken else ''}.", link,
                           f"the flipped documents against {name}", pdf))
    baseline_row, baseline_passed = lead_verdict(baseline.metrics, baseline.layers[0] if baseline.layers else None)
    candidate_row, candidate_passed = lead_verdict(results.metrics, Orders.of(results).lead_layer)
    if baseline_passed is True and candidate_passed is False:
        found.append(Alert("compare-sanity-failed", WARNING,
                           f"{candidate}'s maps fail the model randomisation sanity check at its lead layer "
                           f"{candidate_row.layer}{_rho(candidate_row)} while {name}'s pass at "
                           f"{baseline_row.layer}{_rho(baseline_row)}: the candidate's explanations are the less "
                           "trustworthy.", link, f"faithfulness against {name}", pdf))
    return found


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{format_number(value * 100, 3)} %"


def _rho(row) -> str:
    return "" if row.sanity.mean_abs is None else f" (mean |\u03c1| {format_number(row.sanity.mean_abs, 3)})"


def section(results: "ReportResults", baseline: "BaselineComparison", flips: list, folder: str) -> dict:
    """One baseline's part of the comparison page and of the PDF's comparison section (`folder`: its
    `baseline_folders` name)."""
    rho = [a.rank_correlation for a in baseline.agreement if a.rank_correlation is not None]
    overlap = [a.top_k_overlap for a in baseline.agreement if a.top_k_overlap is not None]
    return {
        "baseline": baseline, "flips": flips, "shift": evidence_shift(results, baseline), "anchor": f"vs-{folder}",
        "alerts": comparison_alerts(results, baseline, f"vs-{folder}"), "faithfulness": faithfulness(results, baseline),
        "mean_rho": sum(rho) / len(rho) if rho else None, "rho_count": len(rho),
        "mean_overlap": sum(overlap) / len(overlap) if overlap else None,
        "k": max((a.k for a in baseline.agreement), default=0),
        "kinds": {kind: sum(1 for f in baseline.flips if f.kind == kind) for kind in KIND_TEXT},
    }


def comparison_paper(results: "ReportResults") -> dict | None:
    """The PDF's comparison section: every baseline's section, its flips listed without their maps (the site
    has a page per flip); None without a comparison."""
    if results.comparison is None:
        return None
    sections = []
    for baseline, folder in zip(results.comparison.baselines, baseline_folders(results.comparison)):
        flips = [FlipView(f, KIND_TEXT.get(f.kind, f.kind), "", next((a for a in baseline.agreement
                                                                       if a.id == f.id), None))
                 for f in baseline.flips]
        sections.append(section(results, baseline, flips, folder))
    return {"sections": sections, "candidate": results.comparison.candidate, "kind_text": KIND_TEXT}


def comparison_pages(results: "ReportResults", plan: "SitePlan", views: Views) -> list[tuple[Page, str, dict]]:
    """The comparison page and one page per flipped document per baseline (module docstring)."""
    comparison = results.comparison
    if comparison is None:
        return []
    main = Page("compare", "compare.html", "Model comparison")
    sections, flip_pages = [], []
    for baseline, folder in zip(comparison.baselines, baseline_folders(comparison)):
        base_views = Views(baseline_results(results, baseline), Orders.of(baseline_results(results, baseline)))
        doc_taken: set[str] = set()
        flips = []
        for flip in baseline.flips:
            path = f"samples/compare/{folder}/{safe_name(flip.id, doc_taken)}.html"
            view = flip_view(results, baseline, flip, views, base_views, relative_url(main.path, path))
            page = Page("compare-sample", path, f"Sample {flip.id}: {baseline.name} against {results.model.name}")
            index = next(i for i, d in enumerate(results.documents) if d.id == flip.id)
            view.sample_url = page.url(plan.sample_paths[index])
            flips.append(view)
            flip_pages.append((page, "compare_sample.html", {"view": view, "baseline": baseline,
                                                             "compare_url": page.url(main.path)}))
        sections.append(section(results, baseline, flips, folder))
    pages = [(main, "compare.html", {"sections": sections, "candidate": comparison.candidate,
                                    "kind_text": KIND_TEXT})]
    for before, after in zip(flip_pages, flip_pages[1:]):
        before[0].next, after[0].prev = after[0].path, before[0].path
    for page, _, data in flip_pages:
        data["prev_url"] = page.url(page.prev) if page.prev else None
        data["next_url"] = page.url(page.next) if page.next else None
    return pages + flip_pages
