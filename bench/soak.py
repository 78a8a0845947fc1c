"""Soak: the production server under a minute of mixed good and hostile requests, then a worker killed.

    python bench/soak.py [--seconds 60] [--connections 64] [--out bench/results-soak.json]

Starts digitpred under gunicorn (digitpred/gunicorn_conf.py) on loopback with rate limiting off (one client
address sends everything here), warms it up, and drives it with wrk: half the requests are predictions
(raw PNG, JSON data URL, multipart, number mode), half the hostile corpus (tests/resources/make_bad_inputs.py:
bombs, a 1,000-frame GIF, truncated and fake files, deep JSON, bad base64, wrong types). It prints how many
answers were 5xx, how many connections failed, and each worker's resident memory after the warm-up and at the
end. Then it SIGKILLs one worker under the same load and reports what the clients saw and how soon gunicorn
replaced it. Not part of the unit tests: it takes a couple of minutes and both cores.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import ensure_wrk  # noqa: E402

from tests.resources.make_bad_inputs import big, heldout_digit, hostile  # noqa: E402

BOUNDARY = "soakboundary7MA4YWxkTrZu0gW"


def multipart(name: str, data: bytes) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'
    return head.encode() + b"Content-Type: image/png\r\n\r\n" + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def write_requests(folder: Path) -> dict[str, int]:
    """The request mix as files and a manifest for soak.lua; returns how many of each kind."""
    canvas = (ROOT / "tests/resources/canvas-7.png").read_bytes()
    data_url = "data:image/png;base64," + base64.b64encode(canvas).decode()
    files: dict[str, bytes] = {
        "canvas.png": canvas,
        "canvas.json": json.dumps({"image": data_url}).encode(),
        "number.json": json.dumps({"image": data_url, "mode": "number"}).encode(),
        "canvas.multipart": multipart("canvas.png", canvas),
        "deep.json": b"[" * 50_000 + b"]" * 50_000,
        "badbase64.json": b'{"image": "iVBOR%%%w0KGgo="}',
        "wrongtype.json": b'{"image": 42, "mode": ["number"]}',
    }
    good = [
        "POST /api/predict image/png canvas.png",
        "POST /api/predict application/json canvas.json",
        "POST /api/predict application/json number.json",
        f"POST /api/predict multipart/form-data;boundary={BOUNDARY} canvas.multipart",
        "GET /api/health - -",
        "GET /api/model - -",
    ]
    bad = [
        "POST /api/predict application/json deep.json",
        "POST /api/predict application/json badbase64.json",
        "POST /api/predict application/json wrongtype.json",
        "POST /api/predict text/plain canvas.png",
        "GET /api/nowhere - -",
        "DELETE /api/predict - -",
    ]
    digit, _ = heldout_digit()
    for name, data in {**hostile(digit), **big()}.items():
        files[f"bad-{name}"] = data
        bad.append(f"POST /api/predict image/png bad-{name}")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    # Half good, half bad, interleaved: every bad kind once per cycle, the good ones repeated to match.
    lines = [line for i in range(len(bad)) for line in (good[i % len(good)], bad[i])]
    (folder / "manifest").write_text("\n".join(lines) + "\n")
    return {"good": len(lines) // 2, "bad": len(lines) // 2, "kinds_of_bad": len(bad)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workers(master: int) -> list[int]:
    out = subprocess.run(["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True).stdout
    return sorted(int(pid) for pid in out.split())


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_ready(base: str, timeout: float = 60) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=5) as r:
                if json.load(r).get("model_loaded"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready")


def wrk_run(wrk: str, base: str, folder: Path, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["nice", "-n", "5", wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s"]
        + ["-s", str(ROOT / "bench/soak.lua"), base],
        env={**os.environ, "SOAK_DIR": str(folder)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("JSON "))[5:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--kill-seconds", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "bench/results-soak.json"))
    opts = parser.parse_args()
    wrk = ensure_wrk()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FLASK_SECRET_KEY": "soak-" + os.urandom(8).hex(),
        "FLASK_RATELIMIT_ENABLED": "false",
        "DIGITPRED_WORKERS": os.environ.get("DIGITPRED_WORKERS", str(os.cpu_count() or 2)),
    }
    results: dict = {"connections": opts.connections, "seconds": opts.seconds}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results["mix"] = write_requests(folder)
        log_path = folder / "gunicorn.log"
        with open(log_path, "wb") as log:
            server = subprocess.Popen(
                ["nice", "-n", "5", sys.executable, "-m", "gunicorn", "-c", "python:digitpred.gunicorn_conf"]
                + ["--bind", f"127.0.0.1:{port}", "digitpred:create_app()"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_ready(base)
            master = server.pid  # nice execs gunicorn: this is its master
            while len(workers(master)) < int(env["DIGITPRED_WORKERS"]):
                time.sleep(0.2)
            wrk_run(wrk, base, folder, opts.warmup, opts.connections)
            before = {pid: rss_mb(pid) for pid in workers(master)}
            print(f"warmed up; workers {sorted(before)}; soaking {opts.seconds} s", file=sys.stderr)
            results["soak"] = wrk_run(wrk, base, folder, opts.seconds, opts.connections)
            after = {pid: rss_mb(pid) for pid in workers(master)}
            results["rss_mb"] = {
                str(pid): {
                    "after_warmup": round(before[pid], 1),
                    "end": round(after.get(pid, 0.0), 1),
                    "growth": round(after.get(pid, 0.0) / before[pid] - 1, 4),
                }
                for pid in before
            }
            results["workers_replaced_during_soak"] = sorted(set(after) - set(before))
            results["kill"] = kill_one_worker(wrk, base, folder, master, opts)
            with urllib.request.urlopen(base + "/api/health", timeout=5) as r:
                results["health_after"] = json.load(r)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        log = log_path.read_text(errors="replace")
        results["log"] = {
            "unhandled_errors": log.count("unhandled error"),
            "tracebacks": log.count("Traceback"),
            "worker_timeouts": log.count("WORKER TIMEOUT"),
        }
    failures = verdict(results)
    results["failures"] = failures
    report(results)
    Path(opts.out).write_text(json.dumps({"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"), **results}, indent=2))
    print(f"wrote {opts.out}")
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    sys.exit(1 if failures else 0)


def verdict(r: dict) -> list[str]:
    """What the issue asks of the soak: no 5xx, no dropped connection, no worker growing by more than 10%."""
    soak, failures = r["soak"], []
    if soak["server_errors"]:
        failures.append(f"{soak['server_errors']} answers were 5xx")
    dropped = sum(soak[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    if dropped:
        failures.append(f"{dropped} socket errors or timeouts")
    failures += [f"worker {pid} grew {m['growth']:+.1%}" for pid, m in r["rss_mb"].items() if m["growth"] > 0.10]
    if r["workers_replaced_during_soak"]:
        failures.append(f"workers died during the soak: replaced by {r['workers_replaced_during_soak']}")
    if r["kill"]["load"]["server_errors"] or "replaced_by" not in r["kill"]:
        failures.append("the killed worker was not replaced cleanly")
    if r["health_after"].get("status") != "ok" or any(r["log"].values()):
        failures.append(f"after: health {r['health_after']}, log {r['log']}")
    return failures


def kill_one_worker(wrk: str, base: str, folder: Path, master: int, opts) -> dict:
    """SIGKILL one worker a quarter of the way into a run; what did the clients see, how soon was it replaced?"""
    before = workers(master)
    victim = before[0]
    seen: dict = {"killed": victim}

    def kill() -> None:
        time.sleep(opts.kill_seconds / 4)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < 30:
            now = workers(master)
            new = sorted(set(now) - set(before))
            if new and len(now) == len(before):
                seen["replaced_by"] = new
                seen["replaced_after_s"] = round(time.monotonic() - killed_at, 2)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill)
    killer.start()
    seen["load"] = wrk_run(wrk, base, folder, opts.kill_seconds, opts.connections)
    killer.join()
    return seen


def report(r: dict) -> None:
    soak = r["soak"]
    print(f"soak: {r['connections']} connections, {soak['seconds']:.0f} s, {soak['requests']} requests")
    print(f"  2xx {soak['ok']}, 4xx {soak['client_errors']}, 5xx {soak['server_errors']}, other {soak['other']}")
    print(
        f"  socket errors: connect {soak['connect_errors']}, read {soak['read_errors']}, "
        f"write {soak['write_errors']}, timeouts {soak['timeouts']}; p50 {soak['p50_ms']} ms, p99 {soak['p99_ms']} ms"
    )
    for pid, m in r["rss_mb"].items():
        print(f"  worker {pid}: {m['after_warmup']} MB after warm-up, {m['end']} MB at the end ({m['growth']:+.1%})")
    k = r["kill"]
    load = k["load"]
    print(
        f"kill: worker {k['killed']} SIGKILLed; replaced by {k.get('replaced_by')} after {k.get('replaced_after_s')} s"
    )
    print(
        f"  clients saw, over {load['seconds']:.0f} s and {load['requests']} requests: 5xx {load['server_errors']}, "
        f"read errors {load['read_errors']}, connect errors {load['connect_errors']}, "
        f"write errors {load['write_errors']}, timeouts {load['timeouts']}"
    )
    print(f"health after: {r['health_after']}; server log: {r['log']}")


if __name__ == "__main__":
    main()
