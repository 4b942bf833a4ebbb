"""report.pdf speed and memory: highlighted sample pages per second, peak memory, file size.

Each case runs in a fresh Python process (so peak memory is its own) and is compared with a plain WeasyPrint
render, in one process, of the same texts without highlights on as many pages (the overhead ratio).
Peak memory is sampled from /proc every 50 ms over the case's process and all its children together
(the chunk workers run at the same time), beside the largest single process (getrusage).

Run from the repository root: `python benchmarks/pdf.py` (both cases; about 3-5 minutes on 2 cores),
`python benchmarks/pdf.py --case small` (~30 samples) or `--case large` (~300 pages).

`python benchmarks/pdf.py --options [--built SPEC DIR ...]` compares ways of drawing the highlights on
the same sample pages (synthetic word- and character-level samples, or the samples of built reports), in one
process, rounds interleaved so that other load falls on every option alike: the highlights as report.pdf
draws them, fewer CSS rules per span, translucent colours (opacity), no data- hooks, untagged, and the same
text with no highlight at all (the floor every option is a ratio of).

`python benchmarks/pdf.py --split SPEC DIR [--split ...]` says where report.pdf's time goes for a built report
(`reportgen build SPEC --out DIR`), rendered as the build renders it and then in chunks, in one process each:
sample views, templates, WeasyPrint's HTML parse, style and layout, drawing and writing the PDF, pypdf's
assembly of chunks, the time spent waiting for chunk workers, and the layout of a front page against a sample
page (from WeasyPrint's own progress log).
"""

from __future__ import annotations

import argparse
import gc
import html as html_lib
import io
import json
import os
import re
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


# ---- drawing options, compared on the same pages -----------------------------------------------------

HIGHLIGHT = re.compile(r'<span class="(w[pn]\d)"([^>]*)>((?:[^<]|<code[^>]*>[^<]*</code>)*)</span>')


def _plain(html: str) -> str:
    return HIGHLIGHT.sub(r"\3", html)


def _no_hooks(html: str) -> str:
    return HIGHLIGHT.sub(r'<span class="\1">\3</span>', html)


def _level_css(palette: str | None, ink: bool = True, cue: str | None = None, translucent: bool = False) -> str:
    """The level classes with their colours written out (no custom properties): `ink`, the ink colour rule
    (inherited anyway on paper); `cue`, the negative levels' cue (None: none); `translucent`: 60 % opacity."""
    from reportgen.report import colors

    rules = [f":root{{--ink:{colors.INK}}}"]
    for k in [*range(1, colors.LEVELS + 1), *range(-1, -colors.LEVELS - 1, -1)]:
        body = f"background-color:{colors.level_color(k, palette)}"
        if translucent:
            body += ";opacity:0.6"
        if ink:
            body += f";color:{colors.INK}"
        if cue and k < 0:
            body += f";{cue}"
        rules.append(f".{colors.level_class(k)}{{{body}}}")
    return "\n".join(rules) + "\n"


UNDERLINE_CUE = "text-decoration:underline dotted var(--ink)"


def option_cases(results, pdf_options, palette: str | None) -> dict:
    """name → (html, css, pdf_tags): report.pdf's sample bodies (a chunk of every planned sample) drawn each way."""
    from reportgen.render import pdf as pdf_module
    from reportgen.render.html import stylesheet
    from reportgen.report import colors

    r = pdf_module._Renderer(results, pdf_module.PdfOptions.from_mapping(pdf_options), None, None,
                             pdf_module.PRINT_LEVELS)
    plan = r.plan()
    html = r.html("chunk", plan, r.sample_views(plan))
    current = pdf_module.print_css(palette) + pdf_module.CHUNK_CSS
    base = stylesheet("print.css", palette).split("/* colour levels: generated")[0] + pdf_module.CHUNK_CSS
    tags = pdf_module.PDF_TAGS
    return {
        "as report.pdf draws them": (html, current, tags),
        "same, untagged": (html, current, False),
        "colours written out (no var())": (html, base + _level_css(palette, cue=colors.NEGATIVE_CUE), tags),
        "no ink rule (inherited), dotted border cue": (html, base + _level_css(palette, False, colors.NEGATIVE_CUE), tags),
        "ink rule, cue as dotted underline": (html, base + _level_css(palette, True, UNDERLINE_CUE), tags),
        "no ink rule, cue as dotted underline": (html, base + _level_css(palette, False, UNDERLINE_CUE), tags),
        "background only (no ink rule, no cue)": (html, base + _level_css(palette, False, None), tags),
        "no data- hooks": (_no_hooks(html), current, tags),
        "translucent (opacity 0.6)": (html, base + _level_css(palette, cue=colors.NEGATIVE_CUE, translucent=True),
                                      tags),
        "plain text, no highlight": (_plain(html), current, tags),
    }


def _render_option(html: str, css: str, tags: bool) -> tuple[float, float, int, int]:
    import weasyprint

    from reportgen.render.html import template_dir
    from reportgen.render.pdf import AssetFetcher, _gc_paused

    root = template_dir().resolve()
    fetcher = AssetFetcher([root])
    base_url = root.as_uri() + "/"
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    with _gc_paused():
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            stylesheets=[weasyprint.CSS(string=css, base_url=base_url, url_fetcher=fetcher)])
        pdf = document.write_pdf(pdf_tags=tags)
    return time.perf_counter() - t0, time.process_time() - c0, len(document.pages), len(pdf)


def compare_options(sources: dict, rounds: int, render_dir: Path | None) -> None:
    for source, (results, pdf_options) in sources.items():
        cases = option_cases(results, pdf_options, results.settings.palette)
        spans = len(HIGHLIGHT.findall(next(iter(cases.values()))[0]))
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        facts: dict[str, tuple[int, int]] = {}
        for _ in range(rounds):
            for name, (html, css, tags) in cases.items():
                wall, cpu, pages, size = _render_option(html, css, tags)
                times[name].append((wall, cpu))
                facts[name] = (pages, size)
        floor_cpu = min(c for _, c in times["plain text, no highlight"]) / facts["plain text, no highlight"][0]
        print(f"\n[{source}] {spans} highlighted spans; best of {rounds} interleaved rounds; "
              f"load average {os.getloadavg()[0]:.1f}")
        for name in cases:
            wall = min(w for w, _ in times[name])
            cpu = min(c for _, c in times[name])
            pages, size = facts[name]
            print(f"  {name:46s} {pages:3d} pages  {pages / wall:6.2f} pages/s wall  {pages / cpu:6.2f} pages/CPU-s  "
                  f"{cpu / pages / floor_cpu:5.2f}x plain (CPU)  {size / 1024:7.0f} KiB")
            if render_dir is not None:
                html, css, tags = cases[name]
                slug = re.sub(r"[^a-z0-9]+", "-", f"{source} {name}".lower()).strip("-")
                import weasyprint

                from reportgen.render.html import template_dir
                from reportgen.render.pdf import AssetFetcher

                root = template_dir().resolve()
                fetcher = AssetFetcher([root])
                weasyprint.HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).write_pdf(
                    render_dir / f"{slug}.pdf", stylesheets=[weasyprint.CSS(string=css)], pdf_tags=tags)


def _option_sources(built: list[tuple[str, str]], n_docs: int) -> dict:
    """name → (results, output.pdf options): built reports (their spec's choice of samples), else synthetic."""
    from reportgen.store import read_results
    from reportgen.spec import load_spec
    from tests.fakes import make_results

    out = {}
    for spec, folder in built:
        out[Path(spec).parent.name] = (read_results(folder), load_spec(spec).output.pdf)
    if built:
        return out
    for level in ("word", "char"):
        results = make_results(n_docs=n_docs, level=level, words=(150, 350), max_length=None, nasty=False, seed=7,
                               layers=("conv1d", "encoder/lstm"), relu=(True, False), targets="predicted")
        out[f"synthetic {level}-level"] = (results, PDF_OPTIONS)
    return out


class _Split:
    """Wall time spent inside some functions, by name, while installed (restored on exit)."""

    def __init__(self, targets: dict):
        self.targets = targets  # name -> (owner, attribute)
        self.seconds: dict[str, float] = {}
        self.saved: list = []

    def __enter__(self) -> "_Split":
        for name, (owner, attribute) in self.targets.items():
            original = getattr(owner, attribute)
            self.saved.append((owner, attribute, original))

            def timed(*args, _original=original, _name=name, **kwargs):
                start = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds[_name] = self.seconds.get(_name, 0.0) + time.perf_counter() - start

            setattr(owner, attribute, timed)
        return self

    def __exit__(self, *exc) -> None:
        for owner, attribute, original in reversed(self.saved):
            setattr(owner, attribute, original)


class _PageLayouts:
    """Times between WeasyPrint's "Creating layout - Page N" records: each page's layout."""

    def __init__(self):
        import logging

        self.stamps: list[float] = []
        outer = self

        class Handler(logging.Handler):
            def emit(self, record):
                if str(record.msg).startswith("Step 5 - Creating layout - Page"):
                    outer.stamps.append(time.perf_counter())
                elif str(record.msg).startswith("Step 6"):  # the last page's layout ends where drawing starts
                    outer.stamps.append(time.perf_counter())

        self.handler = Handler()
        self.logger = logging.getLogger("weasyprint.progress")

    def __enter__(self) -> "_PageLayouts":
        import logging

        self.level = self.logger.level
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)

    def per_page(self) -> list[float]:
        return [b - a for a, b in zip(self.stamps, self.stamps[1:])]


def split_report(spec_path: str, folder: str) -> None:
    """Print where report.pdf's time goes for a built report (see the module's docstring)."""
    import weasyprint

    from reportgen.render import pdf as pdf_module
    from reportgen.render.pdf_plan import PdfOptions, plan_pdf
    from reportgen.spec import load_spec
    from reportgen.store import read_results

    results = read_results(folder)
    pdf_options = load_spec(spec_path).output.pdf
    plan = plan_pdf(results, PdfOptions.from_mapping(pdf_options))
    weasyprint.HTML(string="<p>warm</p>").write_pdf()  # fonts and imports, as a build has them by then
    print(f"\n[{Path(spec_path).parent.name}] {len(plan.samples)} samples, estimated {plan.sample_pages} sample "
          f"pages after {plan.front_pages} front pages; one document up to {pdf_module.SINGLE_RENDER_PAGES}")
    targets = {"sample views": (pdf_module._Renderer, "sample_view"),
               "templates (Jinja)": (pdf_module._Renderer, "html"),
               "HTML parse": (weasyprint.HTML, "__init__"),
               "style and layout": (weasyprint.HTML, "render"),
               "draw and write PDF": (weasyprint.Document, "write_pdf"),
               "assembly (pypdf)": (pdf_module, "stamp_bodies"),
               "waiting for workers": (pdf_module, "_render_in_workers")}
    with tempfile.TemporaryDirectory() as tmp:
        for how, chunk_pages in (("as a build renders it", None), ("in chunks", CHUNKS_SPLIT_PAGES)):
            gc.collect()
            with _Split(targets) as split, _PageLayouts() as layouts:
                start, cpu = time.perf_counter(), time.process_time()
                summary = pdf_module.render_pdf(results, Path(tmp) / "report.pdf", pdf_options, "version: 1\n",
                                                None, chunk_pages=chunk_pages)
                wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            kind = f"{summary.chunks} chunks" if summary.chunks else "one document"
            print(f"  {how} ({kind}): {summary.pages} pages in {wall:.2f} s = {summary.pages / wall:.2f} pages/s, "
                  f"main process CPU {cpu:.2f} s; {summary.bytes / 2**20:.2f} MiB; largest worker so far "
                  f"{_mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)}  "
                  f"(load average {os.getloadavg()[0]:.1f})")
            for name, seconds in sorted(split.seconds.items(), key=lambda item: -item[1]):
                print(f"    {name:22s} {seconds:6.2f} s")
            pages = layouts.per_page()
            if not summary.chunks and len(pages) >= summary.pages:  # one document: its pages in order
                first_sample = summary.pages - _sample_pages(Path(tmp) / "report.pdf", summary)
                front, samples = pages[:first_sample], pages[first_sample:summary.pages]
                if front and samples:
                    print(f"    layout per page: front matter {sum(front) / len(front):.3f} s ({len(front)} pages), "
                          f"samples {sum(samples) / len(samples):.3f} s ({len(samples)} pages)")


CHUNKS_SPLIT_PAGES = 8  # --split: estimated pages per chunk for the chunked render


def _sample_pages(path: Path, summary) -> int:
    """Pages from the first sample's to the end, read from the PDF's outline (the samples' bookmarks)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    starts = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                starts.append((str(item.title), reader.get_destination_page_number(item)))

    walk(reader.outline)
    ids = set(summary.samples)
    firsts = [page for title, page in starts if title.rsplit(" ", 1)[-1] in ids]
    return summary.pages - min(firsts) if firsts else 0


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
    parser.add_argument("--options", action="store_true", help="compare ways of drawing the highlights")
    parser.add_argument("--built", nargs=2, action="append", default=[], metavar=("SPEC", "DIR"),
                        help="--options: a report built from SPEC into DIR (its explanations.json and output.pdf "
                        "choice of samples) instead of synthetic samples; repeatable")
    parser.add_argument("--docs", type=int, default=6, help="--options: synthetic samples per level")
    parser.add_argument("--rounds", type=int, default=3, help="--options: interleaved rounds")
    parser.add_argument("--save", type=Path, default=None, help="--options: write each option's PDF here")
    parser.add_argument("--split", nargs=2, action="append", default=[], metavar=("SPEC", "DIR"),
                        help="where report.pdf's time goes for a report built from SPEC into DIR; repeatable")
    args = parser.parse_args()
    if args.split:
        print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}")
        for spec_path, folder in args.split:
            split_report(spec_path, folder)
        return
    if args.options:
        print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
        compare_options(_option_sources(args.built, args.docs), args.rounds, args.save)
        print(f"\nload average after: {os.getloadavg()[0]:.1f}")
        return
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
