"""The Ray backend's overhead against the local one, on N reviews of the IMDB sample, measured in one run.

The IMDB sample spec with `select`/`extra` removed and `limit: N`, metrics, PDF and site off (the stored maps
only: what the backends differ in), built twice in this process: `execution: {backend: local}`, then
`{backend: ray, address: null, workers: W, batch_size: B}` (Ray started here with W CPUs, as a user's
`address: null` build starts it, and shut down after). Prints each build's wall time, its engine stage (the
pass that streams the maps into results/maps.parquet; Ray's start and the actors' model loading fall in it),
the ratios, Ray's own start and shutdown timed alone, and how far the two maps files differ.

Run from the repository root: `python benchmarks/ray_overhead.py [--reviews 1000] [--workers 2]
[--batch-size 256]`. Needs the samples and ray extras (`pip install -e '.[samples,ray]'`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from reportgen.models.load import set_tensorflow_environment  # noqa: E402

set_tensorflow_environment()  # as a build runs TensorFlow, before its import

SAMPLE = ROOT / "samples" / "imdb" / "spec.yaml"


def corpus_spec(folder: Path, reviews: int, execution: dict) -> Path:
    """The IMDB sample spec over the first `reviews` reviews, its files named by absolute path."""
    spec = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    spec["model"]["path"] = str(SAMPLE.parent / spec["model"]["path"])
    spec["input"]["vocabulary"] = str(SAMPLE.parent / spec["input"]["vocabulary"])
    for key in ("select", "extra"):
        spec["samples"].pop(key, None)
    spec["samples"]["limit"] = reviews
    spec["metrics"] = {"enabled": False}
    spec["output"] = {"dir": "report", "html": False, "json": True, "pdf": False}
    spec["execution"] = execution
    path = folder / f"{execution['backend']}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def timed_build(spec: Path, out: Path) -> tuple[float, float]:
    """(wall seconds of the whole build, seconds of its engine stage)."""
    from reportgen.build import build

    start = time.perf_counter()
    summary = build(spec, out=out, pdf=False)
    return time.perf_counter() - start, summary.timings.get("engine", float("nan"))


def ray_startup(workers: int) -> float:
    """Seconds to start a local Ray instance as an `address: null` build does, and shut it down."""
    import logging

    import ray

    start = time.perf_counter()
    ray.init(address="local", num_cpus=workers, include_dashboard=False, logging_level=logging.ERROR,
             log_to_driver=False)
    ray.shutdown()
    return time.perf_counter() - start


def maps_difference(local: Path, other: Path) -> tuple[bool, float]:
    """(every column but the maps identical, the largest difference of a layer map relative to its largest
    magnitude)."""
    import numpy as np
    import pyarrow.parquet as pq

    a, b = pq.read_table(local / "results" / "maps.parquet"), pq.read_table(other / "results" / "maps.parquet")
    same = a.num_rows == b.num_rows and all(
        a.column(name).equals(b.column(name)) for name in a.column_names
        if name not in ("layer_map", "score", "grad_norm", "probabilities"))
    worst = 0.0
    for x, y in zip(a.column("layer_map").to_pylist(), b.column("layer_map").to_pylist()):
        x, y = np.asarray(x, float), np.asarray(y, float)
        scale = max(np.abs(x).max(initial=0.0), 1e-30)
        worst = max(worst, float(np.abs(x - y).max(initial=0.0) / scale))
    return same, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()

    from reportgen.models.load import import_tensorflow_quietly

    import_tensorflow_quietly()  # imported before either clock starts: neither build pays it
    print(f"IMDB, {args.reviews} reviews, metrics/PDF/site off; cores {os.cpu_count()}, load average at start "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="ray_overhead_") as tmp:
        folder = Path(tmp)
        local_spec = corpus_spec(folder, args.reviews, {"backend": "local"})
        ray_spec = corpus_spec(folder, args.reviews, {"backend": "ray", "address": None, "workers": args.workers,
                                                      "batch_size": args.batch_size})
        local_wall, local_engine = timed_build(local_spec, folder / "local")
        print(f"local                          build {local_wall:7.1f} s   engine stage {local_engine:7.1f} s")
        startup = ray_startup(args.workers)
        ray_wall, ray_engine = timed_build(ray_spec, folder / "ray")
        print(f"ray ({args.workers} workers, batch {args.batch_size:4d}) build {ray_wall:7.1f} s   "
              f"engine stage {ray_engine:7.1f} s")
        print(f"ratio ray / local: build {ray_wall / local_wall:.2f}x, engine stage {ray_engine / local_engine:.2f}x"
              f" (overhead {ray_engine - local_engine:+.1f} s on the engine stage)")
        print(f"of which Ray's start and shutdown alone (measured before the build): {startup:.1f} s")
        same, worst = maps_difference(folder / "local", folder / "ray")
        print(f"maps.parquet: other columns identical {same}; layer maps max difference relative to each map's "
              f"largest {worst:.2e}")
    print("load average at end " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
