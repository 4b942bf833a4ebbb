"""Malformed specs and sample files thrown at `validate` and `build`: a clear error or a report, never a crash.

A seeded generator (the same 240 cases on every run) mutates a working project: the spec as data (keys
dropped, values of the wrong type, unknown keys, bad paths, limits exceeded), the spec as text (aliases,
alias loops, non-mapping documents, binary bytes, bad UTF-8, deep nesting) and the sample and vocabulary
files (bad encodings, missing columns, huge or empty fields, wrong JSON types). Every case runs through
`validate` in-process; a subset (the cases validate accepts, and a sample of those it refuses) also runs
through `build --no-pdf` into a folder that holds a previous report. Each run must exit 0 or 2, print
only `reportgen: error: ...` lines (at least one for exit 2), never a traceback, and a failed build must
leave the previous report byte for byte as it was.
"""

from __future__ import annotations

import copy
import os
import random
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from reportgen.cli import main

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SEED = 20261130
CASES = 240
BUILD_CASES = 24  # the build subset: each costs a model load and a trace
VOCAB = ["<PAD>", "<START>", "<OOV>", "good", "great", "bad", "awful", "movie", "the", "a", "was", "plot", "fine"]
PREFIX = "reportgen: error: "

BASE_SPEC: dict[str, Any] = {
    "version": 1,
    "title": "Fuzz",
    "description": "A tiny *model*.",
    "model": {"path": "model.keras", "labels": ["neg", "pos"]},
    "input": {"level": "word", "vocabulary": "vocab.txt", "start_token": "<START>", "oov_token": "<OOV>"},
    "samples": {"file": "reviews.csv"},
    "explain": {"layers": "auto", "targets": "predicted"},
    "metrics": {"enabled": False},
    "output": {"dir": "report", "pdf": False},
}
CSV = "id,text,label\nr1,the movie was good,pos\nr2,an awful bad plot,neg\nr3,fine,pos\n"
JSONL = '{"id": "j1", "text": "good movie", "label": "pos"}\n{"id": "j2", "text": "bad plot", "label": 0}\n'
TXT = "the movie was good\n\nan awful plot\n"


# ----- the project ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def project(tmp_path_factory, word_model) -> Path:
    """A model, its vocabulary and samples, and a report built from them (the 'previous report')."""
    root = tmp_path_factory.mktemp("fuzz")
    word_model(root, VOCAB, name="fuzz", length=8, mask_zero=False, width=3)
    base = root / "base"
    base.mkdir()
    _write_files(base, BASE_SPEC, {})
    previous = root / "previous"
    code = main(["build", str(base / "spec.yaml"), "--out", str(previous), "--no-pdf", "--quiet"])
    assert code == 0 and (previous / "index.html").is_file()
    return root


def _write_files(folder: Path, spec: dict[str, Any] | None, files: dict[str, bytes], spec_text: bytes | None = None,
                 model: Path | None = None) -> Path:
    for name, content in {"vocab.txt": ("\n".join(VOCAB) + "\n").encode(), "reviews.csv": CSV.encode(),
                          "reviews.jsonl": JSONL.encode(), "reviews.txt": TXT.encode(), **files}.items():
        (folder / name).write_bytes(content)
    model = model or folder.parent / "model.keras"
    if model.exists() and not (folder / "model.keras").exists():
        os.link(model, folder / "model.keras") if _same_device(model, folder) else shutil.copy(model, folder)
    spec_file = folder / "spec.yaml"
    spec_file.write_bytes(spec_text if spec_text is not None else yaml.safe_dump(spec, sort_keys=False,
                                                                                  allow_unicode=True).encode())
    return spec_file


def _same_device(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


# ----- mutations -----------------------------------------------------------------------------------

Case = dict[str, Any]  # {"spec": dict, "files": {name: bytes}, "text": bytes | None, "what": [str]}

WEIRD_VALUES: list[Any] = [
    None, True, 0, -1, 10**12, 1.5, float("nan"), "", " ", "x" * 5000, [], [1, "a"], {}, {"a": 1},
    "2026-13-45", "\x1b]0;owned\x07", "a\nb", "\u202eevil", "top-0", "ALL", "../../../etc/passwd",
]
SECTIONS = ["model", "input", "samples", "explain", "metrics", "output"]
KEYS = {
    None: ["version", "title", "description", "dataset", "author", "date"],
    "model": ["path", "labels", "labels_file", "task", "threshold"],
    "input": ["level", "vocabulary", "index_offset", "lower", "strip_punctuation", "start_token", "oov_token",
              "pad_value", "padding", "truncating", "length", "hook"],
    "samples": ["source", "file", "directory", "package", "encoding", "id_column", "text_column", "label_column",
                "where", "items", "select", "limit", "extra"],
    "explain": ["layers", "targets", "relu", "counterfactual", "score", "normalize_gradients", "interpolation",
                "scale", "aggregate", "batch_size"],
    "metrics": ["enabled", "max_samples", "steps", "max_fraction", "random_seeds", "removal", "sanity"],
    "output": ["dir", "html", "json", "pdf"],
}


def _section(case: Case, rng: random.Random) -> tuple[dict[str, Any], str | None]:
    name = rng.choice([None, *SECTIONS])
    if name is None:
        return case["spec"], None
    section = case["spec"].get(name)
    if not isinstance(section, dict):
        section = case["spec"][name] = {}
    return section, name


def drop_key(case: Case, rng: random.Random) -> str:
    section, name = _section(case, rng)
    if not section:
        return "nothing to drop"
    key = rng.choice(sorted(section))
    del section[key]
    return f"drop {name}.{key}"


def wrong_value(case: Case, rng: random.Random) -> str:
    section, name = _section(case, rng)
    key = rng.choice(KEYS[name])
    section[key] = copy.deepcopy(rng.choice(WEIRD_VALUES))
    return f"{name}.{key} = {section[key]!r:.40}"


def unknown_key(case: Case, rng: random.Random) -> str:
    section, name = _section(case, rng)
    key = rng.choice(["titel", "layer", "Samples", "x" * 300, "\x00", "ü", "pdf_pages", "1"])
    section[key] = rng.choice(WEIRD_VALUES)
    return f"unknown {name}.{key!r:.20}"


def whole_section(case: Case, rng: random.Random) -> str:
    name = rng.choice(SECTIONS)
    case["spec"][name] = copy.deepcopy(rng.choice(WEIRD_VALUES))
    return f"{name} = {case['spec'][name]!r:.30}"


def bad_path(case: Case, rng: random.Random) -> str:
    where = rng.choice([("model", "path"), ("input", "vocabulary"), ("samples", "file"), ("model", "labels_file"),
                        ("samples", "directory"), ("output", "dir")])
    value = rng.choice(["missing.keras", ".", "/", "/dev/null", "a\x00b", "reviews.csv", "vocab.txt",
                        "~nobody/x", "sub/", "spec.yaml", "x" * 4000, "model.keras"])
    section = case["spec"].setdefault(where[0], {})
    if not isinstance(section, dict):
        return "section not a mapping"
    section[where[1]] = value
    if where == ("samples", "directory"):
        section.pop("file", None)
    return f"{where[0]}.{where[1]} = {value!r:.30}"


def samples_source(case: Case, rng: random.Random) -> str:
    choice = rng.choice(["csv", "jsonl", "txt", "inline", "directory", "ids"])
    samples = case["spec"]["samples"] = {}
    if choice == "csv":
        samples["file"] = "reviews.csv"
    elif choice == "jsonl":
        samples["file"] = "reviews.jsonl"
    elif choice == "txt":
        samples["file"] = "reviews.txt"
    elif choice == "directory":
        samples["directory"] = "texts"
        case["files"]["texts/pos/a.txt"] = b"good movie"
        case["files"]["texts/neg/b.txt"] = rng.choice([b"bad plot", b"\xff\xfe\x00b\x00a\x00d", b"", b"\x00" * 50])
    elif choice == "ids":
        case["spec"].setdefault("input", {})["level"] = "ids"
        samples["items"] = rng.choice([
            [{"ids": [3, 4, 5]}], [{"ids": [3, 99]}], [{"ids": []}], [{"ids": [1, 2], "tokens": ["a"]}],
            [{"ids": [3, 4], "tokens": ["good", "great"]}], ["good movie"], [{"ids": [-1]}],
        ])
    else:
        samples["items"] = rng.choice([
            ["good movie", "bad plot"], [{"text": "good", "label": "pos"}], [{"text": ""}], [{"id": 1, "text": "x"}],
            [{"text": "awful", "label": "meh"}], [{"text": "good", "label": 7}], ["zzz qqq"], [None], [{}],
            [{"id": "a", "text": "good"}, {"id": "a", "text": "bad"}],
        ])
    return f"samples from {choice}"


def sample_file(case: Case, rng: random.Random) -> str:
    kind = rng.choice(["csv", "jsonl", "txt"])
    case["spec"]["samples"] = {"file": f"reviews.{kind}"}
    contents = {
        "csv": [b"", b"id,text,label\n", b"id,body\nr1,good\n", b"id,text,label\nr1,good\n",
                b"id,text,label\nr1,\"good,pos\n", b"id,text,label\n,good,pos\n", b"\xff\xfe\xfa\x00,\x00\n\x00",
                "id,text,label\nr1,".encode() + b"good " * 20000 + b",pos\n", b"id,text,label\nr1,\x00\x01,pos\n",
                b"id,text,label\nr1,good,pos\nr1,bad,neg\n", "id,text,label\nr1,caf\u00e9,pos\n".encode("cp1252"),
                b"id,text,label\nr1,,\n", b"text\n\n\n"],
        "jsonl": [b"", b"[1, 2]\n", b"{\"text\": 5}\n", b"{\"ids\": \"x\"}\n", b"{bad json\n", b"null\n",
                  b"{\"text\": \"good\", \"label\": {\"a\": 1}}\n", b"[" * 100000 + b"]" * 100000 + b"\n",
                  b"{\"id\": true, \"text\": \"good\"}\n", b"{\"id\": 1.5, \"text\": \"good\"}\n",
                  b"{\"text\": \"good\", \"tokens\": [\"a\"]}\n", b"{\"text\": \"\\ud800\"}\n", b"\xc3\x28\n",
                  b"{\"text\": \"good\", \"label\": [true]}\n", b"{\"ids\": [3, 4, 5], \"text\": null}\n"],
        "txt": [b"", b"\n\n\n", b"\x00\x01\x02 good\n", b"\xff" * 100, b"good\r\nbad\r\n", b"   \n\t\n",
                "\u202egood movie\n".encode(), b"good " * 50000 + b"\n"],
    }[kind]
    case["files"][f"reviews.{kind}"] = rng.choice(contents)
    if rng.random() < 0.3:
        case["spec"]["samples"].update(rng.choice([
            {"encoding": "utf-8"}, {"encoding": "utf-16"}, {"encoding": "rot13"}, {"encoding": "base64"},
            {"text_column": "body"}, {"id_column": "nope"}, {"label_column": "text"}, {"where": {"label": "pos"}},
            {"where": {"nope": 1}}, {"select": ["r9"]}, {"limit": 1}, {"select": ["r1", "r1"]},
        ]))
    return f"{kind} file {case['files'][f'reviews.{kind}'][:20]!r}"


def vocab_file(case: Case, rng: random.Random) -> str:
    content = rng.choice([b"", b"good\ngood\n", b"\xff\xfe\x00", b"<PAD>\n<OOV>\ngood\n", b"<PAD>\n<START>\n",
                          b"{\"good\": 1, \"good\": 2}", b"[]", b"a,b,c\n"])
    name = rng.choice(["vocab.txt", "vocab.json", "vocab.csv"])
    case["files"][name] = content
    case["spec"].setdefault("input", {})
    if isinstance(case["spec"]["input"], dict):
        case["spec"]["input"]["vocabulary"] = name
    return f"vocabulary {name} {content[:16]!r}"


def labels(case: Case, rng: random.Random) -> str:
    model = case["spec"].setdefault("model", {})
    if not isinstance(model, dict):
        return "model not a mapping"
    choice = rng.choice(["file", "count", "dupes", "empty-file", "binary-file"])
    if choice == "count":
        model["labels"] = ["a", "b", "c"]
    elif choice == "dupes":
        model["labels"] = ["a", "a"]
    else:
        model.pop("labels", None)
        model["labels_file"] = "labels.txt"
        case["files"]["labels.txt"] = {"file": b"neg\npos\n", "empty-file": b"\n\n",
                                       "binary-file": b"\xff\xfe\x00\x01"}[choice]
    return f"labels {choice}"


def limits(case: Case, rng: random.Random) -> str:
    choice = rng.choice(["title", "description", "items"])
    if choice == "items":
        case["spec"]["samples"] = {"items": ["good"] * 10_001}
    else:
        case["spec"][choice] = "x" * (301 if choice == "title" else 100_001)
    return f"limit {choice}"


def explain_options(case: Case, rng: random.Random) -> str:
    case["spec"]["explain"] = rng.choice([
        {"layers": ["nope"]}, {"layers": [99]}, {"layers": ["out"]}, {"layers": "all", "relu": [True, False]},
        {"targets": ["nope"]}, {"targets": [5]}, {"targets": "top-9"}, {"targets": "true"}, {"targets": "all"},
        {"layers": ["pool"]}, {"interpolation": "cubic"}, {"aggregate": "word", "scale": "report"},
        {"batch_size": 1}, {"layers": "best"},
    ])
    return f"explain {case['spec']['explain']}"


SPEC_MUTATIONS: list[Callable[[Case, random.Random], str]] = [
    drop_key, wrong_value, unknown_key, whole_section, bad_path, samples_source, sample_file, vocab_file, labels,
    explain_options,
]


def text_mutation(case: Case, rng: random.Random) -> str:
    """The spec as bytes: what a data-level mutation cannot write."""
    body = yaml.safe_dump(case["spec"], sort_keys=False).encode()
    choice = rng.choice(["bomb", "loop", "list", "scalar", "null", "binary", "latin1", "deep", "tabs", "dupe",
                         "merge", "bom", "truncate", "comment", "huge", "anchor-ok"])
    if choice == "bomb":
        lines = [b'a: &a ["x","x","x","x","x","x","x","x","x"]']
        for level in range(1, 9):
            name = chr(ord("a") + level)
            prev = chr(ord("a") + level - 1)
            lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]".encode())
        case["text"] = body + b"\n".join(lines) + b"\ndescription: *i\n"
    elif choice == "loop":
        case["text"] = body + b"explain: &x {layers: [*x]}\n"
    elif choice == "list":
        case["text"] = b"- version: 1\n- title: x\n"
    elif choice == "scalar":
        case["text"] = rng.choice([b"42\n", b"just text\n", b"'version: 1'\n"])
    elif choice == "null":
        case["text"] = rng.choice([b"~\n", b"", b"# only a comment\n", b"---\n...\n"])
    elif choice == "binary":
        case["text"] = bytes(rng.randrange(256) for _ in range(200))
    elif choice == "latin1":
        case["text"] = body.replace(b"title: Fuzz", "title: Caf\u00e9".encode("latin-1"))
    elif choice == "deep":
        case["text"] = body + b"extra: " + b"[" * 3000 + b"]" * 3000 + b"\n"
    elif choice == "tabs":
        case["text"] = body.replace(b"  ", b"\t", 1)
    elif choice == "dupe":
        case["text"] = body + b"title: again\n"
    elif choice == "merge":
        case["text"] = body + b"base: &b {enabled: false}\nmetrics2: {<<: *b}\n"
    elif choice == "bom":
        case["text"] = b"\xef\xbb\xbf" + body
    elif choice == "truncate":
        case["text"] = body[: rng.randrange(1, max(2, len(body)))]
    elif choice == "comment":
        case["text"] = body + b"# \x1b[2J\x07 a terminal escape in a comment\n"
    elif choice == "huge":
        case["text"] = body + b"# " + b"x" * (5 * 1024 * 1024) + b"\n"
    else:  # an alias used as a spec does it: harmless, must still work
        case["text"] = body.replace(b"explain:", b"x-layers: &layers [conv]\nexplain:").replace(
            b"layers: auto", b"layers: *layers")
    return f"text {choice}"


def make_cases() -> list[Case]:
    rng = random.Random(SEED)
    cases = []
    for number in range(CASES):
        case: Case = {"spec": copy.deepcopy(BASE_SPEC), "files": {}, "text": None, "what": [], "number": number}
        for _ in range(rng.choice([1, 1, 2, 3])):
            case["what"].append(rng.choice(SPEC_MUTATIONS)(case, rng))
        if rng.random() < 0.2:
            case["what"].append(text_mutation(case, rng))
        cases.append(case)
    return cases


CASE_LIST = make_cases()


def _materialise(case: Case, folder: Path, project: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in case["files"]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
    return _write_files(folder, case["spec"], case["files"], case["text"], model=project / "model.keras")


def _check_output(code: int, err: str, label: str) -> None:
    assert code in (0, 2), f"{label}: exit {code}\n{err}"
    assert "Traceback" not in err, f"{label}: traceback\n{err}"
    lines = err.splitlines()
    if code == 2:
        assert lines, f"{label}: exit 2 without a message"
    for line in lines:
        assert line.startswith(PREFIX) and len(line) > len(PREFIX), f"{label}: not an error line: {line!r}"
        assert not any(ord(ch) < 32 for ch in line), f"{label}: control character in {line!r}"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ----- the test ------------------------------------------------------------------------------------

def test_generator_is_deterministic_and_covers_every_kind_of_input() -> None:
    again = make_cases()
    assert [c["what"] for c in again] == [c["what"] for c in CASE_LIST]
    assert len(CASE_LIST) >= 200
    kinds = {what.split()[0] for case in CASE_LIST for what in case["what"]}
    assert {"text", "drop", "unknown", "labels", "limit"} <= kinds or len(kinds) >= 8


def test_malformed_inputs_give_one_line_errors_and_never_touch_the_previous_report(project, tmp_path, capsys):
    accepted: list[tuple[Case, Path]] = []
    refused: list[tuple[Case, Path]] = []
    for case in CASE_LIST:
        folder = tmp_path / f"case{case['number']:03d}"
        spec_file = _materialise(case, folder, project)
        label = f"case {case['number']} ({'; '.join(case['what'])})"
        code = main(["validate", str(spec_file)])
        out, err = capsys.readouterr()
        _check_output(code, err, f"validate {label}")
        (accepted if code == 0 else refused).append((case, spec_file))
    assert len(refused) > len(accepted) > 5  # mostly broken input, yet some of it is still a valid spec

    previous = project / "previous"
    before = _snapshot(previous)
    rng = random.Random(SEED + 1)
    chosen = accepted[: BUILD_CASES * 2 // 3]
    chosen += rng.sample(refused, BUILD_CASES - len(chosen))
    built = 0
    for case, spec_file in chosen:
        label = f"build case {case['number']} ({'; '.join(case['what'])})"
        out_dir = tmp_path / "out" / f"case{case['number']:03d}"
        shutil.copytree(previous, out_dir)
        code = main(["build", str(spec_file), "--out", str(out_dir), "--no-pdf", "--quiet"])
        out, err = capsys.readouterr()
        _check_output(code, err, label)
        if code != 0:
            assert _snapshot(out_dir) == before, f"{label}: a failed build changed the previous report"
        else:
            built += 1
            assert (out_dir / "index.html").is_file()
        shutil.rmtree(out_dir, ignore_errors=True)
    assert _snapshot(previous) == before
    assert len(chosen) >= 20 and built >= 1


def test_build_with_a_labels_file_that_is_not_utf8_is_a_one_line_error(project, tmp_path, capsys) -> None:
    spec = {**copy.deepcopy(BASE_SPEC), "model": {"path": "model.keras", "labels_file": "labels.txt"}}
    spec_file = _materialise({"spec": spec, "files": {"labels.txt": b"\xff\xfe\x00\x01"}, "text": None},
                             tmp_path / "case", project)
    out_dir = tmp_path / "out"
    shutil.copytree(project / "previous", out_dir)
    code = main(["build", str(spec_file), "--out", str(out_dir), "--no-pdf", "--quiet"])
    out, err = capsys.readouterr()
    _check_output(code, err, "build with a binary labels file")
