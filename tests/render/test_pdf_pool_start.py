"""report.pdf's chunk workers start together, before the first chunk's HTML is built (their WeasyPrint import
then overlaps the sample views instead of following them)."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

pytest.importorskip("weasyprint")

from reportgen.render import pdf as pdf_module  # noqa: E402


def test_every_worker_is_started_before_any_chunk_is_submitted():
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"),
                               initializer=pdf_module._worker_start, initargs=(os.getpid(),))
    try:
        assert len(pool._processes) == 0  # a pool starts nothing until work is submitted
        pdf_module._start_all(pool, 2)
        assert len(pool._processes) == 2
        # the started workers take the chunks: no third process
        assert pool.submit(pow, 2, 10).result(timeout=120) == 1024
        assert len(pool._processes) == 2
    finally:
        pool.shutdown(wait=True)


def test_a_broken_pool_is_left_to_the_chunks_to_report():
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"),
                               initializer=os._exit, initargs=(3,))
    try:
        with pytest.raises(BrokenProcessPool):
            pool.submit(pow, 2, 10).result(timeout=120)
        with pytest.raises(BrokenProcessPool):  # what _start_all meets: submit refuses
            pool.submit(pow, 2, 10)
        pdf_module._start_all(pool, 2)  # no exception: the chunks find the broken pool and render in process
    finally:
        pool.shutdown(wait=True)
