"""report.pdf: contents, bookmarks, page numbers, budget, attachments, metadata, determinism, chunking, fetching.

Expectations come from the synthetic results themselves (ids, labels, hand-computed scale maxima) and from
the PDF read back with pypdf, never from the renderer's own intermediate values.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
import shutil
import subprocess

import pytest

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")

from reportgen.errors import BuildError  # noqa: E402
from reportgen.render import pdf as pdf_module  # noqa: E402
from reportgen.render.pdf import AssetFetcher, FetchRefused, render_pdf  # noqa: E402
from reportgen.results import MetricsReport  # noqa: E402
from tests.fakes import make_results  # noqa: E402

SPEC_TEXT = "version: 1\ntitle: Synthetic report\n# ünïcode — kept byte for byte\n"
MINUS = "\u2212"


def small_results(**overrides):
    options = dict(n_docs=5, words=(25, 70), seed=3, max_length=None)
    options.update(overrides)
    return make_results(**options)


def outline(reader) -> list[tuple[int, str, int]]:
    """(depth, title, 0-based page) for every bookmark, in order."""
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def page_texts(reader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One small report rendered as one document (default for a report this size)."""
    folder = tmp_path_factory.mktemp("pdf")
    results = small_results()
    results.author = "Model Review Board"
    json_path = folder / "explanations.json"
    json_path.write_bytes(b'{"made": "by the test", "bytes": "\\u00e9"}\n')
    summary = render_pdf(results, folder / "report.pdf", {"layers": "all", "variants": "all"}, SPEC_TEXT, json_path)
    data = (folder / "report.pdf").read_bytes()
    return results, summary, data, json_path


@pytest.fixture(scope="module")
def built_reader(built):
    return pypdf.PdfReader(io.BytesIO(built[2]))


def test_every_section_and_sample_is_a_bookmark_on_its_page(built, built_reader):
    results, summary, _, _ = built
    marks = outline(built_reader)
    titles = [t for _, t, _ in marks]
    assert titles[:4] == ["Contents", "Summary", "How to read this report", "Samples"]
    samples = [(d, t, p) for d, t, p in marks if t.startswith("Sample ")]
    assert [t for _, t, _ in samples] == [f"Sample {doc.id}" for doc in results.documents]
    assert all(depth == 1 for depth, _, _ in samples)  # nested under "Samples"
    texts = page_texts(built_reader)
    for _, title, page in samples:
        # the bookmark's page is the one whose body starts with that sample's heading
        assert texts[page].lstrip().startswith(title), (title, texts[page][:80])
        assert title not in texts[page - 1].split("\n")[0]
    assert summary.samples == [doc.id for doc in results.documents]


def test_contents_page_numbers_match_the_bookmarks(built_reader):
    marks = {title: page for _, title, page in outline(built_reader)}
    contents = page_texts(built_reader)[marks["Contents"]]
    for title, page in marks.items():
        if title in ("Contents", "Samples"):
            continue
        name = title.removeprefix("Sample ")
        # "name · label · correct . . . . 7": the number after the leader dots is the printed page
        line = next(line for line in contents.split("\n") if line.startswith(name))
        assert re.search(r"\.\s*(\d+)\s*$", line).group(1) == str(page + 1), line


def test_footer_says_page_x_of_y_and_header_names_the_section(built, built_reader):
    results = built[0]
    texts = page_texts(built_reader)
    n = len(texts)
    assert f"page 1 of {n}" not in texts[0]  # the cover has no footer
    for i, text in enumerate(texts[1:], start=2):
        assert text.rstrip().endswith(f"page {i} of {n}"), text[-60:]
    sample_pages = {page: title for _, title, page in outline(built_reader) if title.startswith("Sample ")}
    for page, title in sample_pages.items():
        assert f"{results.title} {title}" in texts[page]


@pytest.mark.parametrize("chunk_pages", [None, 1], ids=["one document", "chunks"])
def test_headings_in_the_description_never_become_the_running_header(tmp_path, chunk_pages):
    results = dataclasses.replace(small_results(n_docs=2, words=(10, 20)),
                                  description="# Hijacked heading\n\nAbout the model.\n\n## Another one\n\nMore.")
    render_pdf(results, tmp_path / "r.pdf", {}, None, None, workers=1, chunk_pages=chunk_pages)
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    texts = page_texts(reader)
    assert "Hijacked heading" in texts[0] and "Another one" in texts[0]  # still shown on the cover
    for page, text in enumerate(texts[1:], start=1):
        assert "Hijacked heading" not in text and "Another one" not in text, (page, text[-120:])
        # the running header is the last line but the footer: "<title> <section>"
        header = text.rstrip().split("\n")[-2]
        assert header.startswith(results.title), (page, header)
    assert [t for _, t, _ in outline(reader)][:3] == ["Contents", "Summary", "How to read this report"]


def test_sample_pages_show_labels_probabilities_and_legend_numbers(built, built_reader):
    results = built[0]
    labels = results.model.labels
    texts = page_texts(built_reader)
    starts = sorted((page, title) for _, title, page in outline(built_reader) if title.startswith("Sample "))
    bounds = [p for p, _ in starts] + [len(texts)]
    # scale "layer": one robust maximum per layer, numpy's 95th percentile of |weight| over every token of
    # every document's maps of that layer
    import numpy as np

    pooled = {}
    for doc in results.documents:
        for h in doc.heatmaps:
            pooled.setdefault(h.layer, []).extend(abs(w) for w in h.weights if w is not None and math.isfinite(w))
    maxima = {layer: float(np.percentile(values, 95)) for layer, values in pooled.items()}
    for (start, title), end in zip(starts, bounds[1:]):
        doc = next(d for d in results.documents if f"Sample {d.id}" == title)
        text = "\n".join(texts[start:end])
        k = doc.prediction.predicted[0]
        assert f"Predicted: {labels[k]} ({doc.prediction.probabilities[k]:.3f})" in text
        if doc.true_labels is not None:
            assert f"True: {labels[doc.true_labels[0]]}" in text
        for label, p in zip(labels, doc.prediction.probabilities):
            assert f"{label}\n" in text or f"{label} " in text
            assert f"{p:.3f}" in text
        for layer, top in maxima.items():
            assert f"Layer {layer}" in text
            # four levels per sign: centres at ±top/4, ±top/2, ±3top/4, ±top, two significant digits
            for q in (1, 2, 3, 4):
                centre = f"{q * top / 4:.2g}"
                assert f"+{centre}" in text and f"{MINUS}{centre}" in text, (layer, centre)


def test_spec_and_explanations_are_attached_byte_for_byte(built, built_reader):
    _, _, _, json_path = built
    attachments = built_reader.attachments
    assert sorted(attachments) == ["explanations.json", "spec.yaml"]
    assert attachments["spec.yaml"] == [SPEC_TEXT.encode("utf-8")]
    assert attachments["explanations.json"] == [json_path.read_bytes()]


def test_metadata_comes_from_the_results_and_never_the_clock(built, built_reader):
    results = built[0]
    info = built_reader.metadata
    assert info.title == results.title
    assert info.author == "Model Review Board"
    assert results.model.name in info.subject and results.dataset in info.subject
    assert "Grad-CAM" in info["/Keywords"] and "conv1d" in info["/Keywords"]
    assert info["/CreationDate"].startswith("D:20260101") and info["/ModDate"].startswith("D:20260101")


def test_the_whole_text_is_searchable(built, built_reader):
    results = built[0]
    everything = "\n".join(page_texts(built_reader))
    for doc in results.documents:
        first_words = " ".join(doc.text.split()[:3])
        assert first_words in " ".join(everything.split()), doc.id


def test_page_budget_cuts_samples_and_says_so(tmp_path):
    results = small_results(n_docs=6, words=(120, 160))
    summary = render_pdf(results, tmp_path / "r.pdf", {"layers": "all", "variants": "all", "max_pages": 8},
                         None, None)
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    assert len(reader.pages) <= 8
    assert summary.over_budget, "6 long samples with 4 maps each cannot fit 8 pages"
    kept = [t.removeprefix("Sample ") for _, t, _ in outline(reader) if t.startswith("Sample ")]
    assert kept == summary.samples
    assert set(kept).isdisjoint(summary.over_budget)
    assert len(kept) + len(summary.over_budget) == 6
    summary_page = page_texts(reader)[dict((t, p) for _, t, p in outline(reader))["Summary"]]
    flat = " ".join(summary_page.split())
    assert f"This PDF shows {len(kept)} of the report's 6 samples" in flat
    n = len(summary.over_budget)
    assert f"{n} selected sample{'s were' if n != 1 else ' was'} left out" in flat
    assert "max_pages = 8" in flat
    assert summary.over_budget[0] in flat


def test_selection_of_layers_variants_and_samples(tmp_path):
    results = small_results(n_docs=4)
    picked = [results.documents[2].id, results.documents[0].id]
    render_pdf(results, tmp_path / "a.pdf", {"layers": ["encoder/lstm"], "variants": "main", "samples": picked},
               None, None)
    reader = pypdf.PdfReader(tmp_path / "a.pdf")
    text = "\n".join(page_texts(reader))
    assert [t for _, t, _ in outline(reader) if t.startswith("Sample ")] == [f"Sample {i}" for i in picked]
    assert "Layer encoder/lstm" in text and "Layer conv1d" not in text
    assert "· relu" in text and "· signed" not in text  # the first variant of relu: [true, false]
    with pytest.raises(BuildError, match="output.pdf.layers"):
        render_pdf(results, tmp_path / "b.pdf", {"layers": ["dense"]}, None, None)
    with pytest.raises(BuildError, match="output.pdf.samples"):
        render_pdf(results, tmp_path / "b.pdf", {"samples": ["no such id"]}, None, None)
    assert not (tmp_path / "b.pdf").exists()


def test_plan_resolves_layers_like_the_engine_and_keeps_report_order():
    from reportgen.render.pdf_plan import PdfOptions, plan_pdf

    results = small_results(n_docs=6, words=(10, 20))  # explained: conv1d (model index 1), encoder/lstm
    first4 = [d.id for d in results.documents[:4]]  # a number would pick errors first (test_pdf_samples.py)
    plan = plan_pdf(results, PdfOptions.from_mapping({"layers": ["lstm", 1], "samples": first4, "variants": "all"}))
    assert plan.layers == ["conv1d", "encoder/lstm"]  # report order, whatever the order asked
    assert plan.variants == [(True, False), (False, False)]
    assert [results.documents[s.doc_index].id for s in plan.samples] == [d.id for d in results.documents[:4]]
    assert plan.requested == 4 and plan.total == 6
    assert [layer for layer, _ in plan.samples[0].groups] == ["conv1d", "encoder/lstm"]
    assert plan_pdf(results, PdfOptions.from_mapping({"layers": [-3]})).layers == ["encoder/lstm"]
    with pytest.raises(BuildError, match="index 9 is outside the model's 5 layers"):
        plan_pdf(results, PdfOptions.from_mapping({"layers": [9]}))
    with pytest.raises(BuildError, match="'embedding' was not explained"):
        plan_pdf(results, PdfOptions.from_mapping({"layers": [0]}))
    with pytest.raises(BuildError, match="output.pdf.variants"):
        PdfOptions.from_mapping({"variants": "some"})
    tight = plan_pdf(results, PdfOptions.from_mapping({"max_pages": 1}))
    assert tight.samples == [] and sorted(tight.over_budget) == sorted(d.id for d in results.documents)


def test_a_budget_smaller_than_the_front_matter_gives_the_front_matter(tmp_path):
    results = small_results(n_docs=2, words=(10, 20))
    summary = render_pdf(results, tmp_path / "r.pdf", {"max_pages": 2}, None, None)
    assert summary.samples == [] and summary.over_budget == [d.id for d in results.documents]
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    assert "Samples" not in [t for _, t, _ in outline(reader)]
    assert "This PDF shows 0 of the report's 2 samples" in " ".join(" ".join(page_texts(reader)).split())


def test_two_renders_give_the_same_bytes_and_id(built, tmp_path):
    results, _, first, json_path = built
    render_pdf(results, tmp_path / "again.pdf", {"layers": "all", "variants": "all"}, SPEC_TEXT, json_path)
    assert (tmp_path / "again.pdf").read_bytes() == first


def test_the_file_id_follows_the_content(tmp_path):
    results = small_results(n_docs=1, words=(5, 10))
    ids = []
    for title in ("One title", "Another title"):
        render_pdf(dataclasses.replace(results, title=title), tmp_path / "r.pdf", {}, None, None)
        ids.append(pypdf.PdfReader(tmp_path / "r.pdf").trailer["/ID"][0])
    assert ids[0] != ids[1]


@pytest.mark.slow
def test_chunked_render_matches_the_single_document(built, built_reader, tmp_path):
    results, _, _, json_path = built
    options = {"layers": "all", "variants": "all"}
    summary = render_pdf(results, tmp_path / "chunked.pdf", options, SPEC_TEXT, json_path, workers=2, chunk_pages=4)
    assert summary.chunks >= 2
    chunked = pypdf.PdfReader(tmp_path / "chunked.pdf")
    assert outline(chunked) == outline(built_reader)
    assert chunked.page_labels == built_reader.page_labels
    assert page_texts(chunked) == page_texts(built_reader)
    assert chunked.attachments == built_reader.attachments
    # the same chunks rendered in this process (other hash seeds than the workers'): the same bytes
    render_pdf(results, tmp_path / "inline.pdf", options, SPEC_TEXT, json_path, workers=1, chunk_pages=4)
    assert (tmp_path / "inline.pdf").read_bytes() == (tmp_path / "chunked.pdf").read_bytes()


@pytest.mark.slow
def test_workers_that_cannot_start_leave_a_complete_report(tmp_path, monkeypatch, caplog):
    import os
    from concurrent.futures import ProcessPoolExecutor

    class DyingPool(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "initializer": os._exit, "initargs": (3,)})

    monkeypatch.setattr(pdf_module, "ProcessPoolExecutor", DyingPool)
    results = small_results(n_docs=3, words=(20, 40))
    summary = render_pdf(results, tmp_path / "r.pdf", {"samples": "all"}, None, None, workers=2, chunk_pages=1)
    assert summary.chunks == 3 and summary.samples == [d.id for d in results.documents]
    marks = [t for _, t, _ in outline(pypdf.PdfReader(tmp_path / "r.pdf"))]
    assert [t for t in marks if t.startswith("Sample ")] == [f"Sample {d.id}" for d in results.documents]
    assert "worker processes failed" in caplog.text


def test_chunks_rendered_in_process_keep_numbers_and_budget(tmp_path):
    results = small_results(n_docs=5, words=(120, 160))
    summary = render_pdf(results, tmp_path / "r.pdf", {"layers": "all", "variants": "all", "max_pages": 10},
                         None, None, workers=1, chunk_pages=2)
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    n = len(reader.pages)
    assert summary.chunks >= 2 and n <= 10 and summary.over_budget
    texts = page_texts(reader)
    for i, text in enumerate(texts[1:], start=2):
        assert text.rstrip().endswith(f"page {i} of {n}")
    marks = outline(reader)
    contents = texts[dict((t, p) for _, t, p in marks)["Contents"]]
    for _, title, page in marks:
        if title.startswith("Sample "):
            assert texts[page].lstrip().startswith(title)
            line = next(x for x in contents.split("\n") if x.startswith(title.removeprefix("Sample ")))
            assert line.rstrip().endswith(str(page + 1))


@pytest.mark.parametrize("chunk_pages", [None, 2], ids=["one document", "chunks"])
def test_budget_holds_when_the_estimate_is_too_low(tmp_path, monkeypatch, chunk_pages):
    import reportgen.render.pdf_plan as plan_module

    monkeypatch.setattr(plan_module, "estimate_sample_pages", lambda *args, **kwargs: 1)
    results = small_results(n_docs=4, words=(90, 130))
    summary = render_pdf(results, tmp_path / "r.pdf", {"layers": "all", "variants": "all", "max_pages": 8},
                         None, None, workers=1, chunk_pages=chunk_pages)
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    n = len(reader.pages)
    assert n <= 8 and summary.pages == n
    assert summary.over_budget, "the estimate let all 4 in; the real page count must push some out"
    texts = page_texts(reader)
    for i, text in enumerate(texts[1:], start=2):
        assert text.rstrip().endswith(f"page {i} of {n}")
    kept = [t.removeprefix("Sample ") for _, t, _ in outline(reader) if t.startswith("Sample ")]
    assert kept == summary.samples and len(kept) + len(summary.over_budget) == 4
    assert f"{len(summary.over_budget)} selected sample" in " ".join("".join(texts).split())


# ---- escaping and fetching ------------------------------------------------------------------------------

def test_fetcher_serves_only_the_report_assets(tmp_path):
    root = tmp_path / "assets"
    root.mkdir()
    (root / "print.css").write_text("p { color: red }")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    fetcher = AssetFetcher([root])
    assert fetcher.fetch((root / "print.css").as_uri()).read() == b"p { color: red }"
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    refused = ["http://127.0.0.1:9/x.png", "https://example.org/x.css", "file:///etc/passwd", secret.as_uri(),
               root.as_uri() + "/../secret.txt", root.as_uri() + "/%2E%2E/secret.txt", "ftp://example.org/x",
               "file://example.org" + str(root / "print.css")]
    for url in refused:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert fetcher.refused == refused


def test_urls_in_sample_text_are_text_and_never_fetched(tmp_path, monkeypatch):
    asked = []
    real_fetch = AssetFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(AssetFetcher, "fetch", spy)
    results = small_results(n_docs=2, nasty=False)
    nasty = ('<img src="http://127.0.0.1:9/track.png"> <img src="file:///etc/passwd"> '
             '<link rel="attachment" href="file:///etc/passwd"> <style>@import url(http://127.0.0.1:9/x.css)</style>')
    doc = results.documents[0]
    results.documents[0] = dataclasses.replace(doc, text=nasty + " " + doc.text, tokens=[
        dataclasses.replace(t, span=(t.span[0] + len(nasty) + 1, t.span[1] + len(nasty) + 1) if t.span else None)
        for t in doc.tokens])
    results.description = "![x](http://127.0.0.1:9/desc.png) and <img src='file:///etc/passwd'>"
    render_pdf(results, tmp_path / "r.pdf", {}, None, None)
    assert asked == []
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    text = " ".join(" ".join(page_texts(reader)).split())
    assert '<img src="http://127.0.0.1:9/track.png">' in text
    assert '<link rel="attachment" href="file:///etc/passwd">' in text
    assert sorted(reader.attachments) == ["explanations.json"]


def test_highlighted_text_is_escaped_like_the_site():
    from reportgen.report.colors import Scale
    from reportgen.report.spans import highlight
    from reportgen.results import Token

    text = 'a<b & "c" d'
    tokens = [Token("a<b", (0, 3)), Token('"c"', (6, 9)), Token("d", (10, 11))]
    hl = highlight(text, tokens, [1.0, -1.0, 0.0], Scale(1.0, "layer", "", pdf_module.PRINT_LEVELS))
    html = str(pdf_module.print_segments_html(hl))
    assert html == ('<span class="wp8" data-level="8" data-w="+1">a&lt;b</span> &amp; '
                    '<span class="wn8" data-level="-8" data-w="-1">&#34;c&#34;</span> d')
    # the site writes the same runs as marks coloured by their data-level, plus the focus and screen-reader
    # attributes paper cannot use
    from reportgen.render.html import segments_html

    site_only = r' (tabindex|aria-description)="[^"]*"'
    as_paper = re.sub(r'<mark data-level="(-?\d)"', lambda m: f'<span class="w{"pn"[m[1] < "0"]}{m[1].lstrip("-")}" '
                      f'data-level="{m[1]}"', re.sub(site_only, "", str(segments_html(hl))))
    assert as_paper.replace("</mark>", "</span>") == html


# ---- the print scale --------------------------------------------------------------------------------------

def test_print_levels_keep_the_site_colours_at_level_centres():
    from reportgen.report import colors

    scale = colors.Scale(2.0, "layer", "", levels=4)
    # step 0.5: |w| < 0.25 is not highlighted; [0.25, 0.75) is print level 1 = site level 2, and so on
    assert [scale.level(w) for w in (0.24, 0.25, 0.74, 0.75, 1.2, 1.9, 2.0, -0.3, -2.0)] == \
        [0, 2, 2, 4, 4, 8, 8, -2, -8]
    for q in range(1, 5):
        centre = q * 0.5
        assert colors.level_color(scale.level(centre)) == colors.level_color(colors.weight_level(centre, 2.0))
    legend = colors.legend(scale)
    assert [s.text for s in legend.steps] == [f"{MINUS}2", f"{MINUS}1.5", f"{MINUS}1", f"{MINUS}0.5", "0",
                                              "+0.5", "+1", "+1.5", "+2"]
    assert legend.dead_zone == "0.25" and legend.step_text == "0.5"


def test_paper_reads_the_site_scales_with_fewer_levels():
    from reportgen.report.colors import LEVELS
    from reportgen.report.structure import Orders
    from reportgen.report.views import Views

    results = small_results()
    site = Views(results, Orders.of(results))
    paper = Views(results, Orders.of(results), levels=pdf_module.PRINT_LEVELS)
    for i, doc in enumerate(results.documents):
        for h in doc.heatmaps:
            on_site = site.scales.scale(i, h.layer)
            assert paper.scales.scale(i, h.layer) == dataclasses.replace(on_site, levels=pdf_module.PRINT_LEVELS)
            assert on_site.levels == LEVELS


# ---- scripts and metrics ------------------------------------------------------------------------------

def _fonts(reader) -> set[str]:
    names = set()
    for page in reader.pages:
        for name in _font_names(page.get("/Resources")):
            names.add(name)
    return names


def _font_names(resources) -> list[str]:
    out = []
    if resources is None:
        return out
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        out.append(str(font.get_object()["/BaseFont"]))
    for xobject in (resources.get("/XObject") or {}).values():
        out += _font_names(xobject.get_object().get("/Resources"))
    return out


def _have_fonts(*families: str) -> bool:
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return all(f in listed for f in families)


@pytest.mark.skipif(not _have_fonts("Noto Sans CJK", "Noto Color Emoji"),
                    reason="needs fonts-noto-cjk and fonts-noto-color-emoji")
def test_non_latin_scripts_and_emoji_use_real_glyphs(tmp_path):
    from reportgen.results import Token

    results = small_results(n_docs=1, nasty=False)
    text = "这部电影很好看 日本語 한국어 مرحبا Ελληνικά Привет 😀👍 2026-01-01"
    tokens = [Token(m.group(), (m.start(), m.end())) for m in re.finditer(r"\S+", text)]
    doc = results.documents[0]
    heatmaps = [dataclasses.replace(h, weights=[(-1) ** i * (i + 1) / len(tokens) for i in range(len(tokens))])
                for h in doc.heatmaps]
    results.documents[0] = dataclasses.replace(doc, text=text, tokens=tokens, heatmaps=heatmaps)
    render_pdf(results, tmp_path / "r.pdf", {}, None, None)
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    fonts = _fonts(reader)
    assert any("CJK" in f for f in fonts) and any("Emoji" in f for f in fonts), fonts
    everything = "".join(page_texts(reader))
    assert "这部电影很好看" in everything and "Привет" in everything
    # digits stay in the text font: an emoji font named in font-family would take them (WeasyPrint #2291)
    assert not any("Emoji-Bold" in f for f in fonts)


def test_metrics_section_lists_each_layer(tmp_path):
    results = small_results(n_docs=2)
    results.metrics = MetricsReport.from_dict({
        "settings": {"confidence": 0.9},
        "samples": [d.id for d in results.documents], "skipped": [], "not_evaluated": 0,
        "predict_calls": 1, "predicted_inputs": 40,
        "layers": [
            {"layer": "conv1d", "n": 2, "mean": 0.125, "ci_low": 0.05, "ci_high": 0.2, "aopc": 0.3,
             "random_aopc": 0.175, "lerf_aopc": 0.01, "comprehensiveness": 0.25, "sufficiency": 0.125,
             "auto": True, "best": True, "curves": None,
             "sanity": {"passed": True, "mean_abs": 0.25, "top_layers": 1}},
            {"layer": "encoder/lstm", "n": 2, "mean": -0.02, "ci_low": None, "ci_high": None, "aopc": None,
             "random_aopc": None, "lerf_aopc": None, "comprehensiveness": None, "sufficiency": None,
             "auto": False, "best": False, "curves": None,
             "sanity": {"passed": False, "mean_abs": 0.75, "top_layers": 2}},
        ],
        "recommended_layer": "conv1d", "auto_layer": "conv1d", "differs_from_auto": False, "separated": True,
        "most_faithful_layer": "conv1d",
        "sanity": {"method": "model randomisation", "threshold": 0.5, "seed": 0, "layers": [
            {"layer": "conv1d", "passed": True, "mean_abs": 0.25, "top_layers": 1, "runs": []},
            {"layer": "encoder/lstm", "passed": False, "mean_abs": 0.75, "top_layers": 2, "runs": []}]},
        "recommended_passes_sanity": True,
        "recommendation_note": "The only one of 2 layers whose maps pass the sanity check.",
        "notes": ["a note for the reader"],
    })
    render_pdf(results, tmp_path / "r.pdf", {}, None, None)
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    marks = dict((t, p) for _, t, p in outline(reader))
    page = " ".join(page_texts(reader)[marks["Faithfulness metrics"]].split())
    assert "conv1d 2 0.125 0.05 … 0.2 0.3 0.175 0.01 0.25 0.125 passed (0.25) best, auto" in page
    assert f"encoder/lstm 2 {MINUS}0.02 – – – – – – failed (0.75)" in page
    assert "90 % t interval" in page and "Recommended layer: conv1d, the same layer the auto rule picks" in page
    assert "The only one of 2 layers whose maps pass the sanity check." in page
    assert "Sanity check (model randomisation): conv1d passed, encoder/lstm failed" in page
    assert "a note for the reader" in page


# ---- readers ---------------------------------------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("pdfinfo") or not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_poppler_reads_it(built, tmp_path):
    results, summary, data, _ = built
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(rf"Pages:\s+{summary.pages}\b", info)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for doc in results.documents:
        assert f"Sample {doc.id}" in text


def test_estimate_is_close_to_the_real_page_count(built, built_reader):
    from reportgen.render.pdf_plan import PdfOptions, plan_pdf

    results = built[0]
    plan = plan_pdf(results, PdfOptions.from_mapping({"layers": "all", "variants": "all"}))
    starts = sorted(p for _, t, p in outline(built_reader) if t.startswith("Sample "))
    real = [b - a for a, b in zip(starts, starts[1:] + [len(built_reader.pages)])]
    estimated = [s.estimated_pages for s in plan.samples]
    assert all(abs(e - r) <= 1 for e, r in zip(estimated, real)), (estimated, real)
    assert sum(estimated) >= sum(real)  # errs on the side of fewer samples, not a blown budget
    assert math.isclose(plan.front_pages, starts[0], abs_tol=2)



# A parent that starts a worker the way the pool does (`_worker_start` as its first act), prints its pid and
# dies without any cleanup, as a SIGKILLed build does.
_ORPHAN_PARENT = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid()), sys.argv[2]])
print(child.pid, flush=True)
sys.stdin.readline()  # the test says when
os._exit(0)
"""
_ORPHAN_CHILD = """
import sys, time
import reportgen.render.pdf as pdf
if {watchdog}:
    pdf._set_parent_death_signal = lambda: False  # what a system without prctl gets
pdf._worker_start(int(sys.argv[1]))
open(sys.argv[2], "w").close()
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, not yet reaped
    except OSError:
        return False


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="reads processes from /proc")
@pytest.mark.parametrize("watchdog", [False, True], ids=["parent death signal", "watchdog thread"])
def test_a_worker_dies_with_its_parent(tmp_path, watchdog):
    import os
    import sys
    import time

    ready = tmp_path / "ready"
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_PARENT, _ORPHAN_CHILD.format(watchdog=watchdog),
                               str(ready)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the worker did not get past _worker_start"
        parent.stdin.write("go\n")
        parent.stdin.flush()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the worker outlived its parent by 5 s"
    finally:
        if _alive(child):
            os.kill(child, 9)
        parent.kill()
