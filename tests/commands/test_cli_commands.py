"""`reportgen inspect`, `init`, `explain` and `serve` on tiny Keras models.

Expected values are worked out by hand from the models' construction: parameter counts from layer sizes,
Grad-CAM weights of an embedding-average model in closed form, colour levels from the documented rule
(level = round(|w| / max |w| * 8)), and the tutorial's printed model summary for the seed model.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

from tests import paths
import numpy as np
import pytest

from reportgen.cli import main

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = paths.REPO
SEED = paths.SEED
needs_seed = pytest.mark.skipif(not (SEED / "keras_multiclass_text_classifier.h5").exists(),
                                reason=f"tutorial seed models not found in {SEED} (not part of the repository)")

# The strings model: TextVectorization ids are 0 (padding), 1 ([UNK]), then this vocabulary in order.
WORDS = ["good", "bad", "movie", "plot"]
EMBEDDING = np.array([[0.3, 0.3],   # padding: not zero, and not masked, so padding changes the mean
                      [0.0, 0.0],   # [UNK]
                      [1.0, 0.0],   # good
                      [0.0, 1.0],   # bad
                      [0.5, 0.5],   # movie
                      [0.2, 0.1]],  # plot
                     dtype="float32")
KERNEL = np.array([[2.0], [-1.0]], dtype="float32")
BIAS = np.array([0.1], dtype="float32")
TEXT = "Good movie, bad plot!"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def run_cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    keras = pytest.importorskip("keras")
    folder = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(0)

    # Strings in, embedding averaged (padding included), one sigmoid unit: Grad-CAM has a closed form.
    text_in = keras.Input(shape=(), dtype="string")
    x = keras.layers.TextVectorization(vocabulary=WORDS, name="vectorize")(text_in)
    embed = keras.layers.Embedding(len(WORDS) + 2, 2, name="embed")
    x = keras.layers.GlobalAveragePooling1D(name="mean")(embed(x))
    head = keras.layers.Dense(1, activation="sigmoid", name="head")
    strings = keras.Model(text_in, head(x), name="strings")
    embed.set_weights([EMBEDDING])
    head.set_weights([KERNEL, BIAS])

    # Fixed-length ids, softmax over 3 labels.
    ids_in = keras.Input(shape=(10,), dtype="int32")
    x = keras.layers.Embedding(30, 4, name="embedding")(ids_in)
    x = keras.layers.Conv1D(3, 3, padding="same", name="conv1d")(x)
    x = keras.layers.GlobalMaxPooling1D(name="gmp")(x)
    ids = keras.Model(ids_in, keras.layers.Dense(3, activation="softmax", name="out")(x), name="ids")

    # Variable-length ids through a nested encoder that masks padding; three independent sigmoids.
    encoder = keras.Sequential([keras.Input((None,), dtype="int32"),
                                keras.layers.Embedding(20, 3, mask_zero=True, name="embed"),
                                keras.layers.SimpleRNN(2, return_sequences=True, name="rnn")], name="encoder")
    nested_in = keras.Input((None,), dtype="int32")
    x = keras.layers.GlobalAveragePooling1D(name="pool")(encoder(nested_in))
    nested = keras.Model(nested_in, keras.layers.Dense(3, activation="sigmoid", name="out")(x), name="nested")

    paths = {}
    for name, model in (("strings", strings), ("ids", ids), ("nested", nested)):
        paths[name] = folder / f"{name}.keras"
        model.save(paths[name])
    return paths


def table_rows(out: str) -> dict[str, list[str]]:
    """The layer table of `inspect` keyed by layer path (cells split on runs of 2+ spaces)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["#", "layer"])
    rows = {}
    for line in lines[start + 1:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0].isdigit():
            cells = cells[1:]
        rows[cells[0]] = cells[1:]
    return rows


# ----- inspect ------------------------------------------------------------------------------------

def test_inspect_table_of_a_fixed_length_ids_model(models, capsys) -> None:
    code, out, err = cli(capsys, "inspect", models["ids"])
    assert code == 0, err
    rows = table_rows(out)
    # params: embedding 30*4; conv 3 (kernel) * 4 (in) * 3 (filters) + 3; dense 3*3 + 3
    assert rows["embedding"] == ["Embedding", "(None, 10, 4)", "yes, 10 steps", "120"]
    assert rows["conv1d"] == ["Conv1D", "(None, 10, 3)", "yes, 10 steps", "39", "*"]
    assert rows["gmp"] == ["GlobalMaxPooling1D", "(None, 3)", "no", "0"]
    assert rows["out"] == ["Dense", "(None, 3)", "no", "12"]
    assert [path for path, cells in rows.items() if cells[-1] == "*"] == ["conv1d"]
    assert "token ids (embedding of 30 ids); fixed length 10" in out
    assert "softmax, 3 units -> task guess: multiclass (3 labels)" in out
    assert "auto layer  conv1d" in out
    assert "(Keras 3)" in out


def test_inspect_json_nested_model_paths_masking_and_determinism(models, capsys) -> None:
    code, out, err = cli(capsys, "inspect", "--json", models["nested"])
    assert code == 0, err
    data = json.loads(out)
    layers = {layer["path"]: layer for layer in data["layers"]}
    assert list(layers)[-4:] == ["encoder/embed", "encoder/rnn", "pool", "out"]
    assert layers["encoder/embed"]["index"] is None and layers["encoder"]["index"] == 1
    # SimpleRNN(2) on 3 inputs: input kernel 3*2, recurrent kernel 2*2, bias 2
    assert (layers["encoder/rnn"]["params"], layers["encoder/embed"]["params"], layers["out"]["params"]) == (12, 60, 9)
    assert layers["encoder/rnn"]["output_shape"] == [None, None, 2]
    assert layers["encoder/rnn"]["time_axis"] and layers["encoder/rnn"]["time_steps"] is None
    assert data["auto_layer"] == "encoder/rnn" and layers["encoder/rnn"]["auto"]
    assert data["task"] == "multilabel" and data["output"] == {"activation": "sigmoid", "units": 3}
    assert data["input"]["kind"] == "ids" and data["input"]["length"] is None
    assert data["input"]["padding_masked"] is True  # mask_zero embedding -> masked RNN -> masked average
    assert data["model"]["format"] == "keras"
    again = cli(capsys, "inspect", "--json", models["nested"])[1]
    assert again == out


def test_inspect_strings_model_reports_vectorizer_and_unmasked_padding(models, capsys) -> None:
    code, out, err = cli(capsys, "inspect", models["strings"])
    assert code == 0, err
    assert "strings, turned into ids by its TextVectorization layer 'vectorize'" in out
    assert "vocabulary of 6 tokens" in out and "variable length" in out
    # the average includes padding positions, whose embedding is (0.3, 0.3): padding changes the output
    assert "not masked" in out
    assert "sigmoid, 1 unit -> task guess: binary (2 labels)" in out
    rows = table_rows(out)
    assert rows["embed"] == ["Embedding", "(None, None, 2)", "yes, variable", "12", "*"]


@needs_seed
def test_inspect_seed_keras2_model_matches_the_tutorial_summary(capsys) -> None:
    code, out, err = cli(capsys, "inspect", "--json", SEED / "keras_multiclass_text_classifier.h5")
    assert code == 0, err
    data = json.loads(out)
    layers = {layer["path"]: layer for layer in data["layers"]}
    # the notebook's model.summary(): name, output shape, params
    expected = {"embedding_1": ([None, 3193, 8], 816), "conv1d_1": ([None, 3179, 128], 15488),
                "max_pooling1d_1": ([None, 1589, 128], 0), "conv1d_2": ([None, 1580, 128], 163968),
                "average_pooling1d_1": ([None, 790, 128], 0)}
    for path, (shape, params) in expected.items():
        assert (layers[path]["output_shape"], layers[path]["params"]) == (shape, params), path
    assert data["model"]["format"] == "legacy-h5"
    assert data["input"] == {"kind": "ids", "length": 3193, "padding_masked": None, "vocabulary_size": 102}
    assert data["output"] == {"activation": "softmax", "units": 11}


# ----- init ---------------------------------------------------------------------------------------

def test_init_writes_a_valid_commented_spec_for_an_ids_model(models, tmp_path, capsys) -> None:
    from reportgen.spec import load_spec

    spec_file = tmp_path / "project" / "spec.yaml"
    spec_file.parent.mkdir()
    code, out, err = cli(capsys, "init", models["ids"], "--out", spec_file)
    assert code == 0, err
    assert out.startswith(f"wrote {spec_file}")
    spec = load_spec(spec_file)
    assert spec.paths.model.resolve() == models["ids"].resolve()
    assert not Path(spec.model.path).is_absolute() and spec.model.path.endswith("ids.keras")
    assert spec.model.labels == ["0", "1", "2"] and spec.model.task == "multiclass"
    assert spec.input.vocabulary is None and spec.input.level == "char"  # 30 ids: a character-sized vocabulary
    assert spec.explain.layers == "auto" and spec.explain.targets == "top-2"
    text = spec_file.read_text(encoding="utf-8")
    assert re.search(r"^  # vocabulary: \S+ +# TODO", text, re.M)
    assert re.search(r"^  # layers with a time axis: embedding, conv1d$", text, re.M)
    assert re.search(r"^  layers: auto +# picks conv1d", text, re.M)


def test_init_strings_model_with_csv_samples_and_labels(models, tmp_path, capsys) -> None:
    from reportgen.samples import load_samples
    from reportgen.spec import load_spec

    data = tmp_path / "data" / "reviews.csv"
    data.parent.mkdir()
    data.write_text("id,review,label\na,good movie,pos\nb,bad plot,neg\nc,fine,pos\n", encoding="utf-8")
    spec_file = tmp_path / "spec.yaml"
    code, out, err = cli(capsys, "init", models["strings"], "--out", spec_file, "--samples", data,
                         "--labels", "neg,pos")
    assert code == 0, err
    spec = load_spec(spec_file)
    assert spec.model.labels == ["neg", "pos"] and spec.model.task == "binary" and spec.model.threshold == 0.5
    assert spec.samples.file == "data/reviews.csv" and spec.samples.text_column == "review"
    assert [(s.id, s.text, s.label) for s in load_samples(spec)] == [
        ("a", "good movie", ["pos"]), ("b", "bad plot", ["neg"]), ("c", "fine", ["pos"])]
    text = spec_file.read_text(encoding="utf-8")
    assert not re.search(r"^input:", text, re.M)  # the model's TextVectorization needs no input section
    assert "TODO: guessed" in text and "TODO: your label names" not in text


def test_init_refuses_to_overwrite_without_force_and_imports_no_tensorflow(models, tmp_path, capsys) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text("keep me\n", encoding="utf-8")
    probe = textwrap.dedent("""
        import sys
        from reportgen.cli import main
        import reportgen.commands.explain, reportgen.commands.init, reportgen.commands.inspect
        import reportgen.commands.serve
        code = main(["init", sys.argv[1], "--out", sys.argv[2]])
        print("RESULT", code, sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
    """)
    result = run_cli("-c", probe, str(models["ids"]), str(spec_file), cwd=tmp_path)
    assert "RESULT 2 []" in result.stdout, result.stderr
    assert result.stderr.splitlines() == [
        f"reportgen: error: {spec_file}: already exists; choose another --out, or add --force to overwrite it"]
    assert spec_file.read_text(encoding="utf-8") == "keep me\n"
    code, out, err = cli(capsys, "init", models["ids"], "--out", spec_file, "--force")
    assert code == 0, err
    assert spec_file.read_text(encoding="utf-8").startswith("# reportgen spec for ids.keras")


def test_init_rejects_wrong_label_count_and_unknown_sample_format(models, tmp_path, capsys) -> None:
    code, out, err = cli(capsys, "init", models["ids"], "--out", tmp_path / "a.yaml", "--labels", "x,y")
    assert code == 2 and "2 labels given but the model has 3 classes" in err and len(err.splitlines()) == 1
    odd = tmp_path / "texts.xlsx"
    odd.write_bytes(b"")
    code, out, err = cli(capsys, "init", models["ids"], "--out", tmp_path / "b.yaml", "--samples", odd)
    assert code == 2 and "cannot tell the format" in err
    assert not (tmp_path / "a.yaml").exists() and not (tmp_path / "b.yaml").exists()


def test_init_puts_the_vocabulary_beside_an_ids_model_into_the_spec(models, tmp_path, capsys) -> None:
    from reportgen.spec import load_spec

    folder = tmp_path / "model"
    folder.mkdir()
    model = folder / "ids.keras"
    model.write_bytes(models["ids"].read_bytes())
    # 30 ids would read as a character vocabulary from the embedding size; the file says words.
    (folder / "vocab.txt").write_text("<PAD>\n<START>\n<OOV>\ngood\nbad\nmovie\n", encoding="utf-8")
    spec_file = tmp_path / "spec.yaml"
    code, out, err = cli(capsys, "init", model, "--out", spec_file)
    assert code == 0, err
    spec = load_spec(spec_file)
    assert spec.input.vocabulary == "model/vocab.txt" and spec.input.level == "word"
    assert (spec.input.start_token, spec.input.oov_token) == ("<START>", "<OOV>")
    assert re.search(r"^  vocabulary: model/vocab.txt +# TODO: found beside the model", spec_file.read_text(), re.M)
    code, out, err = cli(capsys, "validate", spec_file)
    assert (code, err) == (0, ""), err
    assert out.startswith("ok: ids: Grad-CAM explanations — 2 samples")


def test_init_uses_a_labels_file_beside_the_model_when_it_fits_and_says_what_it_found(models, tmp_path,
                                                                                       capsys) -> None:
    from reportgen.spec import load_spec

    folder = tmp_path / "model"
    folder.mkdir()
    model = folder / "ids.keras"
    model.write_bytes(models["ids"].read_bytes())  # 3 softmax units
    (folder / "vocab.txt").write_text("<PAD>\n<OOV>\ngood\nbad\nmovie\n", encoding="utf-8")
    (folder / "labels.txt").write_text("neg\nneutral\npos\n", encoding="utf-8")
    spec_file = tmp_path / "spec.yaml"
    code, out, err = cli(capsys, "init", model, "--out", spec_file)
    assert code == 0, err
    assert out.splitlines()[1:] == ["found vocab.txt beside the model: input.vocabulary",
                                    "found labels.txt beside the model: model.labels_file"]
    spec = load_spec(spec_file)
    assert (spec.model.labels_file, spec.model.labels, spec.input.vocabulary) == ("model/labels.txt", None,
                                                                                  "model/vocab.txt")
    code, out, err = cli(capsys, "validate", spec_file)
    assert (code, err) == (0, ""), err

    # two names for three classes: not used, and the spec and the output say why
    (folder / "labels.txt").unlink()
    (folder / "labels.csv").write_text("neg,0\npos,1\n", encoding="utf-8")
    code, out, err = cli(capsys, "init", model, "--out", spec_file, "--force")
    assert code == 0, err
    assert out.splitlines()[2] == ("found labels.csv beside the model but did not use it: it has 2 labels, the model "
                                   "3 classes")
    assert load_spec(spec_file).model.labels == ["0", "1", "2"]
    assert re.search(r"^  labels: \[.*\] +# TODO: your label names \(labels.csv beside the model: it has 2 labels, "
                     r"the model 3 classes\)$", spec_file.read_text(encoding="utf-8"), re.M)

    # --labels wins over a file, which is then not looked for
    (folder / "labels.csv").write_text("a,0\nb,1\nc,2\n", encoding="utf-8")
    code, out, err = cli(capsys, "init", model, "--out", spec_file, "--force", "--labels", "x,y,z")
    assert code == 0, err
    assert out.splitlines()[1:] == ["found vocab.txt beside the model: input.vocabulary"]
    assert load_spec(spec_file).model.labels == ["x", "y", "z"]


def test_validate_refuses_an_ids_model_spec_without_a_vocabulary(models, tmp_path, capsys) -> None:
    spec_file = tmp_path / "spec.yaml"
    code, out, err = cli(capsys, "init", models["ids"], "--out", spec_file)  # no vocabulary beside this model
    assert code == 0, err
    code, out, err = cli(capsys, "validate", spec_file)
    line = next(n for n, text in enumerate(spec_file.read_text().splitlines(), 1) if text == "input:")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "reportgen: error: input.vocabulary: the model takes token ids, so the spec needs the vocabulary that maps "
        f"words (or characters) to them, or input.level: ids with pre-vectorised samples ({spec_file.name} line {line})"]


# Model configs as Keras writes them into a .keras file, read by validate without TensorFlow.
IDS_CONFIG = {"class_name": "Functional", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [None, None], "dtype": "int32", "name": "ids"}},
    {"class_name": "Embedding", "config": {"input_dim": 10, "output_dim": 2}}]}}
STRINGS_CONFIG = {"class_name": "Functional", "config": {"layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [None], "dtype": "string", "name": "text"}},
    {"class_name": "TextVectorization", "config": {"max_tokens": 10}}]}}


def fake_project(folder: Path, config: dict, spec: str, files: dict[str, str] | None = None) -> Path:
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "model.keras", "w") as archive:
        archive.writestr("config.json", json.dumps(config))
    for name, text in {"vocab.txt": "<PAD>\n<OOV>\ngood\nbad\n", "reviews.csv": "id,text,label\na,good,pos\n",
                       **(files or {})}.items():
        (folder / name).write_text(text, encoding="utf-8")
    spec_file = folder / "spec.yaml"
    spec_file.write_text("version: 1\ntitle: T\nmodel:\n  path: model.keras\n  labels: [neg, pos]\n"
                         "samples:\n  file: reviews.csv\n" + textwrap.dedent(spec), encoding="utf-8")
    return spec_file


@pytest.mark.parametrize("config, spec, files, message", [
    (STRINGS_CONFIG, "", {}, None),
    (IDS_CONFIG, "input: {vocabulary: vocab.txt}\n", {}, None),
    (IDS_CONFIG, "input: {vocabulary: vocab.txt, oov_token: '<UNK>'}\n", {},
     "input.vocabulary: vocab.txt: the OOV token '<UNK>' is not in the vocabulary"),
    (IDS_CONFIG, "input: {vocabulary: vocab.txt}\n", {"vocab.txt": "good\ngood\n"},
     "input.vocabulary: vocab.txt, line 2: token 'good' already on line 1"),
    (IDS_CONFIG, "input: {vocabulary: vocab.txt}\n", {"reviews.csv": "id,text\na,good\nb,zzz qqq\n"},
     "sample 'b': the text gives no tokens (empty, or only unknown words without an OOV token)"),
    (IDS_CONFIG, "input: {vocabulary: vocab.txt}\n", {"reviews.csv": "id,text,label\na,good,meh\n"},
     "sample 'a' (reviews.csv row 0): label 'meh' is not one of the model's labels (neg, pos)"),
    (IDS_CONFIG, "input: {vocabulary: vocab.txt}\nexplain: {targets: [pos, neutral]}\n", {},
     "explain.targets[1]: target 'neutral' is not a label; labels are: neg, pos (spec.yaml line 9)"),
    (IDS_CONFIG, "input: {level: ids}\n", {},
     "sample 'a': pre-vectorised input takes ids and tokens, not text"),
])
def test_validate_catches_without_tensorflow_what_build_would_refuse(tmp_path, capsys, config, spec, files,
                                                                     message) -> None:
    spec_file = fake_project(tmp_path / "p", config, spec, files)
    code, out, err = cli(capsys, "validate", spec_file)
    if message is None:
        assert (code, err) == (0, "") and out.startswith("ok: T — 1 sample from reviews.csv")
    else:
        assert code == 2 and len(err.splitlines()) == 1, err
        assert message in err


# ----- explain ------------------------------------------------------------------------------------

def expected_strings_explanation() -> tuple[float, list[float]]:
    """p(positive) and the Grad-CAM map at the embedding for TEXT, by hand.

    logit z = mean_t(E[x_t]) . w + b. At the embedding A[t] = E[x_t], dz/dA[t, c] = w_c / T for every t,
    so the channel weights are w_c / T and the map is map[t] = E[x_t] . w / T (the predicted label is
    positive, so the target score is z itself).
    """
    ids = [2 + WORDS.index(word) for word in ("good", "movie", "bad", "plot")]
    rows = EMBEDDING.astype(np.float64)[ids]
    w = KERNEL[:, 0].astype(np.float64)
    z = float(rows.mean(axis=0) @ w + BIAS[0])
    return 1 / (1 + math.exp(-z)), list(rows @ w / len(ids))


def test_explain_plain_output_weights_by_hand(models, capsys) -> None:
    p, weights = expected_strings_explanation()
    assert p > 0.5 and weights == pytest.approx([0.5, 0.125, -0.25, 0.075])
    code, out, err = cli(capsys, "explain", models["strings"], TEXT)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"predicted: positive {p:.3f} | others: negative {1 - p:.3f}"
    assert lines[2].startswith("target positive (logit +0.550), layer embed, relu, 4 tokens")
    assert lines[3] == "Good[+0.5] movie[+0.125], bad[0] plot[+0.075]!"  # relu clips bad's -0.25
    assert lines[4].startswith("legend: ") and "max |weight| 0.5" in lines[4]
    assert "\x1b[" not in out  # captured output is not a terminal
    code, out, err = cli(capsys, "explain", models["strings"], TEXT, "--no-relu", "--target", "negative")
    assert code == 0, err
    # explaining the other label of a single sigmoid unit negates the logit, hence every weight
    assert "Good[-0.5] movie[-0.125], bad[+0.25] plot[-0.075]!" in out.splitlines()


def test_explain_terminal_colours_are_the_report_levels(models, capsys) -> None:
    from reportgen.report.colors import level_rgb

    code, out, err = cli(capsys, "explain", models["strings"], TEXT, "--color", "always")
    assert code == 0, err
    text_line = out.splitlines()[3]

    def colored(level: int, word: str) -> str:
        r, g, b = level_rgb(level)
        return f"\x1b[48;2;{r};{g};{b}m\x1b[38;2;0;0;0m{word}\x1b[0m"

    # levels = round(w / 0.5 * 8): good 0.5 -> 8, movie 0.125 -> 2, plot 0.075 -> 1.2 -> 1, bad 0 -> none
    assert text_line == f"{colored(8, 'Good')} {colored(2, 'movie')}, bad {colored(1, 'plot')}!"
    assert level_rgb(8) != level_rgb(2) != level_rgb(1)


def test_explain_html_page_is_escaped_and_complete(models, tmp_path, capsys) -> None:
    page = tmp_path / "out" / "explained.html"
    code, out, err = cli(capsys, "explain", models["strings"], "Good <b>movie</b> & plot", "--html", page)
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "&lt;b&gt;" in html and "<b>movie" not in html
    assert html.count('class="reportgen-fragment"') == 1 and "<title>strings.keras: explanation</title>" in html
    assert out.rstrip().endswith(f"wrote {page}")


def test_explain_ids_model_needs_a_vocabulary_and_uses_it(models, tmp_path, capsys) -> None:
    keras = pytest.importorskip("keras")
    code, out, err = cli(capsys, "explain", models["ids"], "good movie")
    assert code == 2 and err.count("\n") == 1 and "--vocabulary FILE" in err
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("<PAD>\n<OOV>\ngood\nbad\nmovie\nplot\n", encoding="utf-8")
    code, out, err = cli(capsys, "explain", models["ids"], "Good movie, xyz plot", "--vocabulary", vocab,
                         "--oov-token", "<OOV>", "--layer", "embedding", "--target", "1", "--labels", "a,b,c")
    assert code == 0, err
    # the words' line numbers are their ids; the unknown word becomes <OOV> (1); post-padded to 10 with 0
    probs = keras.models.load_model(models["ids"])(np.array([[2, 4, 1, 5, 0, 0, 0, 0, 0, 0]])).numpy()[0]
    best = int(np.argmax(probs))
    assert out.splitlines()[0].startswith(f"predicted: {'abc'[best]} {probs[best]:.3f}")
    assert re.search(r"^target b \(logit [+-]\d\.\d{3}\), layer embedding, relu, 4 tokens:$", out, re.M)
    assert "note: 1 of 4 words are not in the vocabulary" in out
    assert re.search(r"^Good\[\S+\] movie\[\S+\], xyz\[\S+\] plot\[\S+\]$", out, re.M)


def test_explain_character_model_shows_word_sums(models, tmp_path, capsys) -> None:
    from reportgen.api import explain
    from reportgen.models.load import load_keras_model
    from reportgen.spec.schema import InputSpec
    from reportgen.text.factory import pipeline_from_spec

    vocab = tmp_path / "chars.txt"
    vocab.write_text("<PAD>\n<OOV>\na\nb\n", encoding="utf-8")
    code, out, err = cli(capsys, "explain", models["ids"], "ab ba", "--vocabulary", vocab, "--no-relu")
    assert code == 0, err
    pipeline = pipeline_from_spec(InputSpec(level="char"), vocab)
    chars = explain(load_keras_model(models["ids"]), ["ab ba"], pipeline=pipeline, relu=False)[0]
    w = chars.heatmaps[0].weights  # one per character a, b, b, a (the space is not in the vocabulary)
    assert len(w) == 4
    assert f"ab[{w[0] + w[1]:+.3g}] ba[{w[2] + w[3]:+.3g}]" in out.splitlines()
    assert "the sum of the word's character weights" in out


def test_explain_errors_are_one_line(models, tmp_path, capsys) -> None:
    code, out, err = cli(capsys, "explain", models["strings"], TEXT, "--layer", "embedd")
    assert code == 2 and err.splitlines() == [
        "reportgen: error: layer 'embedd' not found in strings; did you mean 'embed'?"]
    code, out, err = cli(capsys, "explain", models["strings"], "  ")
    assert code == 2 and "TEXT gives no tokens" in err and len(err.splitlines()) == 1
    code, out, err = cli(capsys, "explain", tmp_path / "missing.keras", TEXT)
    assert code == 2 and "no such model file" in err


def test_vocabulary_level_from_its_tokens(tmp_path) -> None:
    from reportgen.text.vocab import load_vocabulary

    def guess_level(path):
        return load_vocabulary(path).level

    chars = tmp_path / "chars.csv"
    chars.write_text(",0\n<OOV>,1\n\" \",2\ne,3\nt,4\n", encoding="utf-8")  # the seed's word_index.csv form
    words = tmp_path / "words.txt"
    words.write_text("<PAD>\n<OOV>\na\nmovie\n", encoding="utf-8")
    assert (guess_level(chars), guess_level(words)) == ("char", "word")


# ----- serve --------------------------------------------------------------------------------------

def test_serve_answers_on_localhost_and_exits_0_on_ctrl_c(tmp_path) -> None:
    site = tmp_path / "report"
    site.mkdir()
    (site / "index.html").write_text("<!DOCTYPE html><title>hello</title>\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, "-m", "reportgen", "serve", str(site), "--port", "0"], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline()
        match = re.fullmatch(r"serving .* at (http://127\.0\.0\.1:(\d+)/) \(Ctrl-C to stop\)\n", first)
        assert match, (first, server.stderr.read() if server.poll() is not None else "")
        with urllib.request.urlopen(match.group(1) + "index.html", timeout=10) as response:
            assert response.read().decode() == "<!DOCTYPE html><title>hello</title>\n"
            assert response.headers["Cache-Control"] == "no-store"
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        server.stdout.close()
        server.stderr.close()


def test_serve_refuses_folders_without_a_report_and_busy_ports(tmp_path, capsys) -> None:
    code, out, err = cli(capsys, "serve", tmp_path)
    assert code == 2 and err.splitlines() == [
        f"reportgen: error: {tmp_path}: no index.html here; build the report first (reportgen build SPEC)"]
    (tmp_path / "index.html").write_text("x", encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        code, out, err = cli(capsys, "serve", tmp_path, "--port", busy.getsockname()[1])
    assert code == 2 and "cannot listen on 127.0.0.1" in err and len(err.splitlines()) == 1


def test_a_blank_label_name_is_a_usage_error_before_any_model_is_read(tmp_path, capsys) -> None:
    from reportgen.cli import main

    assert main(["init", str(tmp_path / "missing.keras"), "--labels", "neg,,pos"]) == 2
    err = capsys.readouterr().err
    assert "'neg,,pos': a label name is empty" in err and "Traceback" not in err
