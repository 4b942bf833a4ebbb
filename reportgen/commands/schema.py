"""`reportgen schema`: print the JSON Schema of the spec format."""

from __future__ import annotations

import sys

from reportgen.spec.jsonschema import spec_json_schema_text


def run() -> int:
    sys.stdout.write(spec_json_schema_text())
    return 0
