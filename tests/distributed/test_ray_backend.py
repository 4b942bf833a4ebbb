"""The Ray backend on a local Ray instance (2 CPUs, one for the module) with stand-in chunk functions: corpus
order, one context per actor, samples that survive the trip, and a worker's error read as the local one."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from reportgen.errors import InputError, ModelError
from reportgen.samples import Sample
from reportgen.spec.load import parse_spec
from tests.distributed import standins

ray = pytest.importorskip("ray")
from reportgen.distributed.ray_backend import consecutive_runs, ray_tables  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def ray_instance():
    ray.init(num_cpus=2, object_store_memory=200 * 1024**2, include_dashboard=False, logging_level=logging.WARNING,
             log_to_driver=False)
    yield
    ray.shutdown()


def spec_for(batch_size: int, workers: int = 2):
    return parse_spec(f"""
version: 1
title: Ray stand-in
model: {{path: model.keras}}
samples: {{items: [unused]}}
execution: {{backend: ray, workers: {workers}, batch_size: {batch_size}}}
""")


SAMPLES = [
    Sample(id=str(i), text=f"review {i}: “quoted” <b>bold</b> café", label=[i % 3, "pos"] if i % 2 else None,
           ids=[1, i, 3] if i % 4 == 0 else None, tokens=["a", "b", "c"] if i % 4 == 0 else None,
           origin=f"reviews.csv row {i + 1}")
    for i in range(11)
] + [Sample(id="given-ids", text=None, label=None, ids=[5, 6, 7], tokens=None)]  # pre-vectorised: no text


def test_tables_arrive_in_corpus_order_with_the_samples_as_sent():
    seen = []
    tables = list(ray_tables(spec_for(batch_size=3), SAMPLES, lambda *step: seen.append(step),
                             load_context=standins.load_context, explain_chunk=standins.explain_samples))
    rows = [row for table in tables for row in table.to_pylist()]
    assert [row["doc_index"] for row in rows] == list(range(12))
    assert [json.loads(row["sample"]) for row in rows] == [
        [s.id, s.text, s.label, s.ids, s.tokens, s.origin] for s in SAMPLES]
    # batches of 3 consecutive documents, each explained with its own first position in the corpus
    assert [(row["first_index"], row["chunk_size"]) for row in rows] == [(i - i % 3, 3) for i in range(12)]
    assert {row["title"] for row in rows} == {"Ray stand-in"}
    # progress: 0 first, then the documents done after each table, ending at all of them
    assert seen[0] == ("engine", 0, 12) and seen[-1] == ("engine", 12, 12)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)


def test_each_actor_loads_its_context_once_and_the_pool_has_the_workers_asked():
    tables = list(ray_tables(spec_for(batch_size=2, workers=2), SAMPLES, None,
                             load_context=standins.load_context, explain_chunk=standins.explain_samples))
    rows = [row for table in tables for row in table.to_pylist()]
    assert {row["loads"] for row in rows} == {1}  # 6 batches, yet no actor loaded twice
    assert len(rows) == len(SAMPLES)
    assert 1 <= len({row["pid"] for row in rows}) <= 2


def test_a_workers_input_error_reads_as_the_local_backend_would_show_it():
    with pytest.raises(InputError) as caught:
        list(ray_tables(spec_for(batch_size=4), SAMPLES, None, load_context=standins.load_context,
                        explain_chunk=standins.refuse_sample_7))
    assert str(caught.value) == "sample '7': the text gives no tokens"


def test_a_model_an_actor_cannot_load_is_the_model_error():
    with pytest.raises(ModelError) as caught:
        list(ray_tables(spec_for(batch_size=2), SAMPLES[:4], None, load_context=standins.unloadable_model,
                        explain_chunk=standins.explain_samples))
    assert str(caught.value) == "model.keras: not a Keras model file"


def test_no_samples_give_no_tables_and_start_nothing():
    assert list(ray_tables(spec_for(batch_size=4), [], None, load_context=standins.unloadable_model,
                           explain_chunk=standins.explain_samples)) == []


@pytest.mark.parametrize("indices, runs", [
    ([], []), ([5], [(0, 1)]), ([4, 5, 6], [(0, 3)]), ([4, 5, 6, 9, 10], [(0, 3), (3, 5)]),
    ([3, 2], [(0, 1), (1, 2)]),
])
def test_consecutive_runs(indices, runs):
    assert consecutive_runs(indices) == runs


# --- the build through Ray gives the local build's stored maps ------------------------------------------

VOCAB = ["<PAD>", "<START>", "<OOV>", "good", "great", "bad", "awful", "movie", "the", "a", "was", "plot"]
REVIEWS = [("r1", "the movie was good , great !", "pos"), ("r2", "an awful , bad movie", "neg"),
           ("r3", "good good good bad", "pos"), ("r4", "the plot was awful", "neg"),
           ("r5", "a great movie , a great plot", "pos"), ("r6", "bad", "neg"), ("r7", "was it good ? no", "neg")]


@pytest.fixture(scope="module")
def project(tmp_path_factory, word_model):
    root = tmp_path_factory.mktemp("ray_build")
    word_model(root, VOCAB, name="tiny_ray", body="conv")
    (root / "reviews.csv").write_text("id,text,label\n" + "".join(f'{i},"{t}",{label}\n' for i, t, label in REVIEWS),
                                      encoding="utf-8")
    return root


def build_with(project, name: str, execution: str, samples: str = "reviews.csv"):
    """The stored maps of a build of the reviews with this `execution:` section."""
    from reportgen.build import build

    spec = project / f"{name}.yaml"
    spec.write_text(f"""\
version: 1
title: Ray or local
model: {{path: model.keras, labels: [neg, pos]}}
input: {{level: word, vocabulary: vocab.txt, start_token: "<START>", oov_token: "<OOV>"}}
samples: {{file: {samples}}}
explain: {{layers: [embedding, conv], targets: all, relu: [true, false], batch_size: 3}}
metrics: {{enabled: false}}
output: {{dir: {name}, html: false, pdf: false}}
execution: {execution}
""", encoding="utf-8")
    import pyarrow.parquet as pq

    out = build(spec).out_dir
    return pq.read_table(out / "results" / "maps.parquet")


@pytest.fixture
def ray_batches(monkeypatch):
    """The number of documents in each table the Ray backend gave the build (so a build that ignored the
    backend could not pass as one that used it)."""
    from reportgen.distributed import ray_backend

    sizes = []
    original = ray_backend.ray_tables

    def counted(*args, **kwargs):
        for table in original(*args, **kwargs):
            sizes.append(len(set(table.column("doc_index").to_pylist())))
            yield table

    monkeypatch.setattr(ray_backend, "ray_tables", counted)
    return sizes


@pytest.fixture(scope="module")
def local_maps(project):
    return build_with(project, "local", "{backend: local}")


def test_local_maps_hold_a_row_per_document_layer_and_target(local_maps):
    # what the comparison below stands on: 7 documents x 2 layers x 2 targets, in corpus order
    assert local_maps.num_rows == len(REVIEWS) * 2 * 2
    assert local_maps.column("doc_index").to_pylist() == sorted(local_maps.column("doc_index").to_pylist())
    assert local_maps.column("doc_id").unique().to_pylist() == [i for i, _, _ in REVIEWS]


def test_one_ray_batch_gives_the_local_maps_exactly(project, local_maps, ray_batches):
    # every document in one batch, as the local backend's single chunk: the same engine batches, same bytes
    ray_maps = build_with(project, "ray_one", "{backend: ray, workers: 2, batch_size: 512}")
    assert ray_batches == [7]
    assert ray_maps.schema == local_maps.schema
    for name in local_maps.column_names:
        assert ray_maps.column(name).to_pylist() == local_maps.column(name).to_pylist(), name


def test_small_ray_batches_on_two_workers_give_the_local_maps(project, local_maps, ray_batches):
    # batches of 2 documents (4 batches over 2 actors): the engine batches differ, so floats may differ in
    # summation order, within 1e-6 relative; everything else is identical
    ray_maps = build_with(project, "ray_split", "{backend: ray, workers: 2, batch_size: 2}")
    assert ray_batches == [2, 2, 2, 1]
    assert ray_maps.schema == local_maps.schema
    for name in local_maps.column_names:
        ours, theirs = ray_maps.column(name).to_pylist(), local_maps.column(name).to_pylist()
        if name in ("layer_map", "score", "grad_norm", "probabilities"):
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-6, atol=1e-12,
                                           err_msg=name)
        else:
            assert ours == theirs, name


def test_a_sample_the_build_refuses_stops_a_ray_build_with_the_local_message(project, ray_batches):
    (project / "odd.csv").write_text("id,text,label\nok,good movie,pos\nodd,bad movie,maybe\n", encoding="utf-8")
    messages = []
    for name, execution in (("local_bad", "{backend: local}"), ("ray_bad", "{backend: ray, batch_size: 1}")):
        with pytest.raises(InputError) as caught:
            build_with(project, name, execution, samples="odd.csv")
        messages.append(str(caught.value))
        assert not (project / name).exists()
    assert messages[0] == messages[1] and messages[0].startswith("sample 'odd'")
    assert ray_batches == [1]  # the first document's batch came back; the second's actor raised it
