"""What the browser tests share besides fixtures: drawing on the canvas with the mouse, waiting for an answer, the
page's script errors and where screenshots go. conftest.py imports this module too, and must load without
Playwright (the test modules then skip themselves), so Playwright is only needed when these helpers run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

try:
    from playwright.sync_api import Page, expect
except ImportError:  # without Playwright the browser tests skip; nothing here is called
    pass

DOCS = Path(__file__).parent.parent.parent / "docs"

# A stroke as fractions of the canvas: a list of points joined by straight moves.
ONE = [[(0.5, 0.18), (0.5, 0.82)]]


def to_pixels(page: Page, selector: str, points):
    box = page.locator(selector).bounding_box()
    assert box, f"{selector} is not on screen"
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]


def mouse_draw(page: Page, strokes, selector: str = "#pad", steps: int = 15) -> None:
    """Draws with the real mouse: press, many small moves between the points, release."""
    for stroke in strokes:
        points = to_pixels(page, selector, stroke)
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=steps)
        page.mouse.up()


def expect_digit(page: Page, digit: int) -> None:
    expect(page.locator("#result-body")).to_be_visible()
    expect(page.locator("#result-digit")).to_have_text(str(digit))


class PageErrors:
    """Uncaught errors and console errors on a page: a test fails if the page's own script fails.

    Chromium logs every 4xx answer as a console error; a 422 is the API's answer for a picture that holds no digit
    or something else (no_digit, not_a_digit), which the page shows, so it is not counted."""

    ANSWERED = "the server responded with a status of 422"

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("pageerror", lambda exc: self.messages.append(f"uncaught: {exc}"))
        page.on("console", self._console)

    def _console(self, msg) -> None:
        if msg.type == "error" and self.ANSWERED not in msg.text:
            self.messages.append(f"console: {msg.text}")


def screenshot_path(name: str) -> Path:
    """The README's screenshots are refreshed only when asked (DIGITPRED_SCREENSHOTS=1), so that a test run
    leaves the working tree as it was; otherwise the shots go to a scratch folder."""
    if os.environ.get("DIGITPRED_SCREENSHOTS"):
        return DOCS / name
    folder = Path(tempfile.gettempdir()) / "digitpred-screenshots"
    folder.mkdir(exist_ok=True)
    return folder / name
