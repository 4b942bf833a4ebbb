"""Writing a report: build into a temporary folder, then swap it in, and write files byte-for-byte stable.

A reader of the report folder sees either the previous build or the new one, never half of each: the new
build goes into a sibling temporary folder, and only a complete build replaces the old report.

Only what reportgen wrote is ever replaced. Every report carries a manifest of its files
(`.reportgen-manifest`); a rebuild replaces those and keeps everything else in the folder (a `.git/`, a
`CNAME`, notes), so a report can be published from a `gh-pages`-style folder. A folder that holds the
build's own inputs (spec, model, vocabulary, samples) is refused before the build starts, and so is a file
reportgen did not write inside one of the report's own sub-folders. A symlinked output folder is followed:
the report is written where the link points and the link stays.

Temporary folders carry the building process's id (`.NAME.building-PID-…`, `.NAME.old-PID-…`), so the next
build can tell a dead build's leftovers from a running one and clean them up (putting a previous report
back if a build died in the middle of its swap).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from reportgen.errors import BuildError

MANIFEST = ".reportgen-manifest"
_MANIFEST_HEADER = "# files written by reportgen; a rebuild replaces these and keeps everything else here\n"
# What the environment says when a folder cannot be written: the user's to fix (exit 2), not a bug.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.ENAMETOOLONG}
# Leftovers of builds from before temp names carried a pid: cleaned when older than this.
_UNOWNED_LEFTOVER_AGE_S = 3600
_SHOWN_NAMES = 5


def _real(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(os.fspath(path)))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _names(paths: Iterable[str]) -> str:
    paths = sorted(paths)
    shown = ", ".join(paths[:_SHOWN_NAMES])
    return shown + (f" and {len(paths) - _SHOWN_NAMES} more" if len(paths) > _SHOWN_NAMES else "")


def write_error(folder: Path, error: OSError) -> BuildError:
    """An OSError from writing the report, as the one-line error of a problem the user can fix."""
    cause = os.strerror(error.errno) if error.errno else str(error)
    code = errno.errorcode.get(error.errno or 0, "")
    return BuildError(f"cannot write the report to {folder}: {cause.lower()}{f' ({code})' if code else ''}; "
                      "free space, fix the folder's permissions or choose another output dir")


def read_manifest(folder: Path) -> set[str] | None:
    """The relative paths (POSIX) a previous build recorded writing in `folder`; None when it has no manifest."""
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise BuildError(f"cannot read {folder / MANIFEST}: {error}; delete it if the folder is not a report")
    return {line for line in text.splitlines() if line and not line.startswith("#")}


def _files_under(folder: Path) -> list[str]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        rel = Path(root).relative_to(folder)
        out.extend((rel / name).as_posix() for name in sorted(files))
        # an empty folder or a link to a folder is content too: the user's, unless a manifest names it
        out.extend((rel / d).as_posix() + "/" for d in dirs
                   if os.path.islink(os.path.join(root, d)) or not os.listdir(os.path.join(root, d)))
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
    return out


def _is_legacy_report(folder: Path) -> bool:
    """A report written before manifests existed: its explanations.json names a schema version."""
    try:
        data = json.loads((folder / "explanations.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "schema_version" in data and (folder / "index.html").is_file()


# Top-level names a report written before manifests may hold; anything else there is kept as the user's.
_LEGACY_ENTRIES = frozenset({"index.html", "explanations.json", "report.pdf", "samples", "layers", "assets",
                             "model.html", "method.html", "metrics.html", "spec.yaml"})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class AtomicOutput:
    """Context manager: `with AtomicOutput(dir, inputs=...) as tmp:` write everything under `tmp`.

    `check()` (also run on enter) refuses an output folder that would lose someone's files. On a clean exit
    the manifest is written and the new report replaces the files of the previous one; on an exception the
    previous report is untouched and `tmp` is removed.
    """

    def __init__(self, target_dir: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None] = ()):
        self.given = Path(target_dir)
        self.target = _real(target_dir)  # a symlinked output folder is followed, the link left in place
        self.inputs = [Path(p) for p in inputs if p is not None]
        self.temp: Path | None = None
        self._kept: set[str] = set()  # top-level entries of the folder that are not reportgen's
        self._managed: set[str] = set()  # top-level entries the previous report wrote

    # -- before the build -------------------------------------------------------------------------------------

    def check(self) -> None:
        """Raise BuildError when writing the report to the target could delete or mix up someone's files."""
        target, given = self.target, self.given
        if target.exists() and not target.is_dir():
            raise BuildError(f"output {given} exists and is not a folder; remove it or choose another output dir")
        if target == Path(target.anchor):
            raise BuildError(f"output folder {given} is the file system's root; choose a folder for the report")
        for source in self.inputs:
            real = _real(source)
            if _inside(real, target):
                raise BuildError(f"output folder {given} holds this build's input {source}; a rebuild replaces "
                                 "the folder's report, so choose an output dir of its own (e.g. report/)")
            if real.is_dir() and _inside(target, real):
                raise BuildError(f"output folder {given} is inside the input folder {source}; "
                                 "choose an output dir outside it")
        self._plan()

    def _plan(self) -> None:
        target = self.target
        self._kept, self._managed = set(), set()
        if not target.is_dir():
            return
        try:
            entries = set(os.listdir(target))
        except OSError as error:
            raise write_error(target, error) from error
        if not entries:
            return
        recorded = read_manifest(target)
        if recorded is None:
            if not _is_legacy_report(target):
                raise BuildError(f"output folder {self.given} is not empty and holds no report written by "
                                 f"reportgen (no {MANIFEST}): {_names(entries)}; choose an empty or new output dir")
            self._managed = entries & _LEGACY_ENTRIES
        else:
            self._managed = {path.split("/", 1)[0] for path in recorded} & entries
            foreign = [path for top in sorted(self._managed) if (target / top).is_dir() and not
                       (target / top).is_symlink() for path in (f"{top}/{rel}" for rel in _files_under(target / top))
                       if path not in recorded]
            if foreign:
                raise BuildError(f"output folder {self.given} holds files that reportgen did not write inside the "
                                 f"report's own folders: {_names(foreign)}; move them out, a rebuild replaces "
                                 "those folders")
        if MANIFEST in entries:
            self._managed.add(MANIFEST)
        self._kept = entries - self._managed

    # -- the build --------------------------------------------------------------------------------------------

    def __enter__(self) -> Path:
        self.check()
        target = self.target
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            clean_leftovers(target)
            # Same parent folder as the target, so the final renames stay on one file system (atomic).
            self.temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-{os.getpid()}-", dir=target.parent))
            self.temp.chmod(0o755)  # mkdtemp makes it private; a report folder is meant to be served and shared
        except OSError as error:
            raise write_error(target.parent, error) from error
        return self.temp

    def __exit__(self, exc_type, exc, tb) -> bool:
        assert self.temp is not None
        if exc_type is not None:
            shutil.rmtree(self.temp, ignore_errors=True)
            if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
                raise write_error(self.target, exc) from exc
            return False
        try:
            self._write_manifest()
            self._swap()
        except OSError as error:
            shutil.rmtree(self.temp, ignore_errors=True)
            if error.errno in _WRITE_ERRNOS:
                raise write_error(self.target, error) from error
            raise
        except BaseException:
            shutil.rmtree(self.temp, ignore_errors=True)
            raise
        return False

    def _write_manifest(self) -> None:
        assert self.temp is not None
        files = _files_under(self.temp)
        clash = sorted({path.split("/", 1)[0] for path in files} & self._kept)
        if clash:
            raise BuildError(f"output folder {self.given} holds {_names(clash)}, which reportgen did not write and "
                             "the new report would replace; move or rename them, or choose another output dir")
        write_text(self.temp / MANIFEST, _MANIFEST_HEADER + "".join(f"{path}\n" for path in files))

    def _swap(self) -> None:
        assert self.temp is not None
        target, temp = self.target, self.temp
        if not target.exists():
            os.replace(temp, target)
            return
        if not self._kept:
            # Nothing of the user's in the folder: swap the whole folder in two renames.
            old = _unique_sibling(target, "old")
            os.replace(target, old)
            try:
                os.replace(temp, target)
            except BaseException:
                os.replace(old, target)  # put the previous report back
                raise
            _keep_mode(old, target)
            shutil.rmtree(old, ignore_errors=True)
            return
        # The user's files stay where they are: move the previous report's entries aside, then the new ones in.
        # The folder holding them is named `.aside-` while it matters and `.trash-` once it does not, so a
        # build that dies in between is rolled back by the next one (clean_leftovers).
        aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.aside-{os.getpid()}-", dir=target.parent))
        moved_out: list[str] = []
        moved_in: list[str] = []
        try:
            for name in sorted(self._managed):
                os.replace(target / name, aside / name)
                moved_out.append(name)
            for name in sorted(os.listdir(temp)):
                os.replace(temp / name, target / name)
                moved_in.append(name)
        except BaseException:
            for name in moved_in:
                _remove(target / name)
            for name in moved_out:
                os.replace(aside / name, target / name)
            shutil.rmtree(aside, ignore_errors=True)
            raise
        trash = aside.with_name(aside.name.replace(".aside-", ".trash-", 1))
        os.replace(aside, trash)
        temp.rmdir()
        shutil.rmtree(trash, ignore_errors=True)


def _unique_sibling(target: Path, kind: str) -> Path:
    """A free name beside `target` for a temporary folder of this process (the folder is not created)."""
    made = Path(tempfile.mkdtemp(prefix=f".{target.name}.{kind}-{os.getpid()}-", dir=target.parent))
    made.rmdir()
    return made


def _keep_mode(old: Path, new: Path) -> None:
    """The folder keeps the permissions it had (a report folder shared with a group stays shared)."""
    try:
        os.chmod(new, old.stat().st_mode & 0o7777)
    except OSError:
        pass


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>building|old|aside|trash)-(?:(?P<pid>\d+)-)?[A-Za-z0-9_]+$")


def clean_leftovers(target: Path) -> list[Path]:
    """Remove the temporary folders that dead builds left beside `target`; return what was removed.

    A `.building-` folder only ever holds a new report that was never swapped in, and a `.trash-` folder a
    report already replaced: both are deleted. An `.old-` folder holds a whole previous report moved aside;
    it is put back when the build died before the new report took its place. An `.aside-` folder holds the
    previous report's entries from a folder shared with the user's files; they are put back, the half-moved
    new report's entries replaced.
    """
    removed = []
    try:
        siblings = sorted(target.parent.iterdir())
    except OSError:
        return removed
    now = time.time()
    for path in siblings:
        match = _LEFTOVER.match(path.name)
        if not match or match["name"] != target.name or not path.is_dir() or path.is_symlink():
            continue
        pid = match["pid"]
        if pid is not None and _pid_alive(int(pid)) and int(pid) != os.getpid():
            continue
        if pid is None:
            try:
                if now - path.stat().st_mtime < _UNOWNED_LEFTOVER_AGE_S:
                    continue
            except OSError:
                continue
        if match["kind"] == "old" and not target.exists():
            os.replace(path, target)
            removed.append(path)
            continue
        if match["kind"] == "aside":
            _restore(path, target)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _restore(aside: Path, target: Path) -> None:
    """Put back the entries of a previous report that a dead build had moved aside."""
    if not target.is_dir():
        return
    for name in os.listdir(aside):
        _remove(target / name)
        os.replace(aside / name, target / name)


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
