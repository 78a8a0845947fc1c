from __future__ import annotations

import base64
import hashlib
import io
import threading

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select, text

from digitpred import create_app
from digitpred.corrections.tables import Correction
from digitpred.extensions import db, migrate, ml
from digitpred.synth.render import Stroke, draw
from tests.helpers import canvas_png, png_bytes, resource


def rows(app) -> list[Correction]:
    with app.app_context():
        found = db.session.scalars(select(Correction).order_by(Correction.id)).all()
        db.session.expunge_all()
        return found


def number_png(digits: list[np.ndarray]) -> bytes:
    """Digits well apart in a row on a white canvas."""
    canvas = Image.new("RGBA", (170 * len(digits) + 40, 240), (255, 255, 255, 255))
    for i, digit in enumerate(digits):
        stroke = Stroke(150, (100 + 170 * i, 120), 14, background=(0, 0, 0, 0))
        canvas.alpha_composite(draw(digit, stroke, size=canvas.size))
    return png_bytes(canvas)


def test_a_correction_is_stored_with_what_the_model_saw(db_app):
    client = db_app.test_client()
    image = resource("canvas-7.png")
    rv = client.post("/api/corrections", data={"image": (io.BytesIO(image), "7.png"), "label": "7"})
    assert rv.status_code == 201, rv.json
    assert rv.json["truth"] == "7" and rv.json["predicted"] == "3" and rv.json["duplicate"] is False
    [row] = rows(db_app)
    assert row.id == rv.json["id"]
    assert (row.mode, row.predicted, row.truth, row.status) == ("digit", "3", "7", "kept")
    assert row.confidence == pytest.approx(0.82, abs=1e-6)
    assert row.original == image and row.original_size == len(image)
    assert Image.open(io.BytesIO(row.input_png)).size == (28, 28)
    with db_app.test_request_context():
        assert row.model_sha256 == ml.file_sha256() and len(row.model_sha256) == 64


def test_json_base64_and_a_confirmation(db_app):
    client = db_app.test_client()
    data_url = "data:image/png;base64," + base64.b64encode(resource("canvas-7.png")).decode()
    rv = client.post("/api/corrections", json={"image": data_url, "label": 3})
    assert rv.status_code == 201, rv.json
    [row] = rows(db_app)
    assert row.predicted == row.truth == "3"  # "That's right" is kept too: it confirms the model


def test_a_number(db_app, heldout):
    images, labels = heldout
    picks = [images[list(labels).index(d)] for d in (2, 0, 7)]
    png = number_png(picks)
    rv = db_app.test_client().post("/api/corrections?mode=number", data=png, content_type="image/png")
    assert rv.status_code == 400 and rv.json["error"]["code"] == "missing_truth"
    rv = db_app.test_client().post("/api/corrections", json={"image": base64.b64encode(png).decode(), "number": "207"})
    assert rv.status_code == 201, rv.json
    assert rv.json["mode"] == "number" and rv.json["predicted"] == "333"
    [row] = rows(db_app)
    # the three digits' 28×28 images side by side
    assert Image.open(io.BytesIO(row.input_png)).size == (84, 28)


def test_a_true_number_with_a_sign_and_points(db_app, heldout):
    """The longest truth a number can have: a minus sign, twelve digits and points among them (comma or dot)."""
    images, labels = heldout
    png = number_png([images[list(labels).index(d)] for d in (2, 0, 7)])
    truth = "-1,234.567.890.12"
    rv = db_app.test_client().post("/api/corrections", json={"image": base64.b64encode(png).decode(), "number": truth})
    assert rv.status_code == 201, rv.json
    [row] = rows(db_app)
    assert row.truth == "-1.234.567.890.12"


def test_a_duplicate_is_stored_once(db_app):
    client = db_app.test_client()

    def send(label: str):
        return client.post(
            "/api/corrections", data=resource("canvas-7.png"), content_type="image/png", query_string={"label": label}
        )

    first, again, other = send("7"), send("7"), send("1")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json["id"] == first.json["id"] and again.json["duplicate"] is True
    assert other.json["id"] != first.json["id"]  # the same image said to be another digit is another correction
    assert len(rows(db_app)) == 2


def test_large_originals_are_not_kept(config, fake_model, db_app):
    db_app.config["CORRECTIONS_MAX_ORIGINAL_BYTES"] = 100
    image = resource("canvas-7.png")
    rv = db_app.test_client().post("/api/corrections", data={"image": (io.BytesIO(image), "7.png"), "label": "7"})
    assert rv.status_code == 201
    [row] = rows(db_app)
    assert row.original is None and row.original_size == len(image) and row.input_png


def _file(name: str = "canvas-7.png", data: bytes | None = None):
    return lambda: (io.BytesIO(data if data is not None else resource(name)), name)


_B64 = base64.b64encode(resource("canvas-7.png")).decode()


@pytest.mark.parametrize(
    "form, body, status, code",
    [
        ({"label": "7"}, None, 400, "missing_image"),
        ({"image": _file()}, None, 400, "missing_truth"),
        ({"image": _file(), "label": "12"}, None, 400, "invalid_truth"),
        ({"image": _file(), "label": "x"}, None, 400, "invalid_truth"),
        ({"image": _file("blank.png"), "label": "1"}, None, 422, "no_digit"),
        ({"image": _file(data=b"not an image"), "label": "1"}, None, 415, "invalid_image"),
        (None, {"image": _B64, "label": True}, 400, "invalid_truth"),
        (None, {"image": _B64, "label": 1, "number": "1"}, 400, "invalid_truth"),
        (None, {"image": _B64, "number": "12a"}, 400, "invalid_truth"),
        (None, {"image": _B64, "number": "1" * 13}, 400, "invalid_truth"),
        (None, {"image": _B64, "number": 12}, 400, "invalid_truth"),
        (None, {"image": _B64, "number": "1.-2"}, 400, "invalid_truth"),
        (None, {"image": _B64, "number": "3..5"}, 400, "invalid_truth"),
        (None, {"image": _B64, "number": "-"}, 400, "invalid_truth"),
        (None, {"image": _B64, "mode": "x", "label": 1}, 400, "invalid_mode"),
    ],
)
def test_bad_requests_store_nothing(db_app, form, body, status, code):
    if form is not None:
        rv = db_app.test_client().post(
            "/api/corrections",
            data={k: v() if callable(v) else v for k, v in form.items()},
            content_type="multipart/form-data",
        )
    else:
        rv = db_app.test_client().post("/api/corrections", json=body)
    assert rv.status_code == status, rv.json
    assert rv.json["error"]["code"] == code and rv.json["error"]["message"]
    assert rows(db_app) == []


def test_json_limits_are_the_apps_own(db_app):
    """Corrections take JSON under the same MAX_JSON_DEPTH and MAX_JSON_BYTES as predictions."""
    client = db_app.test_client()
    db_app.config["MAX_JSON_DEPTH"] = 2
    rv = client.post("/api/corrections", json={"image": _B64, "label": 7, "extra": [[1]]})
    assert rv.status_code == 422 and rv.json["error"]["code"] == "json_too_deep"
    db_app.config.update(MAX_JSON_DEPTH=16, MAX_JSON_BYTES=len(_B64))
    rv = client.post("/api/corrections", json={"image": _B64, "label": 7})
    assert rv.status_code == 413 and rv.json["error"]["code"] == "json_too_large"
    assert rows(db_app) == []


def test_a_locked_database_answers_503_and_stores_nothing(config, fake_model, db_url, db_app):
    """Another connection holds the table; the write gives up after a short wait and leaves no row."""
    with db_app.app_context():
        dialect = db.engine.dialect.name
    short = (
        {"connect_args": {"timeout": 0.2}}
        if dialect == "sqlite"
        else {"connect_args": {"options": "-c lock_timeout=200"}}
    )
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": db_url, "SQLALCHEMY_ENGINE_OPTIONS": short})
    app.extensions["digitpred"]["model"].set(fake_model)

    def send():
        return app.test_client().post(
            "/api/corrections?label=7", data=resource("canvas-7.png"), content_type="image/png"
        )

    with db_app.app_context():
        with db.engine.connect() as holder:
            if dialect == "sqlite":
                holder.exec_driver_sql("BEGIN EXCLUSIVE")
            else:
                holder.execute(text("LOCK TABLE corrections IN ACCESS EXCLUSIVE MODE"))
            rv = send()
            holder.rollback()
    assert rv.status_code == 503, rv.json
    assert rv.json["error"]["code"] == "storage_unavailable"
    assert rows(db_app) == []
    assert send().status_code == 201  # the lock gone, the same request is stored
    assert len(rows(db_app)) == 1
    with app.app_context():
        db.engine.dispose()


def test_a_database_without_its_tables_answers_503(config, fake_model, tmp_path):
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite'}"})
    app.extensions["digitpred"]["model"].set(fake_model)
    rv = app.test_client().post("/api/corrections?label=7", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == 503 and rv.json["error"]["code"] == "storage_unavailable"


def test_an_unreachable_database_answers_503(config, fake_model):
    import socket

    with socket.socket() as s:  # a loopback port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"postgresql://nobody@127.0.0.1:{port}/none"})
    app.extensions["digitpred"]["model"].set(fake_model)
    rv = app.test_client().post("/api/corrections?label=7", data=resource("canvas-7.png"), content_type="image/png")
    assert rv.status_code == 503 and rv.json["error"]["code"] == "storage_unavailable"
    assert (
        app.test_client().post("/api/predict", data=resource("canvas-7.png"), content_type="image/png").status_code
        == 200
    )


def test_concurrent_submissions_lose_nothing(db_app, heldout):
    """20 requests at once: 14 different submissions and 6 repeats of some of them."""
    images, labels = heldout
    distinct = [(canvas_png(images[i]), str(labels[i])) for i in range(12)]
    distinct += [(distinct[0][0], str((int(distinct[0][1]) + 1) % 10)), (distinct[1][0], "3")]  # other true labels
    submissions = distinct + [distinct[i] for i in (0, 0, 1, 5, 12, 13)]
    barrier = threading.Barrier(len(submissions))
    answers: list = [None] * len(submissions)

    def submit(i: int) -> None:
        client = db_app.test_client()
        image, label = submissions[i]
        barrier.wait()
        rv = client.post("/api/corrections", data={"image": (io.BytesIO(image), "d.png"), "label": label})
        answers[i] = (rv.status_code, rv.json)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(submissions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert all(a is not None and a[0] in (200, 201) for a in answers), answers
    stored = rows(db_app)
    assert len(stored) == len(set(distinct)) == 14
    ids_by_submission: dict = {}
    for submission, (_, body) in zip(submissions, answers, strict=True):
        ids_by_submission.setdefault(submission, set()).add(body["id"])
    # every copy of a submission got the same id, and exactly one of them created it
    assert all(len(ids) == 1 for ids in ids_by_submission.values())
    assert sum(status == 201 for status, _ in answers) == 14
    assert {row.id for row in stored} == {ids.pop() for ids in ids_by_submission.values()}
    assert sorted((r.truth, r.image_sha256) for r in stored) == sorted(
        (label, hashlib.sha256(image).hexdigest()) for image, label in distinct
    )


def test_prune_deletes_only_old_corrections(db_app):
    import datetime as dt

    client = db_app.test_client()
    for label in "123":
        client.post(
            "/api/corrections", data=resource("canvas-7.png"), content_type="image/png", query_string={"label": label}
        )
    with db_app.app_context():
        old = db.session.scalars(select(Correction).where(Correction.truth == "1")).one()
        old.created_at -= dt.timedelta(days=400)
        db.session.commit()
    result = db_app.test_cli_runner().invoke(args=["prune-corrections"])
    assert result.exit_code == 0 and "deleted 1 " in result.output
    assert sorted(r.truth for r in rows(db_app)) == ["2", "3"]
    result = db_app.test_cli_runner().invoke(args=["prune-corrections", "--days", "0"])
    assert "deleted 2 " in result.output and rows(db_app) == []


def test_export_writes_kept_corrections_as_idx(db_app, heldout, tmp_path):
    from digitpred.corrections.database import set_status
    from digitpred.mnist import load_mnist

    images, labels = heldout
    client = db_app.test_client()
    ids = []
    for i, label in enumerate("4155"):
        rv = client.post(
            "/api/corrections", data={"image": (io.BytesIO(canvas_png(images[i])), "d.png"), "label": label}
        )
        ids.append(rv.json["id"])
    picks = [images[list(labels).index(d)] for d in (2, 0, 7)]
    rv = client.post("/api/corrections", json={"image": base64.b64encode(number_png(picks)).decode(), "number": "207"})
    assert rv.status_code == 201
    # read as three digits but said to be two: the digits cannot be paired with the truth, so it is skipped
    rv = client.post(
        "/api/corrections", json={"image": base64.b64encode(number_png(picks[:2])).decode(), "number": "7"}
    )
    assert rv.status_code == 201
    with db_app.app_context():
        assert set_status(ids[1], "discarded")

    result = db_app.test_cli_runner().invoke(args=["export-corrections", str(tmp_path / "out"), "--folder"])
    assert result.exit_code == 0, result.output
    assert "wrote 6 digits" in result.output and "skipped 1 " in result.output
    x, y = load_mnist(tmp_path / "out")
    assert x.shape == (6, 28, 28) and list(y) == [4, 5, 5, 2, 0, 7]
    stored = {r.id: r for r in rows(db_app)}
    first = np.asarray(Image.open(io.BytesIO(stored[ids[0]].input_png)))
    assert np.array_equal(x[0], first)  # exactly what the model saw
    assert len(list((tmp_path / "out" / "5").glob("*.png"))) == 2


def test_migrations_run_from_an_empty_database(config, db_url):
    """`flask db upgrade` builds the schema the models describe; downgrade takes it away again."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": db_url})
    runner = app.test_cli_runner()
    with app.app_context():
        assert "corrections" not in inspect(db.engine).get_table_names()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
            assert conn.scalar(select(func.count()).select_from(Correction)) == 0
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "corrections" not in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_postgres_urls_go_to_psycopg(config):
    from digitpred.corrections import postgres_url

    assert postgres_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert postgres_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert postgres_url("postgresql+psycopg2://u@h/d") == "postgresql+psycopg2://u@h/d"
    app = create_app({**config, "DATABASE_URL": "postgresql://u@h/d"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/d"
    app = create_app(config)
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/instance/digitpred.sqlite")


def test_the_page_offers_corrections(client):
    import json
    import re

    html = client.get("/").get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="config">(.*?)</script>', html).group(1))
    assert config["correctionsUrl"] == "/api/corrections"
    assert 'id="feedback"' in html and 'id="feedback-right"' in html and 'id="feedback-number-input"' in html
    assert sorted(re.findall(r'data-label="(\d)"', html)) == [str(d) for d in range(10)]
    # That the page's script sends corrections there is checked in a real browser: tests/browser/test_feedback_page.py


def test_the_upload_form_without_javascript_takes_a_correction(db_app):
    import re

    from tests.helpers import csrf_token

    client = db_app.test_client()
    token = csrf_token(client.get("/").get_data(as_text=True))
    image = resource("canvas-7.png")
    html = client.post(
        "/", data={"image": (io.BytesIO(image), "7.png"), "csrf_token": token}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    form = re.search(r'<form class="feedback" id="feedback-nojs".*?</form>', html, re.S).group(0)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert base64.b64decode(fields["image"]) == image and fields["mode"] == "digit"
    assert re.findall(r'name="label" value="(\d)"', form) == ["3", "0", "1", "2", "4", "5", "6", "7", "8", "9"]

    assert client.post("/feedback", data={**fields, "csrf_token": "", "label": "7"}).status_code == 400  # CSRF
    assert rows(db_app) == []
    rv = client.post("/feedback", data={**fields, "label": "7"})
    assert rv.status_code == 200 and "saved as 7" in rv.get_data(as_text=True)
    rv = client.post("/feedback", data={**fields, "label": "x"})
    assert rv.status_code == 400 and "one digit" in rv.get_data(as_text=True)
    [row] = rows(db_app)
    assert (row.predicted, row.truth, row.original) == ("3", "7", image)


def test_no_correction_form_for_images_too_large_to_keep(db_app):
    from tests.helpers import csrf_token

    db_app.config["CORRECTIONS_MAX_ORIGINAL_BYTES"] = 100
    client = db_app.test_client()
    token = csrf_token(client.get("/").get_data(as_text=True))
    html = client.post(
        "/", data={"image": (io.BytesIO(resource("canvas-7.png")), "7.png"), "csrf_token": token}
    ).get_data(as_text=True)
    assert 'id="result-digit"' in html and "feedback-nojs" not in html


def test_the_first_names_still_work(config, fake_model, db_url, tmp_path):
    """POST /api/feedback, the FEEDBACK_* settings and the *-feedback commands, from before corrections had one name."""
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": db_url, "FEEDBACK_MAX_ORIGINAL_BYTES": 100})
    app.extensions["digitpred"]["model"].set(fake_model)
    migrate.upgrade(app)
    assert app.config["CORRECTIONS_MAX_ORIGINAL_BYTES"] == 100
    client = app.test_client()
    image = resource("canvas-7.png")
    first = client.post("/api/feedback?label=7", data=image, content_type="image/png")
    again = client.post("/api/corrections?label=7", data=image, content_type="image/png")
    assert (first.status_code, again.status_code) == (201, 200) and again.json["id"] == first.json["id"]
    [row] = rows(app)
    assert row.original is None  # over the 100 bytes set under the old name
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export-feedback", str(tmp_path / "out")])
    assert result.exit_code == 0 and "wrote 1 digits" in result.output, result.output
    result = runner.invoke(args=["prune-feedback", "--days", "0"])
    assert result.exit_code == 0 and "deleted 1 " in result.output, result.output
    # the new name wins where both are set
    both = create_app({**config, "FEEDBACK_RETENTION_DAYS": 30, "CORRECTIONS_RETENTION_DAYS": 90})
    assert both.config["CORRECTIONS_RETENTION_DAYS"] == 90
    assert create_app({**config, "FEEDBACK_RETENTION_DAYS": None}).config["CORRECTIONS_RETENTION_DAYS"] is None
    with app.app_context():
        db.engine.dispose()


def test_the_database_is_hooked_up_when_the_app_is_made(config, fake_model, db_app):
    """Flask-SQLAlchemy's hooks and `flask db` are on the app from the start, so the first correction after other
    requests changes nothing on it (Flask refuses setup after the first request)."""
    assert db_app.extensions["sqlalchemy"] is db and "db" in db_app.cli.commands
    teardowns = list(db_app.teardown_appcontext_funcs)
    assert len([f for f in teardowns if getattr(f, "__self__", None) is db]) == 1
    client = db_app.test_client()
    image = resource("canvas-7.png")
    assert client.post("/api/predict", data=image, content_type="image/png").status_code == 200
    assert client.post("/api/corrections?label=7", data=image, content_type="image/png").status_code == 201
    assert db_app.teardown_appcontext_funcs == teardowns
    with db_app.app_context():
        assert set(db_app.make_shell_context()) >= {"db", "Correction"}  # `flask shell`, as Flask-SQLAlchemy gives it


def test_a_database_url_that_cannot_be_used_stops_the_app_at_start(config):
    """A malformed URL or one for a database without a driver: the app does not start, and says why."""
    with pytest.raises(Exception, match="nosuchdatabase"):
        create_app({**config, "SQLALCHEMY_DATABASE_URI": "nosuchdatabase://somewhere/db"})
