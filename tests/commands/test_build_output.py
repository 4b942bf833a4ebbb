"""What `reportgen build` tells the user: stage lines before TensorFlow loads, plain lines in a log, progress
steps that move, and a summary naming every file written, the report's alerts and how to preview it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.pipeline.test_build import VOCAB, write_spec

REPO = Path(__file__).resolve().parents[2]
STAGES = ["spec and samples", "model loading", "vectorising", "engine", "metrics", "pdf", "json", "html"]
# vectorising runs chunk by chunk inside the engine stage: timed in the summary, no line of its own
STAGE_LINES = [stage for stage in STAGES if stage != "vectorising"]
END_LINE = re.compile(r"^(%s)( .*)? \d+\.\d+s$" % "|".join(map(re.escape, STAGE_LINES)))

# Runs the CLI with stderr wrapped (not a terminal, as in CI) to record whether TensorFlow was imported when
# the first line was written, and with report_alerts giving one warning and one note.
DRIVER = textwrap.dedent("""\
    import sys

    from reportgen.report import alerts as alerts_module

    class Watched:
        def __init__(self, inner):
            self.inner, self.first_line_after_tensorflow = inner, None

        def write(self, text):
            if self.first_line_after_tensorflow is None and text.strip():
                self.first_line_after_tensorflow = "tensorflow" in sys.modules
            return self.inner.write(text)

        def isatty(self):
            return False

        def __getattr__(self, name):
            return getattr(self.inner, name)

    alerts_module.report_alerts = lambda results, views=None: [
        alerts_module.Alert("sanity-failed", alerts_module.WARNING, "Maps <barely> change", "metrics.html#sanity"),
        alerts_module.Alert("pdf-subset", alerts_module.NOTE, "The PDF shows 2 of 4 samples."),
    ]
    sys.stderr = watched = Watched(sys.stderr)
    from reportgen.cli import main

    code = main(sys.argv[1:])
    print(f"FIRST LINE AFTER TENSORFLOW: {watched.first_line_after_tensorflow}", file=sys.__stderr__)
    sys.exit(code)
    """)


@pytest.fixture(scope="module")
def project(tmp_path_factory, word_model):
    root = tmp_path_factory.mktemp("build-output")
    word_model(root, VOCAB, name="tiny", body="conv")
    rows = ["id,text,label", "r1,the movie was good,pos", "r2,an awful bad movie,neg", "r3,great script,pos",
            "r4,bad,neg", "r5,good and great and good,pos", "r6,the awful movie was a bad movie,neg"]
    (root / "reviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    write_spec(root / "spec.yaml", **{"labels: [neg, pos, mixed]": "labels: [neg, pos]",
                                      "layers: [embedding, bigru]": "layers: [embedding, conv]\n  batch_size: 2",
                                      "pdf: false": "pdf: true"})
    (root / "driver.py").write_text(DRIVER, encoding="utf-8")
    return root


def run_build(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "driver.py", "build", "spec.yaml", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(project):
    return run_build(project)


def test_a_log_gets_plain_stage_lines_in_order_the_first_before_tensorflow(built):
    assert built.returncode == 0, built.stderr
    lines = built.stderr.splitlines()
    assert "\r" not in built.stderr and "\x1b" not in built.stderr
    # the spec stage is not announced (its problems are then the only line), only finished; then the model
    assert lines[0].startswith("spec and samples 6 samples ") and lines[1] == "loading model model.keras …"
    assert "FIRST LINE AFTER TENSORFLOW: False" in lines
    ends = [m.group(1) for m in map(END_LINE.match, lines) if m]
    assert ends == STAGE_LINES
    assert "engine 6 docs" in built.stderr and "spec and samples 6 samples" in built.stderr
    starts = [line for line in lines if line.endswith(" …")]
    announced = STAGE_LINES[1:]
    assert len(starts) == len(announced)
    # each stage's start line comes before its end line, and the next stage starts after it ended
    order = [lines.index(line) for pair in zip(starts, [next(
        line for line in lines if END_LINE.match(line) and line.startswith(stage + " ")) for stage in announced])
        for line in pair]
    assert order == sorted(order)


def test_the_summary_names_each_file_the_alerts_and_the_preview(built, project):
    from pypdf import PdfReader

    assert built.returncode == 0, built.stderr
    out = built.stdout.splitlines()
    reader = PdfReader(project / "out" / "report.pdf")
    pages = len(reader.pages)
    # the explanations.json beside the PDF is, byte for byte, the one attached to it
    assert reader.attachments["explanations.json"][0] == (project / "out" / "explanations.json").read_bytes()
    assert out[0].startswith("built 6 samples in ")
    assert set(out[1:4]) == {"  out/index.html", f"  out/report.pdf ({pages} pages)", "  out/explanations.json"}
    assert "warning: Maps <barely> change (see out/metrics.html#sanity)" in out
    assert "note: The PDF shows 2 of 4 samples." in out
    assert out[-1] == "preview: reportgen serve out"
    for stage in STAGES:
        assert re.search(rf"\b{re.escape(stage)} \d+\.\d+s", out[0])


def test_quiet_prints_nothing_and_no_pdf_is_not_listed(project):
    quiet = run_build(project, "--quiet", "--no-pdf")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr.splitlines() == ["FIRST LINE AFTER TENSORFLOW: None"]
    listed = run_build(project, "--no-pdf")
    assert listed.returncode == 0, listed.stderr
    assert "  out/explanations.json" in listed.stdout.splitlines()
    assert "report.pdf" not in listed.stdout and "writing report.pdf" not in listed.stderr


def test_engine_and_metrics_progress_reach_values_between_start_and_end(project, monkeypatch):
    from reportgen.build import build

    monkeypatch.chdir(project)
    calls: dict[str, list[tuple[int, int | None]]] = {}
    build("spec.yaml", out=project / "progress-out", pdf=False,
          progress=lambda what, done, total: calls.setdefault(what, []).append((done, total)))
    # the engine reports after each batch. Token counts with <START>: 5, 5, 3, 2, 6, 8; the conv layer drops
    # the mask, so only equal lengths share a batch (of at most 2): [2], [3], [5, 5], [6], [8]
    assert calls["engine"] == [(0, 6), (1, 6), (2, 6), (4, 6), (5, 6), (6, 6)]
    metric_steps = [done for done, _ in calls["metrics"]]
    total = calls["metrics"][-1][1]
    assert metric_steps == sorted(metric_steps) and metric_steps[-1] == total
    # the metrics report after each model call; this tiny build's 70 perturbed inputs fit one call (the calls
    # are cut by the engine's token budget: tests/metrics/test_sharing.py), so only its end is seen here
    import json

    recorded = json.loads((project / "progress-out" / "explanations.json").read_text(encoding="utf-8"))["metrics"]
    assert total == recorded["predicted_inputs"] > 0  # the unit counted is a distinct perturbed input
