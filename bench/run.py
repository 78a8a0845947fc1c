"""digitpred against the usual Flask-plus-Keras way, on loopback, in one run.

    python bench/run.py [--seconds 5] [--workers N] [--threads 4] [--out bench/results.json]

Starts both apps under gunicorn with the same settings (by default those of digitpred/gunicorn_conf.py: one
worker per core, four threads each), drives them with wrk, and prints each figure beside the baseline's with
the ratio. The machine is shared and noisy: read ratios.
Needs the [train] extra (the baseline imports TensorFlow) and wrk (installed with apt-get when missing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digitpred.ml.model import default_model_path  # noqa: E402


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
        wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is needed: apt-get install wrk")
    return wrk


def payloads(folder: Path) -> dict[str, tuple[Path, str, str]]:
    """name -> (body, content type, query): a canvas, a phone photo, a row of four digits (mode=number) and a
    drawn page of five lines (mode=lines), from held-out digits. The baseline reads every body as one digit: it
    has no other mode, so beside a row or a page its figure is what reading the image as one digit costs."""
    import numpy as np

    from digitpred.mnist import read_idx
    from digitpred.synth.evalsets import number, page, photo

    digits = read_idx(ROOT / "tests/resources/heldout-images-idx3-ubyte.gz")
    canvas = ROOT / "tests/resources/canvas-7.png"
    jpeg, _ = photo(digits[0], np.random.default_rng(5), size=(1200, 1600))
    phone = folder / "phone.jpg"
    phone.write_bytes(jpeg)
    rng = np.random.default_rng(7)
    while True:  # a plain row: not touching, not broken
        row_png, _, info = number(digits[10:14], rng, photographed=False)
        if not (info["touching"] or info["broken"]):
            break
    row = folder / "row4.png"
    row.write_bytes(row_png)
    while True:  # a drawn page, neither photographed nor scanned
        lines = [[(digits[20 + 4 * i : 23 + 4 * i + i % 2], False, None)] for i in range(5)]
        page_bytes, _, info = page(lines, rng)
        if not (info["photographed"] or info["scanned"]):
            break
    sheet = folder / "page5.png"
    sheet.write_bytes(page_bytes)
    return {
        "canvas_png": (canvas, "image/png", ""),
        "phone_jpeg": (phone, "image/jpeg", ""),
        "row4_png": (row, "image/png", "?mode=number"),
        "page5_png": (sheet, "image/png", "?mode=lines"),
    }


class Server:
    def __init__(self, name: str, args: list[str], env: dict, predict_path: str, port: int) -> None:
        self.name, self.args, self.env, self.port = name, args, env, port
        self.url = f"http://127.0.0.1:{port}{predict_path}"
        self.proc: subprocess.Popen | None = None

    def start(self, probe: bytes, content_type: str) -> float:
        """Start; return seconds from process start to the first answered prediction."""
        started = time.perf_counter()
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while time.perf_counter() - started < 120:
            try:
                req = urllib.request.Request(self.url, data=probe, headers={"Content-Type": content_type})
                with urllib.request.urlopen(req, timeout=30) as r:
                    if r.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not answer within 120 s")

    def worker_rss_mb(self) -> float:
        """Resident memory of the largest worker process (the gunicorn master's children), in MB."""
        out = subprocess.run(["ps", "--ppid", str(self.proc.pid), "-o", "rss="], capture_output=True, text=True)
        return max(int(v) for v in out.stdout.split()) / 1024

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def wrk_run(wrk: str, url: str, body: Path, content_type: str, connections: int, seconds: int) -> dict:
    env = {**os.environ, "BENCH_BODY": str(body), "BENCH_TYPE": content_type}
    out = subprocess.run(
        [
            wrk,
            "-t",
            str(min(2, connections)),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(ROOT / "bench/report.lua"),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("JSON "))
    figures = json.loads(line[5:])
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def gunicorn(app: str, port: int, workers: int, threads: int, extra: list[str] | None = None) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        *(extra or []),
        app,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="Length of each wrk run.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers per app.")
    parser.add_argument("--threads", type=int, default=4, help="Threads per gunicorn worker.")
    parser.add_argument("--out", default=str(ROOT / "bench/results.json"))
    opts = parser.parse_args()
    wrk = ensure_wrk()
    model = default_model_path()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    servers = [
        Server(
            "digitpred",
            gunicorn(
                "digitpred:create_app()", 8731, opts.workers, opts.threads, ["-c", "python:digitpred.gunicorn_conf"]
            ),
            # No rate limit: wrk is one client address sending thousands of requests a second, and the figures
            # are about predictions, not 429s.
            {**env, "FLASK_PRELOAD_MODEL": "false", "FLASK_RATELIMIT_ENABLED": "false"},
            "/api/predict",
            8731,
        ),
        Server(
            "baseline",
            gunicorn("baseline_app:app", 8732, opts.workers, opts.threads, ["--chdir", str(ROOT / "bench")]),
            {**env, "BASELINE_MODEL": str(model.with_suffix(".keras")), "TF_CPP_MIN_LOG_LEVEL": "3"},
            "/predict",
            8732,
        ),
    ]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bodies = payloads(Path(tmp))
        for server in servers:
            canvas, ctype, _ = bodies["canvas_png"]
            figures: dict = {}
            try:
                figures["cold_start_s"] = server.start(canvas.read_bytes(), ctype)
                for name, (body, content_type, query) in bodies.items():
                    for connections in (1, 16) if name in ("canvas_png", "phone_jpeg") else (1,):
                        wrk_run(wrk, server.url + query, body, content_type, connections, 1)  # warm up
                        run = wrk_run(wrk, server.url + query, body, content_type, connections, opts.seconds)
                        for key in ("p50_ms", "p99_ms", "rps"):
                            figures[f"{name}_c{connections}_{key}"] = run[key]
                        figures[f"{name}_c{connections}_errors"] = run["errors"] + run["non2xx"]
                figures["worker_rss_mb"] = server.worker_rss_mb()
            finally:
                server.stop()
            results[server.name] = figures
            print(f"measured {server.name}", file=sys.stderr)

    ours, base = results["digitpred"], results["baseline"]
    print(f"gunicorn: {opts.workers} worker(s) x {opts.threads} threads per app, {os.cpu_count()} cores")
    print(f"{'figure':34} {'digitpred':>11} {'baseline':>11} {'ratio':>8}")
    for key in ours:
        a, b = ours[key], base[key]
        if key.endswith("errors") or not a or not b:
            ratio = ""
        else:
            ratio = f"{(a / b if key.endswith('rps') else b / a):.1f}x"
        print(f"{key:34} {a:11.2f} {b:11.2f} {ratio:>8}")
    print(
        "ratio: how many times better digitpred is (baseline/digitpred for times and memory, "
        "digitpred/baseline for requests per second)"
    )
    failed = [f"{name}: {k}" for name, figs in results.items() for k, v in figs.items() if k.endswith("errors") and v]
    if failed:
        # Fast answers that are errors are not figures: say so, and let a script see it.
        print("NOT VALID, requests failed: " + ", ".join(failed), file=sys.stderr)
    Path(opts.out).write_text(
        json.dumps(
            {
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "gunicorn": {"workers": opts.workers, "threads": opts.threads, "cores": os.cpu_count()},
                **results,
            },
            indent=2,
        )
    )
    print(f"wrote {opts.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
