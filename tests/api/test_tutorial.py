"""The 2019 tutorial's own two models and numbers (../shared/seed/notebook.txt), through reportgen."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests import paths
from tests.stored import stored_documents

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SEED = paths.SEED
pytestmark = pytest.mark.skipif(not SEED.is_dir(), reason=f"tutorial seed files not found at {SEED}")

# In [131]: the heatmap of "the IRS is after my car loan", target 1, printed with 9 significant digits
HEATMAP_131 = [2.46509482e-06, 0, 0, 0, 0, 3.98306256e-05, 0, 0, 0, 0, 0, 0, 5.14151877e-05, 2.46509482e-06, 0,
               2.15278150e-04, 0, 0, 0, 0, 0, 0, 2.15278150e-04, 0, 0, 0, 0, 0]
SENTIMENT_IDS = [1, 4825, 14, 9, 87, 21, 24, 38, 87]
SENTIMENT_TOKENS = ["<START>", "hello", "this", "is", "great", "but", "not", "so", "great"]


def tutorial_char_ids(text: str, length: int = 3193) -> list[int]:
    """The tutorial's vectorisation, written out: Keras 2 text_to_word_sequence(lower=False), words joined by
    single spaces, characters looked up in word_index.csv (<OOV> for unknown), post-padded with 0."""
    filters = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
    with open(SEED / "word_index.csv", newline="", encoding="utf-8") as f:
        table = {token: int(index) for token, index in list(csv.reader(f))[1:]}
    words = "".join(" " if c in filters else c for c in text).split(" ")
    joined = " ".join(w for w in words if w)
    ids = [table.get(c, table["<OOV>"]) for c in joined]
    return ids + [0] * (length - len(ids))


@pytest.fixture(scope="module")
def multiclass():
    import reportgen

    return reportgen.load_model(SEED / "keras_multiclass_text_classifier.h5")


def test_in_131_heatmap_reproduced_from_the_embedding_layer(multiclass):
    # The notebook's cells ran out of order: this heatmap came from the embedding layer (index 0), not from
    # layer=3 as the cell above it suggests -- each value depends only on its character (both 't' give
    # 2.465e-06, both 'r' 2.153e-04), which only the embedding can produce.
    import reportgen

    text = "the IRS is after my car loan"
    ids = np.array([tutorial_char_ids(text)])
    tokens = np.array([[c for c in text] + ["<PAD>"] * (3193 - len(text))])
    E = reportgen.explain_prediction(multiclass, ids, tokens=tokens, targets=[1], layer=0, relu=True,
                                     pad_value="<PAD>", padding="post", interpolation_kind="linear",
                                     score="probability", normalize_gradients=True)
    target = E.targets[0]
    assert target.target == 1 and target.layer == "embedding_1"
    assert target.score == pytest.approx(0.26196888, rel=1e-5)  # In [96]
    assert len(target.heatmap) == 28
    np.testing.assert_allclose(target.heatmap, HEATMAP_131, rtol=0, atol=1e-8)
    doc_ws = target.weighted_spans.docs_weighted_spans[0]
    assert doc_ws.document == text
    assert doc_ws.spans[5][:2] == ("R", [(5, 6)])
    assert doc_ws.spans[15][2] == pytest.approx(2.15278150e-04, abs=1e-8)


def test_repeated_tokens_keep_their_own_weight(multiclass):
    """The tutorial's HTML divided a repeated token's weight by its count; both 'r' here weigh the same."""
    import reportgen

    text = "the IRS is after my car loan"
    ids = np.array([tutorial_char_ids(text)])
    tokens = np.array([[c for c in text] + ["<PAD>"] * (3193 - len(text))])
    E = reportgen.explain_prediction(multiclass, ids, tokens=tokens, targets=[1], layer="embedding_1",
                                     pad_value="<PAD>", score="probability", normalize_gradients=True)
    weight = E.targets[0].heatmap[15]
    assert E.targets[0].heatmap[22] == weight == pytest.approx(HEATMAP_131[15], abs=1e-8)  # not halved
    html = reportgen.format_as_html(E)
    # neighbouring characters of one level share an element, whose data-w is their smallest and largest
    # weight: each 'r' lies in a run whose range holds its full weight, at the level of its full weight
    block = html[html.index('<div class="text">') + len('<div class="text">'):]
    block = block[:block.index("</div>")]
    runs, position = [], 0
    for m in re.finditer(r'<mark ([^>]*)>([^<]*)</mark>|([^<]+)', block):
        piece = m.group(2) if m.group(1) else m.group(3)
        if m.group(1):
            runs.append((position, position + len(piece), dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))))
        position += len(piece)
    assert position == len(text)
    top = float(np.max(np.abs(E.targets[0].heatmap)))  # the fragment's scale: this map's max |weight|

    def hand_level(w):
        return min(8, math.floor(abs(w) / top * 8 + 0.5))

    assert hand_level(weight) != hand_level(weight / 2)  # a halved weight would show at another level
    for at in (15, 22):
        [(start, end, attrs)] = [r for r in runs if r[0] <= at < r[1]]
        low, *high = [float(x) for x in attrs["data-w"].split()]
        assert low - 1e-9 <= weight <= (high[0] if high else low) + 1e-9
        assert int(attrs["data-level"]) == hand_level(weight)
        assert int(attrs.get("data-tokens", "1")) == end - start  # one token per character


def build_spec(tmp_path: Path) -> Path:
    seed = SEED.as_posix()
    (tmp_path / "sentiment.yaml").write_text(textwrap.dedent(f"""\
        version: 1
        title: Tutorial sentiment model
        description: The 2019 tutorial's **IMDB** model, converted from Keras 2.
        model:
          path: {seed}/keras_sentiment_classifier.h5
          labels: [negative, positive]
        input:
          level: ids
        samples:
          source: inline
          items:
            - id: custom
              ids: {SENTIMENT_IDS}
              tokens: {json.dumps(SENTIMENT_TOKENS)}
              label: positive
        explain:
          layers: [embedding_1, bidirectional_1, bidirectional_2]
          targets: [negative, positive]
          relu: [true, false]
          counterfactual: [false, true]
          score: probability
        metrics:
          enabled: false
        output:
          dir: sentiment-report
          pdf: {{enabled: true, max_pages: 20}}
        """), encoding="utf-8")
    (tmp_path / "multiclass.yaml").write_text(textwrap.dedent(f"""\
        version: 1
        title: Tutorial multiclass model
        model:
          path: {seed}/keras_multiclass_text_classifier.h5
          labels_file: {seed}/labels_index.csv
        input:
          level: char
          vocabulary: {seed}/word_index.csv
          lower: false
          oov_token: "<OOV>"
        samples:
          source: inline
          items:
            - {{id: typo, text: "the IRS is afterr my car loan", label: Consumer Loan}}
            - {{id: plain, text: "the IRS is after my car loan", label: Consumer Loan}}
        explain:
          layers: [embedding_1, conv1d_1, max_pooling1d_1]
          targets: top-2
          relu: [true, false]
          interpolation: [linear, nearest, cubic]
        metrics:
          enabled: true
          max_samples: 2
          random_seeds: 1
          sanity: false
        output:
          dir: multiclass-report
          pdf: false
        """), encoding="utf-8")
    return tmp_path


@pytest.mark.slow
def test_reports_from_the_two_tutorial_models(tmp_path):
    from reportgen.build import build

    build_spec(tmp_path)
    summary = build(tmp_path / "sentiment.yaml")
    data = json.loads((summary.out_dir / "explanations.json").read_text(encoding="utf-8"))
    (doc,) = stored_documents(summary.out_dir)
    assert doc["prediction"]["probabilities"][1] == pytest.approx(0.5912496, rel=1e-5)  # In [12]
    assert [t["text"] for t in doc["tokens"]] == SENTIMENT_TOKENS
    combos = {(h["layer"], h["target"], h["relu"], h["counterfactual"]) for h in doc["heatmaps"]}
    assert len(combos) == 3 * 2 * 2 * 2
    assert (summary.out_dir / "report.pdf").stat().st_size > 1000
    page = (summary.out_dir / "samples" / "custom.html").read_text(encoding="utf-8")
    assert "0.591" in page and "hello" in page

    summary = build(tmp_path / "multiclass.yaml")
    data = json.loads((summary.out_dir / "explanations.json").read_text(encoding="utf-8"))
    typo = next(d for d in stored_documents(summary.out_dir) if d["id"] == "typo")
    # In [134], the 11 probabilities of the typo text
    expected = [0.09576575, 0.27872923, 0.10852851, 0.03327851, 0.11653358, 0.1867436, 0.02678595, 0.13854526,
                0.00900717, 0.00178243, 0.00429991]
    np.testing.assert_allclose(typo["prediction"]["probabilities"], expected, rtol=1e-4)
    assert "".join(t["text"] for t in typo["tokens"]) == "the IRS is afterr my car loan"
    assert {h["interpolation"] for h in typo["heatmaps"]} == {"linear", "nearest", "cubic"}
    assert {h["target_label"] for h in typo["heatmaps"]} == {"Consumer Loan", "Student loan"}
    assert data["metrics"]["layers"] and (summary.out_dir / "metrics.html").exists()
    assert not (summary.out_dir / "report.pdf").exists()
