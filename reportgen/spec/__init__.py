"""The spec file (YAML, version 1): `load_spec(path) -> Spec`; the format lives in `schema.py`.

Imports: errors only (no other reportgen package, no TensorFlow/Keras): `reportgen validate` and `schema`
run on it alone.
"""

from reportgen.spec.load import load_spec, parse_spec
from reportgen.spec.schema import Spec, SpecPaths

__all__ = ["Spec", "SpecPaths", "load_spec", "parse_spec"]
