"""The static HTML site, rendered only from a ReportResults.

`render_site(results, out_dir)` plans every page (`reportgen.report.structure`), builds what each page
shows (view objects below: panels of highlighted text, probability bars, tables) and renders it through
the Jinja templates. Templates only lay things out; colours come from `report.colors`, segments from
`report.spans`. Pages link to each other and to `assets/site.css` with relative links, so the folder works
from `file://` and from any static host, and needs no JavaScript.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import jinja2
import markdown as markdown_lib
import nh3
from markupsafe import Markup, escape

import reportgen
from reportgen.output import write_text
from reportgen.report import colors
from reportgen.report.colors import Legend, Scale, ScaleBook, format_number
from reportgen.report.spans import Highlight, aggregate_words, align_weights, highlight, is_char_level
from reportgen.report.structure import Orders, Page, SitePlan, plan_site, targets_of
from reportgen.report.summary import label_summary
from reportgen.textsafe import character_name, describe_hidden, has_hidden, marker, report_markers, split_hidden

if TYPE_CHECKING:
    from reportgen.results import DocumentExplanation, Heatmap, ReportResults

CSS_PATH = "assets/site.css"
SAMPLE_METRICS_PARTIAL = "partials/sample_metrics.html"
METRICS_TEMPLATE = "metrics.html"
SNIPPET_CHARS = 90
# Markdown from a spec may link out, but must not make the page fetch anything (no images, no iframes).
_MARKDOWN_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "map", "area"}


# ---- environment -------------------------------------------------------------------------------------

def template_dir() -> Path:
    """Templates inside the installed package (wheel), else the repository's `templates/` folder."""
    packaged = Path(reportgen.__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(reportgen.__file__).resolve().parent.parent / "templates"


def make_environment(folder: str | Path | None = None) -> jinja2.Environment:
    """The one Jinja environment: autoescape for every template, undefined names are errors."""
    return _environment(str(folder or template_dir()))


@functools.lru_cache(maxsize=None)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        finalize=_visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(format_number=format_number, format_weight=colors.format_weight,
                       level_class=colors.level_class)
    env.filters["segments_html"] = segments_html
    from reportgen.report.curves import TEMPLATE_GLOBALS

    env.globals.update(TEMPLATE_GLOBALS)
    return env


def _visible(value: object) -> object:
    """Every value a template prints: hidden characters (NUL, bidi overrides, ...) as visible markers.

    A NUL is not allowed in HTML and a right-to-left override reorders the words on screen; user text
    (ids, labels, tokens, notes) reaches the page through here. Markup built by our own code (highlighted
    text, sanitised markdown) marks them itself, and is not scanned again at every level of nesting.
    """
    if isinstance(value, str) and not isinstance(value, Markup) and has_hidden(value):
        return report_markers(value)
    return value


def _text_html(text: str) -> str:
    """Escaped text; each hidden character as a code badge naming it (the text stays in reading order)."""
    if not has_hidden(text):
        return escape(text)
    out = []
    for piece, hidden in split_hidden(text):
        if hidden:
            out.append(f'<code class="hidden-char" title="{escape(character_name(piece))}">'
                       f'{marker(piece)}</code>')
        else:
            out.append(escape(piece))
    return "".join(out)


def segments_html(hl: Highlight, titles: bool = True) -> Markup:
    """The highlighted runs of a text as escaped HTML, on one line (the `highlighted` macro's inner loop).

    Built here rather than in a template loop: it is most of a report's rendering time. `titles=False` leaves
    out the hover titles (paper never shows them, and they are a third of the HTML WeasyPrint would parse).
    """
    out = []
    for segment in hl.segments:
        text = _text_html(segment.text)
        css_class = segment.css_class
        if css_class and titles:
            out.append(f'<span class="{css_class}" title="{escape(segment.title)}">{text}</span>')
        elif css_class:
            out.append(f'<span class="{css_class}">{text}</span>')
        else:
            out.append(text)
    return Markup("".join(out))


def has_template(env: jinja2.Environment, name: str) -> bool:
    try:
        env.get_template(name)
    except jinja2.TemplateNotFound:
        return False
    return True


def render_markdown(text: str) -> Markup:
    """Markdown from the spec → sanitised HTML (nh3 drops scripts, handlers, styles and images)."""
    if not text.strip():
        return Markup("")
    html = markdown_lib.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return Markup(report_markers(nh3.clean(html, tags=_MARKDOWN_TAGS)))


def site_css() -> str:
    """`templates/site.css` followed by the colour level classes (owned by `report.colors`)."""
    base = (template_dir() / "site.css").read_text(encoding="utf-8")
    return base.rstrip("\n") + "\n\n/* colour levels: generated by reportgen.report.colors */\n" + colors.level_css()


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
        return colors.legend(self.scale)

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


@dataclass
class SampleRow:
    doc: "DocumentExplanation"
    url: str
    snippet: str
    true_text: str
    predicted_text: str
    correct: bool | None
    panel: Panel | None = None


@dataclass
class PageContext:
    """What every template gets besides its own data."""

    results: "ReportResults"
    plan: SitePlan
    page: Page
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"results": self.results, "plan": self.plan, "page": self.page, "root": self.page.root,
                "nav": self.plan.nav, "css": self.page.url(CSS_PATH), "labels": self.results.model.labels,
                **self.extra}


# ---- building the views -----------------------------------------------------------------------------

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


def snippet(doc: "DocumentExplanation", limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(doc.text.split()) if doc.text else " ".join(t.text for t in doc.tokens)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def probability_bars(doc: "DocumentExplanation", labels: Sequence[str]) -> list[ProbabilityBar]:
    truth = set(doc.true_labels or [])
    bars = []
    for k, p in enumerate(doc.prediction.probabilities):
        name = labels[k] if k < len(labels) else str(k)
        bars.append(ProbabilityBar(name, float(p or 0.0), k in doc.prediction.predicted, k in truth))
    return bars


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


def heatmap_notes(doc: "DocumentExplanation") -> list[str]:
    notes: list[str] = []
    for h in doc.heatmaps:
        if h.uniform and not h.notes:
            note = (f"Layer {h.layer} has no time axis: its map gives every token the same weight, "
                    "so it says nothing about which words mattered.")
            if note not in notes:
                notes.append(note)
        for note in h.notes:
            if note not in notes:
                notes.append(note)
    return notes


class Views:
    """Builds panels and rows for one ReportResults, with scales computed once."""

    def __init__(self, results: "ReportResults", orders: Orders):
        self.results = results
        self.orders = orders
        self.scales = ScaleBook(results)
        self.labels = results.model.labels
        self.word_view = str(results.settings.get("aggregate") or "none") == "word"
        self._word_scales: ScaleBook | None = None

    def word_scales(self) -> ScaleBook:
        if self._word_scales is None:
            self._word_scales = ScaleBook(results=self.results, weights_of=self._word_weights, view="word")
        return self._word_scales

    @staticmethod
    def _word_weights(doc: "DocumentExplanation", h: "Heatmap") -> list[float | None]:
        weights = align_weights(doc.tokens, h.weights, doc.input.truncating_side)
        return aggregate_words(doc.text, doc.tokens, weights)[1]

    def panel(self, doc_index: int, h: "Heatmap", caption: str) -> Panel:
        doc = self.results.documents[doc_index]
        scale = self.scales.scale(doc_index, h.layer)
        weights = align_weights(doc.tokens, h.weights, doc.input.truncating_side)
        return Panel(h, highlight(doc.text, doc.tokens, weights, scale), scale, caption)

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

    def word_panel(self, doc_index: int, h: "Heatmap") -> Panel | None:
        doc = self.results.documents[doc_index]
        if not (self.word_view and is_char_level(doc.tokens)):
            return None
        scale = self.word_scales().scale(doc_index, h.layer)
        weights = align_weights(doc.tokens, h.weights, doc.input.truncating_side)
        tokens, word_weights = aggregate_words(doc.text, doc.tokens, weights)
        return Panel(h, highlight(doc.text, tokens, word_weights, scale), scale,
                     heatmap_caption(h) + " \u00b7 word sums", view="word")

    def sample_row(self, doc_index: int, url: str, layer: str | None = None) -> SampleRow:
        doc = self.results.documents[doc_index]
        row = SampleRow(doc, url, snippet(doc), label_names(self.labels, doc.true_labels),
                        predicted_text(doc, self.labels), doc.correct)
        if layer is not None:
            h = self.orders.main(doc, layer)
            if h is not None:
                row.panel = self.panel(doc_index, h, heatmap_caption(h, ("target", "variant")))
        return row

    def sample(self, doc_index: int) -> dict:
        doc = self.results.documents[doc_index]
        main = self.orders.main(doc)
        main_panel = self.panel(doc_index, main, heatmap_caption(main)) if main else None
        sections = []
        for layer in self.orders.layers:
            rows = []
            for target in targets_of(doc):
                panels = []
                for variant in self.orders.variants:
                    h = self.orders.pick(doc, layer, target, variant)
                    if h is not None:
                        panels.append(self.panel(doc_index, h, heatmap_caption(h, ("variant",))))
                if panels:
                    rows.append((panels[0].heatmap.target_label, panels))
            if rows:
                scales = {p.scale for _, panels in rows for p in panels}
                shared = colors.legend(rows[0][1][0].scale) if len(scales) == 1 else None
                sections.append(LayerSection(layer, shared, rows))
        interpolations = []
        stretched = self._stretched_layer(doc, main)
        if stretched is not None and len(self.orders.interpolations) > 1:
            for kind in self.orders.interpolations:
                h = self.orders.pick(doc, stretched, main.target, (main.relu, main.counterfactual), kind)
                if h is not None:
                    interpolations.append(self.panel(doc_index, h, heatmap_caption(h, ("layer", "interpolation"))))
        return {
            "doc": doc,
            "bars": probability_bars(doc, self.labels),
            "true_text": label_names(self.labels, doc.true_labels),
            "predicted_text": predicted_text(doc, self.labels),
            "main": main_panel,
            "word": self.word_panel(doc_index, main) if main else None,
            "sections": sections,
            "interpolations": interpolations if len(interpolations) > 1 else [],
            "notes": input_notes(doc) + heatmap_notes(doc),
            "threshold": doc.prediction.threshold,
        }


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
    return [(str(k), show(v)) for k, v in sorted(results.settings.items(), key=lambda kv: str(kv[0]))]


# ---- rendering --------------------------------------------------------------------------------------

def _page_data(results: "ReportResults", plan: SitePlan, page: Page, views: Views) -> tuple[str, dict]:
    docs = results.documents
    if page.kind == "index":
        rows = [views.sample_row(i, page.url(plan.sample_paths[i])) for i in range(len(docs))]
        return "index.html", {"rows": rows, "summary": label_summary(results),
                              "description": render_markdown(results.description),
                              "explained": plan.orders.layers}
    if page.kind == "model":
        return "model.html", {"versions": versions_table(results)}
    if page.kind == "method":
        example = colors.legend(Scale(1.0, "example", "example scale: max |weight| = 1"))
        return "method.html", {"settings": settings_table(results), "example": example,
                               "levels": colors.LEVELS}
    if page.kind == "metrics":
        return METRICS_TEMPLATE, {}
    if page.kind == "sample":
        assert page.doc_index is not None
        data = views.sample(page.doc_index)
        data["prev_url"] = page.url(page.prev) if page.prev else None
        data["next_url"] = page.url(page.next) if page.next else None
        data["doc_index"] = page.doc_index
        return "sample.html", data
    if page.kind == "layer":
        assert page.layer is not None
        rows = [views.sample_row(i, page.url(plan.sample_paths[i]), page.layer) for i in page.doc_indices]
        scales = {r.panel.scale for r in rows if r.panel is not None}
        shared = colors.legend(next(iter(scales))) if len(scales) == 1 else None
        parts = [(k + 1, page.url(path)) for k, path in enumerate(plan.layer_paths[page.layer])]
        info = next((layer for layer in results.model.layers if layer.path == page.layer), None)
        return "layer.html", {"rows": rows, "legend": shared, "parts": parts, "layer_info": info,
                              "prev_url": page.url(page.prev) if page.prev else None,
                              "next_url": page.url(page.next) if page.next else None}
    raise ValueError(f"unknown page kind {page.kind!r}")


def render_site(results: "ReportResults", out_dir: Path,
                progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Write every page of the site and `assets/site.css` under `out_dir`; return the files written."""
    out_dir = Path(out_dir)
    env = make_environment()
    plan = plan_site(results, with_metrics=results.metrics is not None and has_template(env, METRICS_TEMPLATE))
    views = Views(results, plan.orders)
    has_partial = has_template(env, SAMPLE_METRICS_PARTIAL)
    total = len(plan.pages) + 1
    written = [write_text(out_dir / CSS_PATH, site_css())]
    if progress:
        progress(1, total)
    for n, page in enumerate(plan.pages, start=2):
        template_name, data = _page_data(results, plan, page, views)
        data["has_sample_metrics"] = has_partial
        context = PageContext(results, plan, page, data).as_dict()
        html = env.get_template(template_name).render(context)
        written.append(write_text(out_dir / page.path, html))
        if progress:
            progress(n, total)
    return written


def render_fragment(doc: "DocumentExplanation", heatmap: "Heatmap", scale_max: float | None = None,
                    labels: Sequence[str] | None = None) -> str:
    """A self-contained HTML fragment (scoped style, legend, highlighted text) for notebooks.

    `scale_max` defaults to this map's own max |weight|; `labels` (the model's label names) lets the
    fragment name the predicted labels, which the document alone only knows by index.
    """
    if scale_max is None:
        scale = colors.heatmap_scale(heatmap)
    else:
        scale = Scale(float(scale_max), "given", "scale: max |weight| as given")
    weights = align_weights(doc.tokens, heatmap.weights, doc.input.truncating_side)
    panel = Panel(heatmap, highlight(doc.text, doc.tokens, weights, scale), scale, heatmap_caption(heatmap))
    env = make_environment()
    css = colors.level_css(scope=".reportgen-fragment")
    return env.get_template("fragment.html").render(panel=panel, doc=doc, level_css=Markup(css),
                                                    predicted=predicted_text(doc, labels or heatmap_labels(doc, heatmap)))


def heatmap_labels(doc: "DocumentExplanation", heatmap: "Heatmap") -> list[str]:
    """Label names a fragment can show without the model: the heatmap knows its own target's name only."""
    names = [str(k) for k in range(len(doc.prediction.probabilities))]
    if 0 <= heatmap.target < len(names):
        names[heatmap.target] = heatmap.target_label
    return names
