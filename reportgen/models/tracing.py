"""Calling compiled (tf.function) steps so that reportgen's own errors keep their one-line messages.

Both the adapter's probability step and the engine's Grad-CAM step run through `run_traced`.
"""

from __future__ import annotations

from reportgen.errors import ReportgenError


def run_traced(fn, *args):
    """Call a tf.function so that a ReportgenError raised while it traces keeps its one-line message.

    AutoGraph re-raises an error from traced code as a new error of the same type whose message is a
    multi-line dump ("in user code: File ...") of the source; the original stays as its __context__.
    """
    try:
        return fn(*args)
    except ReportgenError as exc:
        if not _autograph_dump(exc):
            raise
        original = exc
        while _autograph_dump(original) and isinstance(original.__context__, ReportgenError):
            original = original.__context__
        if _autograph_dump(original):  # the original is gone: its message is the dump's last line
            last = str(original).strip().splitlines()[-1].strip()
            original = type(original)(last.split(": ", 1)[1] if ": " in last else last)
        raise original.with_traceback(None) from None


def _autograph_dump(exc: BaseException) -> bool:
    return str(exc).startswith("in user code:")
