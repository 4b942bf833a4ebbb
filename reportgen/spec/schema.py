"""The spec file format, version 1: the top-level `Spec` and its resolved `SpecPaths`.

A spec is validated in one pass so that every problem is reported at once. The reusable checks live in
`checks.py`, the sections (`model:`, `input:`, `samples:`, `explain:`, `metrics:`, `output:`) in
`sections.py`, the words a value may take in `choices.py`; the names other modules import from here are
re-exported below. `date` is a `datetime.date` or None.

Paths stay exactly as written (the report shows them); `Spec.paths` gives them resolved against the spec
file's folder. File existence is checked only when validation is given a `base_dir` context (as
`reportgen.spec.load.load_spec` does), so specs can also be built in code without touching the disk.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, PrivateAttr, StrictStr, field_validator

from reportgen.spec.checks import Problem, Section, Text, describe_value, is_int, problem, resolve_path
from reportgen.spec.limits import MAX_TEXT_LENGTH
from reportgen.spec.sections import (
    BaselineSpec,
    ExecutionSpec,
    ExplainSpec,
    InlineItem,
    InputSpec,
    MetricsSpec,
    ModelSpec,
    OutputSpec,
    PdfSpec,
    SamplesSpec,
    compare_problems,
    locate_samples,
)

if TYPE_CHECKING:
    from reportgen.spec.load import KeyLines

__all__ = [
    "SPEC_VERSION", "SUPPORTED_VERSIONS", "Spec", "SpecPaths",
    # re-exported: the sections and helpers callers import from here
    "ExecutionSpec", "ExplainSpec", "InlineItem", "InputSpec", "MetricsSpec", "ModelSpec", "OutputSpec", "PdfSpec",
    "SamplesSpec", "locate_samples",
]

SPEC_VERSION = 1
SUPPORTED_VERSIONS = (1,)


def _date(value: Any) -> Any:
    if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise problem(f"expected a date like 2026-01-01, got {describe_value(value)}")


@dataclass(frozen=True)
class SpecPaths:
    """The spec's paths resolved against its folder (for opening files; never for display)."""

    spec_file: Path | None
    base_dir: Path
    model: Path
    vocabulary: Path | None
    labels_file: Path | None
    samples: Path | None  # samples.file or samples.directory (inside samples.package when set); None: inline
    output_dir: Path


class Spec(Section):
    """A validated spec. Attribute values are as written; `paths` gives them resolved."""

    version: int = Field(
        description=f"Spec format version; this reportgen reads {SPEC_VERSION}.",
        json_schema_extra={"enum": list(SUPPORTED_VERSIONS)},
    )
    title: Annotated[Text, Field(max_length=MAX_TEXT_LENGTH["title"])]
    description: Annotated[StrictStr, Field(max_length=MAX_TEXT_LENGTH["description"])] | None = Field(
        None, description="Markdown, sanitised when rendered."
    )
    dataset: Annotated[StrictStr, Field(max_length=MAX_TEXT_LENGTH["dataset"])] | None = None
    author: Annotated[StrictStr, Field(max_length=MAX_TEXT_LENGTH["author"])] | None = None
    date: Annotated[datetime.date | None, BeforeValidator(_date)] = Field(
        None, description="Omitted: SOURCE_DATE_EPOCH if set, else no date."
    )
    model: ModelSpec
    input: InputSpec = Field(default_factory=InputSpec)
    samples: SamplesSpec
    explain: ExplainSpec = Field(default_factory=ExplainSpec)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    output: OutputSpec = Field(default_factory=OutputSpec)
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)
    compare: list[BaselineSpec] = Field(default_factory=list, description="Baseline models to compare the model "
                                        "with, on the same samples with the same explain settings.")

    _spec_file: Path | None = PrivateAttr(None)
    _base_dir: Path | None = PrivateAttr(None)
    _key_lines: Any = PrivateAttr(None)  # a load.KeyLines when read from a file

    @field_validator("version", mode="before")
    @classmethod
    def _supported_version(cls, value: Any) -> Any:
        if not is_int(value) or value not in SUPPORTED_VERSIONS:
            supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
            raise problem(
                f"unsupported spec version {describe_value(value)}; this reportgen reads version {supported}"
            )
        return value

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> list[Problem]:
        found: list[Problem] = []
        explain, metrics = data.get("explain"), data.get("metrics")
        if isinstance(explain, dict) and explain.get("layers") == "best" and isinstance(metrics, dict) \
                and metrics.get("enabled") is False:
            found.append((("explain", "layers"), "'best' needs the faithfulness metrics (metrics.enabled: true)"))
        found += compare_problems(data.get("model"), data.get("compare"))
        return found + cls._ids_problems(data)

    @classmethod
    def _ids_problems(cls, data: dict[str, Any]) -> list[Problem]:
        section, samples = data.get("input"), data.get("samples")
        if not (isinstance(section, dict) and section.get("level") == "ids" and isinstance(samples, dict)):
            return []
        items = samples.get("items")
        if not isinstance(items, list):
            return []
        return [(("samples", "items", index), "input.level is 'ids' but this item has no 'ids'")
                for index, item in enumerate(items)
                if isinstance(item, str) or (isinstance(item, dict) and item.get("ids") is None)]

    def bind(self, spec_file: str | Path | None = None, base_dir: str | Path | None = None) -> Spec:
        """Remember where the spec came from so `paths` can resolve relative paths (load_spec does this)."""
        self._spec_file = Path(spec_file) if spec_file is not None else None
        if base_dir is None and spec_file is not None:
            base_dir = Path(spec_file).resolve().parent
        self._base_dir = Path(base_dir).resolve() if base_dir is not None else None
        return self

    def with_key_lines(self, key_lines: KeyLines) -> Spec:
        """Remember the YAML the spec was read from, so problems found later name their key's line."""
        self._key_lines = key_lines
        return self

    def problem_at(self, key_path: str, message: str) -> str:
        """`message` about `key_path` (e.g. "explain.layers[2]"), at its YAML line when read from a file."""
        if self._key_lines is None:
            return f"{key_path}: {message}"
        return self._key_lines.place(key_path, message)

    @property
    def spec_file(self) -> Path | None:
        """The spec file as it was given to load_spec (None for a spec built in code)."""
        return self._spec_file

    @property
    def base_dir(self) -> Path:
        """The folder relative paths resolve against: the spec file's, else the working directory."""
        return self._base_dir if self._base_dir is not None else Path.cwd()

    def resolve(self, value: str) -> Path:
        """A path as written in the spec, resolved against `base_dir`."""
        return resolve_path(self.base_dir, value)

    @property
    def paths(self) -> SpecPaths:
        base = self.base_dir
        return SpecPaths(
            spec_file=self._spec_file,
            base_dir=base,
            model=self.resolve(self.model.path),
            vocabulary=self.resolve(self.input.vocabulary) if self.input.vocabulary else None,
            labels_file=self.resolve(self.model.labels_file) if self.model.labels_file else None,
            samples=locate_samples(self.samples, base),
            output_dir=self.resolve(self.output.dir),
        )
