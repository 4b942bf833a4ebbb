"""Issue 11's "Done when" on the real IMDB sample: its maps fail the randomisation sanity check, and every place a
reviewer starts from says so — the index's alerts box, the terminal summary (which also names report.pdf and
explanations.json), and the tagged PDF's summary."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests import paths

pytestmark = pytest.mark.slow
FOLDER = paths.SAMPLES / "imdb"
KEEP = 8  # reviews: enough for a sanity verdict (the full sample's mean |rho| is 0.95-1.0 on every layer)


def small_spec(tmp_path: Path) -> Path:
    spec = yaml.safe_load((FOLDER / "spec.yaml").read_text(encoding="utf-8"))
    spec["model"]["path"] = str(FOLDER / spec["model"]["path"])
    spec["input"]["vocabulary"] = str(FOLDER / spec["input"]["vocabulary"])
    spec["samples"]["select"] = spec["samples"]["select"][:KEEP]
    spec["samples"].pop("extra", None)
    spec["explain"].update(layers=["embedding", "bilstm_2"], targets="predicted", relu=[False],
                           counterfactual=[False], interpolation=["linear"])
    spec["metrics"].update(max_samples=KEEP, random_seeds=1, sanity=True)
    spec["output"] = {"dir": str(tmp_path / "report"), "pdf": {"samples": 2}}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


class AlertsBox(HTMLParser):
    def __init__(self, source: str):
        super().__init__()
        self.inside, self.kinds, self.text = 0, [], ""
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-role") == "alerts":
            self.inside = 1
        elif self.inside:
            self.inside += 1
            if tag == "li":
                self.kinds.append(attrs.get("data-kind"))

    def handle_endtag(self, tag):
        self.inside = max(0, self.inside - 1)

    def handle_data(self, data):
        if self.inside:
            self.text += data


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not (FOLDER / "model.keras").exists():
        pytest.skip("samples/imdb has no trained model")
    tmp_path = tmp_path_factory.mktemp("imdb-overview")
    spec = small_spec(tmp_path)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SOURCE_DATE_EPOCH": "1700000000",
           "PYTHONPATH": str(paths.REPO)}
    done = subprocess.run([sys.executable, "-m", "reportgen", "build", str(spec)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp_path / "report", done.stdout + done.stderr


def test_the_alerts_box_names_the_failed_sanity_check(built):
    report, _ = built
    box = AlertsBox((report / "index.html").read_text(encoding="utf-8"))
    assert box.kinds and box.kinds[0] == "sanity-failed"
    assert "No explained layer passes the model randomisation sanity check" in box.text
    assert "curated-accuracy" in box.kinds  # samples.select chose the reviews


def test_the_terminal_summary_names_the_outputs_and_repeats_the_warning(built):
    report, output = built
    lines = output.splitlines()
    written = [line.strip() for line in lines if line.startswith("  ")]
    assert any(re.fullmatch(r".*/report\.pdf \(\d+ pages\)", line) for line in written), lines
    assert any(line.endswith("/explanations.json") for line in written), lines
    warnings = [line for line in lines if line.startswith("warning: ")]
    assert any("sanity check" in line for line in warnings)
    assert any(line.startswith("preview: reportgen serve ") for line in lines)
    assert "\r" not in output  # not a terminal: plain lines


def test_the_pdf_is_tagged_and_its_summary_starts_with_the_warning(built):
    report, _ = built
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    info = subprocess.run(["pdfinfo", str(report / "report.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    pypdf = pytest.importorskip("pypdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(report / "report.pdf").pages)
    assert text.index("Read this first") < text.index("How the model did")
    assert "No explained layer passes the model randomisation sanity check" in text
