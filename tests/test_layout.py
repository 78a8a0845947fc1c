"""The packages' layout holds: the serving path loads no training, evaluation or rendering code and no TensorFlow,
the serving core (digitpred.ml) knows nothing of Flask or of the packages around it, and no blueprint imports
another. Imports are checked in fresh interpreters, since this test process has imported everything already."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "digitpred"

# Packages that serving must never load: what trains, renders and reports, and the libraries behind training.
OFF_THE_SERVING_PATH = ("digitpred.training", "digitpred.evaluation", "digitpred.synth", "tensorflow", "keras")

# create_app adds every package's `flask` commands to the app. Those modules hold click definitions only: each
# command imports its work (TensorFlow, the renderer, the report) when it runs. So a worker loads them and
# nothing else of those packages.
COMMAND_MODULES = {
    "digitpred.training",
    "digitpred.training.cli",
    "digitpred.evaluation",
    "digitpred.evaluation.cli",
    "digitpred.synth",
    "digitpred.synth.cli",
}


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def loaded_after(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running `code`, which prints nothing of its own."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_serving_core_loads_only_itself():
    modules = loaded_after("import digitpred.ml.service")
    assert "digitpred.ml.service" in modules
    assert not [m for m in modules if any(under(m, p) for p in OFF_THE_SERVING_PATH)]
    # Of the project, only the core and what the top-level package itself imports: the Python API, which is the
    # core with a model of its own (the factory imports Flask and its config only when an app is made).
    project = {m for m in modules if under(m, "digitpred") and not under(m, "digitpred.ml")}
    assert project <= {"digitpred", "digitpred.library"}
    assert "flask" not in modules


WORKER = """
import io
from pathlib import Path

from digitpred import create_app

app = create_app({"TESTING": True, "SECRET_KEY": "layout", "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
client = app.test_client()
png = Path("tests/resources/canvas-7.png").read_bytes()
answers = [
    client.post("/api/predict", data=png, content_type="image/png"),
    client.post("/api/predict?mode=number", data=png, content_type="image/png"),
    client.post("/", data={"image": (io.BytesIO(png), "7.png"), "mode": "number"}, content_type="multipart/form-data"),
]
assert [a.status_code for a in answers] == [200, 200, 200], [a.get_data(as_text=True)[:300] for a in answers]
assert answers[0].json["digit"] == 7 and answers[1].json["number"] == "7", [answers[0].json, answers[1].json]
"""


def test_a_worker_that_has_served_predictions_loads_no_training_code():
    modules = loaded_after(WORKER)
    assert "digitpred.ml.service" in modules and "digitpred.web.routes" in modules
    off_path = [m for m in modules if any(under(m, p) for p in OFF_THE_SERVING_PATH)]
    assert set(off_path) <= COMMAND_MODULES, sorted(set(off_path) - COMMAND_MODULES)


# ---------- static: what each package's modules import, read with ast ----------


def imported_names(path: Path, root: Path = ROOT) -> set[str]:
    """Every module that `path` imports, at its top or inside a function, relative imports resolved; for
    `from a import b` both a and a.b (b may be a module)."""
    package = list(path.relative_to(root).parts[:-1])  # the package that `.` means, for a module or an __init__
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def modules_of(package: Path) -> list[Path]:
    return sorted(package.rglob("*.py"))


def test_imported_names_sees_every_kind_of_import(tmp_path):
    source = tmp_path / "digitpred" / "ml" / "thing.py"
    source.parent.mkdir(parents=True)
    source.write_text("import flask.json\ndef f():\n    from ..training import train\n    from . import model\n")
    expected = {"flask.json", "digitpred.training", "digitpred.training.train", "digitpred.ml", "digitpred.ml.model"}
    assert imported_names(source, tmp_path) == expected


def test_the_serving_core_imports_no_flask_and_nothing_of_the_packages_around_it():
    found = {}
    for path in modules_of(PACKAGE / "ml"):
        bad = sorted(
            name
            for name in imported_names(path)
            if name.split(".")[0] in ("flask", "werkzeug")
            or name.startswith("flask_")
            # of the project, only the core itself (training, synth, evaluation, corrections, the blueprints
            # and the app's own modules all stand on it, not under it)
            or (under(name, "digitpred") and name != "digitpred" and not under(name, "digitpred.ml"))
        )
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    assert modules_of(PACKAGE / "ml") and not found


def blueprint_packages() -> list[str]:
    """The packages whose __init__ makes a Blueprint."""
    names = []
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        if any(getattr(call.func, "id", getattr(call.func, "attr", None)) == "Blueprint" for call in calls):
            names.append(f"digitpred.{init.parent.name}")
    return names


@pytest.mark.parametrize("blueprint", ["digitpred.api", "digitpred.web", "digitpred.review"])
def test_no_blueprint_imports_another(blueprint):
    others = [b for b in blueprint_packages() if b != blueprint]
    assert blueprint in blueprint_packages() and others
    found = {}
    for path in modules_of(PACKAGE / blueprint.split(".")[1]):
        bad = sorted(name for name in imported_names(path) if any(under(name, other) for other in others))
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    assert not found
