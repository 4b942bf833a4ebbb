"""The knobs of the faithfulness metrics, with the defaults the spec's `metrics:` section documents.

The keys of that section are checked by its spec model (`MetricsSpec`), here as in a spec file, so an API
caller gets the same rule in the same words (`metrics.steps: must be at least 1, got 0`); only the knobs the
spec does not offer are checked here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from reportgen.errors import SpecError
from reportgen.spec.checks import did_you_mean, fraction_problem, open_unit_problem
from reportgen.spec.load import check_section
from reportgen.spec.sections import MetricsSpec

DEFAULT_BINS = (0.01, 0.05, 0.10, 0.20, 0.50)
SPEC_KEYS = tuple(MetricsSpec.model_fields)  # the settings a spec's `metrics:` section may give


@dataclass(frozen=True)
class MetricsSettings:
    """What `compute_metrics` does; `from_mapping` accepts the spec's `metrics:` section as it is."""

    max_samples: int = 40  # documents evaluated: the first ones, in report order
    steps: int = 10  # deletion-curve steps after step 0
    max_fraction: float = 0.5  # share of the removable tokens gone at the last step
    random_seeds: int = 3  # random-order reference curves per document (seeds 0..n-1)
    removal: str = "pad"  # one of spec.choices.REMOVALS
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
        # The values are kept as given (validation would turn an int max_fraction into a float, and the
        # settings are recorded in explanations.json as given).
        try:
            check_section(MetricsSpec, {key: getattr(self, key) for key in SPEC_KEYS}, "metrics")
            problems = []
        except SpecError as error:
            problems = list(error.problems)
        if self.batch_size < 1:
            problems.append(f"metrics.batch_size: must be at least 1, got {self.batch_size}")
        if not self.bins:
            problems.append("metrics.bins: must not be empty")
        problems += [f"metrics.bins[{i}]: {error}" for i, b in enumerate(self.bins) if (error := fraction_problem(b))]
        if error := open_unit_problem(self.confidence):
            problems.append(f"metrics.confidence: {error}")
        problems += [f"metrics.sanity_top_layers[{i}]: must be at least 1, got {n}"
                     for i, n in enumerate(self.sanity_top_layers) if n < 1]
        if problems:
            raise SpecError(problems)

    @property
    def seeds(self) -> list[int]:
        return list(range(self.random_seeds))

    @classmethod
    def from_mapping(cls, values: "MetricsSettings | MetricsSpec | Mapping[str, Any] | None",
                     **overrides: Any) -> "MetricsSettings":
        """Build from a spec section or a mapping (an unknown key is an error naming it), then apply
        `overrides`."""
        if isinstance(values, MetricsSettings):
            data = asdict(values)
        elif isinstance(values, MetricsSpec):
            data = values.model_dump()
        else:
            data = dict(values or {})
        data.update({k: v for k, v in overrides.items() if v is not None})
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise SpecError([f"metrics.{k}: unknown key{did_you_mean(k, known)}" for k in unknown])
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

