"""Every setting with its default. Overrides come from instance/config.py, then FLASK_* variables."""

from __future__ import annotations

DEV_SECRET_KEY = "dev-only-not-secret"

DEFAULTS: dict = {
    # Signs sessions and CSRF tokens. The default is for development only and logs a warning.
    "SECRET_KEY": DEV_SECRET_KEY,
    # Largest request body in bytes; larger requests get 413.
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    # The LiteRT model file (None: the one shipped inside the package). Its .json metadata sits beside it.
    "MODEL_PATH": None,
    # "litert" (default, no TensorFlow needed) or "keras" (needs the [train] extra).
    "MODEL_BACKEND": "litert",
    # Threads one LiteRT interpreter may use per call.
    "MODEL_THREADS": 1,
    # Load the model when the app is created instead of on the first prediction.
    "PRELOAD_MODEL": False,
    # Largest decoded image in pixels (width × height), checked on the header before decoding.
    "MAX_IMAGE_PIXELS": 40_000_000,
    # Longest side of an image in pixels (a 100,000×1 strip passes the pixel count), checked on the header.
    "MAX_IMAGE_SIDE": 16_384,
    # Shortest side in pixels: anything smaller cannot hold a readable digit (422 image_too_small).
    "MIN_IMAGE_SIDE": 8,
    # Most frames of an animated GIF, PNG, WebP or a multi-page TIFF, counted without decoding them; only the
    # first frame is ever read.
    "MAX_FRAMES": 100,
    # Largest JSON body in bytes, checked before it is parsed (JSON carries base64: a 6 MB image fits).
    "MAX_JSON_BYTES": 8 * 1024 * 1024,
    # Deepest nesting of arrays and objects in a JSON body, checked before it is parsed.
    "MAX_JSON_DEPTH": 16,
    # Most images one POST /api/predict/batch may carry.
    "MAX_BATCH": 64,
    # Threads one POST /api/predict/batch uses: one preprocesses while the others decode the next images (1: one
    # image after another). Preprocessing holds the GIL most of the time, so more than 2 seldom helps.
    "BATCH_WORKERS": 2,
    # Answers below this confidence carry "uncertain": true. At 0.8 the flag caught 54-55% of the mistakes on
    # the tuning and confirmation sets and fell on 1.1% of the right answers (0.6: about 22% and 0.3%).
    "UNCERTAIN_BELOW": 0.8,
    # At or above this probability of "not a digit" an image is refused (422 not_a_digit, with the closest digit):
    # lower refuses more readily, 1.01 never. At 0.6 the tuning sets (held-out digits 5000-6499) had 0.40% of
    # canvases and 0.33% of other hands refused, and 91.8% of the things that are not digits (0.85: 0.13%, 0.27%
    # and 86.9%; 0.5: 0.53%, 0.47% and 92.7%).
    "NOT_A_DIGIT_ABOVE": 0.6,
    # The same for a mark among the digits of a row (number and lines modes): at or above it the mark is left out
    # of the number. Among digits a mark is most likely one: at 0.6 the tuning numbers were read whole 91.4% and
    # the pages 61.8%, at 0.85 92.0% and 63.0%.
    "MARK_NOT_A_DIGIT_ABOVE": 0.85,
    # The corrections database: any SQLAlchemy URL (postgresql://... runs on psycopg). None: DATABASE_URL, and
    # without that a SQLite file, digitpred.sqlite, in the instance folder.
    "SQLALCHEMY_DATABASE_URI": None,
    # The same URL under the name hosting platforms give it; set it as FLASK_DATABASE_URL or in instance/config.py.
    "DATABASE_URL": None,
    # A correction's original (the uploaded or drawn image) larger than this many bytes is not kept; the 28×28 input
    # always is. The old name, FEEDBACK_MAX_ORIGINAL_BYTES, still works: read when this one is left at its default.
    "CORRECTIONS_MAX_ORIGINAL_BYTES": 1_000_000,
    # `flask prune-corrections` deletes corrections older than this many days (None: keep them all). The old name,
    # FEEDBACK_RETENTION_DAYS, still works: read when this one is left at its default.
    "CORRECTIONS_RETENTION_DAYS": 365,
    # The review page (/review) is off (404) unless this token is set; send it as a Bearer token or log in with it.
    "REVIEW_TOKEN": None,
    # Rate limiting per client address (Flask-Limiter): on by default, 429 with Retry-After when over.
    "RATELIMIT_ENABLED": True,
    # The limit on every request but static files: "N per second|minute|hour", several joined by ";".
    "RATELIMIT_DEFAULT": "300 per minute",
    # Where the counts live: memory:// counts per worker process; redis://host:6379 shares one count between every
    # worker of every host. When Redis cannot be reached, each worker counts on its own with the same limit and
    # logs a warning, until Redis answers again: predictions never stop for it.
    "RATELIMIT_STORAGE_URI": "memory://",
    # How many reverse proxies in front of the app to trust for X-Forwarded-For, -Proto, -Host, -Port and -Prefix
    # (Werkzeug's ProxyFix): 1 behind one nginx. The rate limit and the access log then see the real client, and
    # X-Request-ID from the proxy is kept. 0 trusts none: set it only when every request comes through the proxies.
    "PROXY_FIX": 0,
    # One line per request on the "digitpred.access" logger (standard error): "text" for people, "json" for
    # machines. ACCESS_LOG false turns the lines off (the X-Request-ID answer header stays).
    "LOG_FORMAT": "text",
    "ACCESS_LOG": True,
    # GET /metrics in Prometheus's text format, added up across gunicorn's workers. Off: 404.
    "METRICS_ENABLED": True,
    # When set, /metrics asks for it as a Bearer token (401 otherwise); or keep /metrics off the proxy's routes.
    "METRICS_TOKEN": None,
    # Origins allowed to call /api from a browser (CORS): [] (off), a list of origins, or "*" for any.
    "CORS_ORIGINS": [],
    # Upload form's CSRF token lifetime in seconds (None: as long as the session).
    "WTF_CSRF_TIME_LIMIT": None,
}
