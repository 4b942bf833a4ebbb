"""The metrics benchmark's smoke run on the real IMDB sample: it runs, prints its figures, and the build's
shared path gives the same numbers as the path without sharing (the benchmark exits 1 otherwise). No timing
is asserted (shared machines are noisy)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.paths import REPO

pytestmark = pytest.mark.slow


def test_metrics_benchmark_smoke():
    pytest.importorskip("tensorflow")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "metrics.py"), "--max-samples", "3"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)
    # exit 1 would mean the two paths' numbers differ by more than 1e-6
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    number = r"\d+(\.\d+)?"
    for pattern in (rf"ratio before / after: {number}x wall, {number}x CPU",
                    rf"sanity check {number} s \(\d+% of the stage\)",
                    r"after: \d+ predictor calls, \d+ distinct inputs of \d+ requested",
                    r"largest difference between any two numbers of before and after: ",
                    r"load average at start: "):
        assert re.search(pattern, out), f"missing {pattern!r} in:\n{out}"
    # 3 documents scored, as asked; both paths predicted the same distinct inputs
    assert re.search(r"41 documents, 3 scored", out), out
    before, after = (int(m) for m in re.findall(r"(?:before|after): \d+ predictor calls, (\d+) distinct", out))
    assert before == after > 3
