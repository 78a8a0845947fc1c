"""Behind reverse proxies: PROXY_FIX says how many to trust, and Werkzeug's ProxyFix takes the client's address
and scheme from their X-Forwarded-For and X-Forwarded-Proto (and host, port and prefix), so that the rate limit
and the access log see the real client rather than the proxy. 0 (the default) trusts none: a client that talks
to the app directly could otherwise claim any address."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = int(app.config["PROXY_FIX"] or 0)
    if hops < 0:
        raise ValueError("PROXY_FIX must be 0 or more")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
