"""The corpus evidence page of the site and its PDF section, from fake results with corpus evidence: escaping,
links, data-roles, the chart's numbers and sides, deterministic bytes, navigation, bookmarks."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from reportgen.render.html import render_site
from tests.corpus.fakes import UNPAGED, corpus_results
from tests.fakes import make_results


class Tree(HTMLParser):
    """Every element's tag, attributes and the data-role of each ancestor with one."""

    VOID = {"meta", "link", "br", "hr", "img", "input", "line", "rect", "circle", "path"}

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.elements: list[tuple[str, dict, list[str]]] = []
        self.text: list[tuple[str, list[str]]] = []
        self.feed(source)

    def roles(self) -> list[str]:
        return [a["data-role"] for _, a in self.stack if a.get("data-role")]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs, self.roles()))
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), self.roles()))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        self.text.append((data, [t for t, _ in self.stack]))

    def within(self, role: str, tag: str | None = None) -> list[dict]:
        return [a for t, a, roles in self.elements if role in roles and (tag is None or t == tag)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    results = corpus_results()
    out = tmp_path_factory.mktemp("corpus-site")
    render_site(results, out)
    return results, out


def test_the_page_exists_and_every_page_links_to_it_only_when_there_is_evidence(site, tmp_path):
    results, out = site
    page = (out / "corpus.html").read_text()
    assert "<h1>Corpus evidence</h1>" in page
    for path in ("index.html", "model.html", "samples/abc.html"):
        nav = re.search(r'<nav aria-label="Report">(.*?)</nav>', (out / path).read_text(), re.S).group(1)
        assert 'corpus.html">Corpus</a>' in nav, path
    render_site(make_results(), tmp_path)
    assert not (tmp_path / "corpus.html").exists()
    assert "corpus.html" not in (tmp_path / "index.html").read_text()


def test_words_and_ids_are_escaped(site):
    _, out = site
    page = (out / "corpus.html").read_text()
    assert "<script" not in page  # the word <script> and the id <script>alert(1)</script> stay text
    assert "<b>" not in page  # ids of the unpaged documents: unpaged & <b>N</b>
    assert "<code>&lt;script&gt;</code>" in page
    tree = Tree(page)
    words = {a.get("data-word") for a in tree.within("corpus-evidence", "tr")}
    assert "<script>" in words  # the attribute reads back as the word
    shown = {data for data, tags in tree.text if "a" in tags}
    assert UNPAGED.format(0) in shown


def evidence_words(results, key):
    return [[w.word for w in getattr(e, key)] for e in results.corpus_evidence.labels]


def test_tables_and_shortcuts_carry_the_evidence_in_order(site):
    results, out = site
    tree = Tree((out / "corpus.html").read_text())
    tables = [a for a in tree.within("corpus-evidence", "table")]
    assert [t["data-ranking"] for t in tables] == ["toward-total", "away-total", "toward-mean", "away-mean"] * len(
        results.corpus_evidence.labels)
    rows = [a.get("data-word") for a in tree.within("corpus-evidence", "tr") if "data-word" in a]
    expected = []
    for e in sorted(results.corpus_evidence.labels, key=lambda e: e.target):  # the page groups by label
        for key in ("toward", "away", "toward_mean", "away_mean"):
            expected += [w.word for w in getattr(e, key)]
    assert rows == expected

    shortcuts = [a["data-word"] for a in tree.within("shortcuts", "li")]
    strongest: dict[str, float] = {}  # each flagged word once, by its largest |total| anywhere
    for e in results.corpus_evidence.labels:
        for key in ("toward", "away", "toward_mean", "away_mean"):
            for w in getattr(e, key):
                if w.flags:
                    strongest[w.word] = max(strongest.get(w.word, 0.0), abs(w.total))
    assert shortcuts == sorted(strongest, key=lambda k: (-strongest[k], k))
    assert {"br", "10", "paris", "<script>", "."} <= set(shortcuts)
    page = (out / "corpus.html").read_text()
    assert page.index('data-role="shortcuts"') < page.index('data-role="corpus-evidence"')


def test_example_links_reach_the_page_or_the_filtered_index(site):
    results, out = site
    tree = Tree((out / "corpus.html").read_text())
    links = [a["href"] for a in tree.within("corpus-evidence", "a")]
    paged = {doc.id for doc in results.documents}
    to_index = [unquote(h.removeprefix("index.html#q=")) for h in links if h.startswith("index.html#q=")]
    to_pages = [h for h in links if not h.startswith("index.html#")]
    assert to_index and to_pages
    assert all(doc_id not in paged and doc_id.startswith("unpaged & <b>") for doc_id in to_index)
    for href in to_pages:
        assert (out / href).is_file(), href
    examples = {e.doc_id for label in results.corpus_evidence.labels for w in label.toward for e in w.examples}
    assert examples & paged  # some example documents do have a page


def test_the_chart_draws_each_total_on_its_side_of_the_zero_line(site):
    results, out = site
    page = (out / "corpus.html").read_text()
    charts = re.findall(r'<svg class="chart corpus-chart".*?</svg>', page, re.S)
    assert len(charts) == len(results.corpus_evidence.labels)
    by_target = sorted(results.corpus_evidence.labels, key=lambda e: e.target)
    for svg, evidence in zip(charts, by_target):
        zero = float(re.search(r'<line class="zero" x1="([\d.]+)"', svg).group(1))
        groups = re.findall(r'<g class="corpus-word (toward|away)[^"]*"[^>]*data-total="([^"]+)"[^>]*>.*?'
                            r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
        assert [float(t) for d, t, _, _ in groups if d == "toward"] == pytest.approx(
            [w.total for w in evidence.toward], rel=1e-6)
        assert [float(t) for d, t, _, _ in groups if d == "away"] == pytest.approx(
            [w.total for w in evidence.away], rel=1e-6)
        for direction, _, x, width in groups:
            if direction == "toward":
                assert float(x) >= zero - 0.05
            else:
                assert float(x) + float(width) <= zero + 0.05
        # the sign without colour: headings name the side, and every bar away from the label has its dotted cue
        assert f"toward {evidence.label} \u2192" in svg and f"\u2190 away from {evidence.label}" in svg
        assert svg.count('class="cue"') == len(evidence.away)


def test_the_page_has_the_same_bytes_every_time(site, tmp_path):
    results, out = site
    again = corpus_results()
    render_site(again, tmp_path)
    assert (tmp_path / "corpus.html").read_bytes() == (out / "corpus.html").read_bytes()


@pytest.mark.slow
def test_the_pdf_has_a_bookmarked_corpus_section(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from reportgen.render.pdf import render_pdf

    results = corpus_results(n_docs=4)
    render_pdf(results, tmp_path / "r.pdf", {"layers": "all"}, None, None, workers=1)
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Corpus evidence" in titles
    children = reader.outline[reader.outline.index(next(i for i in reader.outline if not isinstance(i, list)
                                                        and i.title == "Corpus evidence")) + 1]
    expected = [f"{e.label} \u00b7 {e.layer}" for e in sorted(results.corpus_evidence.labels, key=lambda e: e.target)]
    assert [child.title for child in children] == expected
    # a page each: the PDF keeps PDF_CORPUS_WORDS words a side so that chart and table fit
    pages = [reader.get_destination_page_number(child) for child in children]
    assert pages == list(range(pages[0], pages[0] + len(pages)))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Possible shortcuts" in text and "<script>" in text


def test_a_phone_does_not_scroll_the_page_sideways(site, tmp_path):
    from tests.render.test_browser import CHROMIUM, look_at

    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    _, out = site
    probe, _ = look_at(Path(out) / "corpus.html", 390, tmp_path, height=1200)
    assert probe["clientWidth"] == 390, probe
    assert probe["scrollWidth"] <= probe["clientWidth"], probe["wide"]


def test_the_page_read_back_from_json_has_the_same_bytes(site, tmp_path):
    """explanations.json keeps 7 significant digits: a page re-rendered from it is the same page."""
    import json
    from dataclasses import asdict

    from reportgen.results import CorpusEvidence, _clean

    results, out = site
    again = corpus_results()
    again.corpus_evidence = CorpusEvidence.from_dict(json.loads(json.dumps(_clean(asdict(again.corpus_evidence)))))
    render_site(again, tmp_path)
    assert (tmp_path / "corpus.html").read_bytes() == (out / "corpus.html").read_bytes()


def test_the_pdf_shows_the_layers_it_shows_elsewhere(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from reportgen.render.pdf import render_pdf

    results = corpus_results(n_docs=3)
    render_pdf(results, tmp_path / "r.pdf", {"layers": ["encoder/lstm"]}, None, None, workers=1)
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    titles = [child.title for item in reader.outline if isinstance(item, list) for child in item]
    assert [t for t in titles if "\u00b7" in t] == ["negative \u00b7 encoder/lstm", "positive \u00b7 encoder/lstm"]


def test_label_names_are_escaped_in_headings_chart_and_links(tmp_path):
    results = corpus_results(task="multiclass", targets="all", n_extra=5)
    render_site(results, tmp_path)
    page = (tmp_path / "corpus.html").read_text()
    assert "<b>politics</b>" not in page and "&lt;b&gt;politics&lt;/b&gt;" in page
    assert 'say "sport"' not in page and "say &#34;sport&#34;" in page
    tree = Tree(page)
    headings = [data for data, tags in tree.text if tags[-1:] == ["h2"]]
    assert [h for h in headings if h in results.model.labels] == results.model.labels  # every label, in order
    assert "toward &lt;b&gt;politics&lt;/b&gt; \u2192" in page  # the chart's heading, escaped


def test_the_callout_lists_the_strongest_flagged_words_and_counts_the_rest(tmp_path):
    import numpy as np

    from reportgen.corpus import CorpusEvidenceBuilder
    from reportgen.report.corpus import PLACES_SHOWN, SHORTCUTS_SHOWN

    results = make_results(n_docs=3)
    builder = CorpusEvidenceBuilder(results.model.labels, ["conv1d", "encoder/lstm"], bootstrap=10, top=20)
    numbers = [str(k) for k in range(SHORTCUTS_SHOWN + 3)]  # every one a number: flagged
    text = " ".join(numbers)
    starts = [sum(len(m) + 1 for m in numbers[:k]) for k in range(len(numbers))]
    units = [(n, (start, start + len(n))) for n, start in zip(numbers, starts)]
    weights = np.array([float(k + 1) for k in range(len(numbers))])  # the last number is the strongest
    for d in range(3):
        for layer in ("conv1d", "encoder/lstm"):
            for target in (0, 1):
                builder.add(d, f"n{d}", text, units, layer, target, weights if target == 0 else -weights)
    results.corpus_evidence = builder.finish()
    render_site(results, tmp_path)
    page = (tmp_path / "corpus.html").read_text()
    tree = Tree(page)
    listed = [a["data-word"] for a in tree.within("shortcuts", "li")]
    assert listed == numbers[::-1][:SHORTCUTS_SHOWN]
    assert "3 more flagged words, weaker than these" in page
    first = re.search(r'<li data-word="14".*?</li>', page, re.S).group(0)
    assert first.count('href="#label-') == PLACES_SHOWN  # 4 places: 3 named
    assert "and 1 more label or layer." in first


def test_the_pdf_leaves_the_corpus_section_to_the_site_when_every_document_has_a_page(tmp_path):
    """Evidence over the samples alone is on the site's corpus page; the paper keeps its pages for them."""
    pypdf = pytest.importorskip("pypdf")
    from reportgen.render.pdf import render_pdf

    results = corpus_results(n_docs=3, n_extra=0)
    assert results.corpus.documents == len(results.documents)
    render_pdf(results, tmp_path / "r.pdf", {"layers": "all"}, None, None, workers=1)
    titles = [item.title for item in pypdf.PdfReader(tmp_path / "r.pdf").outline if not isinstance(item, list)]
    assert "Samples" in titles and "Corpus evidence" not in titles
    render_site(results, tmp_path / "site")
    assert (tmp_path / "site" / "corpus.html").exists()
