"""`reportgen validate SPEC`: check a spec, its files and its samples without loading the model."""

from __future__ import annotations

from reportgen.samples import load_samples, source_name
from reportgen.spec.load import load_spec


def run(spec_path: str) -> int:
    """Print one "ok" line, or raise SpecError / InputError naming every problem found."""
    spec = load_spec(spec_path)
    samples = load_samples(spec)
    count = f"{len(samples)} sample{'s' if len(samples) != 1 else ''}"
    source = f"{source_name(spec.samples)} ({spec.samples.source})"
    print(f"ok: {spec.title} — {count} from {source}; model {spec.model.path}")
    return 0
