"""Where the reading runs: in this process, in N worker processes on this machine, or on a Dask cluster. Each
keeps a bounded window of sources in flight and yields their rows in the order given, so memory stays the same
whether the folder holds ten files or a million, and a cluster's answers are the local answers."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

import click

from digitpred.console.sources import PDF_DPI, Source, read_source
from digitpred.ml.service import Settings

# A worker is handed this many sources at a time: a task's round trip (a pipe, or a Dask scheduler) costs about
# what reading a canvas does, so one per task would spend half the time on the trip.
CHUNK = 16
# Chunks in flight per worker: enough to keep each busy while the answers are written, few enough to stay small.
IN_FLIGHT = 4


def chunks(sources: Iterable[Source]) -> Iterator[list[Source]]:
    it = iter(sources)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def read_chunk(chunk: list[Source], mode: str, settings: Settings, dpi: int) -> list[list[dict]]:
    return [read_source(source, mode, settings, dpi) for source in chunk]


def _in_order(sources: Iterable[Source], submit: Callable, collect: Callable, in_flight: int) -> Iterator[list[dict]]:
    """Each chunk of sources submitted as a task, at most `in_flight` tasks waiting, their rows collected in the
    order given."""
    window: deque = deque()
    for chunk in chunks(sources):
        window.append(submit(chunk))
        if len(window) >= in_flight:
            yield from collect(window.popleft())
    while window:
        yield from collect(window.popleft())


def here(sources: Iterable[Source], mode: str, settings: Settings, dpi: int = PDF_DPI) -> Iterator[list[dict]]:
    for source in sources:
        yield read_source(source, mode, settings, dpi)


def _warm() -> None:
    """A worker process loads the model as it starts, not on its first file."""
    from digitpred.library import model

    try:
        model().get()
    except Exception:  # noqa: BLE001 - a model that cannot load is reported in each file's row instead
        pass


def processes(
    sources: Iterable[Source], mode: str, settings: Settings, jobs: int, dpi: int = PDF_DPI
) -> Iterator[list[dict]]:
    """N worker processes, started fresh ("spawn"): none inherits a half-loaded model or a thread."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=_warm) as pool:
        yield from _in_order(
            sources,
            lambda chunk: pool.apply_async(read_chunk, (chunk, mode, settings, dpi)),
            lambda task: task.get(),
            jobs * IN_FLIGHT,
        )


def cluster(
    sources: Iterable[Source], mode: str, settings: Settings, address: str, dpi: int = PDF_DPI
) -> Iterator[list[dict]]:
    """An existing Dask distributed cluster at `address` (tcp://HOST:8786). Its workers need digitpred installed
    and the files where the paths say (a shared folder); each worker process loads the model once."""
    try:
        from distributed import Client
    except ImportError as e:
        raise click.UsageError("--scheduler needs Dask: pip install 'digitpred[dask]'") from e

    with Client(address, set_as_default=False, timeout="20s") as client:
        workers = client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in workers.values()) or 1
        yield from _in_order(
            sources,
            lambda chunk: client.submit(read_chunk, chunk, mode, settings, dpi, pure=False),
            lambda future: future.result(),
            threads * IN_FLIGHT,
        )
