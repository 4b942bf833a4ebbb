"""report.pdf: the file people attach to a model review, rendered by WeasyPrint from the results alone.

`render_pdf(results, out_path, pdf_options, spec_text, json_path)` picks what goes in (`pdf_plan`), takes
the views from `reportgen.report.views` (the site's own colour scales, span merging and macros), and renders
`templates/pdf/report.html` with `templates/print.css`: cover, contents with page numbers, summary, method,
metrics, then the samples.

WeasyPrint's cost follows the number of styled spans, and its memory grows with them (measured with
WeasyPrint 70: about 1.2-1.5 ms per highlighted word; 300 highlighted pages took 2.2-3.5 GB), so: weights
are read with fewer levels than on the site (`PRINT_LEVELS`, same colours at the same weights), runs of one
level are one span, the garbage collector is paused while WeasyPrint works, and a report with more samples
than one document renders quickly in one process's memory (`single_fits`) is rendered in chunks of samples,
in worker processes, then stamped onto a frame document that carries page numbers, bookmarks, contents and
metadata (`pdf_assemble`).

Worker processes never outlive the build: each asks the kernel to kill it when its parent dies (Linux
`prctl(PR_SET_PDEATHSIG)`; elsewhere a thread watches the parent's pid), ignores Ctrl-C (the parent reports it
once, and stops them), and any exception in the parent (Ctrl-C, the CLI's SIGTERM, an error) stops them at
once instead of waiting for their chunks.

WeasyPrint fetches only through `AssetFetcher`: data: URLs and files under the templates folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import gc
import hashlib
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import jinja2
import weasyprint
from markupsafe import Markup
from weasyprint.urls import URLFetcher, URLFetcherResponse

import reportgen
from reportgen.output import json_text
from reportgen.report import colors
from reportgen.report.corpus import corpus_view, pdf_corpus_evidence
from reportgen.report.spans import Highlight
from reportgen.report.structure import Orders
from reportgen.report.views import SampleView, Views
from reportgen.render.html import make_environment, render_markdown, segments_html, stylesheet, template_dir
from reportgen.render.pdf_assemble import stamp_bodies
from reportgen.render.pdf_plan import MAX_PROBABILITY_ROWS, PdfOptions, PdfPlan, plan_pdf

if TYPE_CHECKING:
    from reportgen.results import PdfSamples, ReportResults

# Tagged PDF (a structure tree with headings, lists, tables, figures' alt text, the <html lang>): screen
# readers and reflow need it, and it is part of PDF/UA. WeasyPrint 70's `pdf_tags` alone, not
# `pdf_variant="pdf/ua-1"`, which would also demand what the report cannot promise (e.g. every font embedded
# in full). Chunked renders keep the bodies' tags: pdf_assemble grafts them into the frame's tree.
PDF_TAGS = True
PRINT_LEVELS = 4  # levels per sign on paper: half the site's 8 halves the spans of a smooth map
# Estimated sample pages up to which one in-process document is rendered. Chunks pay for worker start-up
# (a spawned Python importing WeasyPrint: ~1.3 s), the frame's own layout, fonts subset per chunk and pypdf's
# assembly (~0.05 s a page, pure Python): on 2 cores the IMDB demo's 33 pages took 4.2 s as one document
# against 7-8 s in 4 chunks, bbc-char's 30 pages 11-14 s against 21 s, and the PDF was a quarter the size.
# One document's layout holds ~5 MB a word-level page, ~14 MB a character-level one (single_fits).
SINGLE_RENDER_PAGES = 40
SINGLE_PAGE_MEMORY = 16 * 2**20
CHUNK_PAGES = 24  # at most this many estimated sample pages per chunk: bounds a worker's memory
MIN_CHUNK_PAGES = 8  # each chunk costs a little (its own fonts, a document start); no smaller ones
# A worker's peak: Python, WeasyPrint and its fonts (~120 MB) and one chunk's layout (~150-250 MB). Workers are
# one per usable CPU, as many as the memory the kernel says is available holds at this much each.
WORKER_MEMORY = 400 * 2**20
# Sample bodies rendered in chunks carry no header or footer: the frame draws them.
CHUNK_CSS = "@page { @top-left { content: none } @top-right { content: none } @bottom-right { content: none } }\n"

ProgressFn = Callable[[int, "int | None"], None]  # (pages done, pages in all: None until the PDF is written)
LOGGER = logging.getLogger(__name__)


# ---- fetching ----------------------------------------------------------------------------------------

class FetchRefused(ValueError):
    """WeasyPrint asked for something outside the report's own assets."""


class AssetFetcher(URLFetcher):
    """Serves data: URLs and files under `roots`; refuses the network, other files and everything else.

    Refused URLs are kept in `refused` (WeasyPrint logs a refusal as a warning and renders on without it).
    """

    def __init__(self, roots: Sequence[Path]):
        super().__init__(allowed_protocols=("data", "file"))
        self.roots = [Path(r).resolve() for r in roots]
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._local_path(url)
            if path is not None:
                content_type = "text/css" if path.suffix == ".css" else "application/octet-stream"
                message = EmailMessage()
                message["Content-Type"] = content_type
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), message)
        self.refused.append(url)
        raise FetchRefused(f"report.pdf fetches only its own assets; refused {url[:200]!r}")

    def _local_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(unquote(parts.path))).resolve()  # resolves "..", symlinks
        if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
            return path
        return None


# ---- templates ---------------------------------------------------------------------------------------

def print_segments_html(hl: Highlight, heatmap: object = None) -> Markup:
    """Highlighted runs as the site writes them, without the hover titles and focus attributes paper cannot use."""
    return segments_html(hl, titles=False)


@functools.lru_cache(maxsize=None)
def print_environment() -> jinja2.Environment:
    """The site's Jinja environment (autoescape, strict undefined, its macros) with print's segments filter."""
    env = make_environment().overlay(cache_size=50)
    env.filters = {**env.filters, "segments_html": print_segments_html}
    env.globals = {**env.globals, "token_attributes": lambda description: Markup("")}
    return env


# ---- metadata ----------------------------------------------------------------------------------------

def report_datetime(results: "ReportResults") -> datetime:
    """The one time a PDF may carry: the results' date (spec or SOURCE_DATE_EPOCH), else the epoch."""
    if results.date:
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(results.date).replace(tzinfo=None)
    return datetime(1970, 1, 1)


def _meta(results: "ReportResults", plan: PdfPlan) -> dict:
    model = results.model
    subject = f"Grad-CAM explanations of the {model.task} text classifier {model.name}"
    if results.dataset:
        subject += f" on {results.dataset}"
    keywords = ["Grad-CAM", "explanation", model.name, model.task, *plan.layers]
    author = results.author
    return {"author": str(author), "subject": subject,
            "keywords": list(dict.fromkeys(keywords)), "date": results.date,
            "generator": f"reportgen {reportgen.__version__} (WeasyPrint {weasyprint.__version__})"}


def _attachments(results: "ReportResults", spec_text: str | None, json_path: Path | None) -> tuple[list, bytes]:
    """The PDF's attachments, and the explanations.json bytes among them (a build writes the same bytes beside
    the PDF rather than serialising the results twice)."""
    when = report_datetime(results)
    items = []
    if spec_text is not None:
        items.append(("spec.yaml", spec_text.encode("utf-8"), "the reportgen spec this report was built from"))
    if json_path is not None:
        data = Path(json_path).read_bytes()
    else:
        data = json_text(results.to_dict()).encode("utf-8")
    items.append(("explanations.json", data, "every prediction, heatmap and setting of the report"))
    return [weasyprint.Attachment(string=data, name=name, description=description, created=when, modified=when)
            for name, data, description in items], data


# ---- rendering ---------------------------------------------------------------------------------------

@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """WeasyPrint builds millions of short-lived objects; the cyclic GC spends a third of the time on them.

    Its garbage is freed by collecting the youngest generation alone: with the GC paused, everything made
    meanwhile stays there. A full collection would also walk every older object, and a build's process holds
    TensorFlow and the model: 0.85 s a collection there against 0.3-0.5 s (IMDB demo)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect(0)


def print_css(palette: str | None = None) -> str:
    return stylesheet("print.css", palette, negative_cue=colors.PRINT_NEGATIVE_CUE)


def _document(html: str, templates: str, extra_css: str = "", palette: str | None = None) -> "weasyprint.Document":
    root = Path(templates)
    fetcher = AssetFetcher([root])
    base_url = root.as_uri() + "/"
    css = weasyprint.CSS(string=print_css(palette) + extra_css, base_url=base_url, url_fetcher=fetcher)
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(stylesheets=[css])


def _anchor_pages(document: "weasyprint.Document", anchors: Sequence[str]) -> list[int]:
    """0-based page index of each anchor."""
    where: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            where.setdefault(name, index)
    return [where[a] for a in anchors]


def _page_counts(starts: Sequence[int], total: int) -> list[int]:
    ends = list(starts[1:]) + [total]
    return [end - start for start, end in zip(starts, ends)]


# ---- worker processes --------------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL_S = 0.5


def _set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent:
            os._exit(1)


def _worker_start(parent: int) -> None:
    """Initializer of the render workers: die with the parent, leave Ctrl-C to it.

    A killed build (SIGKILL, OOM killer, a CI timeout) cannot stop its workers, and each holds a chunk's layout
    (~100-250 MB) and would render on for nothing, then wait forever. Ctrl-C reaches the whole process group:
    a worker that raised KeyboardInterrupt too would print its own traceback under the parent's one line.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked by the parent while it started us (_children_start)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if not _set_parent_death_signal():
        threading.Thread(target=_watch_parent, args=(parent,), name="reportgen-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the request above was made
        os._exit(1)


@contextlib.contextmanager
def _children_start() -> Iterator[None]:
    """Block SIGINT in this thread while it starts workers: they inherit the mask, so a Ctrl-C during their
    start-up (before `_worker_start` ignores it) stays pending instead of printing an import traceback.
    Blocking here does not delay the parent's own KeyboardInterrupt for long: it is raised on unblocking, or
    sooner through another thread."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers now: `shutdown` alone would wait for every chunk already running."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public kill before Python 3.14
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=5)


def render_chunk(html: str, templates: str, anchors: Sequence[str], palette: str | None = None,
                 ) -> tuple[bytes, list[int]]:
    """Render sample bodies alone (worker process entry): the PDF and each sample's page count."""
    with _gc_paused():
        document = _document(html, templates, CHUNK_CSS, palette)
        counts = _page_counts(_anchor_pages(document, anchors), len(document.pages))
        pdf = document.write_pdf(pdf_tags=PDF_TAGS)
        del document
    return pdf, counts


@dataclass
class PdfSummary:
    """What render_pdf wrote."""

    path: Path
    pages: int
    samples: list[str]  # ids in the PDF
    over_budget: list[str]  # ids left out for max_pages
    chunks: int  # 0: one in-process document
    bytes: int
    record: "PdfSamples | None" = None  # the samples the PDF shows and the rule that chose them, after the budget
    json_bytes: bytes | None = None  # the attached explanations.json: the results with `record` as pdf_samples


PDF_CORPUS_WORDS = 10  # words per ranking in the corpus section: a label and layer's chart and table fit a page


class _Renderer:
    def __init__(self, results: "ReportResults", options: PdfOptions, spec_text: str | None,
                 json_path: Path | None, levels: int):
        self.results = results
        self.options = options
        self.env = print_environment()
        self.templates = str(template_dir().resolve())
        self.views = Views(results, Orders.of(results), levels)
        self.palette = results.settings.palette
        self.spec_text = spec_text
        self.json_path = json_path
        self.attached = results  # what the attached explanations.json is made from, without json_path
        self.json_bytes: bytes | None = None  # the explanations.json attached by the last write

    def plan(self) -> PdfPlan:
        return plan_pdf(self.results, self.options)

    def attach_plan(self, plan: PdfPlan) -> None:
        """The attached JSON says which samples this PDF holds, even for results read back from another build."""
        record = plan.record(self.results)
        if self.json_path is None and self.results.pdf_samples != record:
            self.attached = dataclasses.replace(self.results, pdf_samples=record)

    def sample_view(self, plan: PdfPlan, k: int) -> SampleView:
        sample = plan.samples[k]
        return self.views.paper_sample(sample.doc_index, sample.groups, first=(k == 0), max_bars=MAX_PROBABILITY_ROWS)

    def sample_views(self, plan: PdfPlan) -> list[SampleView]:
        return [self.sample_view(plan, k) for k in range(len(plan.samples))]

    def html(self, part: str, plan: PdfPlan, samples: list[SampleView]) -> str:
        results = self.results
        context: dict[str, Any] = {"results": results, "part": part, "plan": plan, "samples": samples}
        if part != "chunk":
            context.update(self.views.paper_front(variants=plan.variants, over_budget=plan.over_budget,
                                                  choice=plan.choice),
                           meta=_meta(results, plan), description=render_markdown(results.description),
                           corpus=corpus_view(pdf_corpus_evidence(results), layers=plan.layers, top=PDF_CORPUS_WORDS))
        if part != "chunk" and results.comparison is not None:  # the candidate against its baselines
            from reportgen.report.comparison import comparison_paper

            context["comparison"] = comparison_paper(results)
        return self.env.get_template("pdf/report.html").render(context)

    def write(self, document: "weasyprint.Document", identity: bytes) -> bytes:
        attachments, self.json_bytes = _attachments(self.attached, self.spec_text, self.json_path)
        return document.write_pdf(attachments=attachments,
                                  pdf_identifier=hashlib.sha256(identity).hexdigest()[:32].encode("ascii"),
                                  pdf_tags=PDF_TAGS)


def _fit(plan: PdfPlan, results: "ReportResults", front: int, pages: Sequence[int]) -> PdfPlan:
    """Keep, in order, the samples whose real page counts fit max_pages after `front` pages."""
    room = plan.max_pages - front
    drop = set()
    for sample, count in zip(plan.samples, pages):
        if count <= room:
            room -= count
        else:
            drop.add(results.documents[sample.doc_index].id)
    return plan.without(drop, results) if drop else plan


@contextlib.contextmanager
def _pages_laid_out(progress: ProgressFn | None) -> Iterator[None]:
    """Report each page WeasyPrint lays out, as it does: it tells only its `weasyprint.progress` logger (at
    INFO, which nothing shows by default). A page laid out again (the contents' page numbers) counts again:
    that is work too; a page WeasyPrint finds up to date does not."""
    if progress is None:
        yield
        return
    laid_out = 0

    class Pages(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            nonlocal laid_out
            if str(record.msg).startswith("Step 5 - Creating layout - Page") and "up-to-date" not in str(record.msg):
                laid_out += 1
                progress(laid_out, None)

    logger = logging.getLogger("weasyprint.progress")
    handler, level, propagate = Pages(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # these INFO records are for the bar, not for whatever logging the caller set up
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _render_single(r: _Renderer, plan: PdfPlan, progress: ProgressFn | None) -> tuple[bytes, PdfPlan, int]:
    with _pages_laid_out(progress):
        return _render_single_pass(r, plan)


def _render_single_pass(r: _Renderer, plan: PdfPlan) -> tuple[bytes, PdfPlan, int]:
    for _ in range(len(plan.samples) + 2):  # each round that does not fit drops at least one sample
        samples = r.sample_views(plan)
        html = r.html("single", plan, samples)
        with _gc_paused():
            document = _document(html, r.templates, palette=r.palette)
            total = len(document.pages)
            if total <= plan.max_pages or not samples:
                r.attach_plan(plan)  # the attached JSON names the samples that fitted
                pdf = r.write(document, html.encode("utf-8"))
                del document  # before _gc_paused collects: a live document is traversed and not freed
                return pdf, plan, total
            starts = _anchor_pages(document, [s.anchor for s in samples])
            del document
        plan = _fit(plan, r.results, starts[0], _page_counts(starts, total))
    raise AssertionError("the page budget did not settle")  # each round only drops samples


def _chunks(plan: PdfPlan, chunk_pages: int) -> list[list[int]]:
    """Consecutive positions in plan.samples, at most about chunk_pages estimated pages each."""
    chunks: list[list[int]] = []
    current: list[int] = []
    pages = 0
    for k, sample in enumerate(plan.samples):
        if current and pages + sample.estimated_pages > chunk_pages:
            chunks.append(current)
            current, pages = [], 0
        current.append(k)
        pages += sample.estimated_pages
    if current:
        chunks.append(current)
    return chunks


def chunk_size(estimated_pages: int, workers: int) -> int:
    """Pages per chunk: about two chunks per worker (so the last ones finish together), within bounds."""
    return max(MIN_CHUNK_PAGES, min(CHUNK_PAGES, math.ceil(estimated_pages / (2 * workers))))


def _worker_ready() -> None:
    """A task that only makes the pool start a worker (`_start_all`)."""


def _start_all(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start every worker now: each spends ~1.3 s importing WeasyPrint, which then overlaps the sample views and
    HTML of the first chunks (bbc-char: 2.5 s of views) instead of following them. The pool starts one worker
    per task submitted while none is idle. A pool that cannot start them breaks; its chunks say so later."""
    with _children_start(), contextlib.suppress(BrokenProcessPool, RuntimeError):
        for _ in range(workers):
            pool.submit(_worker_ready)


def _render_in_workers(jobs: Iterator[tuple[str, str, list[str], str]], workers: int, chunks: list[list[int]],
                       finished: Callable[[int], None]) -> list[tuple[bytes, list[int]]]:
    """Render chunks in worker processes, in order; any chunk a broken pool could not render is rendered here.

    Jobs are submitted as each chunk's HTML is ready, so the workers start while later chunks are built.
    A pool breaks when its workers cannot start (a script without `if __name__ == "__main__":`, no room
    for a process): the report is then slower, not lost.
    """
    context = multiprocessing.get_context("spawn")  # fork is unsafe once TensorFlow's threads exist
    submitted: list[tuple[tuple[str, str, list[str]], Any]] = []
    results = []
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start,
                               initargs=(os.getpid(),))
    try:
        _start_all(pool, workers)
        for job in jobs:
            try:
                with _children_start():  # submit starts the workers, one per submit up to `workers`
                    future = pool.submit(render_chunk, *job)
                submitted.append((job, future))
            except (BrokenProcessPool, RuntimeError):
                submitted.append((job, None))
        warned = False
        for chunk, (job, future) in zip(chunks, submitted):
            try:
                if future is None:
                    raise BrokenProcessPool("not submitted")
                results.append(future.result())
            except BrokenProcessPool:
                if not warned:
                    LOGGER.warning("report.pdf: worker processes failed; rendering the remaining chunks here")
                    warned = True
                results.append(render_chunk(*job))
            finished(sum(results[-1][1]))
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)
    return results


def _render_chunked(r: _Renderer, plan: PdfPlan, workers: int, chunk_pages: int,
                    progress: ProgressFn | None) -> tuple[bytes, PdfPlan, int, int]:
    chunks = _chunks(plan, chunk_pages)
    samples: list[SampleView] = []
    results: list[tuple[bytes, list[int]]] = []
    done = 0

    def jobs() -> Iterator[tuple[str, str, list[str], str]]:
        for chunk in chunks:
            views = [r.sample_view(plan, k) for k in chunk]
            samples.extend(views)
            yield r.html("chunk", plan, views), r.templates, [v.anchor for v in views], r.palette

    def finished(pages: int) -> None:
        nonlocal done
        done += pages
        if progress:
            progress(done, None)

    if workers > 1 and len(chunks) > 1:
        results = _render_in_workers(jobs(), min(workers, len(chunks)), chunks, finished)
    else:
        for chunk, job in zip(chunks, jobs()):
            results.append(render_chunk(*job))
            finished(sum(results[-1][1]))
    # Where each sample's pages are: (chunk, first page in the chunk, page count), in plan order.
    located: dict[str, tuple[int, int, int]] = {}
    for c, (chunk, (_, counts)) in enumerate(zip(chunks, results)):
        first = 0
        for k, count in zip(chunk, counts):
            located[samples[k].anchor] = (c, first, count)
            first += count
    for view in samples:
        view.pages = located[view.anchor][2]
    identity = hashlib.sha256()
    for pdf, _ in results:
        identity.update(hashlib.sha256(pdf).digest())
    for _ in range(len(samples) + 2):  # each round that does not fit drops at least one sample
        kept = [v for v in samples if v.doc.id not in plan.over_budget]
        for k, view in enumerate(kept):
            view.first = k == 0
        html = r.html("frame", plan, kept)
        with _gc_paused():
            frame = _document(html, r.templates, palette=r.palette)
            starts = _anchor_pages(frame, [v.anchor for v in kept])
            front = starts[0] if starts else len(frame.pages)
            if front + sum(v.pages for v in kept) <= plan.max_pages or not kept:
                identity.update(html.encode("utf-8"))
                r.attach_plan(plan)  # the attached JSON names the samples that fitted
                frame_pdf = r.write(frame, identity.digest())
                del frame
                break
            del frame
        plan = _fit(plan, r.results, front, [v.pages for v in kept])
    else:
        raise AssertionError("the page budget did not settle")
    placements = []
    for view, start in zip(kept, starts):
        c, first, count = located[view.anchor]
        placements += [(start + j, c, first + j) for j in range(count)]
    pdf = stamp_bodies(frame_pdf, [pdf for pdf, _ in results], placements)
    return pdf, plan, len(chunks), front + len(placements)


def available_memory() -> int | None:
    """Bytes the kernel says can be used without swapping (Linux MemAvailable); None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def default_workers() -> int:
    """One worker per usable CPU, no more than the available memory holds at WORKER_MEMORY each (at least one)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    memory = available_memory()
    if memory is not None:
        cpus = min(cpus, memory // WORKER_MEMORY)
    return max(1, cpus)


def single_fits(sample_pages: int) -> bool:
    """Whether one in-process document is the cheaper way to render this many estimated sample pages, and
    the available memory holds its layout."""
    memory = available_memory()
    return sample_pages <= SINGLE_RENDER_PAGES and (memory is None or memory >= sample_pages * SINGLE_PAGE_MEMORY)


def render_pdf(results: "ReportResults", out_path: str | os.PathLike[str], pdf_options: Mapping[str, Any] | bool | None,
               spec_text: str | None = None, json_path: str | os.PathLike[str] | None = None,
               progress: ProgressFn | None = None, *, workers: int | None = None,
               chunk_pages: int | None = None, levels: int = PRINT_LEVELS, plan: PdfPlan | None = None,
               ) -> PdfSummary:
    """Write report.pdf for `results` with the spec's `output.pdf` options; return what went in.

    `spec_text` and the file at `json_path` (else `results` serialised) are attached to the PDF. The page
    budget (`max_pages`) counts every page; the front matter is always there, samples fill what is left.
    Tuning, not spec keys: `workers` (default: `default_workers()`); `chunk_pages`
    (estimated pages per chunk; a report whose samples are estimated at no more than SINGLE_RENDER_PAGES
    is rendered as one document unless it is given, see single_fits); `levels`, the colour levels per sign on paper.
    `plan`: `plan_pdf(results, PdfOptions.from_mapping(pdf_options))` made earlier (the build makes it before
    writing explanations.json, whose `pdf_samples` it fills); made here when not given.
    """
    options = PdfOptions.from_mapping(pdf_options)
    renderer = _Renderer(results, options, spec_text, Path(json_path) if json_path is not None else None, levels)
    plan = plan if plan is not None else renderer.plan()
    renderer.attach_plan(plan)
    chunked = chunk_pages is not None or not single_fits(plan.sample_pages)
    chunks = 0
    if chunked and plan.samples:
        workers = workers or default_workers()
        size = chunk_pages or chunk_size(plan.sample_pages, workers)
        pdf, plan, chunks, pages = _render_chunked(renderer, plan, workers, size, progress)
    else:
        pdf, plan, pages = _render_single(renderer, plan, progress)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    if progress:
        progress(pages, pages)
    return PdfSummary(out, pages, [results.documents[s.doc_index].id for s in plan.samples], list(plan.over_budget),
                      chunks, len(pdf), plan.record(results), renderer.json_bytes)
