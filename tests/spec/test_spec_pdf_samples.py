"""output.pdf.samples: the words, numbers, id lists and {pick, count} it takes, each refusal one line."""

from __future__ import annotations

import pytest

from reportgen.errors import SpecError
from reportgen.spec.load import parse_spec
from reportgen.spec.sections import PdfSamplePick

SPEC = """
version: 1
title: t
model: {path: m.keras}
samples: {items: [a]}
"""


def samples_of(value: str):
    return parse_spec(SPEC + f"output: {{pdf: {{samples: {value}}}}}\n", name="spec.yaml").output.pdf.samples


def problems(value: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        samples_of(value)
    return [p.rsplit(" (spec.yaml line", 1)[0] for p in caught.value.problems]


def test_the_default_is_errors_first():
    assert parse_spec(SPEC, name="spec.yaml").output.pdf.samples == "errors-first"


@pytest.mark.parametrize("written, read", [
    ("all", "all"), ("errors-first", "errors-first"), ("stratified", "stratified"), ("12", 12),
    ("[b, 7]", ["b", "7"]), ("{pick: stratified, count: 4}", PdfSamplePick(pick="stratified", count=4)),
    ("{pick: errors-first}", PdfSamplePick(pick="errors-first", count=None)),
])
def test_accepted(written, read):
    assert samples_of(written) == read


@pytest.mark.parametrize("written, message", [
    ("errors", "output.pdf.samples: 'errors' is not one of all, errors-first, stratified, a number or a list "
               "of ids; did you mean 'errors-first'?"),
    ("0", "output.pdf.samples: a number of samples must be at least 1, got 0"),
    ("1.5", "output.pdf.samples: expected all, errors-first, stratified, a number of samples, a list of ids or "
            "{pick: RULE, count: N}, got 1.5"),
    ("[a, a]", "output.pdf.samples[1]: 'a' is listed twice (first at [0])"),
    ("{pick: random, count: 3}", "output.pdf.samples.pick: 'random' is not one of errors-first, stratified"),
    ("{pick: all, count: 3}", "output.pdf.samples.pick: 'all' is not one of errors-first, stratified"),
    ("{count: 3}", "output.pdf.samples: pick is missing: one of errors-first, stratified"),
    ("{pick: stratified, count: 0}", "output.pdf.samples.count: expected a number of samples of at least 1, "
                                     "got 0"),
    ("{pick: stratified, n: 3}", "output.pdf.samples: unknown key 'n'; {pick: RULE, count: N} takes pick "
                                 "and count"),
])
def test_refused_with_one_line(written, message):
    assert problems(written) == [message]


def test_the_schema_lists_the_shapes_the_check_accepts():
    from reportgen.spec.jsonschema import spec_json_schema

    schema = spec_json_schema()
    samples = schema["$defs"]["PdfSpec"]["properties"]["samples"]
    assert samples["default"] == "errors-first"
    shapes = samples["anyOf"]
    assert shapes[0]["enum"] == ["all", "errors-first", "stratified"]
    assert shapes[1] == {"minimum": 1, "type": "integer"}
    assert shapes[2]["type"] == "array"
    pick = schema["$defs"]["PdfSamplePick"]
    assert pick["required"] == ["pick"] and pick["additionalProperties"] is False
    assert pick["properties"]["pick"]["enum"] == ["errors-first", "stratified"]
