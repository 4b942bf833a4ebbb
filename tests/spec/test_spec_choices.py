"""One rule per setting: the spec's check is the one API callers meet too, and each vocabulary is listed once."""

from __future__ import annotations

import pytest

from reportgen.errors import SpecError, TargetError
from reportgen.spec.choices import INTERPOLATION_KINDS, SAMPLE_SOURCES, SOURCE_BY_EXTENSION, SOURCE_NEEDS, parse_top_k
from reportgen.spec.load import parse_spec

SPEC = """
version: 1
title: t
model: {path: m.keras}
samples: {items: [a]}
"""


def spec_problems(section: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(SPEC + section, name="spec.yaml")
    return [p.rsplit(" (spec.yaml line", 1)[0] for p in caught.value.problems]


def test_metrics_settings_from_code_get_the_spec_files_words():
    from reportgen.metrics import MetricsSettings

    in_file = spec_problems("metrics: {steps: 0, max_fraction: 1.5, removal: zero}")
    with pytest.raises(SpecError) as caught:
        MetricsSettings(steps=0, max_fraction=1.5, removal="zero")
    assert sorted(caught.value.problems) == sorted(in_file)
    # knobs only code sets are reported with the rest, in the same words
    with pytest.raises(SpecError) as caught:
        MetricsSettings.from_mapping({"steps": 0, "bins": [0.2, 0], "confidence": 1.0})
    assert caught.value.problems == [
        "metrics.steps: must be at least 1, got 0",
        "metrics.bins[1]: must be more than 0 and at most 1, got 0",
        "metrics.confidence: must be between 0 and 1 (both excluded), got 1",
    ]


def test_metrics_settings_record_is_the_values_given():
    from reportgen.metrics import MetricsSettings

    record = MetricsSettings.from_mapping({"max_fraction": 1, "steps": 3}).to_dict()
    assert record["max_fraction"] == 1 and isinstance(record["max_fraction"], int)
    assert list(record)[:5] == ["max_samples", "steps", "max_fraction", "random_seeds", "removal"]


def test_top_k_is_one_rule_for_the_spec_and_the_engine():
    from reportgen.engine.targets import static_targets, top_k

    assert parse_top_k("top-02") == 2 == top_k("top-2")
    assert parse_top_k("predicted") is None and parse_top_k(["top-2"]) is None and parse_top_k("top-2 ") is None
    in_file = spec_problems("explain: {targets: top-0}")
    assert in_file == ["explain.targets: 'top-0' asks for 0 targets; K in top-K must be at least 1"]
    with pytest.raises(TargetError, match="'top-0' asks for 0 targets; K in top-K must be at least 1"):
        static_targets("top-0", ["a", "b"])
    with pytest.raises(TargetError, match="at least 1"):
        top_k("top--1")


def test_each_kind_and_source_has_its_behaviour():
    from reportgen.engine.resize import KINDS, MIN_POINTS

    assert KINDS is INTERPOLATION_KINDS and set(MIN_POINTS) == set(INTERPOLATION_KINDS)
    assert set(SOURCE_NEEDS) == set(SAMPLE_SOURCES)
    assert set(SOURCE_BY_EXTENSION.values()) == {s for s, key in SOURCE_NEEDS.items() if key == "file"}


def test_choices_import_without_pydantic_or_yaml():
    import subprocess
    import sys

    code = ("import sys, reportgen.spec.choices, reportgen.engine.resize; "
            "print(sorted(m for m in ('pydantic', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
