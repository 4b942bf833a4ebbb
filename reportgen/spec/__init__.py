"""The spec file (YAML, version 1): `load_spec(path) -> Spec`.

`schema.py` holds `Spec`, `sections.py` its sections, `checks.py` the reusable checks they are built from,
`choices.py` the words a value may take (shared with the code that acts on them), `load.py` the YAML reader
and the wording of every problem.

Imports: errors and textsafe only (the two standard-library-only leaves; no other reportgen package, no
TensorFlow/Keras): `reportgen validate` and `schema` run on it alone.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Spec", "SpecPaths", "load_spec", "parse_spec"]

# Loaded on first use: engine and samples import `spec.choices` and should not pay for pydantic and YAML.
_LAZY = {"Spec": "schema", "SpecPaths": "schema", "load_spec": "load", "parse_spec": "load"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
