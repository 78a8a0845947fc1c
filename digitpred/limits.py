"""The rate limit: Flask-Limiter keyed on the client address, and the Retry-After of a 429. Its instance is
`limiter` (digitpred/extensions.py)."""

from __future__ import annotations

import math
import time

from flask import Flask
from flask_limiter import Limiter


class RateLimiter(Limiter):
    """Flask-Limiter keyed on the client address. It keeps its settings on the instance, from the first app it
    meets; so each app's limit is read from its own config per request, and an app with RATELIMIT_ENABLED false
    is never hooked up (rather than switching the shared instance off for every app). Its counts live in the
    storage of the app set up last: one app per process, as in production."""

    def init_app(self, app: Flask) -> None:
        if not app.config["RATELIMIT_ENABLED"]:
            return
        # A shared storage (Redis) that cannot be reached never takes the predictions down: each worker counts
        # on its own, with the same limit, and logs a warning, until the storage answers again (Flask-Limiter
        # checks back with growing pauses). The fallback's limit is the instance's (digitpred/extensions.py).
        app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
        uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
        if uri.startswith(("redis://", "rediss://", "redis+")) and "RATELIMIT_STORAGE_OPTIONS" not in app.config:
            # A Redis host that is down or unreachable costs each request half a second at most, not a TCP timeout.
            app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        super().init_app(app)

    def retry_after(self) -> int:
        """Seconds until the breached limit's window resets: the Retry-After of a 429."""
        current = self.current_limit
        if current is None:
            return 60
        return max(1, math.ceil(current.reset_at - time.time()))
