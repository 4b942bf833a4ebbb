"""Writing a report: build into a temporary folder, then swap it in, and write files byte-for-byte stable.

A reader of the report folder sees either the previous build or the new one, never half of each: the new
build goes into a sibling temporary folder, and only a complete build replaces the old folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from reportgen.errors import BuildError

# An existing non-empty folder without any of these is probably not a report: replacing it would delete
# someone's files (think `output.dir: .`), so AtomicOutput refuses.
REPORT_MARKERS = ("index.html", "explanations.json")


class AtomicOutput:
    """Context manager: `with AtomicOutput(dir) as tmp:` write everything under `tmp`.

    On a clean exit the previous `dir` (if any) is renamed away, `tmp` is renamed to `dir`, and the old copy
    is deleted. On an exception the previous `dir` is untouched and `tmp` is removed.
    """

    def __init__(self, target_dir: str | os.PathLike[str], markers: tuple[str, ...] = REPORT_MARKERS):
        self.target = Path(target_dir)
        self.markers = markers
        self.temp: Path | None = None

    def __enter__(self) -> Path:
        target = self.target
        if target.exists() and not target.is_dir():
            raise BuildError(f"output {target} exists and is not a folder; remove it or choose another output dir")
        if target.is_dir() and self.markers and any(target.iterdir()):
            if not any((target / m).exists() for m in self.markers):
                raise BuildError(f"output folder {target} is not empty and holds no previous report "
                                 f"({' or '.join(self.markers)}); choose an empty or new output dir")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Same parent folder as the target, so the final rename stays on one file system (atomic).
        self.temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
        self.temp.chmod(0o755)  # mkdtemp makes it private; a report folder is meant to be served and shared
        return self.temp

    def __exit__(self, exc_type, exc, tb) -> bool:
        assert self.temp is not None
        if exc_type is not None:
            shutil.rmtree(self.temp, ignore_errors=True)
            return False
        try:
            self._swap()
        except BaseException:
            shutil.rmtree(self.temp, ignore_errors=True)
            raise
        return False

    def _swap(self) -> None:
        assert self.temp is not None
        target = self.target
        os.chmod(self.temp, 0o755)  # mkdtemp makes it private; a report is meant to be served
        if not target.exists():
            os.replace(self.temp, target)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()  # only the unique name is wanted
        os.replace(target, old)
        try:
            os.replace(self.temp, target)
        except BaseException:
            os.replace(old, target)  # put the previous report back
            raise
        shutil.rmtree(old, ignore_errors=True)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text with `\\n` newlines on every platform, creating parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


def json_text(obj: Any) -> str:
    """JSON with sorted keys (stable diffs between builds) and a final newline: explanations.json's text."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def dump_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    return write_text(path, json_text(obj))


def source_date(environ: dict[str, str] | None = None) -> str | None:
    """The ISO date (YYYY-MM-DD, UTC) of SOURCE_DATE_EPOCH, or None when it is unset.

    Reproducible-builds convention: a build never reads the wall clock, only this variable.
    """
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    try:
        seconds = int(value)
    except ValueError:
        raise BuildError(f"SOURCE_DATE_EPOCH={value!r} is not an integer number of seconds; "
                         "unset it or set it to a Unix time") from None
    return datetime.fromtimestamp(seconds, tz=timezone.utc).date().isoformat()
