"""The JSON Schema of the spec format (for editors and CI), generated from the pydantic models."""

from __future__ import annotations

import json
from typing import Any

from reportgen.spec.schema import SPEC_VERSION, Spec

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def spec_json_schema() -> dict[str, Any]:
    """The schema of what a spec file may contain (input shapes, e.g. `relu: true` or `relu: [true, false]`)."""
    schema = Spec.model_json_schema(mode="validation")
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["title"] = f"reportgen spec (version {SPEC_VERSION})"
    schema["description"] = (
        "A reportgen report spec, written in YAML. Relative paths resolve against the spec file's folder."
    )
    return schema


def spec_json_schema_text() -> str:
    """The schema as JSON text with sorted keys, ending in a newline: the same bytes on every run."""
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
