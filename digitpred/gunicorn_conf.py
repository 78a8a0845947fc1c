"""Gunicorn settings for digitpred: `gunicorn -c python:digitpred.gunicorn_conf 'digitpred:create_app()'`.

Each worker creates the app after the fork, so each loads its own model (no interpreter shared across a
fork). Every worker runs one model thread, so the workers together use the cores without oversubscribing.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("DIGITPRED_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("DIGITPRED_WORKERS", multiprocessing.cpu_count()))
# A few threads per worker keep it busy while a request waits on the network; the model has its own lock.
threads = int(os.environ.get("DIGITPRED_THREADS", 4))
worker_class = "gthread"
preload_app = False
timeout = 30
# Load the model as each worker starts, so no user request pays for it.
raw_env = [f"FLASK_PRELOAD_MODEL={os.environ.get('FLASK_PRELOAD_MODEL', 'true')}"]
# numpy, scipy and TensorFlow start a thread per core unless told otherwise.
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "1")


def post_fork(server, worker) -> None:
    """At most two malloc arenas per worker. glibc gives each thread that allocates under contention an arena of
    its own (up to eight per core), and what a thread's image decoding leaves there stays resident: with four
    threads a worker held about 127 MB after the benchmark, against the 120 MB budget."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass  # not glibc (musl, macOS): its allocator has no such setting
