"""The Ray backend: a corpus explained as Ray Data `map_batches` on an actor pool, tables back in corpus order.

Each actor builds the build's chunk context once (the model is loaded once per actor, not once per batch) and
turns every batch of samples into the compact result rows the local backend makes for the same samples. The
samples travel as plain columns (their corpus position and their fields as JSON text, exact for text, labels
of either type and pre-vectorised ids) and become `Sample`s again on the actor.
"""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from reportgen.errors import BuildError, ReportgenError
from reportgen.samples import Sample
from reportgen.spec.load import spec_problem

if TYPE_CHECKING:
    import pyarrow

RAY_EXTRA = "pip install 'reportgen[ray]'"
INDEX_COLUMN = "doc_index"
SAMPLE_COLUMN = "sample"
ERROR_COLUMN, MESSAGE_COLUMN = "reportgen_error", "reportgen_error_message"  # a worker's error, see _ChunkExplainer
# A head that does not answer is told within seconds: ray.init itself waits minutes on a dead address.
CONNECT_TIMEOUT_S = 5.0

# One CPU per actor, as Ray counts it: TensorFlow would otherwise run a thread pool as wide as the node in
# every actor (8 actors on a 32-core node: 256 busy threads); its C++ log stays quiet as in a local build.
ACTOR_ENVIRONMENT = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}

Progress = Callable[[str, int, "int | None"], None]


def import_ray():
    """The `ray` module with Ray Data, or None when the extra is not installed."""
    try:
        import ray
        import ray.data  # noqa: F401  (ray without its data extra cannot run the backend either)
    except ImportError:
        return None
    return ray


def ray_tables(spec, samples: Sequence[Sample], progress: Progress | None = None, *,
               load_context: Callable[[Any], Any], explain_chunk: Callable[[Any, list, int], pyarrow.Table]
               ) -> Iterator[pyarrow.Table]:
    """The result tables of `samples` (in corpus order; the first is document 0), explained by
    `spec.execution.workers` actors that each call `load_context(spec)` once and then
    `explain_chunk(context, samples, first_index)` per batch of `spec.execution.batch_size` documents."""
    ray = import_ray()
    if ray is None:
        raise spec_problem(spec, "execution.backend",
                           f"the ray backend needs Ray, which is not installed here: {RAY_EXTRA}")
    from ray.data import DataContext

    execution = spec.execution
    total = len(samples)
    if progress:
        progress("engine", 0, total)
    if not total:
        return
    with _ray_session(ray, spec):
        context = DataContext.get_current()
        saved_order = context.execution_options.preserve_order
        # the driver streams the tables into one Parquet file and the corpus statistics: corpus order, always
        context.execution_options.preserve_order = True
        # the build's own progress line says how far it is (settings an older Ray lacks are left alone)
        quiet = {name: False for name in ("enable_progress_bars", "print_on_execution_start")
                 if hasattr(context, name)}
        saved = {name: getattr(context, name) for name in quiet}
        for name, value in quiet.items():
            setattr(context, name, value)
        data_log = logging.getLogger("ray.data")
        log_level = data_log.level
        data_log.setLevel(logging.ERROR)  # its per-run INFO lines and warnings would break the progress line
        try:
            blocks = _sample_blocks(samples, execution.batch_size)
            dataset = ray.data.from_arrow(blocks).map_batches(
                _ChunkExplainer, batch_size=execution.batch_size, batch_format="pyarrow", zero_copy_batch=True,
                # a fixed pool: every actor pays the model's loading once, up front (no more than there are
                # batches: an idle actor would load the model for nothing)
                compute=ray.data.ActorPoolStrategy(size=min(execution.workers, len(blocks))), num_cpus=1,
                runtime_env={"env_vars": ACTOR_ENVIRONMENT},
                fn_constructor_kwargs={"spec": spec, "load_context": load_context, "explain_chunk": explain_chunk})
            batches = dataset.iter_batches(batch_size=None, batch_format="pyarrow")
            for table in batches:
                if ERROR_COLUMN in table.column_names:
                    raise _worker_error(table) from None
                if table.num_rows:
                    done = table.column(INDEX_COLUMN)[-1].as_py() + 1
                    if progress:
                        progress("engine", done, total)
                yield table
        finally:
            data_log.setLevel(log_level)
            context.execution_options.preserve_order = saved_order
            for name, value in saved.items():
                setattr(context, name, value)


class _ChunkExplainer:
    """One actor of the pool: the chunk context is built here once, then every batch is explained with it.

    A ReportgenError (a sample the pipeline refuses, a model that does not load) comes back as a one-row table
    holding it, and the driver raises it as itself: raised here, Ray Data would wrap it in its own error, lose
    the cause on the way, or append its retry advice to the one-line message."""

    def __init__(self, spec, load_context, explain_chunk) -> None:
        self.explain_chunk = explain_chunk
        self.failure: ReportgenError | None = None
        try:
            self.context = load_context(spec)
        except ReportgenError as error:
            self.failure = error

    def __call__(self, batch: pyarrow.Table) -> pyarrow.Table:
        import pyarrow as pa

        if self.failure is not None:
            return _error_table(self.failure)
        indices = batch.column(INDEX_COLUMN).to_pylist()
        samples = [Sample(**json.loads(fields)) for fields in batch.column(SAMPLE_COLUMN).to_pylist()]
        try:
            # a batch is one block of consecutive documents; should Ray ever join blocks, each run of
            # consecutive positions is still explained with its own first index
            tables = [self.explain_chunk(self.context, samples[start:stop], indices[start])
                      for start, stop in consecutive_runs(indices)]
        except ReportgenError as error:
            return _error_table(error)
        return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def _error_table(error: ReportgenError) -> pyarrow.Table:
    import pyarrow as pa

    return pa.table({ERROR_COLUMN: pa.array([pickle.dumps(error)], pa.binary()),
                     MESSAGE_COLUMN: pa.array([str(error)], pa.string())})


def _worker_error(table: pyarrow.Table) -> ReportgenError:
    try:
        return pickle.loads(table.column(ERROR_COLUMN)[0].as_py())
    except Exception:  # noqa: BLE001  (an error class this process cannot rebuild: its message still says it)
        return BuildError(table.column(MESSAGE_COLUMN)[0].as_py())


def consecutive_runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """[start, stop) positions of the runs of consecutive values: [4, 5, 6, 9, 10] -> [(0, 3), (3, 5)]."""
    runs = []
    start = 0
    for position in range(1, len(indices) + 1):
        if position == len(indices) or indices[position] != indices[position - 1] + 1:
            runs.append((start, position))
            start = position
    return runs


def _sample_blocks(samples: Sequence[Sample], batch_size: int) -> list[pyarrow.Table]:
    """One Arrow table per batch, so each Ray block is exactly one batch of consecutive documents."""
    import pyarrow as pa

    blocks = []
    for first in range(0, len(samples), batch_size):
        chunk = samples[first:first + batch_size]
        blocks.append(pa.table({
            INDEX_COLUMN: pa.array(range(first, first + len(chunk)), pa.int64()),
            # ensure_ascii: a text read with surrogate escapes survives the trip as it was
            SAMPLE_COLUMN: pa.array([json.dumps(asdict(s), ensure_ascii=True) for s in chunk], pa.string()),
        }))
    return blocks


@contextlib.contextmanager
def _ray_session(ray, spec):
    """Ray, started or connected to as `execution.address` asks, and shut down after; an instance the caller
    already started (a notebook's, a test's) is used as it is and left running."""
    if ray.is_initialized():
        yield
        return
    execution = spec.execution
    address = execution.address
    # errors come back as exceptions; Ray's own warnings and worker output would break the build's progress line
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
    if address is None:
        # "local": a new instance of this machine even when `ray start` left one running (ray.init() alone
        # would join it)
        options.update(address="local", num_cpus=execution.workers)
    else:
        if address != "auto":
            _check_reachable(spec, address)
        options["address"] = address
    try:
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        if address == "auto" and isinstance(error, ConnectionError):
            message = ("'auto' finds no Ray cluster on this machine; start one with `ray start --head`, or set "
                       "address: null to start one for this build")
        else:
            where = "on this machine" if address is None else f"at {address}"
            first_line = (str(error).strip() or type(error).__name__).splitlines()[0]
            message = f"cannot start or join Ray {where} ({first_line})"
        raise spec_problem(spec, "execution.address", message) from None
    try:
        yield
    finally:
        ray.shutdown()


def _check_reachable(spec, address: str) -> None:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise spec_problem(spec, "execution.address",
                           f"no Ray cluster answers at {address} ({reason}); start one there with "
                           "`ray start --head`, or set address: null to start one on this machine") from None
