"""`reportgen build SPEC`: a thin layer over `reportgen.build.build` that tells the user what it is doing.

Every stage says when it starts and when it ends, with its time; stages with steps (engine batches, metric
inputs, the sanity check's models, site pages, PDF pages) show them as they happen. On a terminal (stderr
is a TTY) those are tqdm bars, each replaced by a finished line; anywhere else (CI logs, pipes) plain lines
only, no bars and no carriage returns: a start line, an end line, and for a long stage a progress line at
most every PLAIN_EVERY seconds. The summary (stdout) lists the files written, the report's alerts and how to
preview it. `--quiet` prints nothing but errors.
"""

from __future__ import annotations

import shlex
import sys
import threading
import time
from typing import TextIO

from reportgen.textsafe import terminal_safe

PLAIN_EVERY = 5.0  # seconds between progress lines in a log: enough to see it move, few enough to read
TICK = 1.0  # seconds between refreshes of a bar whose count has not moved, so its elapsed time does
LISTED = ("index.html", "report.pdf", "explanations.json")  # the files a reader opens, in the summary
UNITS = {"engine": "docs", "metrics": "inputs", "sanity check": "models", "html": "pages", "pdf": "pages"}


class Reporter:
    """The build's progress object (`reportgen.build.Progress` with stage_started/stage_finished)."""

    def __init__(self, stream: TextIO, terminal: bool) -> None:
        self.stream = stream
        self.terminal = terminal
        self._lock = threading.RLock()
        self._stage: str | None = None
        self._stage_start = 0.0
        self._last_line = 0.0
        self._counts: dict[str, tuple[int, int | None]] = {}  # what -> (done, total), this stage
        self._bars: dict = {}
        self._stop = threading.Event()
        # a stage can spend many seconds in one step (tracing the model, laying out a PDF page run): the
        # ticker keeps its elapsed time moving on a terminal and writes a log line now and then elsewhere
        self._ticker = threading.Thread(target=self._tick, name="reportgen-progress", daemon=True)
        self._ticker.start()

    def _write(self, line: str) -> None:
        if self.terminal and self._bars:
            from tqdm import tqdm

            tqdm.write(terminal_safe(line), file=self.stream)
        else:
            self.stream.write(terminal_safe(line) + "\n")
            self.stream.flush()
        self._last_line = time.perf_counter()

    def stage_started(self, stage: str, message: str) -> None:
        with self._lock:
            self._stage, self._stage_start, self._counts = stage, time.perf_counter(), {}
            self._write(f"{message} …")
            if self.terminal:  # the stage's elapsed time until it reports a first step (if it ever does)
                from tqdm import tqdm

                self._bars[None] = tqdm(desc=stage, bar_format="{desc}: {elapsed}", leave=False, file=self.stream)

    def __call__(self, what: str, done: int, total: int | None) -> None:
        with self._lock:
            self._counts[what] = (done, total)
            if self.terminal:
                self._bar(what, done, total)

    def stage_finished(self, stage: str, seconds: float, detail: str) -> None:
        with self._lock:
            self._close_bars()
            self._stage = None
            self._write(" ".join(part for part in (stage, detail, f"{seconds:.1f}s") if part))

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._close_bars()

    def _bar(self, what: str, done: int, total: int | None) -> None:
        from tqdm import tqdm

        timer = self._bars.pop(None, None)
        if timer is not None:
            timer.close()
        bar = self._bars.get(what)
        if bar is None:
            # smoothing=0: the rate is work done over time spent, not the last jump over the last interval
            bar = self._bars[what] = tqdm(total=total, desc=what, unit=" " + UNITS.get(what, "steps"),
                                          leave=False, file=self.stream, smoothing=0, mininterval=0.2)
        if total != bar.total:
            bar.total = total
        bar.update(done - bar.n)  # update, not n = done: tqdm's rate follows what update says was done
        if total is not None and done >= total:  # its rate would decay while the stage goes on without it
            bar.close()
            del self._bars[what]

    def _close_bars(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars = {}

    def _tick(self) -> None:
        while not self._stop.wait(TICK):
            with self._lock:
                if self._stage is None:
                    continue
                if self.terminal:
                    for bar in self._bars.values():
                        bar.refresh()
                elif time.perf_counter() - self._last_line >= PLAIN_EVERY:
                    self._write(self._progress_line())

    def _progress_line(self) -> str:
        elapsed = time.perf_counter() - self._stage_start
        steps = [" ".join([*([what] if what != self._stage else []),
                           f"{done}/{total}" if total is not None else str(done), UNITS.get(what, "steps")])
                 for what, (done, total) in self._counts.items()]
        return f"{self._stage}: {', '.join(steps) if steps else 'running'}, {elapsed:.0f}s"


class Silent:
    """--quiet: nothing at all (errors still reach the CLI)."""

    def __call__(self, what: str, done: int, total: int | None) -> None:
        pass

    def close(self) -> None:
        pass


def run(spec, *, out=None, pdf=True, quiet=False) -> int:
    import warnings

    from reportgen.build import build

    started = time.perf_counter()
    # Keras warns about the user's model while tracing (e.g. a pooling layer dropping a mask), once per
    # trace; the build checks what matters (does padding change the prediction?) and says so in the report
    warnings.filterwarnings("ignore", category=UserWarning, module=r"keras(\.|$)")
    reporter = Silent() if quiet else Reporter(sys.stderr, sys.stderr.isatty())
    try:
        summary = build(spec, out=out, pdf=None if pdf else False, progress=reporter)
    finally:
        reporter.close()
    if not quiet:
        print("\n".join(summary_lines(summary, time.perf_counter() - started)))
    return 0


def summary_lines(summary, seconds: float) -> list[str]:
    """What was built, where, and what the reader should know before opening it."""
    from reportgen.build import shown_path

    timing = ", ".join(f"{k} {v:.1f}s" for k, v in summary.timings.items())
    lines = [f"built {summary.documents} samples in {seconds:.1f}s [{timing}]"]
    for path in sorted(summary.files, key=lambda f: LISTED.index(f.name) if f.name in LISTED else -1):
        if path.name in LISTED and path.parent == summary.out_dir:
            pages = f" ({summary.pdf_pages} pages)" if path.name == "report.pdf" and summary.pdf_pages else ""
            lines.append(f"  {shown_path(path)}{pages}")
    folder = shown_path(summary.out_dir)
    for alert in summary.alerts:
        where = f" (see {shown_path(summary.out_dir / alert.link)})" if alert.link else ""
        lines.append(f"{'warning' if alert.warning else 'note'}: {alert.text}{where}")
    if any(path.name == "index.html" for path in summary.files):
        lines.append(f"preview: reportgen serve {shlex.quote(folder)}")
    return [terminal_safe(line) for line in lines]
