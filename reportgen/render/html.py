"""The static HTML site, rendered only from a ReportResults.

`render_site(results, out_dir)` plans every page (`reportgen.report.structure`), takes what each page
shows from `reportgen.report.views` (panels of highlighted text, probability bars, tables) and renders it
through the Jinja templates. Templates only lay things out; colours come from `report.colors`, segments from
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
from reportgen.render.charts import TEMPLATE_GLOBALS as CHART_GLOBALS
from reportgen.render.corpus_chart import TEMPLATE_GLOBALS as CORPUS_GLOBALS
from reportgen.render.curves import TEMPLATE_GLOBALS
from reportgen.render.evidence_chart import TEMPLATE_GLOBALS as EVIDENCE_GLOBALS
from reportgen.report import colors
from reportgen.report.alerts import report_alerts
from reportgen.report.colors import Scale, format_number, format_weight
from reportgen.report.corpus import corpus_evidence_of, corpus_view
from reportgen.report.spans import Highlight
from reportgen.report.structure import NavItem, Page, SitePlan, plan_site
from reportgen.report.summary import label_summary
from reportgen.report.views import (Views, example_legend, heatmap_caption, heatmap_labels, make_panel,
                                    predicted_text, settings_table, shared_legend, versions_table)
from reportgen.textsafe import character_name, has_hidden, marker, report_markers, split_hidden

if TYPE_CHECKING:
    from reportgen.results import DocumentExplanation, Heatmap, ReportResults

CSS_PATH = "assets/site.css"
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
                       level_class=colors.level_class, palette=colors.palette,
                       negative_cue=colors.NEGATIVE_CUE_WORDS)
    env.filters["segments_html"] = segments_html
    env.globals["token_attributes"] = token_attributes
    env.globals.update(TEMPLATE_GLOBALS)
    env.globals.update(EVIDENCE_GLOBALS)
    env.globals.update(CHART_GLOBALS)
    env.globals.update(CORPUS_GLOBALS)
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


def segments_html(hl: Highlight, heatmap: "Heatmap | None" = None, titles: bool = True) -> Markup:
    """The highlighted runs of a text as escaped HTML, on one line (the `highlighted` macro's inner loop).

    Built here rather than in a template loop: it is most of a report's rendering time. `titles=False` leaves
    out the accessibility attributes (paper shows none, and they are a third of the HTML WeasyPrint would
    parse). A run of neighbouring tokens of one level is one element on every medium (`report.spans`); level-0
    text is plain text. Each run carries the hooks users script against, on paper too: `data-level`, its signed
    level; `data-w`, its weight, or its smallest and largest weight space-separated when they differ;
    `data-tokens`, how many tokens it holds, when more than one. On the site a run is a `<mark>` (text
    highlighted for reference), coloured through its `data-level`, one stop for Tab, and says what it means
    (as `token_attributes` describes: '+0.12 to +0.3 toward positive, 4 tokens'); `heatmap`, the map the
    highlight reads, names the label it explains. Nothing else: a run's bytes are most of a character-level
    page, so no class repeating `data-level`, no `role` the element has already, no `title` saying what the
    description says (site.css shows the description in a bubble on hover as on focus). On paper a run is a
    `<span>` with its level class: WeasyPrint matches class selectors by index, attribute selectors one by one.
    """
    label, counterfactual = (heatmap.target_label, heatmap.counterfactual) if heatmap is not None else (None, False)
    out = []
    append = out.append
    for segment in hl.segments:
        level = segment.level
        if not level:
            append(_text_html(segment.text))
            continue
        low, high = segment.low, segment.high
        weights = format_weight(low) if high == low else f"{format_weight(low)} {format_weight(high)}"
        tokens = f' data-tokens="{segment.tokens}"' if segment.tokens > 1 else ""
        if titles:
            append(f'<mark data-level="{level}" data-w="{weights}"{tokens} tabindex="0" '
                   f'aria-description="{escape(segment.description(label, counterfactual))}">'
                   f'{_text_html(segment.text)}</mark>')
        else:
            append(f'<span class="{segment.css_class}" data-level="{level}" data-w="{weights}"{tokens}>'
                   f'{_text_html(segment.text)}</span>')
    return Markup("".join(out))


def _site_attributes(description: str) -> str:
    return f' tabindex="0" role="mark" aria-description="{escape(description)}"'


def token_attributes(description: str) -> Markup:
    """A highlighted run's (or chip's) keyboard and screen-reader attributes (site only).

    `tabindex="0"`: Tab walks the highlighted runs, and a tap focuses one, so touch screens (no hover) get the
    description too: site.css shows `aria-description` in a bubble on `:focus` (and on `:hover`), beside a focus
    ring. `role="mark"` (HTML's <mark>: text highlighted for reference) and `aria-description`, rather than:
    aria-label, which ARIA prohibits on a span without a role and on a mark, and which, where a screen reader
    honours it, replaces the word (it would read "+0.32 toward positive" instead of "superb"); aria-describedby,
    which needs an element with an id per token (thousands on a long page); visually hidden text, which a
    sighted reader would copy with the sentence. aria-description (ARIA 1.3; Chromium and Firefox expose it as
    the accessible description) is announced after the word when it gets focus, and a screen reader reading
    the text aloud reads the words as written, as a sighted reader sees and copies them.
    """
    return Markup(_site_attributes(description))


def render_markdown(text: str) -> Markup:
    """Markdown from the spec → sanitised HTML (nh3 drops scripts, handlers, styles and images)."""
    if not text.strip():
        return Markup("")
    html = markdown_lib.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return Markup(report_markers(nh3.clean(html, tags=_MARKDOWN_TAGS)))


def stylesheet(name: str, palette: str | None = None, negative_cue: str = colors.NEGATIVE_CUE) -> str:
    """A stylesheet of `templates/` followed by the colour level classes (owned by `report.colors`)."""
    base = (template_dir() / name).read_text(encoding="utf-8")
    return (base.rstrip("\n") + "\n\n/* colour levels: generated by reportgen.report.colors */\n"
            + colors.level_css(palette_name=palette, negative_cue=negative_cue))


def site_css(palette: str | None = None) -> str:
    return stylesheet("site.css", palette)


# ---- pages ------------------------------------------------------------------------------------------

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


# Rows of the index table shown at a time (its script pages through the rest; without it every row shows)
TABLE_PAGE_ROWS = 100


# ---- rendering --------------------------------------------------------------------------------------

def _page_data(results: "ReportResults", plan: SitePlan, page: Page, views: Views) -> tuple[str, dict]:
    docs = results.documents
    if page.kind == "index":
        rows = views.table_rows([page.url(path) for path in plan.sample_paths])
        return "index.html", {"rows": rows, "page_size": TABLE_PAGE_ROWS, "summary": label_summary(results),
                              "description": render_markdown(results.description),
                              "explained": plan.orders.layers}
    if page.kind == "model":
        return "model.html", {"versions": versions_table(results)}
    if page.kind == "method":
        return "method.html", {"settings": settings_table(results),
                               "example": example_legend(palette=results.settings.palette),
                               "levels": colors.LEVELS}
    if page.kind == "metrics":
        return "metrics.html", {}
    if page.kind == "corpus":
        pages = {doc.id: plan.sample_paths[i] for i, doc in enumerate(docs)}
        return "corpus.html", {"view": corpus_view(corpus_evidence_of(results), pages)}
    if page.kind == "sample":
        assert page.doc_index is not None
        data = views.sample(page.doc_index)
        data["prev_url"] = page.url(page.prev) if page.prev else None
        data["next_url"] = page.url(page.next) if page.next else None
        data["doc_index"] = page.doc_index
        maps_path = plan.maps_paths[page.doc_index]
        data["maps_url"] = page.url(maps_path) if maps_path else None
        return "sample.html", data
    if page.kind == "maps":
        assert page.doc_index is not None
        data = views.sample_maps(page.doc_index)
        data["prev_url"] = page.url(page.prev) if page.prev else None
        data["next_url"] = page.url(page.next) if page.next else None
        data["sample_url"] = page.url(plan.sample_paths[page.doc_index])
        return "maps.html", data
    if page.kind == "layer":
        assert page.layer is not None
        rows = [views.sample_row(i, page.url(plan.sample_paths[i]), page.layer) for i in page.doc_indices]
        shared = shared_legend([r.panel for r in rows if r.panel is not None])
        parts = [(k + 1, page.url(path)) for k, path in enumerate(plan.layer_paths[page.layer])]
        info = next((layer for layer in results.model.layers if layer.path == page.layer), None)
        return "layer.html", {"rows": rows, "legend": shared, "parts": parts, "layer_info": info,
                              "prev_url": page.url(page.prev) if page.prev else None,
                              "next_url": page.url(page.next) if page.next else None}
    raise ValueError(f"unknown page kind {page.kind!r}")


def add_corpus_page(plan: SitePlan) -> None:
    """The corpus evidence page, after the overview pages, and in the navigation after Metrics (or Method)."""
    overview = sum(1 for p in plan.pages if p.kind in ("index", "model", "method", "metrics"))
    plan.pages.insert(overview, Page("corpus", "corpus.html", "Corpus evidence"))
    after = max(k for k, item in enumerate(plan.nav) if item.kind in ("index", "model", "method", "metrics"))
    plan.nav.insert(after + 1, NavItem("Corpus", "corpus.html", "corpus"))


def site_plan(results: "ReportResults") -> SitePlan:
    """The pages `render_site` writes, in its order (the comparison pages come after these)."""
    plan = plan_site(results, with_metrics=results.metrics is not None)
    if corpus_view(corpus_evidence_of(results)) is not None:
        add_corpus_page(plan)
    return plan


def render_site(results: "ReportResults", out_dir: Path,
                progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Write every page of the site and `assets/site.css` under `out_dir`; return the files written."""
    out_dir = Path(out_dir)
    env = make_environment()
    plan = site_plan(results)
    views = Views(results, plan.orders)
    total = len(plan.pages) + 1
    alerts = report_alerts(results, views)  # the sample pages read the same lead maps
    written = [write_text(out_dir / CSS_PATH, site_css(results.settings.palette))]
    if progress:
        progress(1, total)
    for n, page in enumerate(plan.pages, start=2):
        template_name, data = _page_data(results, plan, page, views)
        if page.kind == "index":
            data["alerts"] = alerts
        context = PageContext(results, plan, page, data).as_dict()
        html = env.get_template(template_name).render(context)
        written.append(write_text(out_dir / page.path, html))
        if progress:
            progress(n, total)
    if results.comparison is not None:  # the candidate against its baselines (compare: in the spec)
        from reportgen.report.comparison import comparison_pages

        for page, template_name, data in comparison_pages(results, plan, views):
            html = env.get_template(template_name).render(PageContext(results, plan, page, data).as_dict())
            written.append(write_text(out_dir / page.path, html))
    return written


def _fragment(doc: "DocumentExplanation", heatmap: "Heatmap", scale_max: float | None,
              labels: Sequence[str] | None) -> dict:
    """What `fragment.html` shows of one map: its panel and the predicted labels' names."""
    if scale_max is None:
        scale = colors.heatmap_scale(heatmap)
    else:
        scale = Scale(float(scale_max), "given", "scale: max |weight| as given")
    return {"panel": make_panel(doc, heatmap, scale, heatmap_caption(heatmap)),
            "predicted": predicted_text(doc, labels or heatmap_labels(doc, heatmap))}


def _fragment_css() -> Markup:
    return Markup(colors.level_css(scope=".reportgen-fragment"))


def render_fragment(doc: "DocumentExplanation", heatmap: "Heatmap", scale_max: float | None = None,
                    labels: Sequence[str] | None = None) -> str:
    """A self-contained HTML fragment (scoped style, legend, highlighted text) for notebooks.

    `scale_max` defaults to this map's own max |weight|; `labels` (the model's label names) lets the
    fragment name the predicted labels, which the document alone only knows by index.
    """
    return make_environment().get_template("fragment.html").render(
        doc=doc, level_css=_fragment_css(), **_fragment(doc, heatmap, scale_max, labels))


def render_explanation_page(doc: "DocumentExplanation", labels: Sequence[str], scale_max: float,
                            title: str) -> str:
    """A minimal self-contained page (`reportgen explain --html`): the fragment of every map, on one scale."""
    fragments = [_fragment(doc, h, scale_max or None, list(labels)) for h in doc.heatmaps]
    return make_environment().get_template("explanation.html").render(
        doc=doc, level_css=_fragment_css(), fragments=fragments, title=title)
