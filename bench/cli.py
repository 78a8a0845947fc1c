"""A folder through `digitpred predict`, against posting each file to a running server, in one run.

    python bench/cli.py [--count 2000] [--data ../shared/data/mnist]

Draws `count` canvas PNGs from held-out digits into a temporary folder, starts the real server on loopback
(gunicorn with digitpred/gunicorn_conf.py, rate limiting off) and a local Dask cluster (a scheduler and two
worker processes of one thread each), then times, on the same files:

- the baseline: a client that posts each file to the server one by one, on one kept-alive connection;
- `digitpred predict FOLDER --format csv` with --jobs 1, with --jobs 2, and with --scheduler on the cluster.

Each command is timed whole, start-up and model loading included, as a user waits for it. Prints images per
second and the ratio to the baseline. The machine is shared and noisy: read ratios. Needs the [dask] extra.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import Server  # noqa: E402
from tests.helpers import free_port  # noqa: E402


def make_folder(folder: Path, count: int, data: str) -> None:
    import numpy as np

    from digitpred.mnist import validation_digits
    from digitpred.synth.evalsets import canvas

    images, labels = validation_digits(data)
    rng = np.random.default_rng(0)
    for i in range(count):
        png, _ = canvas(images[i % len(images)], rng)
        (folder / str(int(labels[i % len(labels)]))).mkdir(exist_ok=True)
        (folder / str(int(labels[i % len(labels)])) / f"{i:05d}.png").write_bytes(png)


def post_each(port: int, files: list[Path]) -> float:
    """Seconds to post every file, one at a time, on one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    for path in files:
        conn.request("POST", "/api/predict", body=path.read_bytes(), headers={"Content-Type": "image/png"})
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 422):
            raise RuntimeError(f"the server answered {response.status} for {path}")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def run_cli(folder: Path, *args: str) -> tuple[float, int]:
    """Seconds for the whole command, and how many rows it wrote."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "digitpred", "predict", str(folder), "--format", "csv", "-q", *args],
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr.decode(errors="replace"))
    return seconds, len(done.stdout.splitlines()) - 1


def start_cluster() -> tuple[str, list[subprocess.Popen]]:
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)]
            + ["--no-dashboard"],
            **quiet,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "2", "--nthreads", "1"]
            + ["--no-dashboard"],
            **quiet,
        ),
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with Client(address, timeout="2s", set_as_default=False) as client:
                if len(client.scheduler_info()["workers"]) == 2:
                    return address, procs
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the Dask cluster did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="Canvas PNGs in the folder.")
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/mnist"), help="The MNIST training split.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "canvases"
        folder.mkdir()
        make_folder(folder, args.count, args.data)
        files = sorted(folder.rglob("*.png"))
        port = free_port()
        env = {**os.environ, "FLASK_RATELIMIT_ENABLED": "false", "FLASK_DATABASE_URL": f"sqlite:///{tmp}/c.db"}
        server = Server(
            "digitpred",
            [sys.executable, "-m", "gunicorn", "-c", "python:digitpred.gunicorn_conf", "--bind", f"127.0.0.1:{port}"]
            + ["digitpred:create_app()"],
            env,
            "/api/predict",
            port,
        )
        server.start(files[0].read_bytes(), "image/png")
        address, cluster = start_cluster()
        try:
            baseline = post_each(port, files)
            rows = {"post each file to the server (baseline)": (baseline, len(files))}
            server.stop()  # the server's workers would share the cores with the commands below
            rows["digitpred predict --jobs 1"] = run_cli(folder)
            rows["digitpred predict --jobs 2"] = run_cli(folder, "--jobs", "2")
            rows["digitpred predict --scheduler (2 Dask workers)"] = run_cli(folder, "--scheduler", address)
        finally:
            server.stop()
            for proc in reversed(cluster):
                proc.terminate()
                proc.wait(timeout=30)

    print(f"{len(files)} canvas PNGs, {os.cpu_count()} cores")
    print(f"{'':48s} {'seconds':>8s} {'images/s':>9s} {'vs baseline':>12s}")
    for name, (seconds, n) in rows.items():
        if n != len(files):
            print(f"NOT VALID: {name} wrote {n} rows for {len(files)} files")
            return 1
        rate = n / seconds
        print(f"{name:48s} {seconds:8.1f} {rate:9.1f} {rate / (len(files) / baseline):11.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
