"""What the pages show, built once from a ReportResults and read by the site's and the print templates alike.

Panels of highlighted text, probability bars, layer sections, sample rows, captions, notes, settings and
metrics tables are plain objects and strings here; `reportgen.render` turns them into HTML or PDF. The site
and paper read the same scales (`ScaleBook`), paper with fewer levels (`Views(levels=...)`), so a weight gets
the same colour on both.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Sequence

from reportgen.report import colors
from reportgen.report.alerts import report_alerts
from reportgen.report.colors import LEVELS, Legend, Scale, ScaleBook, format_number
from reportgen.report.corpus import pdf_corpus_evidence
from reportgen.report.evidence import Evidence, EvidenceWord, evidence
from reportgen.report.spans import (Highlight, aggregate_words, align_weights, highlight, is_char_level,
                                    splits_words)
from reportgen.report.structure import Orders, field_of, targets_of
from reportgen.report.summary import Summary, label_summary
from reportgen.results import variant_name
from reportgen.textsafe import describe_hidden

if TYPE_CHECKING:
    from reportgen.results import (CorpusRow, DocumentExplanation, Heatmap, MetricsReport, ReportResults,
                                   SanityVerdict, Token)

SNIPPET_CHARS = 90
SEARCH_CHARS = 5000  # of each text the index's search box looks in (the page carries them)
ROW_WORDS = 3  # evidence words per row of the index's table
ANCHOR_PREFIX = "s-"


# ---- view objects -----------------------------------------------------------------------------------

@dataclass
class Panel:
    """One highlighted rendering of a document's text for one heatmap."""

    heatmap: "Heatmap"
    highlight: Highlight
    scale: Scale
    caption: str
    view: str = "token"  # "token", or "word" for the word sums of a character model

    @functools.cached_property
    def legend(self) -> Legend:
        return panels_legend(self.scale, [self])

    @property
    def score_text(self) -> str:
        return f"{self.heatmap.score_kind} {format_number(self.heatmap.score, 4)}"


@dataclass
class ProbabilityBar:
    label: str
    probability: float
    predicted: bool
    true: bool

    @property
    def width(self) -> str:
        return f"{max(0.0, min(1.0, self.probability)) * 100:.1f}"


@dataclass
class LayerSection:
    layer: str
    legend: Legend | None  # one legend when all panels of the layer share a scale
    rows: list[tuple[str, list[Panel]]]  # (target label, panels by variant)

    @property
    def summary(self) -> str:
        """What the section holds, for the line of its closed `<details>`: "4 maps · targets a, b · relu, signed"."""
        maps = sum(len(panels) for _, panels in self.rows)
        variants = list(dict.fromkeys(p.heatmap.variant for _, panels in self.rows for p in panels))
        targets = [label for label, _ in self.rows]
        return (f"{maps} map{'' if maps == 1 else 's'} \u00b7 target{'' if len(targets) == 1 else 's'} "
                f"{', '.join(targets)} \u00b7 {', '.join(variants)}")


@dataclass
class EveryMap:
    """What a sample's all-maps page holds, for the sample page's link to it."""

    maps: int
    layers: int
    targets: int
    variants: list[str]
    interpolations: list[str]  # the kinds compared, [] when the page compares none

    @property
    def summary(self) -> str:
        """ "30 maps: 3 layers × 5 targets × relu, signed; interpolation linear, nearest compared" """
        text = (f"{self.maps} map{'' if self.maps == 1 else 's'}: {self.layers} layer{'' if self.layers == 1 else 's'}"
                f" \u00d7 {self.targets} target{'' if self.targets == 1 else 's'} \u00d7 {', '.join(self.variants)}")
        if self.interpolations:
            text += f"; interpolation {', '.join(self.interpolations)} compared"
        return text


@dataclass
class SampleRow:
    doc: "DocumentExplanation | CorpusRow"  # a corpus row: a document without a page (url None)
    url: str | None
    snippet: str
    true_text: str
    predicted_text: str
    correct: bool | None
    length: int  # tokens
    panel: Panel | None = None
    # what the index's table adds (`Views.sample_row(..., overview=True)`)
    true: tuple[RowLabel, ...] = ()
    predicted: tuple[RowLabel, ...] = ()
    confidence: float | None = None  # probability of the predicted label (the highest, when several are)
    gain: float | None = None  # AOPC gain of the lead map's layer and target, when the sample was scored
    evidence: tuple[RowWord, ...] = ()  # the lead map's strongest words, either sign
    search_text: str = ""  # what the table's search box looks in, besides the id

    @property
    def confidence_width(self) -> str:
        return "" if self.confidence is None else f"{max(0.0, min(1.0, self.confidence)) * 100:.1f}"

    @property
    def confidence_text(self) -> str:
        return "" if self.confidence is None else f"{self.confidence:.3f}"  # as `predicted_text` prints it


@dataclass(frozen=True)
class RowLabel:
    index: int  # the label's position in the model's labels (orders the table's filter chips)
    name: str


@dataclass(frozen=True)
class RowWord:
    """One evidence word of a table row: its form, signed summed weight and level class (the evidence chart's
    strongest colour of its sign)."""

    word: EvidenceWord
    target_label: str

    @property
    def sign(self) -> str:
        return "+" if self.word.weight > 0 else colors.MINUS

    @property
    def css_class(self) -> str:
        return colors.level_class(LEVELS if self.word.weight > 0 else -LEVELS) or ""

    @property
    def title(self) -> str:
        side = "toward" if self.word.weight > 0 else "away from"
        return f"{self.word.weight_text} {side} {self.target_label}"


@dataclass
class PanelGroup:
    """The maps of one layer of one sample on paper: one legend (they share a scale), then a panel per map."""

    layer: str
    legend: Legend
    panels: list[Panel]
    word_legend: Legend | None = None
    word_panels: list[Panel] = field(default_factory=list)


@dataclass
class LeadMap:
    """One map of the lead: the predicted label's, or (on a wrong prediction) the true label's."""

    panel: Panel
    role: str  # the `data-role` hook: "lead-map", or "lead-map-true" for the true label's map
    heading: str  # "Predicted label" / "True label"
    toward: str  # the palette's name for weights pushing toward the label ("blue")
    away: str | None  # … and away from it ("orange"); None on a relu map, which cannot push away
    blank_note: str | None  # words saying no token reaches level 1; None when some token does

    @property
    def target_label(self) -> str:
        return self.panel.heatmap.target_label


@dataclass
class LeadView:
    """The lead of a sample page and of a PDF sample: the signed map of the lead layer on a per-document scale
    with a robust maximum, read with the site's levels on paper too; on a wrong prediction, the true label's
    map under it on the same scale. A layer without a time axis is a note instead."""

    layer: str
    maps: list[LeadMap]
    legend: Legend | None
    why: str  # why this layer, in words ("" when no metrics chose it)
    warning: bool  # the recommended layer does not pass the sanity check
    uniform_note: str | None = None  # set (and `maps` empty) for a layer without a time axis
    mirror_note: str | None = None  # the true label's map is the predicted one's mirror (one output)


@dataclass
class SampleView:
    """A sample's section on paper."""

    doc: "DocumentExplanation"
    anchor: str
    first: bool
    predicted_text: str
    predicted_short: str
    true_text: str
    bars: list
    hidden_labels: int
    threshold: float | None
    notes: list[str]
    groups: list[PanelGroup]
    pages: int = 1  # the body's real page count, for the frame of a chunked render
    evidence: Evidence | None = None  # the lead map's ranked words (Views.evidence)
    lead: LeadView | None = None  # the lead map (Views.lead)
    evidences: list[Evidence] = field(default_factory=list)  # the predicted label's, then the true label's


# ---- captions, labels, notes ------------------------------------------------------------------------

def label_names(labels: Sequence[str], indices: Sequence[int] | None) -> str:
    if indices is None:
        return ""
    return ", ".join(labels[k] if 0 <= k < len(labels) else str(k) for k in indices) or "(none)"


def predicted_text(doc: "DocumentExplanation", labels: Sequence[str]) -> str:
    probs = doc.prediction.probabilities
    parts = []
    for k in doc.prediction.predicted:
        name = labels[k] if 0 <= k < len(labels) else str(k)
        p = probs[k] if 0 <= k < len(probs) and probs[k] is not None else None
        parts.append(f"{name} ({p:.3f})" if p is not None else name)
    return ", ".join(parts) or "(none)"


def heatmap_labels(doc: "DocumentExplanation", heatmap: "Heatmap") -> list[str]:
    """Label names a fragment can show without the model: the heatmap knows its own target's name only."""
    names = [str(k) for k in range(len(doc.prediction.probabilities))]
    if 0 <= heatmap.target < len(names):
        names[heatmap.target] = heatmap.target_label
    return names


def snippet(doc: "DocumentExplanation", limit: int = SNIPPET_CHARS) -> str:
    return shorten(doc.text if doc.text else " ".join(t.text for t in doc.tokens), limit)


def shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    """`text` on one line (whitespace runs as one space), cut to `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def _confidence(doc) -> float | None:
    """The probability of the predicted label (the highest, when several are)."""
    probs = doc.prediction.probabilities
    shown = [probs[k] for k in doc.prediction.predicted if 0 <= k < len(probs) and probs[k] is not None]
    return max(shown) if shown else None


def probability_bars(doc: "DocumentExplanation", labels: Sequence[str]) -> list[ProbabilityBar]:
    truth = set(doc.true_labels or [])
    bars = []
    for k, p in enumerate(doc.prediction.probabilities):
        name = labels[k] if k < len(labels) else str(k)
        bars.append(ProbabilityBar(name, float(p or 0.0), k in doc.prediction.predicted, k in truth))
    return bars


def top_bars(doc: "DocumentExplanation", labels: Sequence[str], limit: int) -> tuple[list[ProbabilityBar], int]:
    """Probability bars in label order, at most `limit`: predicted, true, then most likely; and how many
    were left out."""
    bars = probability_bars(doc, labels)
    if len(bars) <= limit:
        return bars, 0
    ranked = sorted(range(len(bars)), key=lambda k: (not bars[k].predicted, not bars[k].true,
                                                     -bars[k].probability, k))
    keep = sorted(ranked[:limit])
    return [bars[k] for k in keep], len(bars) - len(keep)


def heatmap_caption(h: "Heatmap", parts: Sequence[str] = ("layer", "target", "variant", "interpolation")) -> str:
    words = {
        "layer": f"layer {h.layer}",
        "target": f"target {h.target_label}",
        "variant": h.variant,
        "interpolation": h.interpolation if h.interpolation == h.interpolation_used
        else f"{h.interpolation}\u2192{h.interpolation_used}",
    }
    return " \u00b7 ".join(words[p] for p in parts)


def input_notes(doc: "DocumentExplanation") -> list[str]:
    info = doc.input
    notes = []
    if info.truncated:
        side = "start" if info.truncating_side == "pre" else "end"
        notes.append(f"Truncated: {info.truncated} tokens were cut at the {side} to fit the model's input "
                     f"length ({info.length}); they have no weight.")
    if info.padded:
        side = "start" if info.padding_side == "pre" else "end"
        notes.append(f"Padded: {info.padded} pad tokens were added at the {side}; their weights are not shown.")
    notes += list(info.notes)
    hidden = describe_hidden(doc.text) if doc.text else None
    if hidden is not None:
        notes.append(hidden)
    return notes


def heatmap_notes(heatmaps: Sequence["Heatmap"]) -> list[str]:
    notes: list[str] = []
    for h in heatmaps:
        if h.uniform and not h.notes:
            note = (f"Layer {h.layer} has no time axis: its map gives every token the same weight, "
                    "so it says nothing about which words mattered.")
            if note not in notes:
                notes.append(note)
        for note in h.notes:
            if note not in notes:
                notes.append(note)
    return notes


def sample_notes(doc: "DocumentExplanation", heatmaps: Sequence["Heatmap"] | None = None) -> list[str]:
    """The notes under a sample: its input's, then those of the maps shown (all of them by default)."""
    return input_notes(doc) + heatmap_notes(doc.heatmaps if heatmaps is None else heatmaps)


def sample_anchor(doc_index: int) -> str:
    """The id of a sample's section: by position, so any sample id (quotes, slashes, <...>) is safe."""
    return f"{ANCHOR_PREFIX}{doc_index}"


# ---- panels -----------------------------------------------------------------------------------------

def make_panel(doc: "DocumentExplanation", h: "Heatmap", scale: Scale, caption: str) -> Panel:
    weights = align_weights(doc.tokens, h.weights, doc.input.truncating_side)
    return Panel(h, highlight(doc.text, doc.tokens, weights, scale), scale, caption)


def make_word_panel(doc: "DocumentExplanation", h: "Heatmap", scale: Scale, caption: str,
                    words: "tuple[list[Token], list[float | None]] | None" = None) -> Panel:
    """`words`: the map's `aggregate_words`, when the caller has them already."""
    if words is None:
        weights = align_weights(doc.tokens, h.weights, doc.input.truncating_side)
        words = aggregate_words(doc.text, doc.tokens, weights)
    tokens, sums = words
    return Panel(h, highlight(doc.text, tokens, sums, scale), scale, caption + " \u00b7 word sums",
                 view="word")


def panels_legend(scale: Scale, panels: Sequence[Panel]) -> Legend:
    """The legend of `scale` as these panels read it: the label they explain (each map's, in order, when they
    explain several), and the negative half only when a map can be negative (a relu map cannot)."""
    targets = {p.heatmap.target_label for p in panels}
    counterfactual = {bool(p.heatmap.counterfactual) for p in panels}
    return colors.legend(scale, target=next(iter(targets)) if len(targets) == 1 else None,
                         signed=not panels or any(not p.heatmap.relu for p in panels),
                         counterfactual=next(iter(counterfactual)) if len(counterfactual) == 1 else None,
                         targets=[p.heatmap.target_label for p in panels])


def shared_legend(panels: Sequence[Panel]) -> Legend | None:
    """One legend for panels that all read the same scale; None when they read several (or none)."""
    scales = {p.scale for p in panels}
    return panels_legend(next(iter(scales)), panels) if len(scales) == 1 else None


def example_legend(levels: int = LEVELS, palette: str | None = None) -> Legend:
    """The legend the method pages explain, on a scale whose maximum is 1."""
    return colors.legend(Scale(1.0, "example", "example scale: max |weight| = 1", levels,
                               colors.palette(palette).name))


def lead_why(metrics: Any, layer: str) -> tuple[str, bool]:
    """Why the lead layer leads, in words, and whether that is a warning; ("", False) without metrics or when
    the metrics recommend another layer than the one shown."""
    if metrics is None or field_of(metrics, "recommended_layer") != layer:
        return "", False
    n = len(field_of(metrics, "layers") or [])
    passes = field_of(metrics, "recommended_passes_sanity")
    if passes is False:
        return (f"most faithful of {n} by the deletion test, but no layer passes the sanity check: these maps "
                "may follow the words more than what the model learned", True)
    if passes is None:
        return f"best of {n} by the deletion test (the sanity check did not give a verdict)", False
    return f"best of {n} by the deletion test and the sanity check", False


def mirrors(a: "Heatmap", b: "Heatmap", tolerance: float = 1e-6) -> bool:
    """Whether map `b` is map `a` with every sign swapped (two labels of a one-output model, where one label's
    score is minus the other's), to `tolerance` of the larger weight."""
    if len(a.weights) != len(b.weights) or a.relu or b.relu or a.counterfactual != b.counterfactual:
        return False
    pairs = [(x, y) for x, y in zip(a.weights, b.weights) if x is not None or y is not None]
    if any(x is None or y is None for x, y in pairs):
        return False
    largest = max((abs(x) for x, _ in pairs), default=0.0)
    return largest > 0 and all(abs(x + y) <= tolerance * largest for x, y in pairs)


def blank_note(panel: Panel) -> str | None:
    """Words for a map with no token at level 1 or above; None when some token is highlighted."""
    if any(s.level for s in panel.highlight.segments) or any(c.level for c in panel.highlight.chips):
        return None
    return f"No weight reaches the first level: all |w| < {format_number(panel.scale.step / 2)}."


class Views:
    """Builds panels and rows for one ReportResults, with scales computed once.

    `levels` is how many colour levels per sign the scales are read with: LEVELS on the site, fewer on paper
    (same colours at the same weights, fewer spans for WeasyPrint).
    """

    def __init__(self, results: "ReportResults", orders: Orders, levels: int = LEVELS):
        self.results = results
        self.orders = orders
        self.levels = levels
        self.labels = results.model.labels
        self.word_view = results.settings.aggregate == "word"
        self._word_scales: ScaleBook | None = None
        # (id of a heatmap, scale) -> its highlight: a map shown twice on one scale (the all-maps page's grid and
        # its interpolation comparison, a layer page) is cut into runs once; the heatmaps live as long as results
        self._highlights: dict[tuple[int, Scale], Highlight] = {}
        # id of a heatmap -> its word sums: summed once for the word scales, read again by its word panel
        self._words: dict[int, tuple[list[Token], list[float | None]]] = {}
        self._leads: dict[int, LeadView | None] = {}  # the site's pages and its alerts read every lead

    def _word_sums(self, doc: "DocumentExplanation", h: "Heatmap") -> tuple[list["Token"], list[float | None]]:
        """A character model's map summed per word (`aggregate_words`: what word panels and their scales read)."""
        if id(h) not in self._words:
            weights = align_weights(doc.tokens, h.weights, doc.input.truncating_side)
            self._words[id(h)] = aggregate_words(doc.text, doc.tokens, weights)
        return self._words[id(h)]

    @functools.cached_property
    def scales(self) -> ScaleBook:
        """Built on first use: pooling every map's weights is seconds on a character model, and a Views that
        shows only lead maps (their own per-document scale) never needs it."""
        return ScaleBook(self.results, levels=self.levels)

    def word_scales(self) -> ScaleBook:
        if self._word_scales is None:
            self._word_scales = ScaleBook(results=self.results, weights_of=lambda d, h: self._word_sums(d, h)[1],
                                          view="word",
                                          levels=self.levels)
        return self._word_scales

    def panel(self, doc_index: int, h: "Heatmap", caption: str) -> Panel:
        scale = self.scales.scale(doc_index, h.layer)
        key = (id(h), scale)
        if key not in self._highlights:
            self._highlights[key] = make_panel(self.results.documents[doc_index], h, scale, caption).highlight
        return Panel(h, self._highlights[key], scale, caption)

    def word_panel(self, doc_index: int, h: "Heatmap", caption: str) -> Panel | None:
        """The word sums of a character or subword model's map (when the spec asks for them); None otherwise."""
        doc = self.results.documents[doc_index]
        if not (self.word_view and splits_words(doc.text, doc.tokens)):
            return None
        return make_word_panel(doc, h, self.word_scales().scale(doc_index, h.layer), caption,
                               self._word_sums(doc, h))

    def _stretched_layer(self, doc: "DocumentExplanation", main: "Heatmap | None") -> str | None:
        """The first explained layer whose time axis is shorter or longer than the input, where the
        interpolation kind changes the map (the main layer when it is one); None when no layer is."""
        if main is None:
            return None
        for layer in [main.layer] + [name for name in self.orders.layers if name != main.layer]:
            h = self.orders.pick(doc, layer, main.target, (main.relu, main.counterfactual))
            if h is not None and h.layer_resolution is not None and h.layer_resolution != doc.input.length:
                return layer
        return None

    def lead(self, doc_index: int) -> LeadView | None:
        """The lead of a sample (see LeadView); None when the document has no map."""
        if doc_index not in self._leads:
            self._leads[doc_index] = self._make_lead(doc_index)
        return self._leads[doc_index]

    def _make_lead(self, doc_index: int) -> LeadView | None:
        doc = self.results.documents[doc_index]
        first = self.orders.lead(doc)
        if first is None:
            return None
        why, warning = lead_why(self.results.metrics, first.layer)
        if first.uniform:
            note = (f"Layer {first.layer} has no time axis: its map gives every token the same weight, so it "
                    "cannot show which words mattered.")
            return LeadView(first.layer, [], None, why, warning, note)
        maps = [(first, "lead-map", "Predicted label")]
        mirror_note = None
        truth = [k for k in (doc.true_labels or []) if k != first.target and k not in doc.prediction.predicted]
        if doc.correct is False and truth:
            other = self.orders.lead(doc, truth[0])
            if other is not None and other.layer == first.layer and not other.uniform:
                if mirrors(first, other):
                    mirror_note = (f"The true label's map ({other.target_label}) is this map with every sign "
                                   f"swapped: the model has one output, so what pushes toward {first.target_label} "
                                   f"pushes away from {other.target_label} by as much. It is not drawn twice.")
                else:
                    maps.append((other, "lead-map-true", "True label"))
        aligned = [align_weights(doc.tokens, h.weights, doc.input.truncating_side) for h, _, _ in maps]
        scale = colors.lead_scale([w for weights in aligned for w in weights], self.results.settings.palette)
        names = colors.palette(self.results.settings.palette)
        leads = []
        for (h, role, heading), weights in zip(maps, aligned):
            panel = Panel(h, highlight(doc.text, doc.tokens, weights, scale), scale,
                          heatmap_caption(h))
            toward, away = names.positive_name, (None if h.relu else names.negative_name)
            if h.counterfactual:  # a counterfactual map's positive weights push the score down
                toward, away = (names.negative_name if away else None), names.positive_name
            leads.append(LeadMap(panel, role, heading, toward, away, blank_note(panel)))
        legend = panels_legend(scale, [lm.panel for lm in leads])
        return LeadView(first.layer, leads, legend, why, warning, mirror_note=mirror_note)

    def word_lead(self, doc_index: int, lead: LeadView) -> LeadView:
        """The lead as word sums (`aggregate_words`), same maps, roles and layer, on a per-document scale of
        their sums: a character-level site's sample page leads with it (a character map was one element per
        character run, two thirds of a 160 KB page; every character map stays on the all-maps page)."""
        doc = self.results.documents[doc_index]
        sums = [self._word_sums(doc, lm.panel.heatmap) for lm in lead.maps]
        scale = colors.lead_scale([w for _, weights in sums for w in weights], self.results.settings.palette)
        maps = []
        for lm, (tokens, weights) in zip(lead.maps, sums):
            panel = Panel(lm.panel.heatmap, highlight(doc.text, tokens, weights, scale), scale,
                          lm.panel.caption + " \u00b7 word sums", view="word")
            maps.append(replace(lm, panel=panel, blank_note=blank_note(panel)))
        return replace(lead, maps=maps, legend=panels_legend(scale, [lm.panel for lm in maps]))

    def _lead_anchor(self, doc: "DocumentExplanation", lead: LeadView,
                     layers: list[tuple[str, list[tuple[int, list["Heatmap"]]]]]) -> str | None:
        """The id of the lead map's row (its layer, its target) on the all-maps page, as maps.html numbers them."""
        h = lead.maps[0].panel.heatmap
        for i, (layer, rows) in enumerate(layers, 1):
            for j, (target, _) in enumerate(rows, 1):
                if (layer, target) == (h.layer, h.target):
                    return f"layer-{i}-target-{j}"
        return None

    def evidence(self, doc_index: int, lead: "Heatmap | None", which: str = "predicted") -> Evidence | None:
        """The ranked words of the lead map's layer and target, from its signed map (relu off, not
        counterfactual) when the document has one, else from the lead map itself."""
        if lead is None:
            return None
        doc = self.results.documents[doc_index]
        signed = self.orders.pick(doc, lead.layer, lead.target, (False, False), lead.interpolation)
        return evidence(doc, signed or lead, palette=self.results.settings.palette, which=which)

    def evidences(self, doc_index: int, lead: LeadView | None, fallback: "Heatmap | None" = None) -> list[Evidence]:
        """One ranked-evidence chart per lead map (issue 15, item 2): the predicted label's, then on a wrong
        prediction the true label's, each from its label's signed map of the lead layer; without lead maps (a
        layer without a time axis), `fallback`'s alone when given."""
        if lead is not None and lead.maps:
            return [ev for lm in lead.maps
                    if (ev := self.evidence(doc_index, lm.panel.heatmap,
                                            "true" if lm.role == "lead-map-true" else "predicted")) is not None]
        ev = self.evidence(doc_index, fallback)
        return [ev] if ev is not None else []

    def sample_row(self, doc_index: int, url: str, layer: str | None = None, overview: bool = False) -> SampleRow:
        """A row of a table of samples: with `layer`, that layer's map as its panel; with `overview` (the index),
        the labels one by one, confidence, the lead map's AOPC gain and its ROW_WORDS strongest words."""
        doc = self.results.documents[doc_index]
        row = SampleRow(doc, url, snippet(doc), label_names(self.labels, doc.true_labels),
                        predicted_text(doc, self.labels), doc.correct, len(doc.tokens))
        if layer is not None:
            h = self.orders.main(doc, layer)
            if h is not None:
                row.panel = self.panel(doc_index, h, heatmap_caption(h, ("target", "variant")))
        if overview:
            row.true = self._row_labels(doc.true_labels or [])
            row.predicted = self._row_labels(doc.prediction.predicted)
            row.confidence = _confidence(doc)
            row.search_text = " ".join((doc.text or " ".join(t.text for t in doc.tokens)).split())[:SEARCH_CHARS]
            lead = self.orders.lead(doc)
            if lead is not None:
                entry = ((doc.metrics or {}).get(lead.layer) or {}).get(str(lead.target)) or {}
                row.gain = entry.get("aopc_gain")
            if lead is not None and not lead.uniform:  # a uniform map ranks no word (the sample page shows none)
                ev = self.evidence(doc_index, lead)
                if ev is not None:
                    # each side is ranked already (report/evidence.py); the strongest of either sign go first
                    words = sorted(ev.toward[:ROW_WORDS] + ev.away[:ROW_WORDS], key=lambda w: (-abs(w.weight), w.first))
                    row.evidence = tuple(RowWord(w, ev.target_label) for w in words[:ROW_WORDS])
        return row

    def table_rows(self, page_urls: Sequence[str]) -> list[SampleRow]:
        """The index table: one row per explained document in corpus order, a page's from its document (with
        its AOPC gain), the others from the corpus rows the build kept (`results.corpus`)."""
        if self.results.corpus is None:
            return [self.sample_row(i, url, overview=True) for i, url in enumerate(page_urls)]
        position = {doc.id: i for i, doc in enumerate(self.results.documents)}
        return [self.sample_row(position[row.id], page_urls[position[row.id]], overview=True)
                if row.id in position else self._corpus_row(row) for row in self.results.corpus.rows]

    def _corpus_row(self, corpus_row: "CorpusRow") -> SampleRow:
        row = SampleRow(corpus_row, None, shorten(corpus_row.snippet), label_names(self.labels, corpus_row.true_labels),
                        predicted_text(corpus_row, self.labels), corpus_row.correct, corpus_row.tokens)
        row.true = self._row_labels(corpus_row.true_labels or [])
        row.predicted = self._row_labels(corpus_row.predicted)
        row.confidence = _confidence(corpus_row)
        row.search_text = corpus_row.snippet
        lead = self.orders.layers[0] if self.orders.layers else None
        for word, weight, target in corpus_row.top_words.get(lead, []):
            label = self.labels[target] if 0 <= target < len(self.labels) else str(target)
            row.evidence += (RowWord(EvidenceWord(word, weight, 1, 0), label),)
        return row

    def _row_labels(self, indices: Sequence[int]) -> tuple[RowLabel, ...]:
        return tuple(RowLabel(k, self.labels[k] if 0 <= k < len(self.labels) else str(k)) for k in indices)

    def _every_map(self, doc: "DocumentExplanation") -> list[tuple[str, list[tuple[int, list["Heatmap"]]]]]:
        """The maps of a sample's all-maps page: (layer, [(target, maps by variant)]) in the settings' orders,
        the first interpolation of each."""
        layers = []
        for layer in self.orders.layers:
            rows = []
            for target in targets_of(doc):
                maps = [h for variant in self.orders.variants
                        if (h := self.orders.pick(doc, layer, target, variant)) is not None]
                if maps:
                    rows.append((target, maps))
            if rows:
                layers.append((layer, rows))
        return layers

    def _interpolation_maps(self, doc: "DocumentExplanation", main: "Heatmap | None") -> list["Heatmap"]:
        """The lead map's variant at a stretched layer under each interpolation kind; [] when fewer than two."""
        stretched = self._stretched_layer(doc, main)
        if main is None or stretched is None or len(self.orders.interpolations) < 2:
            return []
        maps = [h for kind in self.orders.interpolations
                if (h := self.orders.pick(doc, stretched, main.target, (main.relu, main.counterfactual), kind))
                is not None]
        return maps if len(maps) > 1 else []

    def sample(self, doc_index: int) -> dict:
        """A sample's page on the site: verdict, evidence, the lead map(s) and their word sums, notes; every
        other map is on its all-maps page (`sample_maps`), which `every_map` counts."""
        doc = self.results.documents[doc_index]
        lead = self.lead(doc_index)
        main = self.orders.lead(doc)  # the lead's first map, or the uniform map a lead without maps names
        main_panel = lead.maps[0].panel if lead is not None and lead.maps else None
        evidences = self.evidences(doc_index, lead)
        layers = self._every_map(doc)
        word = self.word_panel(doc_index, main, heatmap_caption(main)) if main else None
        # a character model's lead reads as words; its character maps are on the all-maps page
        lead_words = lead is not None and bool(lead.maps) and word is not None and is_char_level(doc.tokens)
        if lead is not None and lead_words:
            lead, word = self.word_lead(doc_index, lead), None
        return {
            "doc": doc,
            "bars": probability_bars(doc, self.labels),
            "true_text": label_names(self.labels, doc.true_labels),
            "predicted_text": predicted_text(doc, self.labels),
            "main": main_panel,
            "lead": lead,
            "word": word,
            "lead_words": lead_words,
            "lead_anchor": self._lead_anchor(doc, lead, layers) if lead_words and lead else None,
            "every_map": EveryMap(
                maps=sum(len(maps) for _, rows in layers for _, maps in rows), layers=len(layers),
                targets=len({target for _, rows in layers for target, _ in rows}),
                variants=list(dict.fromkeys(h.variant for _, rows in layers for _, maps in rows for h in maps)),
                interpolations=[h.interpolation for h in self._interpolation_maps(doc, main)]),
            "notes": sample_notes(doc),
            "threshold": doc.prediction.threshold,
            "evidence": evidences[0] if evidences else None,
            "evidences": evidences,
        }

    def sample_maps(self, doc_index: int) -> dict:
        """A sample's all-maps page: each layer's maps for every explained target and variant (one legend per
        layer when they share a scale), and the interpolation kinds compared where a layer was stretched."""
        doc = self.results.documents[doc_index]
        main = self.orders.lead(doc)
        sections = []
        for layer, rows in self._every_map(doc):
            panel_rows = [(maps[0].target_label, [self.panel(doc_index, h, heatmap_caption(h, ("variant",)))
                                                  for h in maps]) for _, maps in rows]
            sections.append(LayerSection(layer, shared_legend([p for _, panels in panel_rows for p in panels]),
                                         panel_rows))
        interpolations = [self.panel(doc_index, h, heatmap_caption(h, ("layer", "interpolation")))
                          for h in self._interpolation_maps(doc, main)]
        return {"doc": doc, "sections": sections, "interpolations": interpolations,
                "interpolation_legend": shared_legend(interpolations),
                "predicted_text": predicted_text(doc, self.labels),
                "true_text": label_names(self.labels, doc.true_labels),
                "notes": heatmap_notes(doc.heatmaps)}

    # ---- paper ----

    def group(self, doc_index: int, layer: str, maps: Sequence["Heatmap"]) -> PanelGroup:
        """A layer's chosen maps of one sample on paper, with their word sums for a character model."""
        panels, word_panels = [], []
        for h in maps:
            caption = heatmap_caption(h, ("target", "variant"))
            panels.append(self.panel(doc_index, h, caption))
            word = self.word_panel(doc_index, h, caption)
            if word is not None:
                word_panels.append(word)
        word_legend = panels_legend(word_panels[0].scale, word_panels) if word_panels else None
        return PanelGroup(layer, panels_legend(self.scales.scale(doc_index, layer), panels), panels, word_legend,
                          word_panels)

    def paper_sample(self, doc_index: int, groups: Sequence[tuple[str, Sequence["Heatmap"]]], first: bool,
                     max_bars: int) -> SampleView:
        """A sample's section on paper: the chosen maps (`groups`: layer, maps), at most `max_bars` labels."""
        doc = self.results.documents[doc_index]
        bars, hidden = top_bars(doc, self.labels, max_bars)
        lead = self.lead(doc_index)
        evidences = self.evidences(doc_index, lead, self.orders.lead(doc))
        return SampleView(
            doc=doc, anchor=sample_anchor(doc_index), first=first,
            predicted_text=predicted_text(doc, self.labels),
            predicted_short=label_names(self.labels, doc.prediction.predicted),
            true_text=label_names(self.labels, doc.true_labels), bars=bars, hidden_labels=hidden,
            threshold=doc.prediction.threshold,
            notes=sample_notes(doc, [h for _, maps in groups for h in maps]),
            groups=[self.group(doc_index, layer, maps) for layer, maps in groups],
            lead=lead, evidence=evidences[0] if evidences else None, evidences=evidences,
        )

    def paper_front(self, *, variants: Sequence[tuple[bool, bool]], over_budget: Sequence[str],
                    choice: object) -> dict:
        """What the PDF's summary, method and metrics pages show besides the results themselves."""
        results = self.results
        summary = label_summary(results)
        metrics = metrics_view(results.metrics)
        return {
            "alerts": report_alerts(results, self),
            "pdf_sections": ["summary", "method"] + (["metrics"] if metrics else [])
            + (["comparison"] if results.comparison is not None else [])
            + (["corpus"] if pdf_corpus_evidence(results) is not None else []),
            "versions": versions_table(results), "summary": summary, "per_class": per_class(summary),
            "selection": {"choice": choice, "variants_text": variants_text(variants),
                          "over_budget_ids": id_list(over_budget)},
            "metrics": metrics,
            "example": example_legend(self.levels, results.settings.palette),
            "levels": self.levels, "site_levels": LEVELS, "scale_kind": self.scales.kind,
            "score_kind": results.settings.score,
            "interpolation": ", ".join(self.orders.interpolations[:1]) or "linear",
            "settings": settings_table(results),
        }


# ---- tables -------------------------------------------------------------------------------------------

def versions_table(results: "ReportResults") -> list[tuple[str, str]]:
    return sorted(results.versions.items())


def settings_table(results: "ReportResults") -> list[tuple[str, str]]:
    def show(value: object) -> str:
        if isinstance(value, (list, tuple)):
            return ", ".join(show(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(f"{k}: {show(v)}" for k, v in sorted(value.items()))
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)
    return [(name, show(value)) for name, value in sorted(asdict(results.settings).items())]


def per_class(summary: Summary | None) -> list[dict]:
    if summary is None or summary.confusion is None:
        return []
    n = len(summary.labels)
    return [{"label": summary.labels[k], "support": sum(summary.confusion[k]),
             "predicted": sum(summary.confusion[t][k] for t in range(n)), "correct": summary.confusion[k][k]}
            for k in range(n)]


def metrics_view(metrics: "MetricsReport | None") -> dict | None:
    """The report-level faithfulness table as display strings (numbers as the site's metrics page writes
    them); None when there are no metrics."""
    if metrics is None:
        return None

    def num(value: Any) -> str:
        return "\u2013" if value is None else format_number(value, 3) if isinstance(value, float) else str(value)

    def verdict(sanity: "SanityVerdict | None", with_rho: bool = True) -> str:
        if sanity is None:
            return "not run"
        word = {True: "passed", False: "failed"}.get(sanity.passed, "no verdict")
        return word if not with_rho or sanity.mean_abs is None else f"{word} ({num(sanity.mean_abs)})"

    rows = []
    for row in metrics.layers:
        low, high = row.ci_low, row.ci_high
        rows.append({"layer": row.layer, "n": num(row.n), "mean": num(row.mean),
                     "interval": f"{num(low)} \u2026 {num(high)}" if low is not None and high is not None else "\u2013",
                     **{key: num(getattr(row, key)) for key in ("aopc", "random_aopc", "lerf_aopc",
                                                                 "comprehensiveness", "sufficiency")},
                     "sanity": verdict(row.sanity),
                     "marks": ", ".join(mark for mark in ("best", "auto") if getattr(row, mark))})
    # MetricsSettings.to_dict() always writes it; the settings stay a dict (see MetricsReport)
    confidence = metrics.settings["confidence"]
    sanity = metrics.sanity
    sanity_text = ""
    if sanity is not None:
        words = ", ".join(f"{e.layer} {verdict(e, with_rho=False)}" for e in sanity.layers)
        sanity_text = (f"{words}: a layer passes when its maps change when the model's top layers are "
                       "re-initialised, as maps that explain the model should." if any(
                           e.passed is True for e in sanity.layers) else
                       f"{words}: no layer's maps are shown to change when the model's top layers are "
                       "re-initialised; they may reflect the text more than what the model learned.")
    scored = metrics.samples
    scored_text = f"{len(scored)} samples scored" if scored else ""
    if metrics.not_evaluated:
        scored_text += f"; {metrics.not_evaluated} not evaluated (metrics.max_samples)"
    return {"layers": rows, "recommended": metrics.recommended_layer, "auto": metrics.auto_layer,
            "differs_from_auto": metrics.differs_from_auto, "separated": metrics.separated,
            "why": metrics.recommendation_note, "passes_sanity": metrics.recommended_passes_sanity,
            "confidence": f"{round(float(confidence) * 100)} %", "sanity": sanity_text, "scored": scored_text,
            "checked": sanity is not None, "notes": list(metrics.notes)}


def variants_text(variants: Sequence[tuple[bool, bool]]) -> str:
    names = [variant_name(*v) for v in variants]
    return ("variant " if len(names) == 1 else "variants ") + ", ".join(names)


def id_list(ids: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
