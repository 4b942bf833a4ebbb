"""HTML site speed: pages per second and page sizes for a large synthetic report.

Default: 1,000 samples × 3 layers × 2 targets × 2 variants (relu, signed), word level, ~120 words each.
Run from the repository root: `python benchmarks/build.py [--samples N]`.

`--built SPEC DIR` (repeatable) renders real reports again from what a build wrote into DIR (`reportgen build
SPEC --out DIR --no-pdf` is enough: explanations.json and results/maps.parquet): sample pages per second and sample page size on the site,
then report.pdf as the spec asks for it (pages per second, size, peak memory of the chunk workers), beside a
plain WeasyPrint render of the same texts in the same process (the highlight's cost per page), e.g.
`--built samples/bbc/spec.yaml /tmp/bbc --built samples/bbc-char/spec.yaml /tmp/bbc-char`; `--html-only` skips
the PDF. The site's line gives pages/s and page sizes by kind (sample pages, their all-maps pages, layer pages).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportgen.render.html import render_site  # noqa: E402
from tests.fakes import make_results  # noqa: E402  (one generator for tests and benchmarks)


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def site_line(results, out: Path, heading: str) -> None:
    """Render the site once and print pages/s, overall and by page kind (the time from one page's end to the
    next, so a kind's share of the views and scales built on first use falls on the first page that needs them),
    and each kind's page size."""
    from reportgen.render.html import site_plan

    kinds = [p.kind for p in site_plan(results).pages]
    spent: dict[str, float] = {}
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done >= 2:  # 1 is the stylesheet; page k is plan.pages[k - 2]
            spent[kinds[done - 2]] = spent.get(kinds[done - 2], 0.0) + now - last[0]
        last[0] = now

    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    last[0] = t0
    files = render_site(results, out, progress=progress)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    pages = [f for f in files if f.suffix == ".html"]
    print(f"\n{heading}: {len(pages)} pages in {elapsed:.1f} s = {len(pages) / elapsed:.1f} pages/s wall, "
          f"{len(pages) / cpu:.1f} pages/CPU-s  ({_load()})")
    by_kind = {"sample": [f for f in pages if f.parent.name == "samples"],
               "maps": [f for f in pages if f.parent.name == "maps"],
               "layer": [f for f in pages if f.parent.name == "layers"]}
    for kind, kind_pages in by_kind.items():
        if not kind_pages:
            continue
        sizes = [f.stat().st_size for f in kind_pages]
        seconds = spent.get(kind, 0.0)
        print(f"  {kind} pages: {len(sizes)} in {seconds:.1f} s = {len(sizes) / seconds:.1f} pages/s; size mean "
              f"{statistics.mean(sizes) / 1024:.0f} KiB, max {max(sizes) / 1024:.0f} KiB")


def built_report(spec_path: str, folder: str, html_only: bool = False) -> None:
    """Site and PDF of a built report, rendered again from its explanations.json."""
    from benchmarks.pdf import _render_option, option_cases
    from reportgen.render import pdf as pdf_module
    from reportgen.report.spans import is_char_level
    from reportgen.store import read_results
    from reportgen.spec import load_spec

    results = read_results(folder)  # explanations.json and the stored maps, every heatmap derived
    pdf_options = load_spec(spec_path).output.pdf
    name = Path(spec_path).parent.name
    level = "char" if is_char_level(results.documents[0].tokens) else "word"
    with tempfile.TemporaryDirectory() as tmp:
        site_line(results, Path(tmp) / "site", f"[{name}, {level}-level] HTML")
        if html_only:
            return
        for tags in (True, False):
            pdf_module.PDF_TAGS = tags
            for chunk_pages in (None, 4):
                gc.collect()
                t0, c0 = time.perf_counter(), time.process_time()
                summary = pdf_module.render_pdf(results, Path(tmp) / "report.pdf", pdf_options, "version: 1\n",
                                                None, chunk_pages=chunk_pages)
                elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
                workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
                main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                how = f"{summary.chunks} chunks" if summary.chunks else "one document"
                print(f"  PDF {'tagged' if tags else 'untagged'}, {how}: {summary.pages} pages in {elapsed:.1f} s = "
                      f"{summary.pages / elapsed:.2f} pages/s; {summary.bytes / 2**20:.2f} MiB; peak RSS main "
                      f"{main_peak / 2**20:.0f} MiB, largest worker so far {workers_peak / 2**20:.0f} MiB  ({_load()})")
        pdf_module.PDF_TAGS = True
    # the highlight's cost: report.pdf's sample pages against the same pages with the highlights taken out
    cases = option_cases(results, pdf_options, results.settings.palette)
    timed = {}
    for _ in range(2):  # interleaved, best of two: other load falls on both alike
        for case in ("as report.pdf draws them", "plain text, no highlight"):
            wall, cpu, pages, _ = _render_option(*cases[case])
            timed[case] = min(timed.get(case, (wall, cpu, pages)), (wall, cpu, pages))
    (hw, hc, hp), (pw, pc, pp) = timed["as report.pdf draws them"], timed["plain text, no highlight"]
    print(f"  sample pages in one process: highlighted {hp / hw:.2f} pages/s, plain {pp / pw:.2f} pages/s; "
          f"a highlighted page costs {hw / hp / (pw / pp):.1f}x a plain one (wall), {hc / hp / (pc / pp):.1f}x "
          f"(CPU)  ({_load()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--words", type=int, nargs=2, default=(60, 180), metavar=("MIN", "MAX"))
    parser.add_argument("--level", choices=("word", "char"), default="word")
    parser.add_argument("--built", nargs=2, action="append", default=[], metavar=("SPEC", "DIR"),
                        help="a report built from SPEC into DIR, rendered again (repeatable; skips the synthetic one)")
    parser.add_argument("--html-only", action="store_true", help="with --built: the site only, no PDF")
    args = parser.parse_args()
    if args.built:
        print(f"cpus: {os.cpu_count()}, {_load()}")
        for spec_path, folder in args.built:
            built_report(spec_path, folder, args.html_only)
        return

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
