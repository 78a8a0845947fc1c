"""Gunicorn settings for digitpred: `gunicorn -c python:digitpred.gunicorn_conf 'digitpred:create_app()'`.

Workers: WEB_CONCURRENCY, else DIGITPRED_WORKERS, else one per CPU this process may use. Each worker creates the
app after the fork, so each loads its own model (no interpreter shared across a
fork). Every worker runs one model thread, so the workers together use the cores without oversubscribing.
"""

from __future__ import annotations

import os
import shutil
import tempfile


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's share), not the host's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


bind = os.environ.get("DIGITPRED_BIND", "127.0.0.1:8000")
# WEB_CONCURRENCY is what hosting platforms set; DIGITPRED_WORKERS is this project's own name for it.
workers = int(os.environ.get("WEB_CONCURRENCY") or os.environ.get("DIGITPRED_WORKERS") or usable_cpus())
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


# /metrics adds up every worker's counts from files in this folder (prometheus-client's multiprocess mode). It
# must be set before a worker imports prometheus_client, so it is set here, in the master, before any fork.
_metrics_off = os.environ.get("FLASK_METRICS_ENABLED", "true").strip().lower() in ("0", "false", "no", "off")
if not _metrics_off and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="digitpred-metrics-")


def on_starting(server) -> None:
    """A folder left from an earlier run would add its counts to this one's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and os.path.isdir(folder):
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.unlink(os.path.join(folder, name))


def on_exit(server) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if os.path.basename(folder).startswith("digitpred-metrics-"):  # only the folder made above
        shutil.rmtree(folder, ignore_errors=True)


def child_exit(server, worker) -> None:
    """A worker that died or was replaced: its gauges go, its counters stay in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


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
