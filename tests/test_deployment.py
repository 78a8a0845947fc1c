"""digitpred as a team deploys it: nginx (deploy/nginx.conf, the README's config) in front of two instances, as two
hosts would be (two gunicorn processes with two workers each, on two loopback ports), one Redis for the rate
limit and one PostgreSQL for the corrections. Needs Debian's nginx and redis-server and the PostgreSQL server
that .ci/run starts: skipped without them, but in CI.

It prints what it measured (pytest -s shows it): requests served, 429s, corrections stored, and the errors seen
when an instance stopped under load."""

from __future__ import annotations

import http.client
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import free_port, resource, wait_for_health

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 600  # per minute and route, for one client: the count both instances share


@dataclass
class Deployment:
    url: str
    instances: list[tuple[int, subprocess.Popen]]
    database_url: str
    log: list[str] = field(default_factory=list)


def nginx_config(folder: Path, listen: int, upstreams: list[int]) -> Path:
    """deploy/nginx.conf with the test's ports, inside a main config whose files all live in `folder`."""
    site = (ROOT / "deploy/nginx.conf").read_text()
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    site = site.replace("127.0.0.1:8001", f"127.0.0.1:{upstreams[0]}").replace(
        "127.0.0.1:8002", f"127.0.0.1:{upstreams[1]}"
    )
    (folder / "site.conf").write_text(site)
    temp = "".join(
        f"{kind}_temp_path {folder}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = f"""
{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {folder}/access.log;
    {temp}
    include {folder}/site.conf;
}}
"""
    (folder / "nginx.conf").write_text(main)
    return folder / "nginx.conf"


def need(binary: str) -> str:
    path = shutil.which(binary) or (f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None)
    if not path:
        if os.environ.get("CI"):
            pytest.fail(f"{binary} is missing: CI must run the deployment test")
        pytest.skip(f"no {binary} (apt-get install {binary})")
    return path


def start_instance(port: int, env: dict, migrate: bool) -> subprocess.Popen:
    args = [sys.executable, "-m", "digitpred", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    proc = subprocess.Popen(
        args + ([] if migrate else ["--no-migrate"]), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    wait_for_health(f"http://127.0.0.1:{port}", proc, seconds=90)
    return proc


@pytest.fixture
def deployment(tmp_path, redis_url, postgres_url):
    nginx = need("nginx")
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "FLASK_SECRET_KEY": "deployment-test",
        "FLASK_DATABASE_URL": postgres_url,
        "FLASK_RATELIMIT_STORAGE_URI": redis_url,
        "FLASK_RATELIMIT_DEFAULT": f"{LIMIT} per minute",
        "FLASK_PROXY_FIX": "1",
        "FLASK_ACCESS_LOG": "false",
    }
    instances = []
    proxy = None
    try:
        instances.append((ports[0], start_instance(ports[0], env, migrate=True)))  # one host migrates
        instances.append((ports[1], start_instance(ports[1], env, migrate=False)))
        listen = free_port()
        (tmp_path / "nginx").mkdir()
        config = nginx_config(tmp_path / "nginx", listen, ports)
        proxy = subprocess.Popen([nginx, "-c", str(config), "-p", str(tmp_path / "nginx")], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", listen, timeout=5)
                conn.request("GET", "/api/health/ready")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert proxy.poll() is None, proxy.stderr.read().decode()
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.1)
        yield Deployment(f"127.0.0.1:{listen}", instances, postgres_url)
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=10)
        for _, proc in instances:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)


def request(address: str, method: str, path: str, body: bytes | None = None, client: str = "127.0.0.1"):
    """One request on a new connection from `client`, an address on loopback (all of 127/8 is): nginx passes it
    on as the client's, so that several clients can be told apart."""
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(client, 0))
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "image/png"} if body else {})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def metric(address: str, name: str) -> float:
    _, text, _ = request(address, "GET", "/metrics")
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.decode().splitlines()
        if line.startswith((name + " ", name + "{"))
    )


def test_two_instances_behind_nginx(deployment):
    png = resource("canvas-7.png")
    figures = {}

    # Predictions are served through nginx, by both instances, and the request id travels.
    answers = [request(deployment.url, "POST", "/api/predict", png) for _ in range(20)]
    assert {status for status, _, _ in answers} == {200}
    assert all(b'"digit":7' in body.replace(b" ", b"") for _, body, _ in answers)
    assert all(len(headers["X-Request-ID"]) == 32 for _, _, headers in answers)  # nginx's $request_id, kept
    served = [metric(f"127.0.0.1:{port}", "digitpred_predictions_total") for port, _ in deployment.instances]
    assert all(n > 0 for n in served) and sum(served) == 20, served
    figures["predictions through nginx"] = f"{sum(served):.0f} (instances {served[0]:.0f} + {served[1]:.0f})"
    assert request(deployment.url, "GET", "/metrics")[0] == 404  # not through the proxy

    # The rate limit is one count across both instances (Redis), for the real client behind the proxy.
    codes = [request(deployment.url, "GET", "/api/model")[0] for _ in range(LIMIT + 30)]
    assert codes.count(200) == LIMIT and codes.count(429) == 30, (codes.count(200), codes.count(429))
    figures["GET /api/model"] = f"{len(codes)} sent, {codes.count(200)} answered, {codes.count(429)} 429s"

    # Corrections posted through either instance land in the one database.
    seven = Image.open(io.BytesIO(png)).convert("L")
    for i in range(10):
        buf = io.BytesIO()
        seven.rotate(i - 5, fillcolor=255).save(buf, format="PNG")  # ten different images: none is a repeat
        assert request(deployment.url, "POST", "/api/corrections?label=7", buf.getvalue())[0] == 201
    stored = [metric(f"127.0.0.1:{port}", "digitpred_corrections_stored_total") for port, _ in deployment.instances]
    assert all(n > 0 for n in stored), stored
    import psycopg

    with psycopg.connect(deployment.database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute("SELECT count(*) FROM corrections").fetchone()[0]
    assert rows == 10
    figures["corrections"] = f"10 posted, {rows} rows in PostgreSQL (instances {stored[0]:.0f} + {stored[1]:.0f})"

    # One instance stops under load: it finishes what it holds, nginx sends the rest to the other.
    results: list[int | str] = []
    stop = threading.Event()

    def load(client: str):
        while not stop.is_set():
            try:
                results.append(request(deployment.url, "POST", "/api/predict?mode=digit", png, client)[0])
            except OSError as e:
                results.append(type(e).__name__)

    workers = [threading.Thread(target=load, args=(f"127.0.0.{10 + i}",)) for i in range(8)]
    for w in workers:
        w.start()
    time.sleep(1.5)
    port, proc = deployment.instances[0]
    proc.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
    proc.wait(timeout=30)
    before = len(results)
    time.sleep(1.5)
    stop.set()
    for w in workers:
        w.join(timeout=30)
    errors = [r for r in results if r not in (200, 429)]
    assert len(errors) <= len(workers), errors  # at most the requests it held
    assert results.count(200) > len(results) * 0.9 and len(results) > before  # the other instance kept serving
    figures["stopping one instance under load"] = (
        f"{len(results)} requests from 8 clients, {results.count(200)} answered, {len(errors)} errors {errors[:4]}"
    )

    # A prober sees which instance is down.
    with pytest.raises(OSError):
        request(f"127.0.0.1:{port}", "GET", "/api/health/ready")
    other = deployment.instances[1][0]
    assert request(f"127.0.0.1:{other}", "GET", "/api/health/ready")[0] == 200
    assert request(deployment.url, "GET", "/api/health/ready")[0] == 200

    print("\ndeployment:", "; ".join(f"{k}: {v}" for k, v in figures.items()))
