"""The `execution:` section: defaults, accepted addresses, and each bad value placed at its key and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec.jsonschema import spec_json_schema
from reportgen.spec.load import load_spec

HEAD = """\
version: 1
title: Reviews
model: {path: model.keras}
samples: {file: reviews.csv}
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "model.keras").write_bytes(b"")
    (tmp_path / "reviews.csv").write_text("id,text\na,good film\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def load(folder: Path, execution: str):
    (folder / "spec.yaml").write_text(HEAD + textwrap.dedent(execution), encoding="utf-8")
    return load_spec("spec.yaml")


def problems(folder: Path, execution: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load(folder, execution)
    return caught.value.problems


def test_without_the_section_a_build_runs_here(folder):
    execution = load(folder, "").execution
    assert (execution.backend, execution.address, execution.workers, execution.batch_size) == ("local", None, 2, 256)


@pytest.mark.parametrize("address", ["auto", "10.0.0.5:6379", "head.example.org:6379", "[::1]:6379"])
def test_cluster_addresses(folder, address):
    execution = load(folder, f"execution:\n  backend: ray\n  address: '{address}'\n  workers: 3\n"
                             "  batch_size: 16\n").execution
    assert (execution.backend, execution.address, execution.workers, execution.batch_size) == (
        "ray", address, 3, 16)


@pytest.mark.parametrize("body, expected", [
    ("execution:\n  backend: spark\n",
     "execution.backend: 'spark' is not one of local, ray (spec.yaml line 6)"),
    ("execution:\n  backend: ray\n  address: headnode\n",
     "execution.address: expected null, auto or HOST:PORT (e.g. 10.0.0.5:6379), got 'headnode' (spec.yaml line 7)"),
    ("execution:\n  address: 'head:99999'\n",
     "execution.address: expected null, auto or HOST:PORT (e.g. 10.0.0.5:6379), got 'head:99999' (spec.yaml line 6)"),
    ("execution:\n  address: 6379\n",
     "execution.address: expected null, auto or HOST:PORT (e.g. 10.0.0.5:6379), got 6379 (spec.yaml line 6)"),
    ("execution:\n  workers: 0\n", "execution.workers: must be at least 1, got 0 (spec.yaml line 6)"),
    ("execution:\n  batch_size: many\n",
     "execution.batch_size: expected a whole number, got 'many' (spec.yaml line 6)"),
    ("execution:\n  adress: auto\n", "execution.adress: unknown key; did you mean 'address'? (spec.yaml line 6)"),
])
def test_bad_values_are_placed_at_their_key(folder, body, expected):
    assert problems(folder, body) == [expected]


def test_the_json_schema_lists_the_keys_and_their_defaults():
    section = spec_json_schema()["$defs"]["ExecutionSpec"]["properties"]
    assert set(section) == {"backend", "address", "workers", "batch_size"}
    assert section["backend"]["enum"] == ["local", "ray"] and section["backend"]["default"] == "local"
    assert (section["workers"]["default"], section["batch_size"]["default"]) == (2, 256)
