"""benchmarks/corpus.py reads the stage split back from the build's own summary line."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

from reportgen.commands.build import summary_lines

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("corpus_benchmark", ROOT / "benchmarks" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stage_seconds_reads_the_summary_line_the_build_prints():
    bench = load_benchmark()
    timings = {"spec and samples": 0.04, "model loading": 2.8, "vectorising": 1.25, "corpus statistics": 3.1,
               "engine": 17.0, "json": 0.4, "html": 0.5}
    summary = SimpleNamespace(documents=1000, timings=timings, files=[], out_dir=ROOT, pdf_pages=0, alerts=[])
    line = summary_lines(summary, 25.1)[0]
    stages = line[line.index("[") + 1:line.rindex("]")]
    # the line rounds to tenths; per review: vectorising + engine + corpus statistics = 1.2 + 17.0 + 3.1
    assert bench.stage_seconds(stages) == {"spec and samples": 0.0, "model loading": 2.8, "vectorising": 1.2,
                                           "corpus statistics": 3.1, "engine": 17.0, "json": 0.4, "html": 0.5}
    assert round(sum(bench.stage_seconds(stages)[k] for k in bench.CORPUS_STAGES), 6) == 21.3
