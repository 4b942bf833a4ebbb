"""How many chunk workers report.pdf starts: one per usable CPU, as many as the available memory holds."""

from __future__ import annotations

import pytest

pytest.importorskip("weasyprint")

from reportgen.render import pdf  # noqa: E402

MB = 2**20


@pytest.mark.parametrize(("cpus", "available", "expected"), [
    (16, 64_000 * MB, 16),  # many cores, plenty of memory: all of them (no fixed cap)
    (2, 64_000 * MB, 2),
    (16, 1_000 * MB, 2),  # 1,000 MB holds two workers of 400 MB
    (16, 100 * MB, 1),  # always at least one
    (3, None, 3),  # memory unknown: the CPUs
])
def test_workers_follow_cpus_and_available_memory(monkeypatch, cpus, available, expected):
    assert pdf.WORKER_MEMORY == 400 * MB  # the expectations above are computed at this size
    monkeypatch.setattr(pdf.os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    monkeypatch.setattr(pdf, "available_memory", lambda: available)
    assert pdf.default_workers() == expected


def test_available_memory_reads_the_kernel_figure():
    memory = pdf.available_memory()
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            line = next(x for x in meminfo if x.startswith("MemAvailable:"))
    except OSError:
        assert memory is None
        return
    # the figure moves between two reads; it is the kernel's, in bytes, not kB
    assert memory == pytest.approx(int(line.split()[1]) * 1024, rel=0.2)
