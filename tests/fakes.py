"""Realistic synthetic ReportResults for renderer tests and benchmarks (no model, no TensorFlow).

`make_results(...)` builds seeded random documents with word- or character-level tokens whose spans point
into the original text, predictions for binary / multiclass / multilabel tasks, and smooth heatmaps for
every layer × target × variant × interpolation, the way the engine lays them out. With `nasty=True`
some ids, texts and labels carry HTML and quotes, to test escaping.
"""

from __future__ import annotations

import math
import random
import re
from typing import Sequence

from reportgen.results import (DocumentExplanation, Heatmap, InputInfo, LayerInfo, ModelInfo, Prediction,
                               ReportResults, ReportSettings, Token)

WORDS = ("the film was a great waste of time and money i loved every minute acting plot boring brilliant "
         "story characters director script music scenes awful wonderful slow funny dull moving ending "
         "performance cast worst best not really quite never always terrible superb twist camera").split()
NASTY_TEXT = '<script>alert(1)</script> "quoted" & <b>bold</b> it\'s fine'
NASTY_IDS = ["<script>alert(1)</script>", "reviews/pos 12", "Abc", "abc", 'q"&\'']
LABELS = {
    "binary": ["negative", "positive"],
    "multiclass": ["business", "tech & science", "<b>politics</b>", 'say "sport"'],
    "multilabel": ["action", "comedy", "drama & crime", "<i>horror</i>"],
}
LAYERS = [
    LayerInfo("embedding", 0, "Embedding", [None, None, 16], True, None, 8000, False, False),
    LayerInfo("conv1d", 1, "Conv1D", [None, None, 8], True, None, 392, False, True),
    LayerInfo("encoder/lstm", 2, "LSTM", [None, None, 8], True, None, 544, False, False),
    LayerInfo("pool", 3, "GlobalMaxPooling1D", [None, 8], False, None, 0, False, False),
    LayerInfo("dense", 4, "Dense", [None, 2], False, None, 18, False, False),
]
WORD_RE = re.compile(r"[A-Za-z']+")


def make_text(rng: random.Random, n_words: int) -> str:
    parts = []
    for i in range(n_words):
        word = rng.choice(WORDS)
        if i == 0 or parts[-1].endswith((".", "!")):
            word = word.capitalize()
        parts.append(word)
        r = rng.random()
        if r < 0.08:
            parts[-1] += "."
        elif r < 0.11:
            parts[-1] += ","
        elif r < 0.12:
            parts[-1] += "!"
    text = ""
    for i, part in enumerate(parts):
        sep = "" if i == 0 else ("\n\n" if parts[i - 1].endswith(".") and rng.random() < 0.1 else
                                 "  " if rng.random() < 0.03 else " ")
        text += sep + part
    return text


def tokenize(text: str, level: str, start_token: bool) -> list[Token]:
    tokens = [Token("<START>", None, 1)] if start_token else []
    if level == "char":
        tokens += [Token(ch.lower(), (i, i + 1), 3 + ord(ch.lower()) % 60) for i, ch in enumerate(text)]
    else:
        tokens += [Token(m.group().lower(), (m.start(), m.end()), 3 + sum(map(ord, m.group().lower())) % 5000)
                   for m in WORD_RE.finditer(text)]
    return tokens


def smooth_map(rng: random.Random, n: int, resolution: int, magnitude: float) -> list[float]:
    """A layer-resolution random map stretched linearly to n tokens (what Grad-CAM maps look like)."""
    resolution = max(1, min(n, resolution))
    coarse = [rng.gauss(0.0, 1.0) * magnitude for _ in range(resolution)]
    if resolution == 1 or n == 1:
        return [coarse[0]] * n
    out = []
    for i in range(n):
        x = i * (resolution - 1) / (n - 1)
        j = min(int(x), resolution - 2)
        f = x - j
        out.append(coarse[j] * (1 - f) + coarse[j + 1] * f)
    return out


def predict(rng: random.Random, task: str, n_labels: int) -> tuple[Prediction, list[float]]:
    if task == "binary":
        z = rng.gauss(0.0, 2.5)
        p = 1 / (1 + math.exp(-z))
        probs = [1 - p, p]
        return Prediction(probs, [int(p >= 0.5)]), [-z, z]
    logits = [rng.gauss(0.0, 2.0) for _ in range(n_labels)]
    if task == "multiclass":
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        probs = [e / sum(exps) for e in exps]
        return Prediction(probs, [max(range(n_labels), key=probs.__getitem__)]), logits
    probs = [1 / (1 + math.exp(-z)) for z in logits]
    return Prediction(probs, [k for k, p in enumerate(probs) if p >= 0.5], threshold=0.5), logits


def make_results(n_docs: int = 12, task: str = "binary", level: str = "word", seed: int = 0,
                 layers: Sequence[str] = ("conv1d", "encoder/lstm"), targets: str = "predicted",
                 relu: Sequence[bool] = (True, False), counterfactual: Sequence[bool] = (False,),
                 interpolation: Sequence[str] = ("linear",), scale: str = "layer", aggregate: str = "none",
                 words: tuple[int, int] = (12, 60), max_length: int | None = 80, nasty: bool = True,
                 uniform_layer: bool = False, labels_given: float = 0.9) -> ReportResults:
    rng = random.Random(seed)
    labels = LABELS[task] if nasty else [f"class {k}" for k in range(len(LABELS[task]))]
    layer_names = list(layers) + (["pool"] if uniform_layer else [])
    resolution = {"embedding": 10_000, "conv1d": 30, "encoder/lstm": 10_000, "pool": 1}
    magnitude = {name: 10 ** rng.uniform(-3, 0) for name in layer_names}
    if level == "char":
        max_length = None if max_length is None else max_length * 6
    docs = []
    for d in range(n_docs):
        doc_id = NASTY_IDS[d] if nasty and d < len(NASTY_IDS) else str(d)
        text = make_text(rng, rng.randint(*words))
        if nasty and d == 0:
            text = NASTY_TEXT + " " + text
        if d == 2 and level == "word":
            text = "  " + text + "\n"  # leading and trailing spaces must survive
        tokens = tokenize(text, level, start_token=level == "word" and d % 3 == 0)
        truncated = 0
        if max_length is not None and len(tokens) > max_length:
            truncated = len(tokens) - max_length
            tokens = tokens[:max_length]
        padded = (max_length - len(tokens)) if max_length is not None else 0
        info = InputInfo(length=max_length or len(tokens), padding_side="post" if padded else None, padded=padded,
                         truncated=truncated, truncating_side="post" if truncated else None)
        prediction, logits = predict(rng, task, len(labels))
        explained = {"predicted": prediction.predicted or [max(range(len(labels)), key=logits.__getitem__)],
                     "all": list(range(len(labels)))}[targets]
        heatmaps = []
        for layer in layer_names:
            for target in explained:
                for interp in interpolation:
                    base = smooth_map(rng, len(tokens), resolution.get(layer, 20), magnitude[layer])
                    for cf in counterfactual:
                        signed = [-w for w in base] if cf else base
                        for r in relu:
                            weights = [max(0.0, w) for w in signed] if r else list(signed)
                            uniform = layer == "pool"
                            notes = [f"Layer {layer} has no time axis; the map is uniform."] if uniform else []
                            if interp != "linear" and len(tokens) < 4 and interp == "cubic":
                                notes.append("cubic needs 4 points; fell back to linear")
                            heatmaps.append(Heatmap(layer, target, labels[target], "logit", logits[target], r, cf,
                                                    False, interp, interp, weights, uniform, notes,
                                                    1 if uniform else min(len(tokens), resolution.get(layer, 20))))
        true = None
        if rng.random() < labels_given:
            true = list(prediction.predicted) if rng.random() < 0.75 else [rng.randrange(len(labels))]
        docs.append(DocumentExplanation(doc_id, text, tokens, prediction, heatmaps, info, true))
    model_layers = [LayerInfo(**{**vars(layer), "explained": layer.path in layer_names}) for layer in LAYERS]
    model = ModelInfo("imdb_cnn_lstm", "model.keras", task, labels, "ids", max_length, model_layers,
                      "sigmoid" if task != "multiclass" else "softmax",
                      notes=["Scores are logits taken before the output activation."])
    settings = ReportSettings(layers=list(layer_names), targets=targets, relu=list(relu),
                              counterfactual=list(counterfactual), interpolation=list(interpolation), scale=scale,
                              aggregate=aggregate, level=level)
    description = ("Synthetic report for **renderer tests**.\n\n* seeded\n* [a link](https://example.org)\n\n"
                   "<script>alert('desc')</script><img src=\"https://example.org/x.png\">")
    return ReportResults(title="Synthetic <report> & \"tests\"" if nasty else "Synthetic report", model=model,
                         documents=docs, settings=settings, description=description,
                         dataset="made up by tests/fakes.py", date="2026-01-01",
                         versions={"reportgen": "0.1.0", "keras": "3.15.0", "tensorflow": "2.21.0"})


def json_round_trip(results: ReportResults) -> ReportResults:
    """`results` through explanations.json: every record read back from its dict; what a build keeps in
    results/maps.parquet instead (text, tokens, heatmaps: `STORED_APART`) is carried over from `results`,
    since fake maps are not derived from layer maps (tests/store checks that part of the round trip)."""
    from reportgen.results import STORED_APART

    back = ReportResults.from_dict(results.to_dict())
    for read, original in zip(back.documents, results.documents):
        assert read.id == original.id
        for name in STORED_APART:
            setattr(read, name, getattr(original, name))
    return back
