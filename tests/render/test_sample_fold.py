"""The sample page keeps the verdict, the evidence and the lead map, and links a page of its every map (issue 15,
item 5; issue 16: inlined, a character model's 30 maps made a sample page megabytes)."""

from __future__ import annotations

import dataclasses
import html
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import PurePosixPath

import pytest

from reportgen.render import html as site
from reportgen.report import structure
from reportgen.report.structure import plan_site
from tests.fakes import make_results


class Panels(HTMLParser):
    """Each `figure.panel`'s caption text and the text of its highlighted block, plus every link."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.panels: list[dict] = []
        self.links: list[str] = []
        self.roles: list[str] = []
        self._in = None  # "caption" / "text" / None
        self._depth = 0
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("data-role"):
            self.roles.append(attrs["data-role"])
        if tag == "figure" and "panel" in (attrs.get("class") or "").split():
            self.panels.append({"caption": "", "weights": []})
        elif self.panels and tag == "figcaption" and not self.panels[-1]["caption"]:
            self._in = "caption"
        if self.panels and attrs.get("data-w"):
            self.panels[-1]["weights"] += attrs["data-w"].split()

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in = None

    def handle_data(self, data):
        if self._in == "caption":
            self.panels[-1]["caption"] += data


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    results = make_results(n_docs=4, task="multiclass", seed=11, targets="all", counterfactual=(False, True),
                           interpolation=("linear", "nearest"))
    out = tmp_path_factory.mktemp("site")
    site.render_site(results, out)
    return results, out, plan_site(results)


def test_the_sample_page_shows_the_lead_only_and_links_every_map(built):
    results, out, plan = built
    for doc, path, maps in zip(results.documents, plan.sample_paths, plan.maps_paths):
        source = (out / path).read_text(encoding="utf-8")
        page = Panels(source)
        # no grid, no fold: the highlighted texts are the lead map(s) and, for a character model, their word sums
        assert "<details" not in source and 'class="layer-section"' not in source
        assert "Interpolation kinds compared" not in source
        lead_maps = page.roles.count("lead-map") + page.roles.count("lead-map-true")
        assert lead_maps in (1, 2)
        assert source.count('<div class="text">') == lead_maps
        for hook in ("lead-map", "evidence"):
            assert hook in page.roles
        # it links its own all-maps page, which links back; relative links, so they work from file://
        assert maps == f"samples/maps/{PurePosixPath(path).name}"
        assert structure.relative_url(path, maps) in page.links
        back = Panels((out / maps).read_text(encoding="utf-8"))
        assert structure.relative_url(maps, path) in back.links
        assert all(not re.match(r"^[a-z]+:|^/", link) for link in page.links + back.links)


def test_every_map_of_a_document_appears_exactly_once_on_its_maps_page(built):
    results, out, plan = built
    for doc, maps in zip(results.documents, plan.maps_paths):
        source = (out / maps).read_text(encoding="utf-8")
        grid = source[:source.index('<section class="interpolations"')]  # the comparison repeats one map, by design
        panels = Panels(grid).panels
        # the document's own maps at the first interpolation (the grid's), one per (layer, target, variant)
        expected = Counter((h.layer, h.target_label, h.variant) for h in doc.heatmaps if h.interpolation == "linear")
        assert len(panels) == sum(expected.values())
        shown = Counter()
        sections = re.split(r'<section class="layer-section"', grid)[1:]
        for section in sections:
            layer = html.unescape(re.search(r"<h2>Layer <a [^>]*>([^<]*)</a>", section).group(1))
            for row in re.split(r'<div class="target-row">', section)[1:]:
                target = html.unescape(re.search(r"<h3[^>]*>Target ([^<]*)</h3>", row).group(1))
                for panel in Panels(row).panels:
                    variant = panel["caption"].split(" \u00b7 ")[0].strip()
                    shown[(layer, target, variant)] += 1
                    # the panel shows that map's weights, not another's
                    h = next(h for h in doc.heatmaps if (h.layer, h.target_label, h.variant, h.interpolation)
                             == (layer, target, variant, "linear"))
                    own = {f"{w:+.7g}" for w in h.weights if w is not None}
                    assert set(panel["weights"]) <= own, (layer, target, variant)
        assert shown == expected
        # the interpolation comparison: the lead map's layer under each kind, closed to no reader
        comparison = source[source.index('<section class="interpolations"'):]
        assert "linear, nearest" in comparison[:comparison.index("</h2>")]
        assert len(Panels(comparison).panels) == 2


def test_maps_pages_follow_the_samples_with_their_own_prev_next(built):
    results, out, plan = built
    maps = [p for p in plan.pages if p.kind == "maps"]
    assert [p.path for p in maps] == [m for m in plan.maps_paths if m]
    for before, after in zip(maps, maps[1:]):
        assert before.next == after.path and after.prev == before.path
        source = (out / before.path).read_text(encoding="utf-8")
        assert f'rel="next" href="{html.escape(before.url(after.path))}"' in source
    assert maps[0].prev is None and maps[-1].next is None


def test_maps_paths_are_safe_and_distinct_for_any_id():
    ids = ["a/b", "a-b", 'q"uote', "<script>", "A", "a", "x.html", "con", "maps", "s/maps/x", "..", "x-maps"]
    made = make_results(n_docs=len(ids), seed=5)
    results = dataclasses.replace(made, documents=[dataclasses.replace(d, id=i) for d, i in zip(made.documents, ids)])
    plan = plan_site(results)
    paths = [p for p in plan.maps_paths if p]
    assert len(paths) == len(ids) and len({p.lower() for p in paths}) == len(ids)
    for path in paths + plan.sample_paths:
        assert re.fullmatch(r"samples/(maps/)?[a-z0-9][a-z0-9._-]*\.html", path), path
    assert not set(paths) & set(plan.sample_paths)


@pytest.mark.slow
def test_the_maps_page_fits_a_phone(built, tmp_path):
    from tests.render import test_browser

    if test_browser.CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    results, out, plan = built
    probe, _ = test_browser.look_at(out / plan.maps_paths[0], 390, tmp_path, height=1200)
    assert probe["scrollWidth"] <= probe["clientWidth"], probe["wide"]  # no sideways scrolling at 390 px
