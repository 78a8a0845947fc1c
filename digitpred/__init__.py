"""digitpred: handwritten digit recognition as a web page, a JSON API, a command line and a Python package.

>>> import digitpred
>>> digitpred.predict("seven.png").digit
7
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from digitpred.library import predict, predict_many
from digitpred.ml.errors import DigitpredError

if TYPE_CHECKING:
    from flask import Flask

# The one version number: the package's (pyproject.toml reads it from here), `digitpred --version`, the OpenAPI
# description and GET /api/model.
__version__ = "0.2.0"

__all__ = ["DigitpredError", "__version__", "create_app", "predict", "predict_many"]


def create_app(test_config: dict | None = None) -> Flask:
    from flask import Flask

    from digitpred.config import DEFAULTS, DEV_SECRET_KEY

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.update(test_config)

    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not app.testing:
        app.logger.warning(
            "SECRET_KEY is the development default: set FLASK_SECRET_KEY or instance/config.py in production."
        )
    try:
        os.makedirs(app.instance_path, exist_ok=True)
    except OSError:
        pass  # a read-only install is fine: the instance folder only holds optional config

    from digitpred import accesslog, corrections, cors, metrics, proxy, security
    from digitpred.errors import register_error_handlers
    from digitpred.extensions import csrf, limiter, ml

    proxy.init_app(app)  # the real client's address, for everything below
    accesslog.init_app(app)  # its before_request runs first: even a rate-limited request has an id and a line
    limiter.init_app(app)  # first: a flood is refused before any other work, CSRF checks included
    csrf.init_app(app)
    metrics.init_app(app)  # before ml: a preloaded model's load time is recorded
    ml.init_app(app)
    security.init_app(app)
    corrections.init_app(app)  # the corrections database: Flask-SQLAlchemy, Flask-Migrate, its errors' answer
    cors.init_app(app)
    register_error_handlers(app)

    from digitpred.api import bp as api_bp
    from digitpred.review import bp as review_bp
    from digitpred.web import bp as web_bp

    csrf.exempt(api_bp)
    csrf.exempt(review_bp)  # it checks CSRF itself, for logged-in browsers only (a Bearer token needs none)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(review_bp)

    from digitpred.corrections.cli import (
        db_command,
        export_corrections_command,
        export_feedback_command,
        prune_corrections_command,
        prune_feedback_command,
    )
    from digitpred.evaluation.cli import evaluate_command
    from digitpred.synth.cli import make_evalsets_command
    from digitpred.training.cli import export_command, make_shapes_command, train_command

    for command in (
        train_command,
        export_command,
        make_shapes_command,
        make_evalsets_command,
        evaluate_command,
        prune_corrections_command,
        export_corrections_command,
        prune_feedback_command,
        export_feedback_command,
        db_command,
    ):
        app.cli.add_command(command)
    return app
