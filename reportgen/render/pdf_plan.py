"""What goes into report.pdf: the spec's `output.pdf` selection, a page estimate per sample, the page budget.

The site keeps everything; the PDF is what people attach to a model review, so it holds the chosen layers
and variants of the chosen samples, within `max_pages`. Which samples, and in what order, is
`reportgen.report.sample_choice` (errors first by default); the plan is made once, before explanations.json
is written, so the JSON's `pdf_samples` and the PDF agree. Pages are estimated from text lengths before
anything is rendered (rendering is the expensive part); the renderer then checks the real page count and
drops trailing samples if the estimate was too low, so the budget holds exactly.

The estimate mirrors `templates/print.css` (page box, font sizes, line heights): change them together.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from reportgen.errors import BuildError
from reportgen.render import evidence_chart
from reportgen.report.evidence import TOP
from reportgen.report.sample_choice import DEFAULT_RULE, SampleChoice, choose_samples
from reportgen.report.spans import splits_words
from reportgen.report.structure import Orders, targets_of
from reportgen.spec.load import check_section
from reportgen.results import PdfSamples
from reportgen.spec.sections import PdfSamplePick, PdfSpec

if TYPE_CHECKING:
    from reportgen.results import DocumentExplanation, Heatmap, ReportResults

DEFAULT_MAX_PAGES = PdfSpec.model_fields["max_pages"].default
MAX_PROBABILITY_ROWS = 10  # a sample page lists at most this many labels' probabilities (the most likely)

# Page geometry in points, as in print.css: A4 with 17 mm margins left/right and 20 mm top/bottom.
PT_PER_MM = 72 / 25.4
CONTENT_HEIGHT = (297 - 2 * 20) * PT_PER_MM
CONTENT_WIDTH = (210 - 2 * 17) * PT_PER_MM
TEXT_LINE = 9.0 * 1.5  # .text: 9 pt, line-height 1.5
TEXT_WIDTH = CONTENT_WIDTH - 10  # minus the rule and padding on the left
CHAR_WIDTH = 9.0 * 0.56  # a little above DejaVu Sans' average advance for running text, to err high
SMALL_LINE = 8.5 * 1.4
SAMPLE_HEAD = 64.0  # heading, true/predicted lines, spacing
PROB_ROW = 13.5
LAYER_HEAD = 46.0  # layer heading and the legend strip under it
PANEL_HEAD = 22.0  # caption and spacing around the text
# The evidence chart under the verdict at its tallest (TOP words a side), drawn EVIDENCE_WIDTH_MM wide as
# print.css's figure.evidence svg, and its two-line caption.
EVIDENCE_WIDTH_MM = 80
EVIDENCE = ((2 * evidence_chart.HEAD + 2 * TOP * evidence_chart.ROW + 4) * EVIDENCE_WIDTH_MM * PT_PER_MM
            / evidence_chart.WIDTH + 2 * SMALL_LINE + 10)
FILL = 0.93  # pages are not filled to the last point: headings kept with their text, orphans and widows


@dataclass(frozen=True)
class PdfOptions:
    """The spec's `output.pdf` section (`enabled` is the caller's business), made by `from_mapping`."""

    layers: str | tuple[str | int, ...] = "main"
    variants: str = "main"
    samples: str | tuple[str, ...] = DEFAULT_RULE  # a rule of report.sample_choice, or ids in their order
    count: int | None = None  # at most this many by the rule (None: all it orders)
    max_pages: int = DEFAULT_MAX_PAGES

    @classmethod
    def from_mapping(cls, options: PdfSpec | Mapping[str, Any] | bool | None) -> "PdfOptions":
        """From the spec's section, or the same keys given in code: those are checked by the spec's own
        `PdfSpec`, so a bad value reads as in a spec file (`output.pdf.variants: 'some' is not one of ...`)."""
        if options is None or isinstance(options, bool):
            options = PdfSpec()
        elif not isinstance(options, PdfSpec):
            options = check_section(PdfSpec, options, "output.pdf", BuildError)
        samples, count = options.samples, None
        if isinstance(samples, int):  # a number alone picks by the default rule (PdfSpec.samples says why)
            samples, count = DEFAULT_RULE, samples
        elif isinstance(samples, PdfSamplePick):
            samples, count = samples.pick, samples.count
        elif not isinstance(samples, str):
            samples = tuple(samples)
        return cls(
            layers=options.layers if isinstance(options.layers, str) else tuple(options.layers),
            variants=options.variants,
            samples=samples,
            count=count,
            max_pages=options.max_pages,
        )


@dataclass
class SamplePlan:
    """One sample in the PDF: which maps it shows, grouped by layer, and its estimated pages."""

    doc_index: int
    groups: list[tuple[str, list["Heatmap"]]]  # (layer, its maps in target × variant order)
    estimated_pages: int


@dataclass
class PdfPlan:
    layers: list[str]
    variants: list[tuple[bool, bool]]
    samples: list[SamplePlan]  # in the PDF, in the order `choice` gives
    requested: int  # samples the `samples` option asked for
    total: int  # samples in the report
    over_budget: list[str] = field(default_factory=list)  # ids left out to stay within max_pages
    max_pages: int = DEFAULT_MAX_PAGES
    front_pages: int = 0  # estimated pages before the first sample
    choice: SampleChoice | None = None  # the samples `samples` chose, before the page budget

    def record(self, results: "ReportResults") -> PdfSamples | None:
        """explanations.json's `pdf_samples`: the ids this plan shows, the rule that chose them, and the chosen
        ones the page budget left out."""
        if self.choice is None:
            return None
        shown = [results.documents[s.doc_index].id for s in self.samples]
        return PdfSamples(self.choice.rule, self.choice.count, shown, self.choice.describe(), list(self.over_budget))

    @property
    def sample_pages(self) -> int:
        return sum(s.estimated_pages for s in self.samples)

    def without(self, ids: set[str], results: "ReportResults") -> "PdfPlan":
        """The same plan with these samples moved to `over_budget` (after a real page count)."""
        kept = [s for s in self.samples if results.documents[s.doc_index].id not in ids]
        dropped = [results.documents[s.doc_index].id for s in self.samples if s not in kept]
        over = sorted(set(self.over_budget) | set(dropped), key=_pdf_order(self, results))
        return PdfPlan(self.layers, self.variants, kept, self.requested, self.total, over, self.max_pages,
                       self.front_pages, self.choice)


def _order_of(results: "ReportResults"):
    position = {doc.id: i for i, doc in enumerate(results.documents)}
    return lambda doc_id: position.get(doc_id, len(position))


def _pdf_order(plan: PdfPlan, results: "ReportResults"):
    """Left-out ids are listed in the order the PDF would have shown them."""
    position = {results.documents[i].id: k for k, i in enumerate(plan.choice.indices)} if plan.choice else {}
    fallback = _order_of(results)
    return lambda doc_id: (position.get(doc_id, len(position)), fallback(doc_id))


# ---- selection -------------------------------------------------------------------------------------

def select_layers(results: "ReportResults", orders: Orders, choice: str | tuple[str | int, ...]) -> list[str]:
    if choice == "main":
        return orders.layers[:1]
    if choice == "all":
        return list(orders.layers)
    chosen: list[str] = []
    top = [layer.path for layer in results.model.layers if layer.index is not None]  # as Keras' model.layers
    for item in choice:
        if isinstance(item, int) and not isinstance(item, bool):
            if not -len(top) <= item < len(top):
                raise BuildError(f"output.pdf.layers: index {item} is outside the model's {len(top)} layers")
            name = top[item]
        else:
            name = str(item)
            by_name = [path for path in orders.layers if path.rsplit("/", 1)[-1] == name]
            if name not in orders.layers and len(by_name) == 1:  # a nested layer by its own name
                name = by_name[0]
        if name not in orders.layers:
            raise BuildError(f"output.pdf.layers: layer {name!r} was not explained; explained layers: "
                             f"{', '.join(orders.layers) or 'none'} (change explain.layers or output.pdf.layers)")
        if name not in chosen:
            chosen.append(name)
    return sorted(chosen, key=orders.layers.index)


def select_documents(results: "ReportResults", options: PdfOptions) -> SampleChoice:
    """The samples `output.pdf.samples` chooses, in the PDF's order (`report.sample_choice` has the rules)."""
    if isinstance(options.samples, str):
        return choose_samples(results, options.samples, options.count)
    try:
        return choose_samples(results, ids=options.samples)
    except KeyError as missing:
        raise BuildError(f"output.pdf.samples: no sample with id {', '.join(repr(m) for m in missing.args[0])} "
                         "in this report (ids are the samples' id_column values)") from None


def sample_groups(doc: "DocumentExplanation", orders: Orders, layers: list[str],
                  variants: list[tuple[bool, bool]]) -> list[tuple[str, list["Heatmap"]]]:
    """Per chosen layer, the maps of every explained target in the chosen variants (main interpolation)."""
    groups = []
    for layer in layers:
        maps = []
        for target in targets_of(doc):
            for variant in variants:
                heatmap = orders.pick(doc, layer, target, variant)
                if heatmap is not None and heatmap not in maps:
                    maps.append(heatmap)
        if maps:
            groups.append((layer, maps))
    return groups


# ---- estimate --------------------------------------------------------------------------------------

def text_lines(text: str, width: float = TEXT_WIDTH, char_width: float = CHAR_WIDTH) -> int:
    """Lines a pre-wrapped text takes: its own line breaks, and wrapping (wide East Asian characters count 2)."""
    per_line = max(1, int(width / char_width))
    lines = 0
    for paragraph in text.split("\n"):
        units = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in paragraph)
        lines += max(1, math.ceil(units / per_line))
    return lines


def estimate_sample_pages(doc: "DocumentExplanation", groups: list[tuple[str, list["Heatmap"]]],
                          n_labels: int, with_word_sums: bool = False, lead_maps: int = 0) -> int:
    text = doc.text if doc.text else " ".join(t.text for t in doc.tokens)
    lines = text_lines(text)
    chips = sum(1 for t in doc.tokens if t.span is None) if doc.text else 0
    panel = PANEL_HEAD + lines * TEXT_LINE + (TEXT_LINE if chips else 0)
    # one evidence chart per lead map: a wrong prediction shows the true label's too
    height = SAMPLE_HEAD + EVIDENCE * max(1, lead_maps) + PROB_ROW * (min(n_labels, MAX_PROBABILITY_ROWS) + 1)
    notes = len(doc.input.notes) + (1 if doc.input.truncated else 0) + (1 if doc.input.padded else 0)
    notes += sum(len(h.notes) for _, maps in groups for h in maps[:1])
    height += notes * SMALL_LINE * 2
    if lead_maps:  # the lead (views.LeadView): a legend and its maps
        height += LAYER_HEAD + lead_maps * panel
    for _, maps in groups:
        panels = len(maps) * (2 if with_word_sums else 1)
        height += LAYER_HEAD + panels * panel
    return max(1, math.ceil(height / (CONTENT_HEIGHT * FILL)))


def estimate_front_pages(n_samples: int, n_labels: int, with_metrics: bool, n_metric_layers: int = 0) -> int:
    contents = math.ceil((n_samples + 6) / 44)
    summary = 1 + (1 if n_labels > 14 else 0)
    metrics = (1 + n_metric_layers // 25) if with_metrics else 0
    return 1 + contents + summary + 2 + metrics  # cover, contents, summary, method (2 pages), metrics


def estimate_corpus_pages(results: "ReportResults", layers: list[str]) -> int:
    """The corpus evidence section: an introduction and shortcuts page, then a page per label and layer shown."""
    from reportgen.report.corpus import pdf_corpus_evidence

    evidence = pdf_corpus_evidence(results)
    shown = [item for item in evidence.labels if item.layer in layers] if evidence is not None else []
    return 1 + len(shown) if shown else 0


# ---- the plan ----------------------------------------------------------------------------------------

def plan_pdf(results: "ReportResults", options: PdfOptions) -> PdfPlan:
    """Choose layers, variants and samples; keep the samples that fit `max_pages` by the estimate.

    A sample that does not fit is left out and the next ones are still tried, so one very long text does
    not push every later sample out.
    """
    orders = Orders.of(results)
    layers = select_layers(results, orders, options.layers)
    variants = orders.variants[:1] if options.variants == "main" else list(orders.variants)
    choice = select_documents(results, options)
    indices = choice.indices
    n_labels = len(results.model.labels)
    word_sums = results.settings.aggregate == "word"  # character and subword models: word panels too
    candidates = []
    for i in indices:
        doc = results.documents[i]
        groups = sample_groups(doc, orders, layers, variants)
        lead_maps = 2 if doc.correct is False and doc.true_labels else 1  # the true label's map beside
        pages = estimate_sample_pages(doc, groups, n_labels, word_sums and splits_words(doc.text, doc.tokens),
                                       lead_maps)
        candidates.append(SamplePlan(i, groups, pages))
    metric_layers = len(results.metrics.layers) if results.metrics is not None else 0
    front = estimate_front_pages(len(candidates), n_labels, results.metrics is not None, metric_layers)
    front += estimate_corpus_pages(results, layers)
    room = options.max_pages - front
    kept, over = [], []
    for sample in candidates:
        if sample.estimated_pages <= room:
            kept.append(sample)
            room -= sample.estimated_pages
        else:
            over.append(results.documents[sample.doc_index].id)
    return PdfPlan(layers, variants, kept, len(indices), len(results.documents), over, options.max_pages, front,
                   choice)
