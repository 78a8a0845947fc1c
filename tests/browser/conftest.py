"""End-to-end tests of the page in a real Chromium, driven by Playwright.

The real app (with the committed model) is served on loopback by werkzeug in a background thread; one browser
serves the whole session. Without Playwright or Debian's Chromium the folder is skipped: CI installs both.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from digitpred import create_app
from tests.browser.helpers import PageErrors
from tests.helpers import RESOURCES

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
except ImportError:  # the test modules skip themselves (pytest.importorskip); a conftest may not
    sync_playwright = None

CHROMIUM = os.environ.get("DIGITPRED_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous: the model answers in milliseconds, but a busy CI machine can be slow to start things.
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    """Skips every test in this folder when there is no browser to run it in."""
    if sync_playwright is None:
        reason = "Playwright is not installed (pip install -e '.[test]')"
    elif not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        return
    if os.environ.get("CI"):
        # CI installs both (.ci/run): a missing browser there is a broken setup, not a reason to skip.
        raise pytest.UsageError(f"browser tests cannot run in CI: {reason}")
    skip = pytest.mark.skip(reason=reason)
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def server_app(tmp_path_factory):
    """The real app with the committed model and a corrections database of its own, migrated."""
    from digitpred.extensions import migrate

    database = tmp_path_factory.mktemp("db") / "feedback.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        }
    )
    migrate.upgrade(app)
    return app


@pytest.fixture(scope="session")
def server_url(server_app) -> Iterator[str]:
    """The real app, on a free loopback port, for the whole session."""
    app = server_app
    # Load the model now, so the first test does not pay for it while it waits on the page.
    warm = app.test_client().post(
        "/api/predict", data={"image": (io.BytesIO((RESOURCES / "canvas-7.png").read_bytes()), "canvas-7.png")}
    )
    assert warm.status_code == 200, warm.get_data(as_text=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="digitpred-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def context_with_flags(playwright) -> Iterator:
    """Makes a browser context in a browser of its own, launched with extra command-line flags (a fake camera);
    both are closed after the test."""
    launched: list[Browser] = []

    def make(extra: list[str], **options) -> BrowserContext:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + extra, headless=True)
        launched.append(browser)
        return _context(browser, **options)

    yield make
    for browser in launched:
        browser.close()


@pytest.fixture(autouse=True, scope="session")
def _expect_timeout() -> None:
    expect.set_options(timeout=TIMEOUT_MS)


def _context(browser: Browser, **options) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def new_context(browser: Browser) -> Iterator:
    """Makes browser contexts with the given options; closes them after the test."""
    made: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        context = _context(browser, **options)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context, server_url) -> Iterator[Page]:
    """A desktop page (1200 × 800) on the app's home page, with script errors checked after the test."""
    page = new_context(viewport={"width": 1200, "height": 800}).new_page()
    errors = PageErrors(page)
    page.goto(server_url + "/")
    expect(page.locator("#tab-draw")).to_have_attribute("aria-selected", "true")  # app.js has started
    yield page
    assert errors.messages == []
