"""`digitpred predict --scheduler`: a real local Dask cluster (a scheduler and two worker processes on loopback)
reads a folder and writes the same CSV as a local run."""

from __future__ import annotations

import io
import subprocess
import sys
import time

import pytest
from PIL import Image

from tests.helpers import free_port, resource

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = ["--no-dashboard"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)]
            + common,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    procs.append(
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "2", "--nthreads", "1"]
            + common,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    try:
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="2s", set_as_default=False) as client:
                    if len(client.scheduler_info()["workers"]) == 2:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the Dask cluster did not start"
            time.sleep(0.5)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)


def predict(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digitpred", "predict", *args], capture_output=True, timeout=180)


def test_a_cluster_reads_like_this_machine(scheduler, tmp_path):
    seven = Image.open(io.BytesIO(resource("canvas-7.png"))).convert("L")
    for i in range(24):  # enough that both workers take some
        seven.rotate(i - 12, fillcolor=255).save(tmp_path / f"{i:02d}.png")
    seven.convert("RGB").save(tmp_path / "form.pdf", save_all=True, append_images=[seven.convert("RGB")])
    (tmp_path / "broken.png").write_bytes(b"nope")
    here = predict(str(tmp_path), "--format", "csv")
    there = predict(str(tmp_path), "--format", "csv", "--scheduler", scheduler)
    assert there.returncode == here.returncode == 1, there.stderr
    assert there.stdout == here.stdout
    lines = here.stdout.decode().splitlines()
    assert len(lines) == 1 + 24 + 2 + 1
    assert sum(",7," in line for line in lines) >= 24


def test_jobs_and_a_scheduler_do_not_mix(scheduler):
    assert predict("x.png", "--jobs", "2", "--scheduler", scheduler).returncode == 2


def test_an_unreachable_scheduler_is_an_error_not_a_traceback(tmp_path):
    (tmp_path / "a.png").write_bytes(resource("canvas-7.png"))
    done = predict(str(tmp_path), "--scheduler", f"tcp://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr and b"Error" in done.stderr


def test_without_dask_the_scheduler_option_is_a_usage_error(tmp_path, monkeypatch):
    import sys as system

    from click.testing import CliRunner

    from digitpred.console import main

    (tmp_path / "a.png").write_bytes(resource("canvas-7.png"))
    monkeypatch.setitem(system.modules, "distributed", None)  # as if `pip install 'digitpred[dask]'` never ran
    result = CliRunner().invoke(main, ["predict", str(tmp_path), "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2
    assert "pip install 'digitpred[dask]'" in result.output
