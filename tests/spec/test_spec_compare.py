"""The `compare:` section: baselines read as written, each bad entry placed at its key and YAML line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec.load import load_spec

HEAD = """\
version: 1
title: Reviews
model: {path: model.keras, labels: [negative, positive]}
samples: {file: reviews.csv}
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("model.keras", "base.keras"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "reviews.csv").write_text("id,text\na,good film\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def load(folder: Path, body: str):
    (folder / "spec.yaml").write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return load_spec("spec.yaml")


def problems(folder: Path, body: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load(folder, body)
    return caught.value.problems


def test_without_the_section_nothing_is_compared(folder):
    assert load(folder, "").compare == []


def test_a_baseline_with_its_labels_in_another_order(folder):
    spec = load(folder, "compare:\n  - path: base.keras\n    labels: [positive, negative]\n    layers: [conv]\n")
    (baseline,) = spec.compare
    assert (baseline.display_name(), baseline.labels, baseline.layers, baseline.input) == (
        "base", ["positive", "negative"], ["conv"], None)


@pytest.mark.parametrize("body, expected", [
    ("compare:\n  - path: base.keras\n    labels: [neg, pos]\n",
     "compare[0].labels: the baseline's labels [neg, pos] are not the model's [negative, positive]: labels are "
     "matched by name, in any order (spec.yaml line 7)"),
    ("compare:\n  - path: missing.keras\n",
     "compare[0].path: no such file 'missing.keras' (spec.yaml line 6)"),
    ("compare:\n  - {path: base.keras}\n  - {path: base.keras}\n",
     "compare[1].name: two baselines are named 'base'; give each its own name (spec.yaml line 7)"),
    ("compare:\n  - path: base.keras\n    input: {level: sentence}\n",
     "compare[0].input.level: 'sentence' is not one of word, char, ids (spec.yaml line 7)"),
])
def test_each_bad_entry_at_its_key_and_line(folder, body, expected):
    assert problems(folder, body) == [expected]
