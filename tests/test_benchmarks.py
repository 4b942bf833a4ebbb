"""The engine benchmark's smoke run: it runs, prints every ratio, and its tutorial-way maps agree with the
engine's. No timing is asserted (shared machines are noisy)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_smoke():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "engine.py"), "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    number = r"\d+(\.\d+)?"
    for pattern in (rf"ratio engine / compiled forward: {number}x",
                    rf"ratio engine / model\.predict: {number}x",
                    rf"ratio engine / hand-written forward\+backward: {number}x",
                    rf"ratio all targets / one target: {number}x",
                    rf"speed-up engine vs tutorial: {number}x per document",
                    r"memory peak growth ratio 128 / 64 documents: ",
                    r"load average at start: "):
        assert re.search(pattern, out), f"missing {pattern!r} in:\n{out}"
    assert "== figures ==" in out
    # Same shapes in every timed round: the compiled step must not be traced again after the warm-up.
    assert re.search(r"engine traces during timed rounds\s+0\b", out), out
    # One trace per row bucket (gradcam.static_rows), whatever the lengths: 16 reviews give 16 rows for one
    # target, 32 for two, single reviews 1 or 2, all fewer than the smallest bucket (64), so every call takes
    # the one shape-free step. XLA's maps are within 1e-5 relative.
    assert re.search(r"first call with 2 targets, one batch\s+\S+ s\s+\(1 traces so far\)", out), out
    assert re.search(r"traces over \d+ distinct batch shapes .*\s1 \(one per row bucket", out), out
    for xla in re.findall(r"maps, max difference relative to each map's largest\s+(\S+)", out):
        assert float(xla) < 1e-5, out
    # The tutorial's GradientTape maps, rescaled by p(1-p) and the target's sign, match the engine's.
    difference = float(re.search(r"tutorial vs engine maps: max relative difference\s+(\S+)", out).group(1))
    assert difference < 1e-4, out
