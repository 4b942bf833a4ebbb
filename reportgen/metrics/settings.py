"""The knobs of the faithfulness metrics, with the defaults the spec's `metrics:` section documents."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from reportgen.errors import SpecError

REMOVALS = ("pad", "oov", "delete")
DEFAULT_BINS = (0.01, 0.05, 0.10, 0.20, 0.50)


@dataclass(frozen=True)
class MetricsSettings:
    """What `compute_metrics` does; `from_mapping` accepts the spec's `metrics:` section as it is."""

    max_samples: int = 40  # documents evaluated: the first ones, in report order
    steps: int = 10  # deletion-curve steps after step 0
    max_fraction: float = 0.5  # share of the removable tokens gone at the last step
    random_seeds: int = 3  # random-order reference curves per document (seeds 0..n-1)
    removal: str = "pad"  # pad | oov | delete
    bins: tuple[float, ...] = DEFAULT_BINS  # comprehensiveness / sufficiency fractions
    batch_size: int = 64  # perturbed inputs per predict_fn call
    confidence: float = 0.95  # confidence level of the per-layer intervals
    relu: bool | None = None  # heatmap variant scored; None: the first non-counterfactual one per layer/target
    interpolation: str | None = None  # likewise for the interpolation kind
    sanity: bool = True  # run the model randomisation check when the caller gives a model
    sanity_top_layers: tuple[int, ...] = (1,)  # one check per entry: re-initialise the top N weight layers
    sanity_threshold: float = 0.5  # maps with |Spearman rho| above this "did not change"
    sanity_seed: int = 0
    enabled: bool = True  # carried for the spec's sake; compute_metrics does not look at it

    def __post_init__(self) -> None:
        problems = []
        if self.removal not in REMOVALS:
            problems.append(f"metrics.removal: {self.removal!r} is not one of {', '.join(REMOVALS)}")
        if self.steps < 1:
            problems.append(f"metrics.steps: {self.steps} must be at least 1")
        if not 0.0 < self.max_fraction <= 1.0:
            problems.append(f"metrics.max_fraction: {self.max_fraction} must be in (0, 1]")
        if self.random_seeds < 1:
            problems.append(f"metrics.random_seeds: {self.random_seeds} must be at least 1")
        if self.max_samples < 1:
            problems.append(f"metrics.max_samples: {self.max_samples} must be at least 1")
        if self.batch_size < 1:
            problems.append(f"metrics.batch_size: {self.batch_size} must be at least 1")
        if not self.bins or any(not 0.0 < b <= 1.0 for b in self.bins):
            problems.append(f"metrics.bins: {list(self.bins)} must be fractions in (0, 1]")
        if not 0.0 < self.confidence < 1.0:
            problems.append(f"metrics.confidence: {self.confidence} must be in (0, 1)")
        if any(n < 1 for n in self.sanity_top_layers):
            problems.append(f"metrics.sanity_top_layers: {list(self.sanity_top_layers)} must be positive")
        if problems:
            raise SpecError(problems)

    @property
    def seeds(self) -> list[int]:
        return list(range(self.random_seeds))

    @classmethod
    def from_mapping(cls, values: "MetricsSettings | Mapping[str, Any] | None", **overrides: Any) -> "MetricsSettings":
        """Build from a spec section (unknown keys are an error naming them), then apply `overrides`."""
        if isinstance(values, MetricsSettings):
            data = asdict(values)
        else:
            data = dict(values or {})
        data.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError([f"metrics.{k}: unknown setting" for k in unknown])
        for key in ("bins", "sanity_top_layers"):
            if key in data and data[key] is not None:
                data[key] = tuple(data[key])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the seeds spelled out."""
        out = asdict(self)
        out["bins"] = list(self.bins)
        out["sanity_top_layers"] = list(self.sanity_top_layers)
        out["seeds"] = self.seeds
        return out

