"""Which pages the site has, their file names, titles, navigation and previous/next links.

Planned in full before anything is rendered, so every link points at a page that will exist. Also decides
the order of layers, targets and variants, and which one is "main" (shown first and on overview pages):
the first layer in the settings' order; the document's first predicted label among its explained targets
(else its first target: a report explaining every label leads with the one the model chose); the first
variant and interpolation in the settings. A sample page's lead map (`Orders.lead`) is the signed map of the
metrics' recommended layer (the first layer without metrics).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    from reportgen.results import DocumentExplanation, Heatmap, ReportResults

T = TypeVar("T")

LAYER_PAGE_SIZE = 50  # samples per layer page: a page with every sample of a big report would not open fast
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
# Names Windows will not create, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_name(name: str, taken: set[str], max_length: int = 60) -> str:
    """A file-name stem for any id: lower-case `[a-z0-9._-]`, unique within `taken` (updated), deterministic.

    An id that is already safe keeps its name; anything else (slashes, spaces, `<`, case: "A" and "a" would
    clash on case-insensitive disks) gets a short hash of the exact id appended.
    """
    slug = _UNSAFE.sub("-", name.lower()).strip("-.")[:max_length].rstrip("-.") or "item"
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()
    stem = slug
    if slug != name or slug in _RESERVED or slug in taken:
        stem = f"{slug}-{digest[:8]}"
    extra = 8
    while stem in taken:  # hash prefix collision, or an earlier id whose slug looked like this one
        extra += 4
        stem = f"{slug}-{digest[:extra]}" if extra <= 40 else f"{slug}-{digest}-{len(taken)}"
    taken.add(stem)
    return stem


def relative_url(from_path: str, to_path: str) -> str:
    """A relative link from one site file to another (both relative to the site root, with `/`)."""
    base = posixpath.dirname(from_path) or "."
    return posixpath.relpath(to_path, base)


def root_prefix(path: str) -> str:
    """`""` for a page at the site root, `"../"` one folder down, and so on."""
    return "../" * path.count("/")


# ---- order and choice of layers, targets, variants ------------------------------------------------------

def _seen(results: "ReportResults", value: Callable[["Heatmap"], T]) -> list[T]:
    """The distinct values of `value(heatmap)` over every heatmap, in order of first appearance."""
    seen: list[T] = []
    for doc in results.documents:
        for h in doc.heatmaps:
            if value(h) not in seen:
                seen.append(value(h))
    return seen


def layer_order(results: "ReportResults") -> list[str]:
    """Explained layers: settings order first, then model order, then order of appearance."""
    present = _seen(results, lambda h: h.layer)
    ranked = [str(x) for x in results.settings.layers]
    ranked += [layer.path for layer in results.model.layers]
    position = {name: i for i, name in reversed(list(enumerate(ranked)))}
    return sorted(present, key=lambda name: (position.get(name, len(ranked)), present.index(name)))


def variant_order(results: "ReportResults") -> list[tuple[bool, bool]]:
    """(relu, counterfactual) pairs: the settings' lists in their order, then any others seen."""
    relus = [bool(x) for x in results.settings.relu]
    counters = [bool(x) for x in results.settings.counterfactual]
    wanted = [(r, c) for c in (counters or [False, True]) for r in (relus or [True, False])]
    seen = _seen(results, lambda h: (h.relu, h.counterfactual))
    return [v for v in wanted if v in seen] + [v for v in seen if v not in wanted]


def interpolation_order(results: "ReportResults") -> list[str]:
    seen = _seen(results, lambda h: h.interpolation)
    wanted = [str(x) for x in results.settings.interpolation]
    return [k for k in wanted if k in seen] + [k for k in seen if k not in wanted]


def targets_of(doc: "DocumentExplanation") -> list[int]:
    """The document's explained targets in the order the engine produced them."""
    out: list[int] = []
    for h in doc.heatmaps:
        if h.target not in out:
            out.append(h.target)
    return out


def main_target(doc: "DocumentExplanation", targets: list[int]) -> int:
    """The first predicted label that was explained, else the first explained target."""
    for k in doc.prediction.predicted:
        if k in targets:
            return k
    return targets[0]


def field_of(record: Any, name: str, default: Any = None) -> Any:
    """A field of the metrics record, whether it is a typed record (attribute) or a plain dict (key)."""
    if record is None:
        return default
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def lead_layer(results: "ReportResults", layers: list[str]) -> str | None:
    """The layer a sample page leads with: the metrics' `recommended_layer` when the report has metrics and
    that layer was explained, else the first explained layer (`auto`)."""
    recommended = field_of(results.metrics, "recommended_layer")
    if recommended is not None and str(recommended) in layers:
        return str(recommended)
    return layers[0] if layers else None


@dataclass(frozen=True)
class Orders:
    layers: list[str]
    variants: list[tuple[bool, bool]]
    interpolations: list[str]
    lead_layer: str | None = None  # None: the first of `layers`

    @classmethod
    def of(cls, results: "ReportResults") -> "Orders":
        layers = layer_order(results)
        return cls(layers, variant_order(results), interpolation_order(results), lead_layer(results, layers))

    def lead(self, doc: "DocumentExplanation", target: int | None = None) -> "Heatmap | None":
        """The lead map of a sample: the lead layer (else the first layer the document has maps of), the
        given target (default: the main target), its signed map (relu off, not counterfactual) when the
        document has one, else the first variant it has; the first interpolation."""
        names = [self.lead_layer] if self.lead_layer is not None else []
        for name in names + [layer for layer in self.layers if layer not in names]:
            targets = [h.target for h in doc.heatmaps if h.layer == name]
            if not targets:
                continue
            chosen = main_target(doc, targets) if target is None else target
            if chosen not in targets:
                return None
            return self.pick(doc, name, chosen, (False, False)) or self.pick(doc, name, chosen)
        return None

    def pick(self, doc: "DocumentExplanation", layer: str, target: int, variant: tuple[bool, bool] | None = None,
             interpolation: str | None = None) -> "Heatmap | None":
        """The heatmap for (layer, target, variant, interpolation); unset ones take the first available."""
        candidates = [h for h in doc.heatmaps if h.layer == layer and h.target == target]
        if variant is not None:
            candidates = [h for h in candidates if (h.relu, h.counterfactual) == variant]
        if interpolation is not None:
            candidates = [h for h in candidates if h.interpolation == interpolation]
        if not candidates:
            return None
        return min(candidates, key=lambda h: (self._rank(self.variants, (h.relu, h.counterfactual)),
                                              self._rank(self.interpolations, h.interpolation)))

    @staticmethod
    def _rank(order: list[Any], item: Any) -> int:
        return order.index(item) if item in order else len(order)

    def main(self, doc: "DocumentExplanation", layer: str | None = None) -> "Heatmap | None":
        """The map overview pages show for a document: main (or given) layer, main target, first variant."""
        layers = [layer] if layer is not None else self.layers
        for name in layers:
            targets = [h.target for h in doc.heatmaps if h.layer == name]
            if targets:
                return self.pick(doc, name, main_target(doc, targets))
        return None


# ---- pages ------------------------------------------------------------------------------------------

@dataclass
class Page:
    kind: str  # index / model / method / metrics / sample / maps (a sample's every map) / layer
    path: str  # relative to the site root, with "/"
    title: str
    doc_index: int | None = None
    layer: str | None = None
    part: int = 1  # layer pages are split in parts of LAYER_PAGE_SIZE samples
    parts: int = 1
    doc_indices: list[int] = field(default_factory=list)
    prev: str | None = None  # path of the previous page of the same kind
    next: str | None = None

    @property
    def root(self) -> str:
        return root_prefix(self.path)

    def url(self, to_path: str) -> str:
        return relative_url(self.path, to_path)


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str
    kind: str


@dataclass
class SitePlan:
    pages: list[Page]
    orders: Orders
    sample_paths: list[str]  # by document index
    layer_paths: dict[str, list[str]]  # layer → its page paths (parts)
    nav: list[NavItem]
    # by document index: the page of every map of that sample (`samples/maps/<its sample page's stem>.html`),
    # None for a document without maps
    maps_paths: list[str | None] = field(default_factory=list)

    def pages_of(self, kind: str) -> list[Page]:
        return [p for p in self.pages if p.kind == kind]


def _link_sequence(pages: list[Page]) -> None:
    for before, after in zip(pages, pages[1:]):
        before.next = after.path
        after.prev = before.path


def plan_site(results: "ReportResults", with_metrics: bool = False) -> SitePlan:
    """Every page of the site, in writing order: overview pages, samples, the samples' every-map pages, layers."""
    orders = Orders.of(results)
    pages = [Page("index", "index.html", results.title),
             Page("model", "model.html", f"Model {results.model.name}"),
             Page("method", "method.html", "How to read this report")]
    if with_metrics:
        pages.append(Page("metrics", "metrics.html", "Faithfulness metrics"))

    taken: set[str] = set()
    sample_pages = []
    maps_pages = []
    maps_paths: list[str | None] = []
    for i, doc in enumerate(results.documents):
        stem = safe_name(doc.id, taken)
        sample_pages.append(Page("sample", f"samples/{stem}.html", f"Sample {doc.id}", doc_index=i))
        # every layer x target x variant map has its own page: inlined on the sample page, a character model's
        # 30 copies of an article made it megabytes. Named after the sample page's stem, in a folder of its
        # own, so its name is as safe and as unique as the sample's, and `samples/*.html` are the samples
        if doc.heatmaps:
            maps_pages.append(Page("maps", f"samples/maps/{stem}.html", f"All maps of sample {doc.id}",
                                   doc_index=i))
        maps_paths.append(maps_pages[-1].path if doc.heatmaps else None)
    _link_sequence(sample_pages)
    _link_sequence(maps_pages)

    taken = set()
    layer_pages: list[Page] = []
    layer_paths: dict[str, list[str]] = {}
    for layer in orders.layers:
        stem = safe_name(layer, taken)
        indices = [i for i, doc in enumerate(results.documents) if any(h.layer == layer for h in doc.heatmaps)]
        chunks = [indices[k:k + LAYER_PAGE_SIZE] for k in range(0, len(indices), LAYER_PAGE_SIZE)] or [[]]
        parts = []
        for part, chunk in enumerate(chunks, start=1):
            part_stem = stem if part == 1 else safe_name(f"{stem}.{part}", taken)
            title = f"Layer {layer}" + (f" ({part}/{len(chunks)})" if len(chunks) > 1 else "")
            parts.append(Page("layer", f"layers/{part_stem}.html", title, layer=layer, part=part,
                              parts=len(chunks), doc_indices=chunk))
        _link_sequence(parts)
        layer_paths[layer] = [p.path for p in parts]
        layer_pages += parts

    nav = [NavItem("Overview", "index.html", "index"), NavItem("Model", "model.html", "model"),
           NavItem("Method", "method.html", "method")]
    if with_metrics:
        nav.append(NavItem("Metrics", "metrics.html", "metrics"))
    nav += [NavItem(f"Layer {layer}", layer_paths[layer][0], "layer") for layer in orders.layers]
    return SitePlan(pages + sample_pages + maps_pages + layer_pages, orders, [p.path for p in sample_pages],
                    layer_paths, nav, maps_paths)
