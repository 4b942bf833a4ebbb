"""`compare:` through a real build of two tiny models: the flip list is what each model predicts, the
baseline's maps are exactly the single-model engine's, and each bad baseline is one line at its key (exit 2,
the previous report untouched)."""

from __future__ import annotations

import hashlib
import json
import random
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from reportgen.cli import main

VOCAB = ["<PAD>", "<OOV>", "good", "great", "bad", "awful", "movie", "the", "a", "was", "plot", "and", "dull",
         "fine", "<b>"]
LABELS = ["neg", "pos"]
SAMPLES = 16


def spec_text(model: str, compare: str = "", out: str = "report", metrics: str = "{enabled: false}") -> str:
    return textwrap.dedent(f"""\
        version: 1
        title: Compare
        date: 2026-01-01
        model: {{path: {model}, labels: [neg, pos]}}
        input: {{level: word, vocabulary: cand/vocab.txt, oov_token: "<OOV>"}}
        samples: {{file: reviews.csv}}
        explain: {{layers: [conv], targets: all, relu: [false, true]}}
        metrics: {metrics}
        output: {{dir: {out}, pdf: false}}
        """) + compare


BASELINE = "compare:\n  - name: base <i>\n    path: base/model.keras\n    labels: [pos, neg]\n    layers: [conv]\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory, word_model):
    root = tmp_path_factory.mktemp("compare")
    (root / "cand").mkdir()
    (root / "base").mkdir()
    word_model(root / "cand", VOCAB, name="candidate")
    word_model(root / "base", VOCAB, name="baseline", body="conv2")
    rng = random.Random(3)
    rows = ["id,text,label"]
    for i in range(SAMPLES):
        words = " ".join(rng.choice(VOCAB[2:]) for _ in range(rng.randint(3, 9)))
        rows.append(f'r{i},"{words}",{rng.choice(LABELS)}')
    (root / "reviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "spec.yaml").write_text(spec_text("cand/model.keras", BASELINE), encoding="utf-8")
    (root / "single.yaml").write_text(spec_text("base/model.keras", out="single"), encoding="utf-8")
    import reportgen.build

    compare = reportgen.build._compare

    def remembered(*args, **kwargs):  # the comparison as the build held it in memory
        IN_MEMORY.append(compare(*args, **kwargs))
        return IN_MEMORY[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reportgen.build, "_compare", remembered)
        assert main(["build", str(root / "spec.yaml"), "--quiet"]) == 0
    return root


IN_MEMORY: list = []


def predictions(root: Path, model_dir: str) -> dict[str, int]:
    """Each review alone through keras `predict`: words to ids by the vocabulary's lines (OOV = 1)."""
    import keras

    model = keras.models.load_model(root / model_dir / "model.keras", compile=False)
    out = {}
    for line in (root / "reviews.csv").read_text(encoding="utf-8").splitlines()[1:]:
        doc_id, text, _ = re.match(r'([^,]+),"([^"]*)",(.*)', line).groups()
        ids = np.array([[VOCAB.index(w) if w in VOCAB else 1 for w in text.split()]], dtype="int32")
        out[doc_id] = int(np.argmax(model.predict(ids, verbose=0)[0]))
    return out


def test_the_flip_list_is_what_the_two_models_predict(project):
    candidate, baseline = predictions(project, "cand"), predictions(project, "base")
    # the baseline's outputs are [pos, neg]: its index 0 is the candidate's 1
    expected = sorted(doc_id for doc_id in candidate if candidate[doc_id] != 1 - baseline[doc_id])
    assert expected, "the two tiny models should disagree somewhere, or this test checks nothing"
    page = (project / "report" / "compare.html").read_text(encoding="utf-8")
    flips = re.search(r'<ol class="flips" data-role="flips">(.*?)</ol>', page, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)">Sample <span class="doc-id">([^<]+)</span>', flips)
    assert sorted(doc_id for _, doc_id in links) == expected
    for href, doc_id in links:  # each flip links its own page, which names the document
        assert f'Sample <span class="doc-id">{doc_id}</span>' in (project / "report" / href).read_text(
            encoding="utf-8")
    record = json.loads((project / "report" / "explanations.json").read_text(encoding="utf-8"))["comparison"]
    (entry,) = record["baselines"]
    assert entry["name"] == "base <i>" and record["candidate"] == "candidate"
    assert sorted(f["id"] for f in entry["flips"]) == expected
    assert "base &lt;i&gt;" in page and "base <i>" not in page


def test_the_baselines_maps_are_the_single_model_engines(project):
    from reportgen import read_results

    assert main(["build", str(project / "single.yaml"), "--quiet"]) == 0
    single = read_results(project / "single").documents
    (entry,) = read_results(project / "report").comparison.baselines
    assert [d.id for d in entry.documents] == [d.id for d in single]
    # same heatmaps to the last digit; the baseline's labels are its own ([pos, neg]), the single report's
    # the spec's ([neg, pos]), so the target index and name of each map are those of the same output unit
    for mine, theirs in zip(entry.documents, single):
        assert [h.weights for h in mine.heatmaps] == [h.weights for h in theirs.heatmaps]
        assert mine.prediction.probabilities == theirs.prediction.probabilities


def test_the_baselines_maps_are_stored_under_its_model_key_and_read_back_exactly(project):
    from reportgen import read_results
    from reportgen.store import read_maps

    record = json.loads((project / "report" / "explanations.json").read_text(encoding="utf-8"))
    (entry,) = record["comparison"]["baselines"]
    assert all(not {"text", "tokens", "heatmaps", "layer_maps"} & set(d) for d in entry["documents"])
    rows = read_maps(project / "report", columns=["model", "doc_id", "layer"]).to_pylist()
    models = {(row["model"], row["layer"]) for row in rows}
    assert models == {("candidate", "conv"), ("base <i>", "conv")}
    # one row per document and target (targets: all, two labels) for each model
    assert sum(row["model"] == "base <i>" for row in rows) == SAMPLES * 2

    (held,) = IN_MEMORY[-1].baselines
    back = read_results(project / "report")
    (read,) = back.comparison.baselines
    assert [d.id for d in read.documents] == [d.id for d in held.documents]
    for mine, theirs in zip(read.documents, held.documents):
        assert mine.heatmaps == theirs.heatmaps  # every field, weights as exact floats
        assert [t.text for t in mine.tokens] == [t.text for t in theirs.tokens] and mine.text == theirs.text
    # the report's own documents are its rows only, not the baseline's of the same ids
    assert all(h.layer == "conv" for d in back.documents for h in d.heatmaps)
    assert [d.prediction.probabilities for d in back.documents] != [d.prediction.probabilities
                                                                    for d in read.documents]


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("compare, expected", [
    ("compare:\n  - path: base/model.keras\n    labels_file: other.txt\n",
     r"compare\[0\]\.labels_file: the baseline's labels \(yes, no\) are not the model's \(neg, pos\): labels are "
     r"matched by name \(bad\.yaml line 12\)"),
    ("compare:\n  - path: base/missing.keras\n",
     r"compare\[0\]\.path: no such file 'base/missing\.keras' \(bad\.yaml line 11\)"),
    ("compare:\n  - path: strings/model.keras\n    labels: [neg, pos]\n",
     r"compare\[0\]\.path: the baseline takes strings but the report's input pipeline gives the model ids; give "
     r"the baseline its own input: section \(bad\.yaml line 11\)"),
])
def test_a_bad_baseline_is_one_line_at_its_key_and_the_report_stays(project, capsys, monkeypatch, compare,
                                                                      expected):
    monkeypatch.chdir(project)
    (project / "other.txt").write_text("yes\nno\n", encoding="utf-8")
    strings_model(project / "strings")
    before = digest(project / "report")
    (project / "bad.yaml").write_text(spec_text("cand/model.keras", compare), encoding="utf-8")
    capsys.readouterr()
    assert main(["build", "bad.yaml", "--out", "report", "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(r"reportgen: error: " + expected, lines[0]), lines
    assert digest(project / "report") == before


def strings_model(folder: Path) -> None:
    """A model that reads raw strings (TextVectorization inside), once."""
    if (folder / "model.keras").exists():
        return
    import keras

    folder.mkdir(exist_ok=True)
    keras.utils.set_random_seed(0)
    vectorize = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=8, name="vectorize")
    vectorize.adapt(["good great bad awful movie"])
    inputs = keras.Input((1,), dtype="string")
    x = keras.layers.Embedding(20, 4, name="embedding")(vectorize(inputs))
    x = keras.layers.Conv1D(4, 3, padding="same", name="conv")(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="out")(keras.layers.GlobalMaxPooling1D()(x))
    keras.Model(inputs, outputs, name="strings").save(folder / "model.keras")


@pytest.mark.parametrize("compare, expected", [
    ("compare:\n  - path: base/model.keras\n    labels_file: other.txt\n",
     "compare[0].labels_file: the baseline's labels (yes, no) are not the model's (neg, pos): labels are matched "
     "by name (bad.yaml line 12)"),
    ("compare:\n  - path: strings/model.keras\n    labels: [neg, pos]\n",
     "compare[0].path: the baseline takes strings but the report's input pipeline gives the model ids; give the "
     "baseline its own input: section (bad.yaml line 11)"),
    ("compare:\n  - path: base/model.keras\n    layers: [conv, lstm]\n",
     "compare[0].layers[1]: layer 'lstm' not found in the model; its layers: *embedding, conv, pool, out "
     "(bad.yaml line 12)"),  # * the input layer, whose name Keras numbers per process
])
def test_validate_reads_a_baselines_files_like_the_models(project, capsys, monkeypatch, compare, expected):
    monkeypatch.chdir(project)
    (project / "other.txt").write_text("yes\nno\n", encoding="utf-8")
    strings_model(project / "strings")
    (project / "bad.yaml").write_text(spec_text("cand/model.keras", compare), encoding="utf-8")
    capsys.readouterr()
    assert main(["validate", "bad.yaml"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert re.fullmatch(re.escape(f"reportgen: error: {expected}").replace(r"\*", ".*"), line), line


METRICS = "{enabled: true, max_samples: 8, steps: 4, random_seeds: 2, sanity: true}"


def test_the_baselines_faithfulness_is_the_single_model_metrics_stage(project):
    """With metrics on, each baseline is scored by the same stage on the same documents: its numbers are
    those of a single-model build of the baseline."""
    for name, text in (("with-metrics.yaml", spec_text("cand/model.keras", BASELINE, out="scored", metrics=METRICS)),
                       ("single-metrics.yaml", spec_text("base/model.keras", out="single-scored", metrics=METRICS))):
        (project / name).write_text(text, encoding="utf-8")
        assert main(["build", str(project / name), "--quiet"]) == 0
    compared = json.loads((project / "scored" / "explanations.json").read_text(encoding="utf-8"))
    single = json.loads((project / "single-scored" / "explanations.json").read_text(encoding="utf-8"))["metrics"]
    (entry,) = compared["comparison"]["baselines"]
    mine = entry["metrics"]
    assert mine["samples"] == single["samples"] and len(mine["samples"]) == 8
    (row,) = mine["layers"]
    (theirs,) = single["layers"]
    assert row["layer"] == "conv" and row["n"] > 0
    for key in ("mean", "ci_low", "ci_high", "aopc", "random_aopc", "sanity"):
        assert row[key] == theirs[key], key
    # the candidate keeps its own metrics: another model, other numbers
    assert compared["metrics"]["layers"][0]["mean"] != row["mean"]
    page = (project / "scored" / "compare.html").read_text(encoding="utf-8")
    faith = re.search(r'<table class="compare-faithfulness"[^>]*>(.*?)</table>', page, re.S).group(1)
    cells = re.findall(r'<tr data-model="([^"]+)" data-layer="([^"]+)">', faith)
    assert cells == [("base &lt;i&gt;", "conv"), ("candidate", "conv")]
