"""The Ray backend's own session, without a Ray instance started by the test: `address: null` starts one for
the build and shuts it down; Ray not installed and a cluster that does not answer are one line each at their
spec key and YAML line (exit status 2 through the CLI: a SpecError is a ReportgenError)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.samples import Sample
from reportgen.spec.load import load_spec
from tests.distributed import standins

SAMPLES = [Sample(id="a", text="good film"), Sample(id="b", text="bad film")]


def ray_spec(folder: Path, address: str = "null"):
    (folder / "model.keras").write_bytes(b"")
    (folder / "reviews.csv").write_text("id,text\na,good film\n", encoding="utf-8")
    (folder / "spec.yaml").write_text(
        "version: 1\ntitle: T\nmodel: {path: model.keras}\nsamples: {file: reviews.csv}\n"
        f"execution:\n  backend: ray\n  address: {address}\n", encoding="utf-8")
    return load_spec(folder / "spec.yaml")


def first_table(spec):
    from reportgen.distributed import ray_tables

    return next(iter(ray_tables(spec, SAMPLES, None, load_context=standins.load_context,
                                explain_chunk=standins.explain_samples)))


def test_address_null_starts_ray_with_the_workers_asked_and_shuts_it_down(tmp_path):
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray instance is already connected in this process")
    spec = ray_spec(tmp_path)  # address: null, workers: 2 (the default)
    from reportgen.distributed import ray_tables

    seen_cpus = []
    tables = []
    for table in ray_tables(spec, SAMPLES, None, load_context=standins.load_context,
                            explain_chunk=standins.explain_samples):
        seen_cpus.append(ray.cluster_resources().get("CPU"))
        tables.append(table)
    assert [row["doc_id"] for table in tables for row in table.to_pylist()] == ["a", "b"]
    assert seen_cpus and set(seen_cpus) == {2.0}
    assert not ray.is_initialized()


def test_without_ray_the_backend_names_the_extra_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    spec = ray_spec(tmp_path)
    with pytest.raises(SpecError) as caught:
        first_table(spec)
    assert caught.value.problems == [
        "execution.backend: the ray backend needs Ray, which is not installed here: pip install 'reportgen[ray]' "
        "(spec.yaml line 6)"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free once closed: nothing listens there


def test_an_address_where_nothing_listens_is_one_line_at_the_address(tmp_path):
    pytest.importorskip("ray")
    port = closed_port()
    spec = ray_spec(tmp_path, f"'127.0.0.1:{port}'")
    with pytest.raises(SpecError) as caught:
        first_table(spec)
    [message] = caught.value.problems
    assert message.startswith(f"execution.address: no Ray cluster answers at 127.0.0.1:{port} (")
    assert message.endswith("start one there with `ray start --head`, or set address: null to start one on this "
                            "machine (spec.yaml line 7)")
    assert "\n" not in message


def test_auto_without_a_cluster_on_this_machine_says_how_to_start_one(tmp_path, monkeypatch):
    ray = pytest.importorskip("ray")
    if ray.is_initialized() or os.environ.get("RAY_ADDRESS") or Path("/tmp/ray/ray_current_cluster").exists():
        pytest.skip("a Ray cluster is running here: 'auto' would join it")
    spec = ray_spec(tmp_path, "auto")
    with pytest.raises(SpecError) as caught:
        first_table(spec)
    assert caught.value.problems == [
        "execution.address: 'auto' finds no Ray cluster on this machine; start one with `ray start --head`, or set "
        "address: null to start one for this build (spec.yaml line 7)"]


def test_reportgen_build_without_ray_exits_2_with_the_line(tmp_path, word_model):
    import subprocess

    word_model(tmp_path, ["<PAD>", "<OOV>", "good", "bad", "film"], name="tiny_no_ray")
    (tmp_path / "reviews.csv").write_text("id,text\na,good film\nb,bad film\n", encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(
        "version: 1\ntitle: T\nmodel: {path: model.keras, labels: [neg, pos]}\n"
        "input: {level: word, vocabulary: vocab.txt, oov_token: '<OOV>'}\nsamples: {file: reviews.csv}\n"
        "metrics: {enabled: false}\noutput: {pdf: false}\nexecution: {backend: ray}\n", encoding="utf-8")
    block_ray = ("import sys; sys.modules['ray'] = None; from reportgen.cli import main; "
                 "sys.exit(main(['build', 'spec.yaml']))")
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", block_ray], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 2, done.stderr
    assert ("execution.backend: the ray backend needs Ray, which is not installed here: pip install 'reportgen[ray]' "
            "(spec.yaml line 8)") in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "report").exists()  # nothing written
