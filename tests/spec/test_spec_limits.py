"""Unbounded and hostile spec input: each is refused quickly with one line at its YAML line, exit 2.

Before these limits, an alias bomb hung `validate` and `build`, an alias loop or deep nesting crashed
with RecursionError (exit 1), and a 50 MB description went on into the PDF.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reportgen.cli import main
from reportgen.errors import SpecError
from reportgen.spec import limits, parse_spec

PREFIX = "reportgen: error: "
HEAD = "version: 1\ntitle: Limits\nmodel: {path: model.keras}\n"
TAIL = "samples:\n  file: reviews.csv\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # messages name the spec as it was given: spec.yaml
    (tmp_path / "model.keras").write_bytes(b"")
    (tmp_path / "reviews.csv").write_text("id,text\nr1,good\n", encoding="utf-8")
    return tmp_path


def validate(folder: Path, text: str | bytes, capsys) -> tuple[int, list[str]]:
    spec = folder / "spec.yaml"
    spec.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    code = main(["validate", spec.name])
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert all(line.startswith(PREFIX) for line in lines), err
    return code, [line[len(PREFIX):] for line in lines]


def billion_laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once_naming_the_alias_line(folder, capsys) -> None:
    text = HEAD + "x-lols:\n" + textwrap.indent(billion_laughs(10), "  ") + TAIL.replace(
        "samples:", "description: *a9\nsamples:")
    code, lines = validate(folder, text, capsys)
    assert code == 2  # refused while composing: expanded, the bomb would hold 9 ** 10 strings
    assert len(lines) == 1
    assert lines[0].startswith("YAML aliases expand to ") and "more than the limit of 100,000" in lines[0]
    assert lines[0].endswith("(spec.yaml line 15)")  # `description: *a9`, the alias that repeats the most


def test_an_alias_that_contains_itself_is_an_error_not_a_crash(folder, capsys) -> None:
    code, lines = validate(folder, HEAD + TAIL + "explain: &x {layers: [*x]}\n", capsys)
    assert (code, lines) == (2, ["YAML alias on line 6 refers to a value that contains it (a loop); write the value"
                                 " out instead (spec.yaml line 6)"])


def test_nesting_deeper_than_the_limit_is_refused_with_its_line(folder, capsys) -> None:
    code, lines = validate(folder, HEAD + TAIL + "extra: " + "[" * 5000 + "]" * 5000 + "\n", capsys)
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith(f"the YAML is nested more than {limits.MAX_YAML_DEPTH} levels deep")
    assert lines[0].endswith("(spec.yaml line 6, column 57)")


def test_aliases_that_nest_too_deep_once_expanded_are_refused(folder, capsys) -> None:
    chain = "".join(f"l{n}: &l{n} {'[' * 20}{'*l' + str(n - 1) if n else 1}{']' * 20}\n" for n in range(5))
    code, lines = validate(folder, HEAD + TAIL + chain, capsys)
    assert code == 2 and len(lines) == 1 and "levels deep once its aliases are expanded" in lines[0]


def test_a_spec_file_over_the_size_limit_is_refused_before_it_is_parsed(folder, capsys, monkeypatch) -> None:
    import yaml

    def parsed(*args, **kwargs):
        raise AssertionError("the YAML parser ran on a spec over the size limit")

    monkeypatch.setattr(yaml.reader.Reader, "__init__", parsed)  # what any YAML loader starts with
    text = HEAD + TAIL + "# " + "x" * limits.MAX_SPEC_BYTES + "\n"
    code, lines = validate(folder, text, capsys)
    assert code == 2
    assert lines == ["the spec is 4.0 MiB; the limit is 4 MiB: move inline samples to a samples file (samples.file)"
                     " and long text out of the spec (spec.yaml)"]


@pytest.mark.parametrize("key, size, line", [("title", 301, 2), ("description", 100_001, 6),
                                             ("dataset", 2_001, 6), ("author", 501, 6)])
def test_free_text_keys_have_a_length_limit_at_their_line(folder, capsys, key, size, line) -> None:
    if key == "title":
        text = HEAD.replace("Limits", "x" * size) + TAIL
    else:
        text = HEAD + TAIL + f"{key}: {'x' * size}\n"
    code, lines = validate(folder, text, capsys)
    limit = limits.MAX_TEXT_LENGTH[key]
    assert (code, lines) == (2, [f"{key}: too long: {size:,} characters, the limit is {limit:,}; shorten it (or link"
                                 f" to a longer document) (spec.yaml line {line})"])


def test_inline_items_have_a_count_limit(folder, capsys) -> None:
    items = ", ".join(["good"] * (limits.MAX_INLINE_ITEMS + 1))
    code, lines = validate(folder, HEAD + f"samples:\n  items: [{items}]\n", capsys)
    assert (code, lines) == (2, ["samples.items: too many items: 10,001, the limit is 10,000; put the samples in a"
                                 " file (samples.file) (spec.yaml line 5)"])


def test_limits_leave_room_for_real_specs(folder, capsys) -> None:
    items = "\n".join(f"    - {{id: s{n}, text: good movie number {n}}}" for n in range(2_000))
    text = (HEAD.replace("Limits", "L" * 300) + f"description: |\n  {'word ' * 19_000}\n"
            + "explain:\n  layers: &layers [embedding, conv1d]\n"
            + "output:\n  pdf: {layers: *layers}\n" + f"samples:\n  items:\n{items}\n")
    code, lines = validate(folder, text, capsys)
    assert (code, lines) == (0, [])


def test_every_limit_is_a_named_constant_in_one_module() -> None:
    assert limits.MAX_SPEC_BYTES >= 1024 * 1024 and limits.MAX_ALIAS_VALUES >= 10_000
    assert limits.MAX_YAML_DEPTH >= 10 and limits.MAX_INLINE_ITEMS >= 1_000
    assert set(limits.MAX_TEXT_LENGTH) == {"title", "description", "dataset", "author"}


def test_control_characters_in_keys_and_values_stay_on_one_visible_line(folder, capsys) -> None:
    text = HEAD + TAIL + '"ex\\nplain\\u001b[2J": 1\nexplain: {score: "lo\\ngit\\u202e"}\n'
    code, lines = validate(folder, text, capsys)
    assert code == 2
    assert lines == [
        "ex\\nplain\\x1b[2J: unknown key; did you mean 'explain'? (spec.yaml line 6)",
        "explain.score: 'lo\\ngit\\u202e' is not one of logit, probability; did you mean 'logit'? (spec.yaml line 7)",
    ]


def test_characters_yaml_refuses_are_a_spec_error_with_the_line(folder, capsys) -> None:
    code, lines = validate(folder, HEAD + "# a bell \x07 in a comment\n" + TAIL, capsys)
    assert (code, lines) == (2, ["YAML does not allow the character '\\x07' (U+0007); remove it or write it as an"
                                 " escape in a double-quoted string (spec.yaml line 4)"])


def test_a_spec_that_is_not_utf8_names_the_line(folder, capsys) -> None:
    code, lines = validate(folder, (HEAD + "dataset: caf\u00e9\n" + TAIL).encode("latin-1"), capsys)
    assert (code, lines) == (2, ["the spec is not UTF-8 text (invalid continuation byte); save it as UTF-8"
                                 " (spec.yaml line 4)"])


def test_paths_the_system_cannot_look_up_are_spec_errors(folder, capsys) -> None:
    code, lines = validate(folder, HEAD.replace("model.keras", "m" * 5000) + TAIL, capsys)
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith("model.path: cannot look up '" + "m" * 100 + "...(5,000 characters)' (File name too long)")


def test_non_text_codecs_are_refused_as_samples_encoding(folder, capsys) -> None:
    code, lines = validate(folder, HEAD + TAIL + "  encoding: rot13\n", capsys)
    assert (code, lines) == (2, ["samples.encoding: 'rot13' is not a text encoding (e.g. utf-8, cp1252, latin-1)"
                                 " (spec.yaml line 6)"])


def test_utf16_samples_without_a_bom_are_an_input_error(folder, capsys) -> None:
    (folder / "reviews.csv").write_bytes("id,text\nr1,good\n".encode("utf-16-le"))
    code, lines = validate(folder, HEAD + TAIL + "  encoding: utf-16\n", capsys)
    assert (code, lines) == (2, ["reviews.csv: not valid utf-16 text (UTF-16 stream does not start with BOM); set"
                                 " samples.encoding to the file's encoding"])


def test_jsonl_nested_past_the_recursion_limit_is_an_input_error(folder, capsys) -> None:
    (folder / "reviews.jsonl").write_bytes(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    code, lines = validate(folder, HEAD + "samples:\n  file: reviews.jsonl\n", capsys)
    assert (code, lines) == (2, ["reviews.jsonl line 1: the JSON is nested too deeply to read"])


def test_layers_best_without_metrics_is_a_spec_error(folder, capsys) -> None:
    text = HEAD + TAIL + "explain: {layers: best}\nmetrics: {enabled: false}\n"
    code, lines = validate(folder, text, capsys)
    assert (code, lines) == (2, ["explain.layers: 'best' needs the faithfulness metrics (metrics.enabled: true)"
                                 " (spec.yaml line 6)"])


def test_parse_spec_applies_the_same_limits_to_text() -> None:
    with pytest.raises(SpecError, match="YAML aliases expand to"):
        parse_spec(HEAD + billion_laughs(7) + TAIL, name="s.yaml")
