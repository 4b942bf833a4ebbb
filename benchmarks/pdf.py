"""report.pdf speed and memory: highlighted sample pages per second, peak memory, file size.

Each case runs in a fresh Python process (so peak memory is its own) and is compared with a plain WeasyPrint
render, in one process, of the same texts without highlights on as many pages (the overhead ratio).
Peak memory is sampled from /proc every 50 ms over the case's process and all its children together
(the chunk workers run at the same time), beside the largest single process (getrusage).

Run from the repository root: `python benchmarks/pdf.py` (both cases; about 3-5 minutes on 2 cores),
`python benchmarks/pdf.py --case small` (~30 samples) or `--case large` (~300 pages).
"""

from __future__ import annotations

import argparse
import gc
import html as html_lib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = {
    # ~30 samples; 2 layers × 2 variants: four highlighted panels per sample
    "small": dict(n_docs=30, words=(150, 350)),
    # ~300 pages of the same kind
    "large": dict(n_docs=120, words=(150, 350)),
}
PDF_OPTIONS = {"layers": "all", "variants": "all", "samples": "all", "max_pages": 2000}


def make_case(name: str):
    from tests.fakes import make_results

    spec = CASES[name]
    # Every token weighted (no fixed input length): conv1d maps are smooth (30 steps stretched), LSTM maps
    # change at every token, as a recurrent layer's do.
    return make_results(n_docs=spec["n_docs"], words=spec["words"], max_length=None, nasty=False, seed=7,
                        layers=("conv1d", "encoder/lstm"), relu=(True, False), targets="predicted")


class PeakMemory:
    """Largest summed RSS of this process and its descendants, sampled from /proc."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        out = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    out += [int(c) for c in f.read().split()]
        except OSError:
            pass
        return out

    def _tree(self) -> list[int]:
        todo, seen = [os.getpid()], []
        while todo:
            pid = todo.pop()
            seen.append(pid)
            todo += self._children(pid)
        return seen

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._rss(pid) for pid in self._tree()))
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def plain_render(results, panels: int) -> dict:
    """The same samples as plain text (no spans): each text `panels` times, one WeasyPrint document."""
    import weasyprint

    from reportgen.render.pdf import print_css

    blocks = []
    for doc in results.documents:
        text = f'<div class="text">{html_lib.escape(doc.text)}</div>'
        blocks.append(f'<section class="sample"><h2>Sample {html_lib.escape(doc.id)}</h2>{text * panels}</section>')
    source = f"<html><body>{''.join(blocks)}</body></html>"
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    document = weasyprint.HTML(string=source).render(stylesheets=[weasyprint.CSS(string=print_css())])
    pdf = document.write_pdf()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = len(document.pages)
    return {"pages": n, "seconds": elapsed, "cpu": cpu, "pages_per_s": n / elapsed, "bytes": len(pdf)}


def run_case(name: str, workers: int | None) -> dict:
    from pypdf import PdfReader

    from reportgen.render.pdf import render_pdf

    results = make_case(name)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.pdf"
        explanations = Path(tmp) / "explanations.json"  # written before the PDF, as a build does
        explanations.write_text(json.dumps(results.to_dict(), sort_keys=True, ensure_ascii=False, indent=1) + "\n",
                                encoding="utf-8")
        gc.collect()
        with PeakMemory() as memory:
            t0, c0 = time.perf_counter(), time.process_time()
            summary = render_pdf(results, out, PDF_OPTIONS, "version: 1\n", explanations, workers=workers)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = children.ru_utime + children.ru_stime
        reader = PdfReader(io.BytesIO(out.read_bytes()))
        readable = len(reader.pages) == summary.pages and bool(reader.outline)
        poppler = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).returncode == 0 \
            if _has("pdfinfo") else None
        text_ok = None
        if _has("pdftotext"):
            text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
            text_ok = all(f"Sample {doc_id}" in text for doc_id in summary.samples)
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    panels = max(len(d.heatmaps) for d in results.documents)  # every map is shown: layers all, variants all
    plain = plain_render(results, panels)
    return {"case": name, "samples": len(summary.samples), "pages": summary.pages, "chunks": summary.chunks,
            "seconds": elapsed, "main_cpu": cpu, "workers_cpu": workers_cpu, "pages_per_s": summary.pages / elapsed,
            "bytes": summary.bytes,
            "peak_total_rss": memory.peak, "peak_main_rss": self_peak, "peak_worker_rss": child_peak,
            "pypdf_ok": readable, "pdfinfo_ok": poppler, "pdftotext_ok": text_ok, "plain": plain,
            "ratio": elapsed / plain["seconds"] * plain["pages"] / summary.pages}


def _has(tool: str) -> bool:
    from shutil import which

    return which(tool) is not None


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--workers", type=int, default=None, help="chunk workers (default: usable CPUs)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        print(json.dumps(run_case(args.case, args.workers)))
        return
    names = list(CASES) if args.case == "all" else [args.case]
    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}")
    for name in names:
        command = [sys.executable, str(Path(__file__).resolve()), "--inner", "--case", name]
        if args.workers:
            command += ["--workers", str(args.workers)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            print(done.stderr[-3000:])
            raise SystemExit(f"case {name} failed")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        p = r["plain"]
        print(f"\n[{name}] {r['samples']} samples, {r['pages']} pages, {r['chunks']} chunks "
              f"({'one document' if not r['chunks'] else 'worker processes'})")
        print(f"  report.pdf: {r['seconds']:.1f} s wall = {r['pages_per_s']:.2f} pages/s; "
              f"{r['bytes'] / 1024:.0f} KiB ({r['bytes'] / r['pages'] / 1024:.1f} KiB/page)")
        cpu = r["main_cpu"] + r["workers_cpu"]
        print(f"  CPU time: {cpu:.1f} s ({r['main_cpu']:.1f} s main, {r['workers_cpu']:.1f} s workers) = "
              f"{r['pages'] / cpu:.2f} pages per CPU-second")
        print(f"  peak memory: {_mb(r['peak_total_rss'])} all processes together; largest process: "
              f"main {_mb(r['peak_main_rss'])}, worker {_mb(r['peak_worker_rss'])}")
        print(f"  plain WeasyPrint, same texts without highlights, one process: {p['pages']} pages in "
              f"{p['seconds']:.1f} s = {p['pages_per_s']:.2f} pages/s")
        print(f"  overhead ratio (time per page, report.pdf / plain): {r['ratio']:.2f} wall, "
              f"{cpu / r['pages'] / (p['cpu'] / p['pages']):.2f} CPU")
        print(f"  readable: pypdf {r['pypdf_ok']}, pdfinfo {r['pdfinfo_ok']}, pdftotext ids {r['pdftotext_ok']}")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
