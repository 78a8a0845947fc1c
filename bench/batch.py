"""POST /api/predict/batch with 64 canvas PNGs, in process: the configured app beside the one-thread baseline.

    python bench/batch.py [--reps 40] [--size 64] [--workers N]

Both apps answer the same multipart batch (280×280 RGBA PNGs of held-out digits drawn as pen strokes, as the
page sends them) through Flask's test client, turn about, so that the shared machine's load falls on both alike;
it prints the median and the minimum of each. The baseline decodes and preprocesses one image after another
(BATCH_WORKERS=1); digitpred decodes on BATCH_WORKERS - 1 threads while it preprocesses (default 2, or
--workers). Both must answer alike, to the last digit. It then times the parts on their own, again
turn about, and prints two floors on this machine, each with the one forward pass at its fastest (one LiteRT
thread or one per core): all the decoding and preprocessing shared perfectly among the cores; and, since
preprocessing holds the GIL most of the time, the preprocessing alone, with decoding hidden beside it.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from digitpred import create_app  # noqa: E402
from digitpred.ml import service  # noqa: E402
from digitpred.ml.model import load_model  # noqa: E402
from digitpred.mnist import read_idx  # noqa: E402
from digitpred.synth.render import Stroke, draw  # noqa: E402


def canvases(count: int) -> list[bytes]:
    digits = read_idx(ROOT / "tests/resources/heldout-images-idx3-ubyte.gz")
    out = []
    for i in range(count):
        buf = io.BytesIO()
        draw(digits[i % len(digits)], Stroke(height=180, centre=(140, 140), width=16)).save(buf, format="PNG")
        out.append(buf.getvalue())
    return out


def timed(fn, reps: int) -> list[float]:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=40, help="Batches per app (after two to warm up).")
    parser.add_argument("--size", type=int, default=64, help="Images per batch.")
    parser.add_argument("--workers", type=int, default=None, help="BATCH_WORKERS for digitpred (default 2).")
    opts = parser.parse_args()
    pngs = canvases(opts.size)
    config = {"TESTING": True, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "PRELOAD_MODEL": True}
    ours = {**config} if opts.workers is None else {**config, "BATCH_WORKERS": opts.workers}
    apps = {"digitpred": create_app(ours), "baseline": create_app({**config, "BATCH_WORKERS": 1})}
    clients = {name: app.test_client() for name, app in apps.items()}
    answers = {}

    def post(name: str):
        def send():
            files = [(io.BytesIO(png), f"{i}.png") for i, png in enumerate(pngs)]
            rv = clients[name].post("/api/predict/batch", data={"images": files}, content_type="multipart/form-data")
            assert rv.status_code == 200, rv.get_data(as_text=True)
            answers[name] = rv.get_json()

        return send

    for name in clients:
        timed(post(name), 2)
    times: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(opts.reps):
        for name in clients:
            times[name] += timed(post(name), 1)
    if answers["digitpred"] != answers["baseline"]:
        print("NOT VALID: the two apps answered differently", file=sys.stderr)
        return 1

    workers = apps["digitpred"].extensions["digitpred"]["settings"].batch_workers
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    state = apps["baseline"].extensions["digitpred"]
    settings, one_thread = state["settings"], state["model"].get()
    all_threads = load_model(state["model_path"], "litert", cores)
    threaded = replace(settings, batch_workers=workers)
    fields = np.stack([f for f in service.prepare_each(pngs, settings) if isinstance(f, np.ndarray)])
    predictions = service.classify(one_thread, fields, settings)
    parts = {
        "decode, one after another": lambda: [service.decode_within(p, settings) for p in pngs],
        "decode+preprocess, one after another": lambda: service.prepare_each(pngs, settings),
        f"decode+preprocess, {workers} threads": lambda: service.prepare_each(pngs, threaded),
        "forward pass, MODEL_THREADS=1": lambda: service.classify(one_thread, fields, settings),
        f"forward pass, MODEL_THREADS={cores}": lambda: service.classify(all_threads, fields, settings),
        "answers to dicts (input PNGs, rounding)": lambda: [p.to_dict() for p in predictions],
    }
    part_times: dict[str, list[float]] = {label: [] for label in parts}
    for _ in range(opts.reps):
        for label, fn in parts.items():
            part_times[label] += timed(fn, 1)

    print(f"{opts.size} canvas PNGs per batch, {opts.reps} batches each, {cores} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'POST /api/predict/batch':42} {'median ms':>10} {'min ms':>8}")
    labels = {"baseline": "baseline (BATCH_WORKERS=1)", "digitpred": f"digitpred (BATCH_WORKERS={workers})"}
    for name, label in labels.items():
        print(f"{label:42} {statistics.median(times[name]):10.1f} {min(times[name]):8.1f}")
    ratio = statistics.median(times["baseline"]) / statistics.median(times["digitpred"])
    print(f"{'ratio (baseline / digitpred, medians)':42} {ratio:10.2f}")
    print("parts, in this process:")
    for label, values in part_times.items():
        print(f"  {label:40} {statistics.median(values):10.1f} {min(values):8.1f}")
    prep = min(part_times["decode+preprocess, one after another"])
    alone = prep - min(part_times["decode, one after another"])
    forward = min(min(values) for label, values in part_times.items() if label.startswith("forward pass"))
    shared, held = prep / cores + forward, alone + forward
    print(f"floors on {cores} cores (fastest runs; no HTTP, no answers), each with the fastest forward pass:")
    print(f"  decode+preprocess shared perfectly:   {prep:.1f} / {cores} + {forward:.1f} = {shared:.1f} ms")
    print(f"  preprocess alone (it holds the GIL):  {alone:.1f} + {forward:.1f} = {held:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
