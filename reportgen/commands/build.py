"""`reportgen build SPEC`: a thin layer over `reportgen.build.build` with a progress bar on terminals."""

from __future__ import annotations

import sys


def run(spec, *, out=None, pdf=True, quiet=False) -> int:
    import warnings

    from reportgen.build import build

    # Keras warns about the user's model while tracing (e.g. a pooling layer dropping a mask), once per
    # trace; the build checks what matters (does padding change the prediction?) and says so in the report
    warnings.filterwarnings("ignore", category=UserWarning, module=r"keras(\.|$)")
    bars: dict = {}
    show = not quiet and sys.stderr.isatty()

    def progress(stage: str, done: int, total: int) -> None:
        if not show:
            return
        from tqdm import tqdm

        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="doc" if stage in ("explaining",) else "step",
                                     leave=False, file=sys.stderr)
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        summary = build(spec, out=out, pdf=None if pdf else False, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    if not quiet:
        parts = [f"{summary.documents} samples"]
        if summary.pdf_pages is not None:
            parts.append(f"report.pdf {summary.pdf_pages} pages")
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in summary.timings.items())
        from reportgen.textsafe import terminal_safe

        print(f"built {terminal_safe(summary.out_dir)}/index.html ({'; '.join(parts)}) in {sum(summary.timings.values()):.1f}s "
              f"[{timing}]")
    return 0
