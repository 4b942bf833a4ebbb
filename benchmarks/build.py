"""HTML site speed: pages per second and page sizes for a large synthetic report.

Default: 1,000 samples × 3 layers × 2 targets × 2 variants (relu, signed), word level, ~120 words each.
Run from the repository root: `python benchmarks/build.py [--samples N]`.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportgen.render.html import render_site  # noqa: E402
from tests.fakes import make_results  # noqa: E402  (one generator for tests and benchmarks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--words", type=int, nargs=2, default=(60, 180), metavar=("MIN", "MAX"))
    parser.add_argument("--level", choices=("word", "char"), default="word")
    args = parser.parse_args()

    t0 = time.perf_counter()
    results = make_results(n_docs=args.samples, task="binary", level=args.level, seed=1,
                           layers=("embedding", "conv1d", "encoder/lstm"), targets="all",
                           relu=(True, False), words=tuple(args.words), max_length=200, nasty=False)
    made = time.perf_counter() - t0
    maps = sum(len(d.heatmaps) for d in results.documents)
    tokens = statistics.mean(len(d.tokens) for d in results.documents)
    print(f"results: {args.samples} samples, {maps} heatmaps, {tokens:.0f} tokens per sample "
          f"(generated in {made:.1f} s)")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        files = render_site(results, out)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        pages = [f for f in files if f.suffix == ".html"]
        samples = [f.stat().st_size for f in pages if f.parent.name == "samples"]
        layers = [f.stat().st_size for f in pages if f.parent.name == "layers"]
        total = sum(f.stat().st_size for f in files)
        print(f"pages: {len(pages)} in {elapsed:.1f} s = {len(pages) / elapsed:.1f} pages/s "
              f"({elapsed / len(pages) * 1000:.1f} ms per page); CPU {cpu:.1f} s = {len(pages) / cpu:.1f} pages/s "
              "(wall and CPU differ when other processes share the cores)")
        print(f"sample page: mean {statistics.mean(samples) / 1024:.0f} KiB, max {max(samples) / 1024:.0f} KiB")
        print(f"layer page ({len(layers)} pages): mean {statistics.mean(layers) / 1024:.0f} KiB, "
              f"max {max(layers) / 1024:.0f} KiB")
        print(f"index: {(out / 'index.html').stat().st_size / 1024:.0f} KiB; site total {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
