"""in_workers(): a batch's per-chunk work in forked worker processes that die with the batch.

The layers are loaded once in the batch process and shared with the workers by ``fork`` (copy-on-write); a
task is called as ``task(chunk, layers)`` and its results come back in chunk order, at most two chunks per
worker in flight, so the inputs are never all in the queue. Checking (``redline.batch.run``) and drawing
(``redline.batch.drawn``) both go through here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import resource
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from redline.crs import regional_crss, warm_transformers
from redline.isolation import die_with_parent
from redline.layers import LayerSet

_WORKER_LAYERS: LayerSet | None = None

try:
    _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6") if sys.platform.startswith("linux") else None
    _LIBC.malloc_trim  # only glibc has it: AttributeError elsewhere
except (OSError, AttributeError):
    _LIBC = None


def release_memory() -> None:
    """Hand memory freed by a chunk back to the OS (Arrow's memory pool, and glibc's ``malloc_trim``), so a
    long-running worker does not grow by what its allocators keep."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def in_workers(task: Callable, chunks: list, layers: LayerSet, workers: int) -> Iterator:
    """``task(chunk, layers)`` of every chunk, in order: in this process with one worker or one chunk, else in
    ``workers`` forked processes. Stopped early (a signal, an error), nothing more is started and the workers end."""
    global _WORKER_LAYERS
    warm_transformers(regional_crss(layers.bounds))  # inherited by the workers and by each file's reader child
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield _run(task, chunk, layers)
        return
    _WORKER_LAYERS = layers
    release_memory()  # what loading took and freed is not copied into every worker
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start,
                                   initargs=(os.getpid(),))
        try:
            pending: deque = deque()
            for chunk in chunks:
                pending.append(pool.submit(_run, task, chunk))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:  # what follows (the tables, the index) runs without the workers' reference to the layers
        _WORKER_LAYERS = layers = None
        release_memory()


RELEASE_STEP = 64 * 1024 ** 2
"""How far a worker may grow past what it held after its last release before it hands freed memory back: most of
what a worker gains over a batch is kept on purpose (the layer's edge indexes GEOS builds as pieces are first
queried), and trimming after every chunk cost more system time than it returned memory."""
_SETTLED = 0
"""This process's resident bytes after its last release."""


def _run(task: Callable, chunk, layers: LayerSet | None = None):
    global _SETTLED
    result = task(chunk, layers or _WORKER_LAYERS)
    resident = _resident()
    if resident is None or resident > _SETTLED + RELEASE_STEP:
        release_memory()
        _SETTLED = _resident() or 0
    return result


def _resident() -> int | None:
    """This process's resident memory in bytes (Linux), else None (then every chunk releases)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:
        return None


def _worker_start(batch: int) -> None:
    """A worker dies with the batch (process ``batch``), and leaves Ctrl-C (sent to the whole process group) to the
    batch process."""
    die_with_parent(batch)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
