"""Numbers as people write them, in a real browser: "-3.5" drawn on the wide canvas, a number held up to a camera
(Chromium's fake capture device, fed a video this test makes), and the answer kept in view on a phone."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")

from PIL import Image  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.helpers import PageErrors, mouse_draw, screenshot_path  # noqa: E402

# "-3.5" on the 840 × 280 canvas, as fractions of it: a bar, a 3, a dot on the baseline, a 5.
MINUS = [(0.08, 0.5), (0.17, 0.5)]
THREE = [
    (0.24, 0.24),
    (0.3, 0.17),
    (0.36, 0.22),
    (0.36, 0.34),
    (0.3, 0.45),
    (0.37, 0.55),
    (0.37, 0.7),
    (0.3, 0.8),
    (0.23, 0.75),
]
POINT = [(0.435, 0.78), (0.437, 0.79)]
FIVE = [(0.62, 0.18), (0.52, 0.18), (0.51, 0.46), (0.58, 0.42), (0.63, 0.52), (0.62, 0.7), (0.56, 0.8), (0.5, 0.76)]


def test_minus_three_point_five_on_the_wide_canvas(page: Page):
    errors = PageErrors(page)
    page.click("#tab-number")
    mouse_draw(page, [MINUS, THREE, POINT, FIVE], selector="#pad-number")
    expect(page.locator("#number-value")).to_have_text("-3.5")
    # The point and the sign are drawn over the canvas like the digits.
    expect(page.locator("#boxes-number .box-label")).to_have_text(["−", "3", ".", "5"])
    assert not errors.messages


def _y4m(path, frame: Image.Image, frames: int = 20) -> None:
    """A YUV4MPEG2 video of one picture held still: what Chromium's fake camera plays in a loop."""
    grey = np.asarray(frame.convert("L"), dtype=np.uint8)
    h, w = grey.shape
    chroma = np.full((h // 2) * (w // 2), 128, dtype=np.uint8).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + grey.tobytes() + chroma + chroma)


def _number(text: str, heldout, seed: int = 3) -> Image.Image:
    """`text` written with held-out digits, on white."""
    from digitpred.synth.evalsets import number_parts, written_number

    images, labels = heldout
    wanted, minus, point = number_parts(text)
    digits = [images[list(labels).index(d)] for d in wanted]
    canvas, _ = written_number(np.stack(digits), np.random.default_rng(seed), minus=minus, point=point)
    return canvas.convert("L")


def _written(text: str, heldout) -> Image.Image:
    """`text` written with held-out digits on a 640 × 480 sheet of paper."""
    canvas = _number(text, heldout)
    canvas.thumbnail((520, 300))
    sheet = Image.new("L", (640, 480), 245)
    sheet.paste(canvas, ((640 - canvas.width) // 2, (480 - canvas.height) // 2))
    return sheet


def test_a_page_of_lines_uploaded(page: Page, heldout, tmp_path):
    import digitpred

    lines = ["12.5", "-3", "2026"]

    def written(seed: int) -> Image.Image:
        rows = [_number(text, heldout, seed=seed * 10 + i) for i, text in enumerate(lines)]
        sheet = Image.new("L", (max(r.width for r in rows) + 120, sum(r.height for r in rows) + 60), 255)
        y = 30
        for i, r in enumerate(rows):
            sheet.paste(r, (30 + 40 * i, y))
            y += r.height
        return sheet

    # The first of a fixed series of pages that reads right (some draw a digit broken or touching its neighbour):
    # this test is about the page showing a reading, not about the reading.
    sheet = next(s for s in map(written, range(20)) if digitpred.predict(s, mode="lines").answer == " / ".join(lines))
    sheet.save(tmp_path / "page.png")
    errors = PageErrors(page)
    page.click("#tab-upload")
    page.set_input_files('#upload-form input[name="image"]', str(tmp_path / "page.png"))
    page.check('#upload-form input[name="mode"][value="lines"]')
    page.click('#upload-form button[type="submit"]')
    expect(page.locator("#number-value")).to_have_text(" / ".join(lines))
    expect(page.locator("#boxes-upload .box")).to_have_count(sum(len(t) for t in lines))
    page.screenshot(path=str(screenshot_path("screenshot-lines.png")), animations="disabled")
    assert not errors.messages


def test_the_camera_reads_a_number_and_holds_it(context_with_flags, server_url, heldout, tmp_path):
    import digitpred

    text = "-40.7"
    sheet = _written(text, heldout)
    assert digitpred.predict(sheet, mode="lines").answer == text  # the picture itself reads right
    video = tmp_path / "number.y4m"
    _y4m(video, sheet)
    context = context_with_flags(
        [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
        viewport={"width": 1200, "height": 800},
    )
    context.grant_permissions(["camera"], origin=server_url)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(server_url + "/")
    page.click("#tab-camera")
    expect(page.locator("#number-value")).to_have_text(text)
    expect(page.locator("#boxes-camera .box")).to_have_count(len(text))  # every mark drawn over the video
    page.screenshot(path=str(screenshot_path("screenshot-camera.png")), animations="disabled")
    page.click("#camera-hold")
    expect(page.locator("#camera-hold")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#camera-status")).to_have_text(re.compile("^Held"))
    expect(page.locator("#number-value")).to_have_text(text)
    # A held frame with one number can be corrected, as a number.
    expect(page.locator("#feedback-number-input")).to_be_visible()
    page.click("#tab-draw")  # leaving the tab stops the camera
    expect(page.locator("#camera-hold")).to_be_disabled()
    assert not errors.messages


def test_the_answer_stays_in_view_on_a_phone(new_context, server_url):
    context = new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(server_url + "/")
    expect(page.locator("#tab-draw")).to_have_attribute("aria-selected", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    page.locator("#pad").scroll_into_view_if_needed()
    mouse_draw(page, [[(0.5, 0.18), (0.5, 0.82)]])
    bar = page.locator("#answer-bar")
    expect(bar).to_be_visible()
    expect(bar).to_have_text(re.compile(r"^Digit 1\b"))
    box = bar.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 740  # on screen, while the canvas is too
    canvas = page.locator("#pad").bounding_box()
    assert canvas and canvas["y"] < 740
    # Scrolled down to the result card itself, the bar goes away.
    page.locator("#result").scroll_into_view_if_needed()
    expect(bar).to_be_hidden()
    assert not errors.messages
