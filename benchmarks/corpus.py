"""Corpus scale: wall time, peak memory and results on disk of whole held-out sets, measured in one run.

IMDB (`samples/imdb/corpus.yaml`: two layers, the predicted target, metrics and PDF off) on the first N of the
5,000 held-out reviews for each N asked (default 1,000 and 5,000): each build runs as its own process, timed
by `/usr/bin/time` (wall seconds, peak RSS), and its summary line gives the stage split. Time should grow
linearly and peak memory stay flat. The wall ratio includes the fixed start-up (interpreter, TensorFlow and
model loading, tracing the engine's steps), so the corpus stages' ratio (vectorising, engine and corpus
statistics: the work done per review) and that of every stage after model loading (the wall less the
start-up) are printed too; the engine stage still holds the tracing of each row bucket a corpus meets. Then the stored results per document
(results/maps.parquet + explanations.json) of the IMDB runs and of the character-level BBC model on its
held-out articles (`samples/bbc-char/spec.yaml`, its three layers and every target, as the sample explains
them). Run from the repository root: `python benchmarks/corpus.py [--sizes 1000 5000] [--char 444]`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def held_out(folder: str, n: int) -> list[str]:
    lines = (ROOT / "samples" / folder / "heldout.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")][:n]


def spec_for(source: str, ids: list[str], work: Path, name: str, changes: dict) -> Path:
    """`source` spec with its samples limited to `ids` (a select_file) and `changes` applied to its sections;
    paths stay relative to the sample folder, so the spec is written there under a temporary name."""
    spec = yaml.safe_load((ROOT / source).read_text(encoding="utf-8"))
    (work / f"{name}.ids").write_text("\n".join(ids) + "\n", encoding="utf-8")
    spec["samples"].pop("select", None)
    spec["samples"]["select_file"] = str(work / f"{name}.ids")
    for section, values in changes.items():
        spec.setdefault(section, {}).update(values)
    path = (ROOT / source).parent / f".bench-{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def stage_seconds(stages: str) -> dict[str, float]:
    """The build summary's stage split ("model loading 2.8s, engine 7.0s") as {stage: seconds}."""
    return {name: float(value) for name, value in re.findall(r"([\w ]+?) ([\d.]+)s(?:, |$)", stages)}


def run_build(spec: Path, out: Path) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", sys.executable, "-m", "reportgen", "build",
                           str(spec), "--out", str(out)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"build of {spec.name} failed:\n{done.stderr[-3000:]}")
    wall, rss_kb = re.search(r"TIME ([\d.]+) (\d+)", done.stderr).groups()
    stages = re.search(r"built \d+ samples in [\d.]+s \[(.*)\]", done.stdout + done.stderr).group(1)
    seconds = stage_seconds(stages)
    stored = (out / "results" / "maps.parquet").stat().st_size + (out / "explanations.json").stat().st_size
    site = sum(p.stat().st_size for p in out.rglob("*.html"))
    after_start = sum(v for k, v in seconds.items() if k not in START_STAGES)
    return {"wall": float(wall), "rss_mb": int(rss_kb) / 1024, "stages": stages, "stored": stored, "site": site,
            "corpus_s": sum(seconds.get(k, 0.0) for k in CORPUS_STAGES), "after_start_s": after_start}


CORPUS_STAGES = ("vectorising", "engine", "corpus statistics")  # the summary's stages whose work is per review
START_STAGES = ("spec and samples", "model loading")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--char", type=int, default=444, help="held-out BBC articles for the character model")
    args = parser.parse_args()
    written = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            imdb = {}
            for n in args.sizes:
                spec = spec_for("samples/imdb/corpus.yaml", held_out("imdb", n), work, f"imdb-{n}",
                                {"output": {"pages": 40, "pdf": {"enabled": False}}, "metrics": {"enabled": False}})
                written.append(spec)
                print(f"building IMDB, {n} reviews ({_load()}) …", flush=True)
                imdb[n] = run_build(spec, work / f"imdb-{n}")
                r = imdb[n]
                print(f"  {n:>5} reviews: {r['wall']:6.1f} s wall, peak RSS {r['rss_mb']:6.0f} MB, results "
                      f"{r['stored'] / n / 1024:5.2f} KB/review ({r['stored'] / 2**20:.1f} MiB), site "
                      f"{r['site'] / 2**20:.1f} MiB  [{r['stages']}]", flush=True)
            sizes = sorted(imdb)
            if len(sizes) > 1:
                small, large = sizes[0], sizes[-1]
                ratio = imdb[large]["wall"] / imdb[small]["wall"]
                print(f"IMDB {large}/{small}: wall ×{ratio:.2f} for ×{large / small:g} the reviews "
                      f"({ratio / (large / small):.2f} of linear); peak RSS ×"
                      f"{imdb[large]['rss_mb'] / imdb[small]['rss_mb']:.2f}")
                for key, what in (("corpus_s", "corpus stages (vectorising, engine, corpus statistics)"),
                                  ("after_start_s", "stages after model loading")):
                    ratio = imdb[large][key] / imdb[small][key]
                    print(f"IMDB {large}/{small}: {what} {imdb[small][key]:.1f} -> {imdb[large][key]:.1f} s, "
                          f"×{ratio:.2f} ({ratio / (large / small):.2f} of linear)")
            if args.char:
                spec = spec_for("samples/bbc-char/spec.yaml", held_out("bbc", args.char), work, "bbc-char",
                                {"output": {"pages": 40, "pdf": {"enabled": False}}, "metrics": {"enabled": False}})
                written.append(spec)
                print(f"building character-level BBC, {args.char} articles ({_load()}) …", flush=True)
                r = run_build(spec, work / "bbc-char")
                print(f"  {args.char} articles: {r['wall']:.1f} s wall, peak RSS {r['rss_mb']:.0f} MB, results "
                      f"{r['stored'] / args.char / 1024:.1f} KB/article ({r['stored'] / 2**20:.1f} MiB)  "
                      f"[{r['stages']}]")
    finally:
        for spec in written:
            spec.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
