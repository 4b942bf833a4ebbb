"""`reportgen build` end to end on a tiny model made here: content, escaping, determinism, atomicity, errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.render.test_browser import check_scripts
from tests.stored import stored_documents

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

VOCAB = ["<PAD>", "<START>", "<OOV>", "good", "great", "bad", "awful", "movie", "the", "a", "was", "script",
         "alert", "quotes", "and"]


@pytest.fixture(scope="module")
def project(tmp_path_factory, word_model):
    root = tmp_path_factory.mktemp("project")
    word_model(root, VOCAB, name="tiny", body="bigru", classes=3)
    (root / "reviews.csv").write_text(textwrap.dedent('''\
        id,text,label
        r1,"The movie was GOOD, great!",pos
        r2,"An awful, bad movie.",neg
        <b>x</b>,"<script>alert('x')</script> & ""quotes"" a movie",mixed
        r4,"good good good bad",pos
        '''), encoding="utf-8")
    write_spec(root / "spec.yaml")
    return root


def write_spec(path: Path, **changes) -> Path:
    spec = textwrap.dedent("""\
        version: 1
        title: "Tiny <report> & co"
        description: "A *tiny* model. <script>alert(1)</script>"
        date: 2026-01-02
        model:
          path: model.keras
          labels: [neg, pos, mixed]
        input:
          level: word
          vocabulary: vocab.txt
          start_token: "<START>"
          oov_token: "<OOV>"
        samples:
          file: reviews.csv
        explain:
          layers: [embedding, bigru]
          targets: all
          relu: [true, false]
          interpolation: [linear, nearest]
        metrics:
          enabled: true
          random_seeds: 2
          sanity: false
        output:
          dir: out
          pdf: false
        """)
    for old, new in changes.items():
        spec = spec.replace(old.replace("_", " ") if old not in spec else old, new)
    path.write_text(spec, encoding="utf-8")
    return path


def run_cli(*args, cwd=None, env=None):
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run([sys.executable, "-m", "reportgen", *args], capture_output=True, text=True, cwd=cwd,
                          env=full_env, timeout=600)


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_site_and_json_matching_the_model(project):
    import keras

    from reportgen.build import build

    summary = build(project / "spec.yaml")
    out = summary.out_dir
    assert (out / "index.html").exists() and (out / "explanations.json").exists()
    data = json.loads((out / "explanations.json").read_text(encoding="utf-8"))
    model = keras.models.load_model(project / "model.keras")
    ids = {"r1": [1, 7, 10, 3, 4]}  # <START> movie was good great; "the" is in the vocabulary too
    ids["r1"] = [1, 8, 7, 10, 3, 4]
    doc = next(d for d in stored_documents(out) if d["id"] == "r1")
    assert [t["id"] for t in doc["tokens"]] == ids["r1"]
    expected = model.predict(np.array([ids["r1"]]), verbose=0)[0]
    np.testing.assert_allclose(doc["prediction"]["probabilities"], expected, rtol=1e-5)
    # every requested combination, tokens mapped back to the original characters
    assert {(h["layer"], h["target"], h["relu"], h["interpolation"]) for h in doc["heatmaps"]} == {
        (layer, t, relu, kind) for layer in ("embedding", "bigru") for t in range(3) for relu in (True, False)
        for kind in ("linear", "nearest")}
    text = doc["text"]
    assert [text[a:b] for a, b in (t["span"] for t in doc["tokens"][1:])] == ["The", "movie", "was", "GOOD", "great"]
    assert doc["tokens"][0]["span"] is None
    assert data["metrics"]["layers"] and doc["metrics"]
    assert doc["metrics"] == next(d for d in data["documents"] if d["id"] == "r1")["metrics"]


def test_user_text_is_escaped_everywhere(project):
    from reportgen.build import build

    out = build(project / "spec.yaml", out=project / "escaped").out_dir
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        check_scripts(html, page == out / "index.html")
        assert "<b>x</b>" not in html, page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Tiny &lt;report&gt; &amp; co" in index
    assert "&lt;b&gt;x&lt;/b&gt;" in index
    sample_pages = [p.read_text(encoding="utf-8") for p in (out / "samples").rglob("*.html")]  # and their all-maps pages
    assert any("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;quotes&#34;" in p
               or "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in p for p in sample_pages)


def test_two_builds_are_byte_identical(project):
    first = run_cli("build", "spec.yaml", "--out", "det1", "--quiet", cwd=project, env={"SOURCE_DATE_EPOCH": "0"})
    second = run_cli("build", "spec.yaml", "--out", "det2", "--quiet", cwd=project, env={"SOURCE_DATE_EPOCH": "0"})
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert tree_digest(project / "det1") == tree_digest(project / "det2")
    assert first.stderr == "" and first.stdout == ""


def test_failed_build_leaves_previous_report_untouched(project, monkeypatch):
    from reportgen import build as build_module
    from reportgen.build import build

    out = project / "atomic"
    build(project / "spec.yaml", out=out)
    before = tree_digest(out)

    def broken(*args, **kwargs):
        raise RuntimeError("renderer crashed midway")

    monkeypatch.setattr("reportgen.render.html.render_site", broken)
    with pytest.raises(RuntimeError):
        build_module.build(project / "spec.yaml", out=out)
    assert tree_digest(out) == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".atomic")] == []


@pytest.mark.parametrize("change, message", [
    ({"layers: [embedding, bigru]": "layers: [embeding]"},
     "reportgen: error: explain.layers: layer 'embeding' not found in tiny; did you mean 'embedding'? "
     "(bad.yaml line 16)"),
    ({"targets: all": "targets: [neutral]"},
     "reportgen: error: explain.targets: target 'neutral' is not a label; labels are: neg, pos, mixed "
     "(bad.yaml line 17)"),
    ({"labels: [neg, pos, mixed]": "labels: [neg, pos]"},
     "reportgen: error: model.labels: model.keras: 2 labels given but the model has 3 classes (bad.yaml line 7)"),
    # blamed by the error's type: the message's word "multilabel" once sent this one to model.labels
    ({"labels: [neg, pos, mixed]": "labels: [neg, pos, mixed]\n  task: multilabel"},
     "reportgen: error: model.task: model.keras: task multilabel needs independent sigmoid outputs, the model "
     "ends in softmax (bad.yaml line 8)"),
    ({"file: reviews.csv": "file: reviews.csv\n  select: [r1, r9]"},
     None),
])
def test_bad_input_is_one_line_exit_2_and_keeps_old_output(project, change, message):
    spec = write_spec(project / "bad.yaml", **change)
    (project / "out").mkdir(exist_ok=True)
    before = tree_digest(project / "out")
    result = run_cli("build", spec.name, cwd=project)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    # the stage lines before it say how far the build got; the error itself is one line, the last
    assert [line for line in lines if line.startswith("reportgen:")] == lines[-1:]
    assert "Traceback" not in result.stderr
    if message:
        assert lines[-1] == message
    else:
        assert "r9" in lines[-1] and "reviews.csv" in lines[-1]
    assert tree_digest(project / "out") == before


def test_sanity_check_judges_every_explained_layer(project):
    from reportgen.build import build

    spec = write_spec(project / "sanity.yaml", **{"sanity: false": "sanity: true"})
    out = build(spec, out=project / "sanity").out_dir
    data = json.loads((out / "explanations.json").read_text(encoding="utf-8"))
    metrics = data["metrics"]
    rows = metrics["layers"]
    entries = metrics["sanity"]["layers"]
    assert [e["layer"] for e in entries] == [r["layer"] for r in rows] == ["embedding", "bigru"]
    for row, entry in zip(rows, entries):
        runs = entry["runs"]
        # the cascade the build asks for: the output layer, then the two and three layers from the top
        assert [r["randomized_layers"] for r in runs] == [["out"], ["bigru", "out"], ["embedding", "bigru", "out"]]
        assert all(r["labels"] == metrics["samples"] and len(r["rho"]) == 4 for r in runs)
        verdicts = [r["passed"] for r in runs]
        expected = None if None in verdicts else all(verdicts)
        assert entry["passed"] == row["sanity"]["passed"] == expected
        assert row["sanity"]["mean_abs"] == max(r["mean_abs"] for r in runs if r["mean_abs"] is not None)
    passing = [i for i, r in enumerate(rows) if r["sanity"]["passed"] is True]
    candidates = passing or range(len(rows))
    best = rows[max(candidates, key=lambda i: (rows[i]["mean"], i))]["layer"]
    assert metrics["recommended_layer"] == best and [r["best"] for r in rows] == [r["layer"] == best for r in rows]
    assert metrics["recommended_passes_sanity"] is bool(passing)
    assert metrics["recommendation_note"]
    # the metrics page shows each layer's verdict in its row of the layer table, and why the layer was chosen
    import html
    import re

    page = (out / "metrics.html").read_text(encoding="utf-8")
    table = page[page.index('<table class="data metrics-layers">'):]
    table = table[:table.index("</table>")]
    shown = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">.*?>([^<]+)</a>.*?(passed|failed|no verdict)", table, flags=re.S)
    words = {True: "passed", False: "failed", None: "no verdict"}
    assert shown == [(r["layer"], words[r["sanity"]["passed"]]) for r in rows]
    assert metrics["recommendation_note"] in html.unescape(page)


def test_layers_best_puts_the_recommended_layer_first(project):
    from reportgen.build import build

    spec = write_spec(project / "best.yaml", **{"layers: [embedding, bigru]": "layers: best"})
    out = build(spec, out=project / "best").out_dir
    data = json.loads((out / "explanations.json").read_text(encoding="utf-8"))
    rows = {row["layer"]: row for row in data["metrics"]["layers"]}
    assert set(rows) == {"embedding", "bigru"}  # best explains every layer with a time axis
    best = max(rows.values(), key=lambda r: r["mean"])["layer"]
    assert data["metrics"]["recommended_layer"] == best
    assert data["settings"]["layers"][0] == best
    assert data["settings"]["layers_requested"] == "best"
