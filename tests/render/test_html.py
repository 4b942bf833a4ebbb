"""The static site: escaping, links, determinism, atomic writes, page contents and the notebook fragment."""

from __future__ import annotations

import html
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import pytest

from reportgen.output import AtomicOutput
from reportgen.render import html as site
from reportgen.report import structure
from reportgen.report.structure import plan_site, safe_name
from reportgen.report.summary import label_summary
from reportgen.results import (DocumentExplanation, InputInfo, LayerInfo, ModelInfo, Prediction, ReportResults,
                               ReportSettings)
from tests.fakes import NASTY_IDS, json_round_trip, make_results
from tests.render.test_browser import check_scripts


class Page(HTMLParser):
    """Links, class names, and the text of every `div.text` (a highlighted document) of one page."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.classes: list[str] = []
        self.titles: list[str] = []
        self.descriptions: list[str] = []
        self.ids: set[str] = set()
        self.texts: list[str] = []
        self.h1 = ""
        self._depth = 0  # inside a div.text: nesting depth
        self._in_h1 = False
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src"):
            if attrs.get(key) is not None:
                self.links.append(attrs[key])
        self.classes += (attrs.get("class") or "").split()
        if attrs.get("title") is not None:
            self.titles.append(attrs["title"])
        if attrs.get("aria-description") is not None:
            self.descriptions.append(attrs["aria-description"])
        if attrs.get("id") is not None:
            self.ids.add(attrs["id"])
        if self._depth:
            self._depth += 1
        elif tag == "div" and attrs.get("class") == "text":
            self._depth = 1
            self.texts.append("")
        self._in_h1 = self._in_h1 or tag == "h1"

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._depth:
            self.texts[-1] += data
        if self._in_h1:
            self.h1 += data


@pytest.fixture(scope="module")
def results():
    return make_results(n_docs=7, task="multiclass", seed=11, targets="all", counterfactual=(False, True),
                        interpolation=("linear", "nearest"), uniform_layer=True)


@pytest.fixture(scope="module")
def built(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    calls = []
    paths = site.render_site(results, out, progress=lambda done, total: calls.append((done, total)))
    return out, paths, calls


def pages_of(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.html"))}


def test_files_produced(built, results):
    out, paths, calls = built
    names = sorted(p.relative_to(out).as_posix() for p in paths)
    assert names == sorted(str(p.relative_to(out).as_posix()) for p in out.rglob("*") if p.is_file())
    assert {"index.html", "model.html", "method.html", "assets/site.css", "layers/conv1d.html"} <= set(names)
    assert len([n for n in names if re.fullmatch(r"samples/[^/]+\.html", n)]) == len(results.documents)
    # a page of every map per sample that has maps, named after its sample page
    assert sorted(n for n in names if n.startswith("samples/maps/")) == sorted(
        f"samples/maps/{PurePosixPath(path).name}" for doc, path in zip(results.documents, plan_site(results).sample_paths)
        if doc.heatmaps)
    assert len([n for n in names if n.startswith("layers/")]) == 3  # conv1d, encoder/lstm, pool
    assert "metrics.html" not in names  # results.metrics is None
    assert calls[-1] == (len(paths), len(paths)) and [c[0] for c in calls] == list(range(1, len(paths) + 1))


def test_user_text_is_escaped_everywhere(built):
    out, _, _ = built
    for name, source in pages_of(out).items():
        check_scripts(source, name == "index.html")
        assert "<b>" not in source and "<i>" not in source, name
        assert "onerror" not in source.lower(), name
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index  # the id and the text show as text
    assert "&lt;b&gt;politics&lt;/b&gt;" in index  # a label
    assert "Synthetic &lt;report&gt; &amp; &#34;tests&#34;" in index  # the title


def test_ids_read_back_as_text(built, results):
    out, _, _ = built
    plan = plan_site(results)
    for doc, path in zip(results.documents, plan.sample_paths):
        page = Page((out / path).read_text(encoding="utf-8"))
        assert page.h1.strip() == f"Sample {doc.id}"


def test_markdown_description_is_rendered_and_sanitised(built):
    index = (built[0] / "index.html").read_text(encoding="utf-8")
    assert "<strong>renderer tests</strong>" in index
    assert "<li>seeded</li>" in index
    assert "<img" not in index and "alert('desc')" not in index
    assert 'href="https://example.org"' in index


def test_every_link_is_relative_and_resolves(built):
    out, _, _ = built
    for name, source in pages_of(out).items():
        for link in Page(source).links:
            if link == "https://example.org":  # the description's own link, allowed to point out
                assert name == "index.html"
                continue
            assert not re.match(r"^[a-z]+:|^/", link), (name, link)
            if link.startswith("#"):  # a part of the same page (the all-maps page's contents)
                assert link[1:] in Page(source).ids, (name, link)
                continue
            target = (out / PurePosixPath(name).parent / link.split("#")[0]).resolve()
            assert target.is_file(), (name, link)
            assert out.resolve() in target.parents


def test_no_external_fetches_or_opacity(built):
    out, _, _ = built
    css = (out / "assets" / "site.css").read_text(encoding="utf-8")
    assert "opacity" not in css and "@import" not in css and "url(" not in css
    # each level class paints its custom property, which holds an opaque #rrggbb
    assert '.wp8,mark[data-level="8"]{background-color:var(--level-p8)}' in css
    assert '.wn1,mark[data-level="-1"]{background-color:var(--level-n1)}' in css
    assert re.search(r"--level-p8:#[0-9a-f]{6}[;}]", css) and re.search(r"--level-n1:#[0-9a-f]{6}[;}]", css)
    for name, source in pages_of(out).items():
        assert "<link rel=\"stylesheet\"" in source and "http://" not in source.replace(
            'xmlns="http://www.w3.org/2000/svg"', "")
        check_scripts(source, name == "index.html")
        assert "@font-face" not in source


def test_a_legend_with_numbers_on_every_page_with_highlights(built, results):
    out, _, _ = built
    for name, source in pages_of(out).items():
        page = Page(source)
        if any(re.fullmatch(r"w[pn][1-8]", c) for c in page.classes if page.texts):
            assert "legend" in page.classes or "legend-compact" in page.classes, name
    # the sample page's lead legend shows the document's own robust maximum, computed here by hand: the 95th
    # percentile of |w| over the signed (relu off) conv1d maps it shows (the predicted label's, and on a wrong
    # prediction the first true label that was not predicted); signed maps use both halves
    import numpy as np

    plan = plan_site(results)
    checked = 0
    for doc, path in zip(results.documents, plan.sample_paths):
        if doc.input.truncated:
            continue
        signed = {h.target: h for h in doc.heatmaps if h.layer == "conv1d" and not h.relu and not h.counterfactual
                  and h.interpolation == "linear"}
        shown_targets = [next(k for k in doc.prediction.predicted + sorted(signed) if k in signed)]
        missed = [k for k in doc.true_labels or [] if k not in doc.prediction.predicted and k in signed]
        if doc.correct is False and missed:
            shown_targets.append(missed[0])
        weights = [abs(w) for k in shown_targets for w in signed[k].weights[:len(doc.tokens)] if w is not None]
        robust = float(np.percentile(weights, 95))
        source = html.unescape((out / path).read_text(encoding="utf-8"))
        lead = source[source.index('<section class="main-map">'):]
        main_legend = lead[lead.index('<figure class="legend">'):]
        main_legend = main_legend[:main_legend.index("</figure>")]
        shown = f"{robust:.3g}"
        assert f"\u2212{shown} … 0 … +{shown}" in main_legend, path
        assert f"95th percentile of |weight| in this document = {shown}" in main_legend
        checked += 1
    assert checked >= 3


def test_highlighted_text_is_the_original_text(built, results):
    out, _, _ = built
    plan = plan_site(results)
    for doc, path in zip(results.documents, plan.sample_paths):
        page = Page((out / path).read_text(encoding="utf-8"))
        assert page.texts, path
        assert all(text == doc.text for text in page.texts)


def test_hover_bubbles_carry_the_weights_to_three_digits(built, results):
    """What hover and focus show (the description, site.css's bubble) starts with a weight of the document's
    maps, to 3 significant digits as the evidence chart prints weights (the exact weight is the run's data-w)."""
    out, _, _ = built
    doc = results.documents[1]
    weights = [w for h in doc.heatmaps for w in h.weights]
    plan = plan_site(results)
    for path in (plan.sample_paths[1], plan.maps_paths[1]):
        page = Page((out / path).read_text(encoding="utf-8"))
        singles = [d.split()[0] for d in page.descriptions if re.match(r"[+\u2212]\d[\d.e+-]* (toward|away)", d)]
        assert singles, path
        for weight in singles:
            told = float(weight.replace("\u2212", "-"))
            assert any(told == float(f"{w:.3g}") for w in weights), weight


def test_sample_page_shows_prediction_truth_and_all_probabilities(built, results):
    out, _, _ = built
    plan = plan_site(results)
    doc = results.documents[3]
    source = (out / plan.sample_paths[3]).read_text(encoding="utf-8")
    labels = results.model.labels
    assert source.count("<svg ") == len(labels) + 1  # a probability bar per label, and the evidence chart
    for p in doc.prediction.probabilities:
        assert f">{p:.3f}<" in source
    k = doc.prediction.predicted[0]
    assert f"{labels[k]} ({doc.prediction.probabilities[k]:.3f})" in html.unescape(source)
    if doc.true_labels:
        assert f"badge-true\">{html.escape(labels[doc.true_labels[0]])}<" in source.replace("&#34;", "&quot;")
    assert "Padded:" in source or "Truncated:" in source
    # every map and the interpolation comparison are on the sample's all-maps page
    assert "Interpolation kinds compared" not in source and 'class="layer-section"' not in source
    maps = (out / plan.maps_paths[3]).read_text(encoding="utf-8")
    assert "Interpolation kinds compared" in maps
    assert maps.count('class="layer-section"') == 3
    assert "uniform map" in maps  # the pool layer has no time axis


def test_prev_next_links_follow_document_order(built, results):
    out, _, _ = built
    plan = plan_site(results)
    paths = plan.sample_paths
    first = Page((out / paths[0]).read_text(encoding="utf-8")).links
    middle = Page((out / paths[1]).read_text(encoding="utf-8")).links
    last = Page((out / paths[-1]).read_text(encoding="utf-8")).links
    rel = lambda a, b: structure.relative_url(a, b)  # noqa: E731
    assert rel(paths[1], paths[0]) == PurePosixPath(paths[0]).name
    assert rel(paths[0], paths[1]) in first and rel(paths[0], paths[-1]) not in first
    assert rel(paths[1], paths[0]) in middle and rel(paths[1], paths[2]) in middle
    assert rel(paths[-1], paths[-2]) in last


def test_same_input_gives_byte_identical_files(results, tmp_path):
    site.render_site(results, tmp_path / "a")
    # also through the JSON contract: a report re-rendered from explanations.json is the same
    site.render_site(json_round_trip(results), tmp_path / "b")
    a, b = tmp_path / "a", tmp_path / "b"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_a_failure_midway_keeps_the_previous_site(results, tmp_path, monkeypatch):
    target = tmp_path / "report"
    with AtomicOutput(target) as out:
        site.render_site(results, out)
    before = {p: p.read_bytes() for p in sorted(target.rglob("*")) if p.is_file()}
    real_write = site.write_text
    calls = []

    def failing_write(path, text):
        calls.append(path)
        if len(calls) == 6:
            raise RuntimeError("disk full")
        return real_write(path, text)

    monkeypatch.setattr(site, "write_text", failing_write)
    changed = make_results(n_docs=4, seed=99)
    with pytest.raises(RuntimeError, match="disk full"):
        with AtomicOutput(target) as out:
            site.render_site(changed, out)
    assert len(calls) == 6
    assert {p: p.read_bytes() for p in sorted(target.rglob("*")) if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_safe_file_names():
    ids = ["17", "a/b", "a b", "Abc", "abc", "<x>", "con", "...", "17"]
    taken: set[str] = set()
    names = [safe_name(x, taken) for x in ids]
    assert names[0] == "17" and names[4] == "abc"  # safe ids keep their name
    assert names[3].startswith("abc-") and names[1].startswith("a-b-") and names[2].startswith("a-b-")
    assert len(set(names)) == len(names)  # "17" twice still gets two files
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9._-]*", n) for n in names)
    assert names[6] != "con" and names[7].startswith("item-")
    again: set[str] = set()
    assert [safe_name(x, again) for x in ids] == names  # deterministic
    assert len(safe_name("x" * 500, set())) <= 60 + 9


def test_sample_file_names_for_nasty_ids(results):
    plan = plan_site(results)
    assert len(set(plan.sample_paths)) == len(results.documents)
    assert plan.sample_paths[3] != plan.sample_paths[2]  # "Abc" and "abc"
    assert plan.sample_paths[3] == "samples/abc.html"
    assert [d.id for d in results.documents[:5]] == NASTY_IDS


def test_layer_pages_are_split_into_parts(monkeypatch, tmp_path):
    monkeypatch.setattr(structure, "LAYER_PAGE_SIZE", 3)
    results = make_results(n_docs=7, seed=2, layers=("conv1d",), nasty=False)
    site.render_site(results, tmp_path)
    plan = plan_site(results)
    parts = plan.layer_paths["conv1d"]
    assert parts[0] == "layers/conv1d.html" and len(parts) == 3
    assert sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "layers").iterdir()) == sorted(parts)
    rows = [(tmp_path / p).read_text(encoding="utf-8").count('class="layer-row"') for p in parts]
    assert rows == [3, 3, 1]
    first = (tmp_path / parts[0]).read_text(encoding="utf-8")
    assert "(part 1 of 3)" in first
    assert f'href="{PurePosixPath(parts[1]).name}"' in first and f'href="{PurePosixPath(parts[2]).name}"' in first


def _labelled(task, pairs, labels):
    docs = []
    for i, (true, predicted) in enumerate(pairs):
        probs = [0.9 if k in predicted else 0.1 for k in range(len(labels))]
        docs.append(DocumentExplanation(str(i), "x", [], Prediction(probs, predicted), [], InputInfo(1), true))
    model = ModelInfo("m", "m.keras", task, labels, "ids", None, [], "softmax")
    return ReportResults("t", model, docs, ReportSettings())


def test_confusion_matrix_by_hand():
    pairs = [([0], [0]), ([0], [1]), ([1], [1]), ([2], [1]), ([2], [2]), (None, [0])]
    summary = label_summary(_labelled("multiclass", pairs, ["a", "b", "c"]))
    assert summary.confusion == [[1, 1, 0], [0, 1, 0], [0, 1, 1]]
    assert (summary.correct, summary.labelled, summary.total) == (3, 5, 6)
    assert summary.accuracy == pytest.approx(0.6)


def test_multilabel_summary_by_hand():
    pairs = [([0, 1], [0, 1]), ([0], [0, 2]), ([1], []), ([], [])]
    summary = label_summary(_labelled("multilabel", pairs, ["a", "b", "c"]))
    assert summary.correct == 2  # exact matches: first and last
    a, b, c = summary.per_label
    assert (a.tp, a.fp, a.fn) == (2, 0, 0) and a.precision == 1.0
    assert (b.tp, b.fp, b.fn) == (1, 0, 1) and b.recall == 0.5
    assert (c.tp, c.fp, c.fn) == (0, 1, 0) and c.precision == 0.0 and c.recall is None
    assert label_summary(_labelled("multiclass", [(None, [0])], ["a"])) is None


def test_index_shows_the_confusion_matrix(tmp_path):
    results = make_results(n_docs=9, task="binary", seed=4, nasty=False, labels_given=1.0)
    site.render_site(results, tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    correct = sum(1 for d in results.documents if d.true_labels == d.prediction.predicted)
    assert f"Accuracy on these samples: <strong>{correct} of 9</strong>" in index
    cells = re.findall(r'<td class="num(?: diagonal)?">(\d+)</td>', index)
    assert sum(map(int, cells)) == 9


def test_multilabel_site_and_threshold(tmp_path):
    results = make_results(n_docs=4, task="multilabel", seed=8)
    site.render_site(results, tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Exact match" in index and "Precision" in index
    sample = next((tmp_path / "samples").iterdir()).read_text(encoding="utf-8")
    assert "decision threshold (0.5)" in sample


def test_character_documents_get_word_sums(tmp_path):
    results = make_results(n_docs=3, level="char", aggregate="word", seed=6, nasty=False)
    site.render_site(results, tmp_path)
    page = (tmp_path / "samples" / "0.html").read_text(encoding="utf-8")
    assert "Word sums" in page
    parsed = Page(page)
    assert all(t == results.documents[0].text for t in parsed.texts)
    plain = make_results(n_docs=2, level="char", aggregate="none", seed=6, nasty=False)
    site.render_site(plain, tmp_path / "plain")
    assert "Word sums" not in (tmp_path / "plain" / "samples" / "0.html").read_text(encoding="utf-8")


def test_document_scale_gives_each_row_its_own_legend(tmp_path):
    results = make_results(n_docs=3, scale="document", seed=1, nasty=False, layers=("conv1d",))
    site.render_site(results, tmp_path)
    layer = (tmp_path / "layers" / "conv1d.html").read_text(encoding="utf-8")
    assert layer.count('class="legend-compact"') == 3
    import numpy as np

    for doc in results.documents:
        # the document's robust maximum, by hand: numpy's 95th percentile of |w| over every token of its maps
        pooled = [abs(w) for h in doc.heatmaps for w in h.weights if w is not None and math.isfinite(w)]
        top = float(np.percentile(pooled, 95))
        assert top < max(pooled)  # the percentile, not the plain maximum, is the legend's top
        assert f"+{top:.3g}" in layer
        assert f"95th percentile of |weight| over all maps of this sample = {top:.3g}" in layer


def test_metrics_page_and_partial_when_the_results_have_metrics(tmp_path, monkeypatch):
    templates = tmp_path / "templates"
    shutil.copytree(site.template_dir(), templates)
    (templates / "metrics.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Metrics</h1><p>AOPC {{ results.metrics.aopc }}</p>'
        "{% endblock %}", encoding="utf-8")
    (templates / "partials").mkdir(exist_ok=True)
    (templates / "partials" / "sample_metrics.html").write_text(
        "<p class=\"m\">deletion {{ doc.metrics.deletion }}</p>", encoding="utf-8")
    monkeypatch.setattr(site, "template_dir", lambda: templates)
    results = make_results(n_docs=2, seed=3, nasty=False)
    results.metrics = {"aopc": 0.25}
    results.documents[0].metrics = {"deletion": "<0.5>"}
    out = tmp_path / "out"
    site.render_site(results, out)
    assert "AOPC 0.25" in (out / "metrics.html").read_text(encoding="utf-8")
    assert 'href="metrics.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert 'href="../metrics.html"' in (out / "samples" / "1.html").read_text(encoding="utf-8")
    assert "deletion &lt;0.5&gt;" in (out / "samples" / "0.html").read_text(encoding="utf-8")
    assert 'class="m"' not in (out / "samples" / "1.html").read_text(encoding="utf-8")  # no metrics there

    results.metrics = None
    site.render_site(results, tmp_path / "without")
    assert not (tmp_path / "without" / "metrics.html").exists()
    assert "metrics.html" not in (tmp_path / "without" / "index.html").read_text(encoding="utf-8")


def test_templates_are_strict_and_autoescaped():
    env = site.make_environment()
    assert env.autoescape is True
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ missing }}").render()
    assert env.from_string("{{ x }}").render(x="<a href='x'>&") == "&lt;a href=&#39;x&#39;&gt;&amp;"


def test_render_fragment_for_notebooks(results):
    doc = results.documents[0]
    heatmap = doc.heatmaps[1]
    fragment = site.render_fragment(doc, heatmap, labels=results.model.labels)
    assert fragment.startswith("<div class=\"reportgen-fragment\">")
    assert '.reportgen-fragment .wp8,.reportgen-fragment mark[data-level="8"]{background-color:' in fragment
    assert 'class="legend"' in fragment and "<script" not in fragment.lower()
    assert Page(fragment).texts == [doc.text]
    top = max(abs(w) for w in heatmap.weights)
    assert f"+{top:.3g}" in fragment
    halved = site.render_fragment(doc, heatmap, scale_max=2 * top)
    assert f"+{2 * top:.3g}" in halved
    levels = lambda s: {int(x) for x in re.findall(r'<mark data-level="(-?\d)"', s)}  # noqa: E731
    assert max(levels(fragment)) == 8  # the map's own maximum is the top level
    assert max(levels(halved)) == 4  # on twice the scale it reaches half way: 0.5 * 8


def test_site_css_comes_from_the_template_folder():
    css = site.site_css()
    assert css.startswith((site.template_dir() / "site.css").read_text(encoding="utf-8").rstrip("\n"))
    assert css.endswith("}\n")
    assert len(re.findall(r'\.wp\d,mark\[data-level="\d"\]\{background-color:', css)) == 8
    assert len(re.findall(r'\.wn\d,mark\[data-level="-\d"\]\{background-color:', css)) == 8


def test_a_small_report_without_labels_or_heatmaps(tmp_path):
    doc = DocumentExplanation("only", "", [], Prediction([0.3, 0.7], [1]), [], InputInfo(0))
    model = ModelInfo("m", "m.keras", "binary", ["no", "yes"],
                      "ids", None, [LayerInfo("dense", 0, "Dense", [None, 2], False)], "sigmoid")
    files = site.render_site(ReportResults("Empty", model, [doc], ReportSettings()), tmp_path)
    assert len(files) == 5  # css, index, model, method, one sample
    assert "No heatmap was computed" in (tmp_path / "samples" / "only.html").read_text(encoding="utf-8")


def test_main_map_explains_the_predicted_label(built, results):
    out, _, _ = built
    plan = plan_site(results)
    for doc, path in zip(results.documents, plan.sample_paths):
        source = html.unescape((out / path).read_text(encoding="utf-8"))
        main = source.split('<section class="main-map">')[1].split("</section>")[0]
        predicted = results.model.labels[doc.prediction.predicted[0]]
        # plain words, the palette's hues named, the signed map's both sides; no metrics: the first layer
        assert (f"Words pushing toward <strong>{predicted}</strong> (blue) and away from it (orange) — layer conv1d"
                in main)
        assert "relu" not in main.split('data-role="lead-map"')[0].split("</figure>", 1)[1]


def test_the_explanation_page_holds_the_fragment_of_every_map(results):
    import dataclasses

    doc = results.documents[2]
    labels = results.model.labels
    page = site.render_explanation_page(doc, labels, 0.5, title="m<1>.keras: explanation")
    fragments = [site.render_fragment(doc, h, 0.5, labels=labels) for h in doc.heatmaps]
    assert len(fragments) > 1
    assert page == ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                    "<title>m&lt;1&gt;.keras: explanation</title>\n</head>\n<body>\n"
                    + "\n".join(fragments) + "\n</body>\n</html>\n")
    # a scale of 0 (every weight 0): each map on its own scale, as a fragment without one
    assert site.render_explanation_page(doc, labels, 0.0, "t").count(site.render_fragment(doc, doc.heatmaps[0],
                                                                                          labels=labels)) == 1
    empty = dataclasses.replace(doc, heatmaps=[])
    assert "<body>\n\n</body>" in site.render_explanation_page(empty, labels, 0.0, "t")


def test_interpolation_comparison_uses_a_layer_that_was_stretched(tmp_path):
    """A layer at the input's own resolution looks the same under every kind; compare where it matters."""
    from reportgen.results import DocumentExplanation, Heatmap, InputInfo, ModelInfo, Prediction, ReportResults, ReportSettings, Token

    text = "abcdef"
    tokens = [Token(c, (i, i + 1), i + 1) for i, c in enumerate(text)]

    def heatmap(layer, kind, resolution, weights):
        return Heatmap(layer=layer, target=0, target_label="a", score_kind="logit", score=1.0, relu=False,
                       counterfactual=False, normalize_gradients=False, interpolation=kind,
                       interpolation_used=kind, weights=weights, layer_resolution=resolution)

    maps = [heatmap("emb", k, 6, [0.1] * 6) for k in ("linear", "nearest")]
    maps += [heatmap("conv", "linear", 3, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
             heatmap("conv", "nearest", 3, [0.0, 0.0, 0.5, 0.5, 1.0, 1.0])]
    doc = DocumentExplanation(id="d", text=text, tokens=tokens, prediction=Prediction([0.9, 0.1], [0]),
                              heatmaps=maps, input=InputInfo(length=6))
    model = ModelInfo(name="m", path="m.keras", task="multiclass", labels=["a", "b"], input_kind="ids",
                      input_length=6, layers=[], output_activation="softmax")
    results = ReportResults(title="t", model=model, documents=[doc],
                            settings=ReportSettings(layers=["emb", "conv"], interpolation=["linear", "nearest"],
                                                    scale="document"))
    site.render_site(results, tmp_path)
    page = (tmp_path / "samples" / "maps" / "d.html").read_text(encoding="utf-8")
    section = page[page.index('<section class="interpolations"'):]
    section = section[:section.index("</section>")]
    assert "conv" in section and "emb" not in section


class _Runs(HTMLParser):
    """The text of the first `.text` block after `start`, and each highlighted run's character range and hooks."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.runs: list[tuple[int, int, dict]] = []
        self._depth = 0  # open elements inside the block; -1: the block is over
        self._open: list[tuple[int, dict] | None] = []
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._depth > 0:
            self._depth += 1
            self._open.append((len(self.text), attrs) if "data-level" in attrs else None)
        elif self._depth == 0 and tag == "div" and attrs.get("class") == "text":
            self._depth = 1

    def handle_endtag(self, tag):
        if self._depth > 0:
            self._depth -= 1
            if self._depth == 0:
                self._depth = -1
            elif (top := self._open.pop()) is not None:
                self.runs.append((top[0], len(self.text), top[1]))

    def handle_data(self, data):
        if self._depth > 0:
            self.text += data


def test_every_highlighted_run_on_the_site_holds_its_tokens_weights(tmp_path):
    # the hooks users script against, now that neighbouring tokens of one level share an element: data-level
    # (the level of every token in it), data-w (the smallest and largest of their weights, one number when
    # they are equal) and data-tokens (how many weighted tokens, when more than one); level-0 text is plain
    from reportgen.report.spans import align_weights
    from reportgen.report.views import Views

    results = make_results(n_docs=3, seed=4, nasty=False)
    site.render_site(results, tmp_path)
    plan = plan_site(results)
    views = Views(results, plan.orders)
    merged = 0
    for i, doc in enumerate(results.documents):
        page = (tmp_path / plan.sample_paths[i]).read_text(encoding="utf-8")
        parsed = _Runs(page[page.index('data-role="lead-map"'):])
        assert parsed.text == doc.text and parsed.runs
        panel = views.lead(i).maps[0].panel  # the map and scale the lead reads (which map: not under test)
        weights = align_weights(doc.tokens, panel.heatmap.weights, doc.input.truncating_side)
        placed = [(t.span, w) for t, w in zip(doc.tokens, weights) if t.span is not None and t.span[1] > t.span[0]]
        for start, end, attrs in parsed.runs:
            level = int(attrs["data-level"])
            low, *high = [float(x) for x in attrs["data-w"].split()]
            high = high[0] if high else low
            inside = [w for (a, b), w in placed if start <= a and b <= end and w is not None]
            assert len(inside) == int(attrs.get("data-tokens", "1")) and low <= high
            assert min(inside) == pytest.approx(low, rel=1e-6) and max(inside) == pytest.approx(high, rel=1e-6)
            assert all(panel.scale.level(w) == level != 0 for w in inside), (attrs, inside)
            merged += len(inside) > 1
        # every weighted token outside the runs is plain: level 0
        covered = [(a, b) for a, b, _ in parsed.runs]
        for (a, b), w in placed:
            if not any(s <= a and b <= e for s, e in covered):
                assert panel.scale.level(w) == 0, (doc.text[a:b], w)
        # neighbouring runs, with nothing or only unweighted text between them, differ in level
        for (_, e1, a1), (s2, _, a2) in zip(parsed.runs, parsed.runs[1:]):
            if not any(w is not None for (a, b), w in placed if e1 <= a and b <= s2):
                assert a1["data-level"] != a2["data-level"]
    assert merged  # runs of several tokens were checked, not only single ones


