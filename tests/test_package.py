"""A non-editable install must carry the model inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_model_and_assets(tmp_path):
    pytest.importorskip("setuptools")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), ROOT],
        check=True,
    )
    wheel = next(tmp_path.glob("digitpred-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "digitpred/models/digitpred-cnn.tflite",
        "digitpred/models/digitpred-cnn.json",
        "digitpred/models/digitpred-cnn.keras",
        "digitpred/ml/digit-shapes.npz",
        "digitpred/api/openapi.json",
        "digitpred/web/templates/web/index.html",
        "digitpred/web/static/js/app.js",
        "digitpred/web/static/css/app.css",
        "digitpred/migrations/env.py",
        "digitpred/migrations/alembic.ini",
        "digitpred/migrations/versions/0001_corrections.py",
        "digitpred/review/templates/review/index.html",
        "digitpred/review/static/review.css",
    ):
        assert name in names, name
    assert not any(n.startswith("tests/") for n in names)
    # Every package of the source tree travels: a user's install runs away from it, where nothing else is found.
    for init in sorted((ROOT / "digitpred").rglob("__init__.py")):
        package = init.relative_to(ROOT).as_posix()
        if "/migrations/" not in package:
            assert package in names, package
    assert "digitpred/py.typed" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "digitpred = digitpred.console:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
