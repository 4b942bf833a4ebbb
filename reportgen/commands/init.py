"""`reportgen init MODEL`: write a starter spec, filled in from what `inspect` finds in the model.

The spec is commented key by key and valid as written wherever the model allows it: the model path is
relative to the spec's folder, labels have the right count, the input section says whether a vocabulary
is needed (a model with its own TextVectorization needs none; an ids model gets the vocabulary file found
beside it, e.g. `vocab.txt`, with the level and the start/OOV tokens read from it, or, for a WordPiece
vocabulary ("##" pieces), `tokenizer: wordpiece` with lower and strip_accents read from its pieces and
`max_tokens` from the model's position embedding; without one the
`vocabulary` key is written commented out, and `reportgen validate` says it is missing), a labels file beside
the model (`labels.txt`, `labels.csv`) becomes `model.labels_file` when it has one name per class, what was
found beside the model is said after the "wrote" line, the layers with a
time axis are listed next to `layers: auto`, and targets suit the task. Lines the user must check say TODO.
"""

from __future__ import annotations

import csv
import json
import os
import re
import textwrap
import unicodedata
from pathlib import Path
from typing import Any

from reportgen.errors import ReportgenError

# Character vocabularies are small (the tutorial's has 102 ids); word vocabularies run to thousands.
CHAR_VOCABULARY_MAX = 300
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ .()/-]*[A-Za-z0-9_)]|[A-Za-z_]")
COMMENT_COLUMN = 28  # where line comments start in the written spec
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"}
# Vocabulary files looked for beside an ids model, in this order (what training scripts usually write).
VOCABULARY_NAMES = tuple(f"{stem}{ext}" for stem in ("vocab", "vocabulary", "word_index", "char_index", "tokens")
                         for ext in (".txt", ".json", ".csv"))
# Labels files looked for beside the model: one name per line, or csv label,index (model.labels_file).
LABELS_NAMES = ("labels.txt", "labels.csv")
START_TOKENS = ("<START>", "<start>", "<s>", "[CLS]")
OOV_TOKENS = ("<OOV>", "<UNK>", "<unk>", "[UNK]", "<oov>")
# A vocabulary is WordPiece's when this share of its tokens continue a word ("##ing"): BERT's has 5,828 of
# 30,522 (19%); a word or character vocabulary has next to none.
WORDPIECE_SHARE = 0.01
_SPECIAL = re.compile(r"\[[A-Za-z_]+\]|<[^<>\s]+>")  # [UNK], <pad>: not text, whatever their case


def run(model: str, *, out: str = "spec.yaml", samples: str | None = None, labels: list[str] | None = None,
        force: bool = False) -> int:
    out_path = Path(out)
    if out_path.is_dir():
        raise ReportgenError(f"{out}: is a folder; --out names the spec file to write")
    if out_path.exists() and not force:
        raise ReportgenError(f"{out}: already exists; choose another --out, or add --force to overwrite it")
    # Everything that needs no model is checked first: loading one takes seconds.
    sample_info = _inspect_samples(Path(samples), out_path) if samples is not None else None

    from reportgen.api import load_adapter
    from reportgen.models.describe import describe_model

    adapter = load_adapter(model, labels)
    description = describe_model(adapter)
    vocabulary = positions = None
    if description["input"]["kind"] == "ids":
        positions = adapter.max_positions()
        vocabulary = find_vocabulary(Path(model))
        if vocabulary is not None:
            vocabulary["path"] = _relative(vocabulary["file"], out_path)
    labels_found = None
    if labels is None:  # --labels wins over a file
        labels_found = find_labels(Path(model), len(description["labels"]))
        if labels_found is not None:
            labels_found["path"] = _relative(labels_found["file"], out_path)
    text = starter_spec(description, model_path=_relative(Path(model), out_path), samples=sample_info,
                        labels_given=labels is not None, vocabulary=vocabulary, labels_file=labels_found,
                        positions=positions)
    from reportgen.output import write_text

    try:
        write_text(out_path, text)
    except OSError as exc:
        raise ReportgenError(f"{out}: cannot write the spec ({exc.strerror or exc})") from None
    todo = sum(1 for line in text.splitlines() if "TODO" in line)
    from reportgen.textsafe import terminal_safe

    print(f"wrote {terminal_safe(out)}: check the {todo} TODO line{'s' if todo != 1 else ''}, then run "
          f"`reportgen validate {terminal_safe(out)}` and `reportgen build {terminal_safe(out)}`")
    for found, key in ((vocabulary, "input.vocabulary"), (labels_found, "model.labels_file")):
        if found is None:
            continue
        name = terminal_safe(found["file"].name)
        if found["error"]:
            print(f"found {name} beside the model but did not use it: {terminal_safe(found['error'])}")
        else:
            print(f"found {name} beside the model: {key}")
    return 0


def _relative(target: Path, spec_file: Path) -> str:
    """`target` as the spec must write it: relative to the spec's folder, with forward slashes."""
    base, target = spec_file.resolve().parent, target.resolve()
    try:
        common = Path(os.path.commonpath([base, target]))
    except ValueError:  # another drive on Windows: no relative path exists
        return target.as_posix()
    if common == Path(common.anchor):  # nothing shared but the root: "../../.." would hide where it is
        return target.as_posix()
    return Path(os.path.relpath(target, base)).as_posix()


# ----- vocabulary ---------------------------------------------------------------------------------

def find_vocabulary(model: Path) -> dict[str, Any] | None:
    """The vocabulary file beside an ids model (`VOCABULARY_NAMES`), with what it says: level, start and
    OOV tokens (None for each when it cannot be read: validate names the problem)."""
    file = next((model.parent / name for name in VOCABULARY_NAMES if (model.parent / name).is_file()), None)
    if file is None:
        return None
    info: dict[str, Any] = {"file": file, "level": None, "start_token": None, "oov_token": None, "error": None,
                            "wordpiece": None}
    from reportgen.text.vocab import load_vocabulary

    try:
        vocabulary = load_vocabulary(file)
    except (ReportgenError, OSError) as error:
        info["error"] = str(error).splitlines()[0] if str(error) else type(error).__name__
        return info
    tokens = vocabulary.token_to_id
    info["level"] = vocabulary.level
    info["start_token"] = next((t for t in START_TOKENS if t in tokens), None)
    info["oov_token"] = next((t for t in OOV_TOKENS if t in tokens), None)
    info["wordpiece"] = read_wordpiece(list(tokens))
    return info


def read_wordpiece(tokens: list[str]) -> dict[str, Any] | None:
    """What a WordPiece vocabulary says of its tokenizer: how many pieces continue a word, whether any piece
    has a capital letter (then training did not lowercase) or an accented letter (then it did not strip
    accents); None when it is not a WordPiece vocabulary (`WORDPIECE_SHARE`)."""
    from reportgen.text.wordpiece import SUFFIX

    continuing = sum(1 for t in tokens if t.startswith(SUFFIX) and len(t) > len(SUFFIX))
    if not tokens or continuing < WORDPIECE_SHARE * len(tokens):
        return None
    text = [t for t in tokens if not _SPECIAL.fullmatch(t)]
    capitals = any(c.isupper() for t in text for c in t)
    accents = any(unicodedata.category(part) == "Mn" for t in text for c in t
                  for part in unicodedata.normalize("NFD", c))
    return {"continuing": continuing, "tokens": len(tokens), "capitals": capitals, "accents": accents}


def find_labels(model: Path, classes: int) -> dict[str, Any] | None:
    """The labels file beside the model (`LABELS_NAMES`), read as a build reads `model.labels_file`; its
    `error` says why it is not used (unreadable, or not one name per class of the model)."""
    file = next((model.parent / name for name in LABELS_NAMES if (model.parent / name).is_file()), None)
    if file is None:
        return None
    from reportgen.build import read_labels

    info: dict[str, Any] = {"file": file, "error": None}
    try:
        names = read_labels(file)
    except (ReportgenError, OSError) as error:
        info["error"] = str(error).splitlines()[0] if str(error) else type(error).__name__
        return info
    if len(names) != classes:
        info["error"] = f"it has {len(names)} label{'s' if len(names) != 1 else ''}, the model {classes} classes"
    elif len(set(names)) != len(names):
        info["error"] = "a label repeats"
    return info


# ----- samples ------------------------------------------------------------------------------------

def _inspect_samples(path: Path, spec_file: Path) -> dict[str, Any]:
    """Where the samples are and, for csv/jsonl, which columns hold the id, text and label."""
    if not path.exists():
        raise ReportgenError(f"--samples {path}: no such file or folder")
    info: dict[str, Any] = {"path": _relative(path, spec_file), "columns": None}
    if path.is_dir():
        info["source"] = "directory"
        return info
    from reportgen.spec.choices import SOURCE_BY_EXTENSION

    source = SOURCE_BY_EXTENSION.get(path.suffix.lower())
    if source is None:
        raise ReportgenError(f"--samples {path}: cannot tell the format from the extension; use a .csv, .jsonl "
                             "or .txt file, or a folder of .txt files")
    info["source"] = source
    if source == "csv":
        info["columns"] = _csv_header(path)
    elif source == "jsonl":
        info["columns"] = _jsonl_keys(path)
    return info


def _read_text(path: Path) -> str:
    from reportgen.samples import decode_text

    return decode_text(path.read_bytes())


def _csv_header(path: Path) -> list[str]:
    header = next(csv.reader(_read_text(path).splitlines()), None)
    if not header:
        raise ReportgenError(f"--samples {path}: the file is empty; a CSV needs a header row")
    return header


def _jsonl_keys(path: Path) -> list[str]:
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ReportgenError(f"--samples {path} line {number}: not valid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise ReportgenError(f"--samples {path} line {number}: expected one JSON object per line")
            return list(record)
    raise ReportgenError(f"--samples {path}: no records in the file")


def _text_column(columns: list[str]) -> tuple[str, bool]:
    """The text column ("text" when there is one, else a guess) and whether it was guessed."""
    if "text" in columns:
        return "text", False
    others = [c for c in columns if c not in ("id", "label", "")]
    return (others[0] if others else columns[0]), True


# ----- the spec text ------------------------------------------------------------------------------

def yaml_scalar(value: str) -> str:
    """A string as YAML writes it plainly when that is unambiguous, else JSON-quoted (valid YAML)."""
    if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS and ": " not in value and " #" not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(yaml_scalar(v) for v in values) + "]"


def guess_level(description: dict[str, Any]) -> str:
    size = description["input"]["vocabulary_size"]
    return "char" if size is not None and size <= CHAR_VOCABULARY_MAX else "word"


def entry(text: str, comment: str = "") -> str:
    """One spec line with its comment in the common column (two spaces after a longer text)."""
    if not comment:
        return text
    return f"{text:<{COMMENT_COLUMN - 2}}  # {comment}" if len(text) < COMMENT_COLUMN - 2 else f"{text}  # {comment}"


def starter_spec(d: dict[str, Any], *, model_path: str, samples: dict[str, Any] | None,
                 labels_given: bool, vocabulary: dict[str, Any] | None = None,
                 labels_file: dict[str, Any] | None = None, positions: tuple[str, int] | None = None) -> str:
    """The commented YAML of a starter spec for the model `d` (a `describe_model` result); `positions`: the
    model's position embedding and its length (`ModelAdapter.max_positions`)."""
    name = Path(model_path).name
    lines = [
        f"# reportgen spec for {name}, written by `reportgen init`.",
        "# Check the lines marked TODO, then run `reportgen validate` and `reportgen build` on this file.",
        "# `reportgen schema` describes every key; relative paths are relative to this file's folder.",
        "version: 1",
        entry(f"title: {yaml_scalar(Path(model_path).stem + ': Grad-CAM explanations')}", "TODO: the report's title"),
        entry("# description: |", "markdown for the front page (sanitised): the model, its training, caveats"),
        "#   ...",
        entry("# dataset: ...", "where the samples come from"),
        "",
        *_model_section(d, model_path, labels_given, labels_file),
        "",
        *_input_section(d, vocabulary, positions),
        "",
        *_samples_section(samples),
        "",
        *_explain_section(d),
        "",
        "metrics:",
        entry("  enabled: true", "deletion curves per layer and a randomised-model sanity check; false: faster"),
        entry("  max_samples: 40", "the metrics use the first N samples"),
        "",
        "output:",
        entry("  dir: report", "the site (index.html), explanations.json and report.pdf go here"),
        "  html: true",
        "  json: true",
        entry("  pdf: true", "false skips the PDF; a mapping (samples, max_pages, ...) tunes it"),
    ]
    return "\n".join(lines) + "\n"


def _model_section(d: dict[str, Any], model_path: str, labels_given: bool,
                   labels_file: dict[str, Any] | None = None) -> list[str]:
    task, units, activation = d["task"], d["output"]["units"], d["output"]["activation"]
    where = "absolute: no shorter path from this file's folder" if Path(model_path).is_absolute() else \
        "relative to this file's folder"
    lines = ["model:", entry(f"  path: {yaml_scalar(model_path)}", where)]
    if task == "binary" and units == 1:
        lines.append("  # One sigmoid unit: the first label is predicted below the threshold, the second at or above.")
    else:
        lines.append(f"  # One name per output unit ({units}), in the model's output order.")
    if labels_file is not None and not labels_file["error"]:
        lines.append(entry(f"  labels_file: {yaml_scalar(labels_file['path'])}",
                           "TODO: found beside the model; check its order is the model's"))
    else:
        todo = "" if labels_given else "TODO: your label names"
        if labels_file is not None:
            todo += f" ({labels_file['file'].name} beside the model: {labels_file['error']})"
        lines.append(entry(f"  labels: {yaml_list(d['labels'])}", todo))
    plural = "s" if units != 1 else ""
    lines.append(entry(f"  task: {task}", f"from the output layer ({activation}, {units} unit{plural})"))
    if task in ("binary", "multilabel"):
        lines.append(entry("  threshold: 0.5", "probability at which a label counts as predicted"))
    return lines


def _input_section(d: dict[str, Any], vocabulary: dict[str, Any] | None = None,
                   positions: tuple[str, int] | None = None) -> list[str]:
    model_input = d["input"]
    length = model_input["length"]
    if model_input["kind"] == "strings":
        vec = model_input["vectorizer"]
        truncated = f" It truncates texts to {length} tokens." if length else ""
        return [
            "# input: not needed. The model turns strings into ids with its own TextVectorization layer",
            f"# {vec['layer']!r} (split {vec['split']}, standardize {vec['standardize']}): no vocabulary file,",
            f"# and every token is mapped back onto the original text.{truncated}",
        ]
    size = model_input["vocabulary_size"]
    size_text = f"{size} ids" if size is not None else "an unknown number of ids"
    lines = [
        "input:",
        "  # The model takes token ids, so reportgen needs the vocabulary that turned texts into them:",
        "  # txt (one token per line; line number = id), json {token: id}, or csv token,id.",
    ]
    start = oov = None
    if vocabulary is None:
        level, level_note = guess_level(d), f"guessed from the embedding size ({size_text})"
        lines.append(entry("  # vocabulary: vocab.txt", "TODO: uncomment and name your file; building fails "
                                                          "without it"))
    else:
        found = "TODO: found beside the model; check it is the one used in training"
        if vocabulary["error"]:
            found = f"TODO: found beside the model but not readable: {vocabulary['error']}"
        lines.append(entry(f"  vocabulary: {yaml_scalar(vocabulary['path'])}", found))
        if vocabulary["level"] is not None:
            level, level_note = vocabulary["level"], "read from the vocabulary's tokens"
        else:
            level, level_note = guess_level(d), f"guessed from the embedding size ({size_text})"
        start, oov = vocabulary["start_token"], vocabulary["oov_token"]
    start_line = (entry(f"  start_token: {json.dumps(start, ensure_ascii=False)}",
                        "TODO: in the vocabulary; delete if training did not put it before every text")
                  if start else entry('  # start_token: "<START>"', "if training put a start token before every text"))
    oov_line = (entry(f"  oov_token: {json.dumps(oov, ensure_ascii=False)}",
                      "in the vocabulary: what unknown words became in training")
                if oov else entry('  # oov_token: "<OOV>"', "what unknown words became in training (else they are "
                                                             "dropped)"))
    wordpiece = vocabulary["wordpiece"] if vocabulary is not None else None
    if wordpiece is not None:
        lines += _wordpiece_lines(wordpiece)
    else:
        lines += [
            entry(f"  level: {level}", f"word or char; {level_note}"),
            entry("  lower: true", "lowercase before looking tokens up"),
            entry("  strip_punctuation: true", "Keras 2 text_to_word_sequence filters"),
        ]
    lines += [
        start_line,
        oov_line,
        entry("  pad_value: 0", "the id padding uses"),
        "  padding: post",
        "  truncating: post",
    ]
    if length is not None:
        lines.append(entry("  # length: null", f"null: the model's own fixed length, {length}"))
    else:
        masked = model_input["padding_masked"]
        how = ("it masks padding, so texts share batches" if masked else
               "it does not mask padding, so texts of different lengths run in separate batches")
        lines.append(entry("  # length: null", f"variable-length model: each text keeps its length; {how}"))
    if positions is not None:  # a longer text would fail inside the position embedding
        lines.append(entry(f"  max_tokens: {positions[1]}", f"the positions of position embedding "
                                                             f"{positions[0]!r}: longer texts are cut there"))
    fed = model_input.get("fed") or []
    if len(fed) > 1:
        lines.append(entry("  # model_inputs:", "guessed from the input names; uncomment to feed them otherwise"))
        lines += [f"  #   {yaml_scalar(str(f['name']))}: {f['role']}" for f in fed]
    return lines


def _wordpiece_lines(wordpiece: dict[str, Any]) -> list[str]:
    """The tokenizer lines for a WordPiece vocabulary (`read_wordpiece`)."""
    share = f'{wordpiece["continuing"]} of {wordpiece["tokens"]} pieces continue a word ("##")'
    lower, strip = not wordpiece["capitals"], not wordpiece["accents"]
    return [
        entry("  tokenizer: wordpiece", f"{share}: KerasHub WordPieceTokenizer subwords"),
        entry(f"  lower: {str(lower).lower()}",
              "no capital letter among the pieces" if lower else "capital letters among the pieces"),
        entry(f"  strip_accents: {str(strip).lower()}",
              "TODO: as in training; no accented letter among the pieces" if strip
              else "accented letters among the pieces"),
    ]


def _samples_section(samples: dict[str, Any] | None) -> list[str]:
    if samples is None:
        return [
            "samples:",
            "  # TODO: your texts. Or read them from a file: `file: data.csv` (csv/jsonl/txt by extension,",
            "  # with text_column, id_column, label_column) or `directory: texts/` (one .txt per sample).",
            "  # An item may give its true label too (label: a label name or index).",
            "  items:",
            "    - id: example-1",
            "      text: Replace this with a text for the model to explain.",
            "    - id: example-2",
            "      text: And this with another one.",
        ]
    source = samples["source"]
    if source == "directory":
        return ["samples:",
                entry(f"  directory: {yaml_scalar(samples['path'])}", "one .txt file per sample; label = subfolder"),
                entry("  # limit: 40", "explain only the first N samples")]
    lines = ["samples:", entry(f"  file: {yaml_scalar(samples['path'])}", f"read as {source}")]
    columns = samples["columns"]
    if columns is not None:
        text_column, guessed = _text_column(columns)
        kind = "columns" if source == "csv" else "fields"
        lines.append(f"  # {kind} found: {', '.join(yaml_scalar(c) for c in columns)}")
        lines.append(entry(f"  text_column: {yaml_scalar(text_column)}",
                           "TODO: guessed; the column holding the texts" if guessed else ""))
        if "id" not in columns:
            lines.append(entry("  # id_column: id", "none named 'id': samples are numbered from 0"))
        if "label" not in columns:
            lines.append(entry("  # label_column: label", "the true labels (names or indices), if any"))
    lines.append(entry("  # limit: 40", "explain only the first N samples"))
    return lines


def _explain_section(d: dict[str, Any]) -> list[str]:
    task, auto, candidates = d["task"], d["auto_layer"], d["time_axis_layers"]
    lines = ["explain:"]
    if candidates:
        lines += textwrap.wrap(", ".join(candidates), width=100, initial_indent="  # layers with a time axis: ",
                               subsequent_indent="  #   ", break_on_hyphens=False)
    if auto is not None:
        lines.append(entry("  layers: auto", f"picks {auto}; all: every layer above; best: chosen by the metrics"))
    else:
        lines.append("  # TODO: no layer has a time axis, so `auto` finds nothing to map onto the tokens; name a")
        lines.append("  # layer instead (`reportgen inspect MODEL` lists them): its map will be uniform")
        lines.append("  layers: auto")
    if task == "multiclass" and d["output"]["units"] > 2:
        lines.append(entry("  targets: top-2", "the two most probable labels; predicted: the top one; all"))
    elif task == "multilabel":
        lines.append(entry("  targets: predicted", "every label at or above the threshold (else the top one)"))
    else:
        lines.append(entry("  targets: predicted", "the predicted label; all: both labels"))
    lines += [
        entry("  relu: true", "keep only evidence for the target; [true, false] adds unclipped maps"),
        entry("  score: logit", "explain the logit (probabilities saturate); or probability"),
        entry("  scale: layer", "colours compare across samples at a layer; or document, report"),
    ]
    return lines
