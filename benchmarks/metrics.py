"""Metrics-stage speed on a real sample, before and after sharing compiled steps, in one process.

The build's metrics stage (`reportgen.build._metrics`: deletion curves, ERASER bins and the randomisation
sanity check) runs on the spec's own documents and settings, twice per round:

- before: `reuse=False`, the path the stage had before issue 16 item 4 (perturbed inputs in calls of the
  engine's batch size; each randomised model a clone with its own adapter, so the Grad-CAM step is traced
  again per clone, for a target count of its own);
- after: `reuse=True`, the build's path (calls filled to the engine's token budget; the model randomised
  in place, served by the engine run's compiled step).

Both see the same warm predictor (the engine run traced it), so the difference is the stage's own. Printed:
stage times and their ratio, the sanity check's share, predictor calls, distinct inputs against the
perturbations the curves and bins asked for (duplicates are predicted once on both paths), batch fill
and padding, the engine's steady pace for
comparison, and the largest difference between any two numbers of the two runs (it must stay <= 1e-6:
sharing may not change a result). Machines are noisy: read the ratios, and the load average beside them.

Run from the repository root: `python benchmarks/metrics.py [--spec SPEC] [--rounds N] [--build]
[--max-samples N]` (about a minute a round on two cores for the IMDB sample; `--build` adds a whole build
in a fresh process, with its stage split). It exits 1 when the two paths' numbers differ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from reportgen.models.load import set_tensorflow_environment  # noqa: E402

set_tensorflow_environment()  # as a build runs TensorFlow, before its import

TOLERANCE = 1e-6
# bookkeeping the two paths record differently on purpose; every other number must agree
BOOKKEEPING = ("/report/settings/batch_size", "/report/predict_calls")


class Instruments:
    """Counts what one metrics run asks of the predictor, and when the sanity check starts and ends."""

    def __init__(self) -> None:
        self.calls: list[int] = []  # inputs per predictor call
        self.padded = self.tokens = 0
        self.predict_s = 0.0
        self.requests = 0  # perturbations asked for by the curves and bins, duplicates included
        self.sanity: list[float] = []
        self.cpu_s = 0.0  # CPU seconds of every thread of this process: less at the mercy of the load

    def progress(self, what, done, total):
        if what == "sanity check":
            self.sanity.append(time.perf_counter())

    @property
    def sanity_s(self) -> float:
        return self.sanity[-1] - self.sanity[0] if self.sanity else 0.0


def run_metrics(stage, reuse: bool):
    import reportgen.engine.batching as batching
    import reportgen.metrics.faithfulness as faithfulness
    from reportgen import build as B

    spec, adapter, pipeline, explanations, layers, settings = stage
    tools = Instruments()
    predict_ids, add = batching.predict_ids, faithfulness.PerturbationBatch.add

    def counted_predict(adapter_, batch, batch_size=64):
        start = time.perf_counter()
        out = predict_ids(adapter_, batch, batch_size=batch_size)
        tools.predict_s += time.perf_counter() - start
        tools.calls.append(len(batch))
        tools.tokens += sum(len(ids) for ids in batch)
        tools.padded += len(batch) * max(len(ids) for ids in batch)
        return out

    def counted_add(self, ids):
        tools.requests += 1
        return add(self, ids)

    batching.predict_ids, faithfulness.PerturbationBatch.add = counted_predict, counted_add
    try:
        for doc in explanations:
            doc.metrics = None
        start, cpu = time.perf_counter(), time.process_time()
        report = B._metrics(spec, adapter, pipeline, explanations, layers, settings, tools.progress, reuse=reuse)
        seconds = time.perf_counter() - start
        tools.cpu_s = time.process_time() - cpu
    finally:
        batching.predict_ids, faithfulness.PerturbationBatch.add = predict_ids, add
    numbers = {"report": report.to_dict(), "per_doc": {d.id: d.metrics for d in explanations}}
    return seconds, tools, numbers


def largest_difference(a, b, where="") -> tuple[float, str]:
    """Largest |a - b| over every number of two results of the same shape (inf where the shapes differ),
    bookkeeping aside."""
    if where in BOOKKEEPING:
        return 0.0, where
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return float("inf"), f"{where}: keys differ"
        return max((largest_difference(a[k], b[k], f"{where}/{k}") for k in a), default=(0.0, where))
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return float("inf"), f"{where}: lengths differ"
        return max((largest_difference(x, y, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b))),
                   default=(0.0, where))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)), where
    return (0.0, where) if a == b else (float("inf"), f"{where}: {a!r} != {b!r}")


def whole_build(spec_path: Path) -> None:
    """A build in a fresh process (model loading and tracing included), with the build's own stage split."""
    code = ("import json, sys, time; t = time.perf_counter(); from reportgen.build import build; "
            "s = build(sys.argv[1], out=sys.argv[2], progress=None); "
            "print(json.dumps({'wall': time.perf_counter() - t, 'timings': s.timings}))")
    with tempfile.TemporaryDirectory() as tmp:
        load = os.getloadavg()[0]
        done = subprocess.run([sys.executable, "-c", code, str(spec_path), str(Path(tmp) / "report")], cwd=ROOT,
                              capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if done.returncode != 0:
        print(f"whole build failed:\n{done.stderr[-2000:]}")
        return
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    split = ", ".join(f"{k} {v:.1f} s" for k, v in figures["timings"].items())
    print(f"whole build (fresh process, from Python start-up after the import): {figures['wall']:.1f} s "
          f"[{split}]; load average at start {load:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "samples" / "imdb" / "spec.yaml")
    parser.add_argument("--rounds", type=int, default=1, help="before/after pairs, interleaved (median shown)")
    parser.add_argument("--build", action="store_true", help="also time a whole build in a fresh process")
    parser.add_argument("--max-samples", type=int, help="score fewer documents than the spec (a smoke run)")
    args = parser.parse_args()

    from reportgen import build as B
    from reportgen.samples import load_samples
    from reportgen.spec import load_spec

    print(f"load average at start: {os.getloadavg()[0]:.2f} (2-core figures in the issue; {os.cpu_count()} here)")
    spec = load_spec(args.spec)
    if args.max_samples is not None:
        spec = spec.model_copy(update={"metrics": spec.metrics.model_copy(update={"max_samples": args.max_samples})})
    samples = load_samples(spec, spec.paths.base_dir)
    adapter = B._load_adapter(spec)
    docs, pipeline = B._make_documents(spec, adapter, samples)
    start = time.perf_counter()
    explanations, layers, settings = B._explain(spec, adapter, docs, None)
    engine_first = time.perf_counter() - start
    start = time.perf_counter()
    B._explain(spec, adapter, docs, None)  # traced now: the engine's steady pace
    engine_steady = time.perf_counter() - start
    stage = (spec, adapter, pipeline, explanations, layers, settings)

    before, after = [], []
    for _ in range(max(1, args.rounds)):
        before.append(run_metrics(stage, reuse=False))
        after.append(run_metrics(stage, reuse=True))
    b_s = statistics.median(r[0] for r in before)
    a_s = statistics.median(r[0] for r in after)
    _, b_tools, b_numbers = before[-1]
    _, a_tools, a_numbers = after[-1]
    difference, where = largest_difference(b_numbers, a_numbers)

    n_docs = len(docs)
    scored = len(a_numbers["report"]["samples"])
    print(f"sample: {args.spec.relative_to(ROOT) if args.spec.is_relative_to(ROOT) else args.spec}, "
          f"{n_docs} documents, {scored} scored, {len(layers)} layers, settings as the spec gives them")
    print(f"engine: {engine_first:.2f} s first run (tracing included), {engine_steady:.2f} s steady "
          f"= {engine_steady / n_docs * 1000:.1f} ms a document (forward + backward, every variant)")
    print("== metrics stage (median of the rounds) ==")
    print(f"before (reuse=False): {b_s:.2f} s ({b_tools.cpu_s:.2f} s CPU), sanity check {b_tools.sanity_s:.2f} s "
          f"({b_tools.sanity_s / b_s:.0%} of the stage)")
    print(f"after  (reuse=True):  {a_s:.2f} s ({a_tools.cpu_s:.2f} s CPU), sanity check {a_tools.sanity_s:.2f} s "
          f"({a_tools.sanity_s / a_s:.0%} of the stage)")
    print(f"ratio before / after: {b_s / a_s:.1f}x wall, {b_tools.cpu_s / a_tools.cpu_s:.1f}x CPU")
    from reportgen.engine.batching import TOKEN_BUDGET

    for name, tools in (("before", b_tools), ("after", a_tools)):
        inputs = sum(tools.calls)
        print(f"{name}: {len(tools.calls)} predictor calls, {inputs} distinct inputs of {tools.requests} "
              f"requested ({1 - inputs / max(tools.requests, 1):.0%} shared), "
              f"{inputs / max(len(tools.calls), 1):.0f} inputs and "
              f"{tools.padded / max(len(tools.calls), 1) / TOKEN_BUDGET:.0%} of the token budget a call, "
              f"padding {tools.padded / max(tools.tokens, 1) - 1:.1%} over the tokens, "
              f"predictor {tools.predict_s:.2f} s = {tools.predict_s / max(inputs, 1) * 1000:.2f} ms an input")
    rest = a_s - a_tools.sanity_s - a_tools.predict_s
    print(f"after, split: predictor {a_tools.predict_s:.2f} s, sanity {a_tools.sanity_s:.2f} s, "
          f"planning and scoring {rest:.2f} s")
    print(f"ratio metrics stage after / engine steady: {a_s / engine_steady:.1f}x")
    print(f"largest difference between any two numbers of before and after: {difference:.3g}"
          f"{f' (at {where})' if difference else ''}; must be <= {TOLERANCE:g}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if args.build:
        whole_build(args.spec)
    return 0 if difference <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
