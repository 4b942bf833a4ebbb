"""`reportgen init` beside a WordPiece vocabulary: the spec it writes tokenises into KerasHub subwords, reads
lower/strip_accents from the pieces and max_tokens from the position embedding, and validates; `explain` with
that spec annotates whole words, each with the sum of its subwords' weights."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("keras_hub")

from reportgen.commands.init import read_wordpiece  # noqa: E402
from tests.commands.cli_helpers import cli  # noqa: E402
from tests.models.test_hub_models import VOCAB, save_hub_model  # noqa: E402


def test_wordpiece_vocabulary_read_from_its_pieces():
    assert read_wordpiece(VOCAB) == {"continuing": 2, "tokens": len(VOCAB), "capitals": False, "accents": False}
    cased = ["[PAD]", "[UNK]", "[CLS]", "The", "café", "##s", "##é"]
    assert read_wordpiece(cased) == {"continuing": 2, "tokens": 7, "capitals": True, "accents": True}
    assert read_wordpiece(["<PAD>", "<OOV>", "good", "bad", "#", "##"]) is None  # words and a literal "##"
    assert read_wordpiece(["<PAD>", "a", "b", "#"]) is None
    assert read_wordpiece([]) is None


def test_init_writes_a_wordpiece_spec_that_validates_and_explains_whole_words(tmp_path, capsys):
    from reportgen.spec import load_spec

    model = save_hub_model(tmp_path)
    spec_file = tmp_path / "spec.yaml"
    code, out, err = cli(capsys, "init", model, "--out", spec_file, "--labels", "sport,business")
    assert code == 0, err
    written = spec_file.read_text(encoding="utf-8")
    spec = load_spec(spec_file)
    assert (spec.input.tokenizer, spec.input.lower, spec.input.strip_accents) == ("wordpiece", True, True)
    assert (spec.input.oov_token, spec.input.max_tokens) == ("[UNK]", 32)  # TokenAndPositionEmbedding(…, 32, …)
    assert re.search(r'^  tokenizer: wordpiece +# 2 of 16 pieces continue a word \("##"\)', written, re.M)
    assert "strip_punctuation" not in written and "  level:" not in written  # Keras 2 word keys do not apply
    assert spec.input.model_inputs is None  # guessed from the names, shown commented
    assert "  #   token_ids: ids\n  #   padding_mask: mask\n" in written
    code, out, err = cli(capsys, "validate", spec_file)
    assert (code, err) == (0, ""), err

    code, out, err = cli(capsys, "explain", "--spec", spec_file, "The unbreakable team won.", "--no-relu",
                         "--color", "never", "--layer", "embedding")
    assert code == 0, err
    line = next(text for text in out.splitlines() if text.startswith("The["))
    words = re.findall(r"(\S+?)\[([-+][0-9.e+-]+|0)\]", line)
    assert [w for w, _ in words] == ["The", "unbreakable", "team", "won."]  # never "un" or "##break"
    # by hand: each word's annotation is the sum of its pieces' weights, explained here token by token
    from reportgen.api import explain
    from reportgen.models.load import load_keras_model
    from reportgen.text.factory import pipeline_from_spec

    pipeline = pipeline_from_spec(spec.input, spec.paths.vocabulary)
    doc = explain(load_keras_model(model), ["The unbreakable team won."], pipeline=pipeline, layers=["embedding"],
                  relu=(False,))[0]
    assert [t.text for t in doc.tokens] == ["the", "un", "##break", "##able", "team", "won", "."]
    w = doc.heatmaps[0].weights
    assert [weight for _, weight in words] == [f"{s:+.3g}" for s in (w[0], w[1] + w[2] + w[3], w[4], w[5] + w[6])]
    assert "the sum of the word's subword weights" in out
