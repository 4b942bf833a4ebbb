"""Faults during `reportgen build`: SIGKILL at random points, SIGTERM and Ctrl-C while the PDF renders.

Each build runs as `python -m reportgen build` in its own session, with a marker in its environment that
every process it starts inherits: the PDF's worker processes are found by that marker in /proc, so a worker
orphaned by a killed build (reparented away from it) is still found. The spec has 41 one-page samples, more
than the 40 estimated pages a single in-process render takes: the PDF is rendered in chunks by workers.
Builds are deterministic (the spec's date, SOURCE_DATE_EPOCH), so reports are compared byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")]
pytest.importorskip("weasyprint")

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

VOCAB = ["<PAD>", "<OOV>", "good", "great", "bad", "awful", "movie", "the", "a", "was", "plot", "and"]
SAMPLES = 41  # one estimated page each: over pdf.SINGLE_RENDER_PAGES, so chunks render in worker processes
KILL_POINTS = 10
SEED = 14
MARKER = "REPORTGEN_FAULT_TEST"
GONE_WITHIN_S = 5.0


@dataclass
class Project:
    root: Path
    out: Path
    full_build_s: float
    current_spec: str  # the spec the report in `out` was built from
    digests: dict[str, dict[str, str]] = field(default_factory=dict)  # spec → tree digest of its report

    def other_spec(self) -> str:
        return "spec_b.yaml" if self.current_spec == "spec_a.yaml" else "spec_a.yaml"


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    """Temporary folders of builds beside the report (`.out.building-*`, `.out.old-*`, ...)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def report_state(out: Path) -> dict[str, str]:
    """The report a reader finds; a build killed between the two renames of its swap leaves the previous
    report in its `.old-` folder, for the next build to put back (checked at the end of the kill test)."""
    if out.is_dir():
        return tree_digest(out)
    olds = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.old-")]
    assert len(olds) == 1, f"no report and {leftovers(out)}"
    return tree_digest(olds[0])


def marked_processes(marker: str) -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of the live processes that carry `marker` in their environment."""
    found = []
    entry = f"{MARKER}={marker}".encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if entry not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{name}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z":  # a zombie is dead, only not yet reaped by its new parent
            found.append((int(name), int(ppid), cmdline))
    return found


def wait_gone(marker: str, timeout: float = GONE_WITHIN_S) -> list[tuple[int, int, str]]:
    deadline = time.monotonic() + timeout
    while True:
        alive = marked_processes(marker)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


class Build:
    """`reportgen build SPEC --out DIR` in its own session (a Ctrl-C to its group reaches no one else).

    Output goes to files, not pipes: a surviving worker would hold a pipe open and hang the test."""

    def __init__(self, project: Project, spec: str, logs: Path):
        self.marker = uuid.uuid4().hex
        logs.mkdir(parents=True, exist_ok=True)
        self.stdout_path, self.stderr_path = logs / f"{self.marker}.out", logs / f"{self.marker}.err"
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SOURCE_DATE_EPOCH": "1767312000", MARKER: self.marker}
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "reportgen", "build", spec, "--out", project.out.name],
                cwd=project.root, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def workers(self) -> list[int]:
        return [pid for pid, ppid, cmdline in marked_processes(self.marker)
                if ppid == self.process.pid and "spawn_main" in cmdline]

    def wait_for_workers(self, timeout: float = 120.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            workers = self.workers()
            if workers:
                return workers
            if self.process.poll() is not None:
                pytest.fail(f"the build ended (exit {self.process.returncode}) before any PDF worker started: "
                            f"{self.stderr[-2000:]}")
            time.sleep(0.05)
        pytest.fail("no PDF worker process started")

    def finish(self, timeout: float = 120.0) -> int:
        return self.process.wait(timeout=timeout)

    def cleanup(self) -> None:
        """Whatever of this build is still alive once its test is over (only when a check failed)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid, _, _ in marked_processes(self.marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def write_project(root: Path, word_model) -> None:
    word_model(root, VOCAB, name="faults", mask_zero=False)
    rng = random.Random(SEED)
    rows = ["id,text,label"] + [f"d{i:02d},{' '.join(rng.choice(VOCAB[2:]) for _ in range(4))},{rng.choice('np')}"
                                for i in range(SAMPLES)]
    (root / "samples.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for name in ("a", "b"):  # two reports that differ: a half-swapped or mixed folder would show
        (root / f"spec_{name}.yaml").write_text(textwrap.dedent(f"""\
            version: 1
            title: Faults report {name.upper()}
            date: 2026-01-02
            model:
              path: model.keras
              labels: [n, p]
            input:
              level: word
              vocabulary: vocab.txt
              oov_token: "<OOV>"
            samples:
              file: samples.csv
            explain:
              layers: [conv]
            metrics:
              enabled: false
            output:
              dir: report
              pdf: true
            """), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory, word_model) -> Project:
    root = tmp_path_factory.mktemp("faults")
    write_project(root, word_model)
    made = Project(root, root / "report", 0.0, "spec_a.yaml")
    build = Build(made, "spec_a.yaml", root.parent / f"{root.name}-logs")
    start = time.monotonic()
    try:
        assert build.finish() == 0, build.stderr
    finally:
        build.cleanup()
    made.full_build_s = time.monotonic() - start
    assert "report.pdf" in build.stdout, build.stdout
    made.digests["spec_a.yaml"] = tree_digest(made.out)
    return made


@pytest.mark.parametrize("name, send, code, line", [
    ("SIGTERM", lambda p: os.kill(p.pid, signal.SIGTERM), 143, "reportgen: terminated"),
    # a terminal's Ctrl-C reaches the whole foreground process group: the workers too
    ("SIGINT", lambda p: os.killpg(p.pid, signal.SIGINT), 130, "reportgen: interrupted"),
])
def test_a_signal_during_the_pdf_exits_with_one_line_and_leaves_nothing(project, tmp_path, name, send, code, line):
    before = tree_digest(project.out)
    build = Build(project, project.other_spec(), tmp_path)
    try:
        workers = build.wait_for_workers()
        time.sleep(0.3)  # the workers are importing or rendering by now
        send(build.process)
        assert build.finish(timeout=60) == code, build.stderr
        # after the stage lines, one line, no traceback (the parent's or a worker's)
        assert build.stderr.endswith("\n" + line + "\n") and "Traceback" not in build.stderr
        assert [out for out in build.stderr.splitlines() if out.startswith("reportgen:")] == [line]
        assert build.stdout == ""
        alive = wait_gone(build.marker)
        assert not alive, f"still running {GONE_WITHIN_S} s after the {name}: {alive} (workers were {workers})"
        assert tree_digest(project.out) == before
        assert leftovers(project.out) == []
    finally:
        build.cleanup()


def test_sigkill_at_random_points_never_changes_the_previous_report(project, tmp_path):
    rng = random.Random(SEED)
    spec = project.other_spec()
    before = tree_digest(project.out)
    states, delays = [], []
    for point in range(KILL_POINTS):
        delay = rng.uniform(0, project.full_build_s)
        build = Build(project, spec, tmp_path)
        try:
            time.sleep(delay)
            # where the kill lands, for the messages below: in the PDF (workers up), writing, or before
            stage = ("done" if build.process.poll() is not None else "pdf" if build.workers()
                     else "writing" if leftovers(project.out) else "before")
            build.process.kill()
            build.finish(timeout=60)
            alive = wait_gone(build.marker)
            assert not alive, f"kill {point} at {delay:.2f} s ({stage}) left processes running: {alive}"
        finally:
            build.cleanup()
        states.append(report_state(project.out))
        delays.append(f"{delay:.2f} s {stage}")
    final = Build(project, spec, tmp_path)
    try:
        assert final.finish() == 0, final.stderr
        assert not wait_gone(final.marker)
    finally:
        final.cleanup()
    after = tree_digest(project.out)
    assert after != before  # the specs differ, so the kill test can tell the two reports apart
    # Every kill left the previous report or, once a kill came after the swap, the complete new one.
    kinds = ["previous" if s == before else "new" if s == after else "other" for s in states]
    assert "other" not in kinds, list(zip(delays, kinds))
    assert kinds == sorted(kinds, key=lambda k: k == "new"), list(zip(delays, kinds))
    left = leftovers(project.out)
    if left:
        from reportgen import output

        if not hasattr(output, "clean_leftovers"):
            pytest.xfail("needs reportgen/output.py to remove dead builds' temporary folders at the next build "
                         f"(issue 14, the lead's part); left: {left}")
    assert left == [], delays
    print("kills:", ", ".join(f"{d} -> {k}" for d, k in zip(delays, kinds)))
    project.current_spec = spec
