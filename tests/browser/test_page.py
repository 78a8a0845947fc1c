"""The page in a real browser: drawing with a mouse and a finger, the buttons and keys, uploading, dropping and
pasting an image, and the form without JavaScript. Each test waits on what the page shows, never on a fixed time.

Two tests also save the README's screenshots (docs/screenshot.png and docs/screenshot-phone.png).
"""

from __future__ import annotations

import base64
import json
import re

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.helpers import ONE, PageErrors, expect_digit, mouse_draw, screenshot_path, to_pixels  # noqa: E402
from tests.helpers import RESOURCES  # noqa: E402

CANVAS_7 = RESOURCES / "canvas-7.png"

# Strokes as fractions of the canvas, each a list of points joined by straight moves (ONE is in helpers.py).
SEVEN = [[(0.25, 0.22), (0.75, 0.22), (0.42, 0.82)]]
# The same 7 drawn diagonal first, from the bottom up, then the bar: the finger moves up the screen, which
# would scroll the page down if the canvas let touches through to the page.
SEVEN_UPWARDS = [[(0.42, 0.82), (0.75, 0.22)], [(0.75, 0.22), (0.25, 0.22)]]

INK = """(selector) => {
  const canvas = document.querySelector(selector);
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
  return dark;
}"""


def ink(page: Page, selector: str = "#pad") -> int:
    """How many dark pixels the canvas holds (0 on a blank canvas)."""
    return page.evaluate(INK, selector)


def wait_for_ink(page: Page, blank: bool, selector: str = "#pad") -> None:
    check = f"({INK})({json.dumps(selector)}) {'===' if blank else '>'} 0"
    page.wait_for_function(check)


def snapshot(page: Page, selector: str = "#pad") -> str:
    return page.evaluate("(s) => document.querySelector(s).toDataURL()", selector)


def touch_draw(page: Page, strokes, selector: str = "#pad", steps: int = 15) -> None:
    """Draws with a finger: touch events through the DevTools protocol, as a touch screen sends them."""
    cdp = page.context.new_cdp_session(page)
    try:
        for stroke in strokes:
            points = to_pixels(page, selector, stroke)
            x, y = points[0]
            cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
            for nx, ny in points[1:]:
                for i in range(1, steps + 1):
                    t = i / steps
                    point = {"x": x + (nx - x) * t, "y": y + (ny - y) * t}
                    cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
                x, y = nx, ny
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def count_predictions(page: Page) -> list:
    """A list that grows with every request the page makes to /api/predict."""
    sent: list = []
    page.on("request", lambda request: request.url.endswith("/api/predict") and sent.append(request))
    return sent


def expect_reset(page: Page) -> None:
    expect(page.locator("#result-placeholder")).to_be_visible()
    expect(page.locator("#result-body")).to_be_hidden()
    expect(page.locator("#result-error")).to_be_hidden()


def wait_for_image(page: Page, selector: str) -> None:
    page.wait_for_function(
        "(s) => { const img = document.querySelector(s); return img.complete && img.naturalWidth > 0; }", arg=selector
    )


def drop_or_paste(page: Page, event: str, target: str = "#panel-upload") -> None:
    """Drops (dragenter, dragover, drop) or pastes canvas-7.png on target, as a File in a DataTransfer."""
    png = base64.b64encode(CANVAS_7.read_bytes()).decode()
    page.evaluate(
        """([png, event, target]) => {
          const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], "canvas-7.png", { type: "image/png" }));
          const node = document.querySelector(target);
          if (event === "paste") {
            const init = { clipboardData: transfer, bubbles: true, cancelable: true };
            node.dispatchEvent(new ClipboardEvent("paste", init));
            return;
          }
          for (const type of ["dragenter", "dragover", "drop"]) {
            node.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
          }
        }""",
        [png, event, target],
    )


# ---------- drawing ----------


def test_drawing_a_seven_predicts_it_live_without_pressing_predict(page: Page):
    sent = count_predictions(page)
    mouse_draw(page, SEVEN)
    expect_digit(page, 7)
    assert len(sent) == 1, "one stroke, one live prediction"
    expect(page.locator("#result-bars .bar.winner")).to_have_attribute("data-digit", "7")
    expect(page.locator("#result-announce")).to_have_text(re.compile(r"^Digit 7, \d+\.\d% confident\.$"))
    expect(page.locator("#undo")).to_be_enabled()

    # The README's screenshot: desktop, after drawing a 7 and getting the answer.
    wait_for_image(page, "#result-input")
    page.screenshot(path=str(screenshot_path("screenshot.png")), animations="disabled")


def test_the_predict_button_reads_a_drawn_one(page: Page):
    page.locator("#auto").uncheck()
    sent = count_predictions(page)
    mouse_draw(page, ONE)
    wait_for_ink(page, blank=False)
    page.wait_for_timeout(800)  # longer than the live prediction's pause: nothing may be sent with it off
    assert sent == []
    expect_reset(page)

    page.locator("#predict").click()
    expect_digit(page, 1)
    assert len(sent) == 1


def test_predict_on_a_blank_canvas_asks_for_a_digit_and_sends_nothing(page: Page):
    sent = count_predictions(page)
    page.locator("#predict").click()
    expect(page.locator("#result-error")).to_be_visible()
    expect(page.locator("#result-error")).to_contain_text("Draw a digit")
    expect(page.locator("#result-body")).to_be_hidden()
    expect(page.locator("#result-digit")).to_have_text("")
    expect(page.locator("#result-announce")).to_contain_text("Draw a digit")
    assert sent == []


def test_drawing_with_a_finger_on_a_phone_neither_scrolls_nor_zooms(new_context, server_url):
    context = new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(server_url + "/")
    expect(page.locator("#tab-draw")).to_have_attribute("aria-selected", "true")
    # Make sure the page could scroll, so that a touch let through to it would show in scrollY.
    page.evaluate("document.body.style.minHeight = '250vh'")
    page.evaluate(
        """() => {
          window.pointerTypes = [];
          const record = (e) => window.pointerTypes.push(e.pointerType);
          document.getElementById("pad").addEventListener("pointerdown", record);
        }"""
    )
    assert page.evaluate("window.scrollY") == 0

    touch_draw(page, SEVEN_UPWARDS)
    expect_digit(page, 7)
    assert page.evaluate("window.pointerTypes") == ["touch", "touch"]
    assert ink(page) > 0
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("window.visualViewport.scale") == 1
    assert errors.messages == []

    # The README's phone screenshot: the whole page after the answer, at the phone's own width. The viewport
    # grows to the page's height (full_page=True would re-emulate the screen without touch, which shows the
    # keyboard hint that a touch screen hides).
    page.evaluate("document.body.style.minHeight = ''")
    wait_for_image(page, "#result-input")
    expect(page.locator("#kbd-hint")).to_be_hidden()
    page.set_viewport_size({"width": 390, "height": page.evaluate("document.documentElement.scrollHeight")})
    expect(page.locator("#kbd-hint")).to_be_hidden()
    page.screenshot(path=str(screenshot_path("screenshot-phone.png")), animations="disabled")


# ---------- undo, clear and the keys ----------


def test_undo_removes_the_last_stroke_and_clear_empties_the_canvas(page: Page):
    blank = snapshot(page)
    assert ink(page) == 0

    mouse_draw(page, SEVEN[:1])
    wait_for_ink(page, blank=False)
    one_stroke = snapshot(page)
    mouse_draw(page, ONE)
    page.wait_for_function("(before) => document.getElementById('pad').toDataURL() !== before", arg=one_stroke)

    page.locator("#undo").click()
    page.wait_for_function("(want) => document.getElementById('pad').toDataURL() === want", arg=one_stroke)
    page.locator("#undo").click()
    wait_for_ink(page, blank=True)
    assert snapshot(page) == blank
    expect(page.locator("#undo")).to_be_disabled()
    expect_reset(page)

    mouse_draw(page, SEVEN)
    expect_digit(page, 7)
    page.locator("#clear").click()
    wait_for_ink(page, blank=True)
    expect_reset(page)
    expect(page.locator("#undo")).to_be_disabled()


def test_keys_escape_clears_ctrl_z_undoes_enter_predicts(page: Page):
    page.locator("#auto").uncheck()
    page.evaluate("document.activeElement.blur()")  # Enter on the checkbox would be the checkbox's

    mouse_draw(page, SEVEN)
    wait_for_ink(page, blank=False)
    page.keyboard.press("Enter")
    expect_digit(page, 7)

    page.keyboard.press("Escape")
    wait_for_ink(page, blank=True)
    expect_reset(page)

    mouse_draw(page, SEVEN[:1])
    wait_for_ink(page, blank=False)
    one_stroke = snapshot(page)
    mouse_draw(page, ONE)
    page.wait_for_function("(before) => document.getElementById('pad').toDataURL() !== before", arg=one_stroke)
    page.keyboard.press("Control+z")
    page.wait_for_function("(want) => document.getElementById('pad').toDataURL() === want", arg=one_stroke)
    page.keyboard.press("Control+z")
    wait_for_ink(page, blank=True)
    expect(page.locator("#kbd-hint")).to_be_visible()


# ---------- images: the file picker, dropping, pasting ----------


def test_upload_through_the_file_picker_without_reloading(page: Page):
    page.evaluate("window.notReloaded = true")
    page.locator("#tab-upload").click()
    expect(page.locator("#panel-upload")).to_be_visible()
    page.locator("#upload-form input[name=image]").set_input_files(str(CANVAS_7))
    expect(page.locator("#preview-wrap")).to_be_visible()
    wait_for_image(page, "#preview")
    page.locator("#upload-form button[type=submit]").click()
    expect_digit(page, 7)
    assert page.evaluate("window.notReloaded") is True


def test_the_file_input_offers_the_camera_on_phones(page: Page):
    # The picker keeps the photo library (no capture); a second input opens the camera.
    file_input = page.locator("#upload-form input[name=image]")
    expect(file_input).not_to_have_attribute("capture", "environment")
    expect(file_input).to_have_attribute("accept", "image/png,image/jpeg,image/gif,image/bmp,image/webp,image/tiff")
    page.locator("#tab-upload").click()
    camera = page.locator("#camera")
    expect(camera).to_have_attribute("capture", "environment")
    expect(page.locator("#camera-label")).to_be_visible()
    camera.set_input_files(str(RESOURCES / "canvas-7.png"))
    expect_digit(page, 7)


def test_dropping_an_image_on_the_upload_tab_reads_it(page: Page):
    sent = count_predictions(page)
    drop_or_paste(page, "drop", target="#pad")  # on the Draw tab a drop is refused
    expect(page.locator("#tab-draw")).to_have_attribute("aria-selected", "true")
    assert sent == []

    page.locator("#tab-upload").click()
    drop_or_paste(page, "drop", target="#result")  # anywhere on the page, not only on the form
    expect_digit(page, 7)
    expect(page.locator("#preview-wrap")).to_be_visible()
    wait_for_image(page, "#preview")
    assert page.evaluate("document.querySelector('#upload-form input[name=image]').files[0].name") == "canvas-7.png"

    page.locator("#upload-form button[type=submit]").click()  # Predict again sends the dropped file
    expect(page.locator("#result-status")).to_be_hidden()
    expect_digit(page, 7)
    assert len(sent) == 2


def test_pasting_an_image_switches_to_upload_and_reads_it(page: Page):
    drop_or_paste(page, "paste", target="body")
    expect(page.locator("#tab-upload")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#preview-wrap")).to_be_visible()
    expect_digit(page, 7)


# ---------- the answer ----------


def test_a_low_confidence_answer_is_shown_and_announced(page: Page):
    answer = {
        "digit": 4,
        "confidence": 0.41,
        "probabilities": [0.01, 0.02, 0.01, 0.05, 0.41, 0.02, 0.03, 0.02, 0.03, 0.4],
        "uncertain": True,
        "input": "data:image/png;base64," + base64.b64encode(CANVAS_7.read_bytes()).decode(),
    }
    page.route("**/api/predict", lambda route: route.fulfill(json=answer))
    mouse_draw(page, ONE)
    expect_digit(page, 4)
    note = page.locator("#result-uncertain")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Low confidence")
    expect(note).to_contain_text("not be a 4")
    expect(page.locator("#result-announce")).to_contain_text("Digit 4, low confidence")
    expect(page.locator("#result-announce")).to_contain_text("41.0%")

    answer.update(digit=1, confidence=0.99, uncertain=False)
    page.locator("#predict").click()
    expect_digit(page, 1)
    expect(note).to_be_hidden()
    expect(page.locator("#result-announce")).to_have_text("Digit 1, 99.0% confident.")


# ---------- without JavaScript ----------


def test_the_upload_form_works_without_javascript(new_context, server_url):
    page = new_context(java_script_enabled=False, viewport={"width": 1200, "height": 800}).new_page()
    page.goto(server_url + "/")
    expect(page.locator("#panel-upload")).to_be_visible()
    expect(page.locator("[role=tablist]")).to_be_hidden()
    page.locator("#upload-form input[name=image]").set_input_files(str(CANVAS_7))
    with page.expect_navigation():
        page.locator("#upload-form button[type=submit]").click()
    expect_digit(page, 7)
    assert page.locator("#result-input").get_attribute("src").startswith("data:image/png;base64,")


# ---------- numbers ----------


def _in_cell(index: int, stroke: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A stroke drawn in the index-th digit's cell of the wide canvas (cell units 0-1 -> canvas fractions)."""
    left, width, top, height = 0.1 + 0.21 * index, 0.12, 0.2, 0.6
    return [(left + x * width, top + y * height) for x, y in stroke]


TWO = [(0.05, 0.25), (0.3, 0.02), (0.75, 0.02), (0.95, 0.3), (0.8, 0.6), (0.05, 0.98), (1.0, 0.98)]
ZERO = [(0.5, 0.0), (0.1, 0.2), (0.0, 0.5), (0.1, 0.85), (0.5, 1.0), (0.9, 0.85), (1.0, 0.5), (0.9, 0.15), (0.5, 0.0)]
SIX = [(0.85, 0.0), (0.4, 0.2), (0.1, 0.6), (0.2, 0.95), (0.6, 1.0), (0.95, 0.75), (0.7, 0.5), (0.3, 0.55), (0.1, 0.7)]


def test_drawing_2026_on_the_wide_canvas_reads_it_with_four_boxes(page: Page):
    page.locator("#tab-number").click()
    for i, digit in enumerate((TWO, ZERO, TWO, SIX)):
        mouse_draw(page, [_in_cell(i, digit)], selector="#pad-number")
    # Each stroke sends the canvas again; the answer to the last one, all four digits, is the one shown.
    expect(page.locator("#number-value")).to_have_text("2026")
    boxes = page.locator(".box")
    expect(boxes).to_have_count(4)
    labels = [boxes.nth(i).locator(".box-label").inner_text().rstrip("?") for i in range(4)]
    assert labels == ["2", "0", "2", "6"]
    lefts = [boxes.nth(i).bounding_box()["x"] for i in range(4)]
    assert lefts == sorted(lefts)  # each box over its own digit, left to right
