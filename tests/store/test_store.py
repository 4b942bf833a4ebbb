"""Compact results: every variant read back from results/maps.parquet is exactly the map the engine made.

The engine's documents (heatmaps expanded in memory) are the expectation; the reader derives every variant
from the stored layer-resolution maps and gradient norms, so any rounding, reordering or lost column shows.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.pipeline.test_build import VOCAB, write_spec


def _explained(tmp_path, word_model, relu=(True, False), counterfactual=(False, True), normalize=True):
    from reportgen.api import load_adapter
    from reportgen.engine.inputs import from_encoded
    from reportgen.engine.runner import ExplainSettings, explain_documents
    from reportgen.text.vocab import load_vocabulary
    from reportgen.text.word import WordPipeline

    word_model(tmp_path, VOCAB, name="tiny", body="bigru", classes=3)
    adapter = load_adapter(tmp_path / "model.keras", labels=["neg", "pos", "mixed"])
    pipeline = WordPipeline(load_vocabulary(tmp_path / "vocab.txt"), oov_token="<OOV>", start_token="<START>")
    texts = {"a": "The movie was GOOD, great!", "b": "an awful bad movie", "c": "good", "d": "a script and quotes"}
    docs = [from_encoded(adapter, key, pipeline.encode(text), "post", "post", 0, [k % 3])
            for k, (key, text) in enumerate(texts.items())]
    settings = ExplainSettings(targets="all", relu=relu, counterfactual=counterfactual,
                               interpolation=("linear", "nearest", "cubic"), normalize_gradients=normalize,
                               batch_size=3)
    layers = adapter.resolve_layers(["embedding", "bigru", "pool"])
    return explain_documents(adapter, docs, layers, settings), settings


def test_every_variant_reads_back_exactly(tmp_path, word_model):
    import pyarrow.parquet as pq

    from reportgen.store import MapsWriter, documents_of, table_of

    explained, settings = _explained(tmp_path, word_model)
    path = tmp_path / "maps.parquet"
    with MapsWriter(path) as writer:  # two row groups, as a build writes chunks
        writer.write(table_of(explained[:2], 0))
        writer.write(table_of(explained[2:], 2))
    table = pq.read_table(path)
    # one row per document x layer x target
    assert table.num_rows == len(explained) * 3 * 3
    back = documents_of(table, settings)
    assert [d.id for d in back] == [d.id for d in explained]
    for mine, read in zip(explained, back):
        assert read.text == mine.text and read.tokens == mine.tokens and read.input == mine.input
        assert read.prediction == mine.prediction and read.true_labels == mine.true_labels
        assert len(read.heatmaps) == len(mine.heatmaps) == 3 * 3 * 2 * 2 * 3
        for a, b in zip(mine.heatmaps, read.heatmaps):
            assert a == b  # every field, weights compared as exact floats
    # the layer without a time axis is one stored number per target
    pool = [row for row in table.to_pylist() if row["layer"] == "pool"]
    assert all(len(row["layer_map"]) == 1 and not row["time_axis"] for row in pool)


def test_a_subset_comes_back_in_the_asked_order(tmp_path, word_model):
    from reportgen.store import documents_of, table_of

    explained, settings = _explained(tmp_path, word_model, relu=(True,), counterfactual=(False,), normalize=False)
    back = documents_of(table_of(explained), settings, ids=["d", "a"])
    assert [d.id for d in back] == ["d", "a"]
    assert back[0].heatmaps == explained[3].heatmaps


def test_stored_map_is_the_layer_resolution_map_before_any_variant(tmp_path, word_model):
    """Hand check of what a row holds: resizing the stored map linearly gives the engine's signed linear map;
    the relu'd map is the stored map clipped before resizing."""
    from scipy.interpolate import interp1d

    from reportgen.store import table_of

    explained, settings = _explained(tmp_path, word_model, normalize=False)
    doc = explained[0]
    row = next(r for r in table_of([doc]).to_pylist() if r["layer"] == "bigru" and r["target"] == 1)
    stored = np.asarray(row["layer_map"], dtype=np.float64)
    n = doc.input.length
    signed = next(h for h in doc.heatmaps if h.layer == "bigru" and h.target == 1 and not h.relu
                  and not h.counterfactual and h.interpolation == "linear")
    clipped = next(h for h in doc.heatmaps if h.layer == "bigru" and h.target == 1 and h.relu
                   and not h.counterfactual and h.interpolation == "linear")
    grid = np.linspace(0, 1, len(stored))
    np.testing.assert_allclose(signed.weights, interp1d(grid, stored)(np.linspace(0, 1, n)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(clipped.weights, interp1d(grid, np.maximum(stored, 0))(np.linspace(0, 1, n)),
                               rtol=1e-12, atol=1e-15)
    assert row["grad_norm"] > 0 and row["score"] == signed.score


@pytest.fixture(scope="module")
def built(tmp_path_factory, word_model):
    from reportgen.build import build

    root = tmp_path_factory.mktemp("store-build")
    word_model(root, VOCAB, name="tiny", body="bigru", classes=3)
    rows = ["id,text,label"] + [f"d{i},{text},{label}" for i, (text, label) in enumerate(
        [("the movie was good", "pos"), ("an awful bad movie", "neg"), ("great script", "pos"),
         ("bad bad movie", "neg"), ("a good and great movie", "pos"), ("awful", "neg")])]
    (root / "reviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    write_spec(root / "spec.yaml")
    text = (root / "spec.yaml").read_text(encoding="utf-8").replace("  pdf: false", "  pdf: false\n  pages: [d4, d1]")
    (root / "spec.yaml").write_text(text, encoding="utf-8")
    summary = build(root / "spec.yaml")
    return root, summary


def test_build_stores_every_document_and_pages_only_the_chosen(built):
    from reportgen import read_maps, read_results

    root, summary = built
    out = summary.out_dir
    data = json.loads((out / "explanations.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 5 and data["maps_file"] == "results/maps.parquet"
    # explanations.json keeps no map, token or text
    assert [sorted(d) for d in data["documents"]] == [["id", "input", "metrics", "prediction", "true_labels"]] * 2
    assert [d["id"] for d in data["documents"]] == ["d4", "d1"]  # as output.pages lists them
    assert [(r["id"], r["page"]) for r in data["corpus"]["rows"]] == [
        ("d0", False), ("d1", True), ("d2", False), ("d3", False), ("d4", True), ("d5", False)]
    assert sorted(p.name for p in (out / "samples").glob("*.html")) == ["d1.html", "d4.html"]
    maps = read_maps(out)
    assert sorted(set(maps.column("doc_id").to_pylist())) == [f"d{i}" for i in range(6)]
    assert maps.num_rows == 6 * 2 * 3  # documents x layers x targets (targets: all)
    everything = read_results(out, ids="all")
    assert [d.id for d in everything.documents] == [f"d{i}" for i in range(6)]
    pages = read_results(out)
    assert [d.id for d in pages.documents] == ["d4", "d1"] and pages.documents[0].metrics


def test_read_results_matches_the_engine_in_memory(built, word_model):
    """The build's stored maps, read back, equal the engine run directly on the same documents."""
    from reportgen import read_results
    from reportgen.build import ChunkContext, _documents
    from reportgen.engine.runner import explain_documents
    from reportgen.samples import load_samples
    from reportgen.spec import load_spec

    root, summary = built
    spec = load_spec(root / "spec.yaml")
    context = ChunkContext.load(spec)
    docs = _documents(spec, context.adapter, context.pipeline, load_samples(spec, spec.paths.base_dir))
    fresh = explain_documents(context.adapter, docs, context.layers, context.settings)
    back = read_results(summary.out_dir, ids="all").documents
    for mine, read in zip(fresh, back):
        assert [h.weights for h in mine.heatmaps] == [h.weights for h in read.heatmaps]
        assert mine.prediction.probabilities == read.prediction.probabilities


def test_interrupted_corpus_pass_leaves_the_previous_report(built, monkeypatch):
    from reportgen import build as build_module
    from tests.pipeline.test_build import tree_digest

    root, summary = built
    before = tree_digest(summary.out_dir)
    calls = {"n": 0}
    original = build_module.explain_chunk

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        table = original(*args, **kwargs)
        raise KeyboardInterrupt  # after the first chunk reached the Parquet writer

    monkeypatch.setattr(build_module, "explain_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_module.build(root / "spec.yaml")
    assert calls["n"] == 1
    assert tree_digest(summary.out_dir) == before
    assert [p.name for p in root.iterdir() if ".building-" in p.name] == []


def test_save_results_writes_what_read_results_reads_back(built, tmp_path):
    from reportgen import read_results, save_results

    root, summary = built
    first = read_results(summary.out_dir, ids="all")
    save_results(first, tmp_path / "copy")
    again = read_results(tmp_path / "copy", ids="all")
    assert [d.id for d in again.documents] == [d.id for d in first.documents]
    assert [h.weights for d in again.documents for h in d.heatmaps] == \
        [h.weights for d in first.documents for h in d.heatmaps]
