"""The `digitpred` command, on the shipped model: files, folders, globs, PDFs and standard input, three output
formats, exit codes, worker processes, and the production server."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

import digitpred
from digitpred.console import main
from tests.helpers import free_port, resource, wait_for_health


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed command, as a user runs it (stdout piped, so no progress bar)."""
    return subprocess.run(
        [sys.executable, "-m", "digitpred", *args], input=stdin, capture_output=True, cwd=cwd, timeout=120
    )


@pytest.fixture
def folder(tmp_path) -> Path:
    """Two images, a nested one, a two-page PDF, a broken file, a doodle, and files a folder search skips."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a-seven.png").write_bytes(resource("canvas-7.png"))
    (tmp_path / "b-inverted.png").write_bytes(resource("inverted-7.png"))
    (tmp_path / "sub" / "c-photo.jpg").write_bytes(resource("exif-rotated-7.jpg"))
    seven = Image.open(io.BytesIO(resource("canvas-7.png"))).convert("RGB")
    seven.save(tmp_path / "d-form.pdf", save_all=True, append_images=[Image.new("RGB", seven.size, "white")])
    (tmp_path / "e-broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (tmp_path / "notes.txt").write_text("not searched")
    (tmp_path / ".hidden.png").write_bytes(resource("canvas-7.png"))
    return tmp_path


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_folder_as_csv(folder):
    done = run("predict", str(folder), "--format", "csv", cwd=folder)
    assert done.returncode == 1, done.stderr  # one refused, one broken
    got = [(Path(r["file"]).name, r["page"], r["answer"], r["status"], r["error"]) for r in rows(done.stdout.decode())]
    assert got == [
        ("a-seven.png", "", "7", "read", ""),
        ("b-inverted.png", "", "7", "read", ""),
        ("d-form.pdf", "1", "7", "read", ""),
        ("d-form.pdf", "2", "", "refused", "no_digit"),
        ("e-broken.png", "", "", "failed", "invalid_image"),
        ("c-photo.jpg", "", "7", "read", ""),
    ]
    assert b"Traceback" not in done.stderr
    # Piped: no progress bar, only the summary.
    assert done.stderr.decode().strip().splitlines()[-1].startswith("5 files, 6 images: 4 read, 1 refused, 1 failed")


def test_every_image_read_exits_0_and_rows_carry_confidence(folder):
    done = run("predict", str(folder / "a-seven.png"), str(folder / "sub"), "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r["answer"] for r in lines] == ["7", "7"]
    assert all(0.5 < r["confidence"] <= 1 and r["uncertain"] is False and r["error"] is None for r in lines)


def test_standard_input_and_globs(folder):
    done = run("predict", "-", str(folder / "*.png"), "--format", "csv", stdin=resource("canvas-7.png"))
    assert done.returncode == 1
    got = [(Path(r["file"]).name, r["status"]) for r in rows(done.stdout.decode())]
    assert got == [("-", "read"), ("a-seven.png", "read"), ("b-inverted.png", "read"), ("e-broken.png", "failed")]


def test_names_that_match_nothing_are_rows_not_crashes(tmp_path):
    done = run("predict", str(tmp_path / "missing.png"), str(tmp_path / "*.tif"), str(tmp_path), "--format", "csv")
    assert done.returncode == 1
    assert [r["error"] for r in rows(done.stdout.decode())] == ["unreadable_file"] * 3
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("args", [[], ["predict"], ["predict", "x.png", "--mode", "bogus"], ["predict", "-j", "0"]])
def test_usage_errors_exit_2(args):
    done = run(*args)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr


def test_number_mode_and_table(tmp_path):
    row = Image.new("L", (600, 200), 255)
    seven = Image.open(io.BytesIO(resource("canvas-7.png"))).convert("L").resize((200, 200))
    for x in (0, 250):
        row.paste(seven, (x, 0))
    row.save(tmp_path / "row.png")
    result = CliRunner().invoke(main, ["predict", str(tmp_path / "row.png"), "--mode", "number"])
    assert result.exit_code == 0, result.output
    header, line = result.stdout.splitlines()[:2]
    assert header.split()[:3] == ["FILE", "PAGE", "ANSWER"]
    name, answer, confidence = line.split()[:3]  # no page column for an image
    assert name.endswith("row.png") and answer == "77" and 0.5 < float(confidence) <= 1


def test_output_file_and_jobs_give_the_same_rows(folder, tmp_path):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert run("predict", str(folder), "--format", "csv", "-o", str(one)).returncode == 1
    assert run("predict", str(folder), "--format", "csv", "-o", str(two), "--jobs", "2").returncode == 1
    assert len(rows(one.read_text())) == 6
    assert one.read_text() == two.read_text()


def test_version_is_the_package_version():
    assert run("--version").stdout.decode().split()[-1] == digitpred.__version__
    import tomllib

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
    assert "version" in project["dynamic"]  # read from digitpred.__version__: one number, one place


def test_api_and_openapi_carry_the_version(client):
    assert client.get("/api/model").get_json()["digitpred_version"] == digitpred.__version__
    assert client.get("/api/openapi.json").get_json()["info"]["version"] == digitpred.__version__


def test_serve_starts_the_production_server(tmp_path):
    port = free_port()
    env = {**os.environ, "FLASK_DATABASE_URL": f"sqlite:///{tmp_path / 'corrections.db'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitpred", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,  # away from the source tree: the installed package serves
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, proc)
        request = urllib.request.Request(
            url + "/api/predict", data=resource("canvas-7.png"), headers={"Content-Type": "image/png"}
        )
        with urllib.request.urlopen(request) as r:
            assert json.load(r)["digit"] == 7
        # The database was brought up to date before the workers started: a correction is stored.
        request = urllib.request.Request(
            url + "/api/corrections?label=7", data=resource("canvas-7.png"), headers={"Content-Type": "image/png"}
        )
        with urllib.request.urlopen(request) as r:
            assert r.status == 201
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert (tmp_path / "corrections.db").is_file()
