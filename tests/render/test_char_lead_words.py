"""A character model's sample page leads with word sums (issue 16: one element per character run made a
bbc-char sample page 161 KiB); the character map is one link away, on the sample's all-maps page."""

import re
from html.parser import HTMLParser

import pytest

from reportgen.render import html as site
from reportgen.report.structure import plan_site
from reportgen.report.colors import format_weight
from reportgen.report.spans import align_weights
from reportgen.report.views import Views
from tests.fakes import make_results
from tests.render.test_html import _Runs


class _Hooks(HTMLParser):
    """Every element's attributes, in order."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        self.elements.append(dict(attrs))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    results = make_results(n_docs=6, task="multiclass", level="char", aggregate="word", targets="all", seed=5,
                           nasty=False)
    out = tmp_path_factory.mktemp("site")
    site.render_site(results, out)
    return results, out, plan_site(results)


def test_the_lead_shows_each_word_as_the_sum_of_its_characters(built):
    results, out, plan = built
    views = Views(results, plan.orders)
    roles_seen = set()
    for i, doc in enumerate(results.documents):
        page = (out / plan.sample_paths[i]).read_text(encoding="utf-8")
        lead = views.lead(i)  # the character maps the lead reads (which maps: not under test)
        assert page.count('<div class="text">') == len(lead.maps)  # the word sums are the lead, not a second copy
        for lead_map in lead.maps:
            roles_seen.add(lead_map.role)
            parsed = _Runs(page[page.index(f'data-role="{lead_map.role}"'):])
            assert parsed.text == doc.text and parsed.runs
            chars = align_weights(doc.tokens, lead_map.panel.heatmap.weights, doc.input.truncating_side)
            weight = {t.span[0]: w for t, w in zip(doc.tokens, chars) if t.span is not None and w is not None}
            # words: maximal runs of non-whitespace, each weighing the sum of its characters' weights
            words = [(m.start(), m.end(), sum(weight.get(c, 0.0) for c in range(m.start(), m.end())))
                     for m in re.finditer(r"\S+", doc.text)]
            for start, end, attrs in parsed.runs:
                inside = [s for a, b, s in words if start <= a and b <= end]
                # a run starts and ends on whole words: never a piece of one
                assert inside and doc.text[start:end] == doc.text[start:end].strip(), doc.text[start:end]
                assert not any(a < start < b or a < end < b for a, b, _ in words)
                low, *high = [float(x) for x in attrs["data-w"].split()]
                assert min(inside) == pytest.approx(low, rel=1e-6, abs=1e-12)
                assert max(inside) == pytest.approx(high[0] if high else low, rel=1e-6, abs=1e-12)
                assert len(inside) == int(attrs.get("data-tokens", "1"))
                assert (low > 0) == (int(attrs["data-level"]) > 0)
    assert roles_seen == {"lead-map", "lead-map-true"}  # a wrong prediction's true-label map is summed too


def test_the_lead_links_its_character_map_on_the_all_maps_page(built):
    results, out, plan = built
    views = Views(results, plan.orders)
    for i, doc in enumerate(results.documents):
        page = (out / plan.sample_paths[i]).read_text(encoding="utf-8")
        note = page[page.index('data-role="lead-words"'):]
        href = re.search(r'<a href="([^"#]+)#([^"]+)"', note[:note.index("</p>")])
        maps_page, anchor = href.groups()
        assert (out / plan.sample_paths[i]).parent / maps_page == out / plan.maps_paths[i]
        source = (out / plan.maps_paths[i]).read_text(encoding="utf-8")
        start = source.index(f'<h3 id="{anchor}">')
        row = source[start:]
        row = row[:min(k for k in (row.find("<h3", 1), row.find("</section>")) if k > 0)]  # up to the next row
        # the row is the lead map's: its layer and label, and it shows that map's weights character by character
        h = views.lead(i).maps[0].panel.heatmap
        section = source[:start]
        assert re.findall(r"<h2>Layer <a [^>]*>([^<]*)</a>", section)[-1] == h.layer
        assert re.search(r"<h3[^>]*>Target ([^<]*)</h3>", row).group(1) == h.target_label
        shown = [w for attrs in _Hooks(row).elements for w in attrs.get("data-w", "").split()]
        assert shown and set(shown) <= {format_weight(w) for g in doc.heatmaps if g.layer == h.layer
                                        and g.target == h.target for w in g.weights if w is not None}


def test_word_sums_lead_only_character_models(tmp_path):
    # a word model's lead is its own tokens; a character report without word sums keeps its character lead
    for name, results in (("word", make_results(n_docs=2, seed=3, nasty=False)),
                          ("plain", make_results(n_docs=2, level="char", aggregate="none", seed=3, nasty=False))):
        site.render_site(results, tmp_path / name)
        page = (tmp_path / name / plan_site(results).sample_paths[0]).read_text(encoding="utf-8")
        assert 'data-role="lead-map"' in page and 'data-role="lead-words"' not in page
