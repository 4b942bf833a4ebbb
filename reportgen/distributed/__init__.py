"""Running the engine beyond this process: `ray_tables` explains a corpus as Ray Data batches on an actor pool.

Imports: spec, samples, store, results, errors (and Ray, lazily: it is an optional extra). Never report, render,
commands, cli or api. Nor build: build calls in here, so the build's own chunk functions (`ChunkContext.load`,
`explain_chunk`) are handed to `ray_tables` as arguments; Ray ships them to the actors by reference.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ray_tables", "import_ray", "RAY_EXTRA"]

_LAZY = {"ray_tables": "ray_backend", "import_ray": "ray_backend", "RAY_EXTRA": "ray_backend"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
