"""The Flask extensions, instances only (cookiecutter-flask style): one of each for the process, set up on an app
by create_app, which calls each one's init_app. What an extension keeps for one app lives in app.extensions: ours
under app.extensions["digitpred"]. The classes are in the modules named for what they do: RateLimiter in
limits.py, DeferredMigrate in migrate.py, ML in serving.py.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from digitpred.limits import RateLimiter
from digitpred.migrate import DeferredMigrate
from digitpred.serving import ML

csrf = CSRFProtect()

# The corrections database (digitpred/corrections). Constraints are named, so that migrations can drop or change
# them on every database.
db = SQLAlchemy(
    metadata=MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
)

migrate = DeferredMigrate()

# The same limit, counted by each worker on its own, while a shared storage (Redis) cannot be reached.
limiter = RateLimiter(
    key_func=get_remote_address,
    default_limits=[lambda: current_app.config["RATELIMIT_DEFAULT"]],
    in_memory_fallback=[lambda: current_app.config["RATELIMIT_DEFAULT"]],
)

ml = ML()
