"""Correcting an answer on the page: the buttons under a digit, the field under a number, what gets stored."""

from __future__ import annotations

import io
import re

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")

from PIL import Image  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from digitpred.corrections.tables import Correction  # noqa: E402
from digitpred.extensions import db  # noqa: E402
from tests.browser.helpers import ONE, expect_digit, mouse_draw  # noqa: E402


def stored(app) -> list[Correction]:
    with app.app_context():
        found = db.session.scalars(select(Correction).order_by(Correction.id)).all()
        db.session.expunge_all()
        return found


def test_a_wrong_digit_is_corrected_and_stored(page: Page, server_app):
    before = len(stored(server_app))
    expect(page.locator("#feedback")).to_be_hidden()
    mouse_draw(page, ONE)
    expect_digit(page, 1)
    expect(page.locator("#feedback")).to_be_visible()
    expect(page.locator('#feedback-digits [data-label="1"]')).to_be_hidden()  # the answer itself is not offered
    expect(page.locator("#feedback-number")).to_be_hidden()

    page.locator('#feedback-digits [data-label="7"]').click()
    expect(page.locator("#feedback-status")).to_have_text(re.compile(r"saved as 7"))
    expect(page.locator('#feedback-digits [data-label="7"]')).to_be_disabled()  # one correction per answer
    rows = stored(server_app)[before:]
    assert [(r.mode, r.predicted, r.truth) for r in rows] == [("digit", "1", "7")]
    assert Image.open(io.BytesIO(rows[0].original)).size == (280, 280)  # the drawing the page sent

    page.locator("#clear").click()
    expect(page.locator("#feedback")).to_be_hidden()


def test_a_number_is_confirmed_or_corrected(page: Page, server_app):
    before = len(stored(server_app))
    page.locator("#tab-number").click()
    mouse_draw(page, [[(0.3, 0.2), (0.3, 0.8)], [(0.6, 0.2), (0.6, 0.8)]], selector="#pad-number")
    expect(page.locator("#number-body")).to_be_visible()
    read = page.locator("#number-value").inner_text()
    expect(page.locator("#feedback-number")).to_be_visible()
    expect(page.locator("#feedback-digits")).to_be_hidden()

    page.locator("#feedback-number-input").fill("1a")
    page.locator("#feedback-number button").click()
    expect(page.locator("#feedback-status")).to_have_text(re.compile("digits only"))
    page.locator("#feedback-number-input").fill("17")
    page.locator("#feedback-number-input").press("Enter")
    expect(page.locator("#feedback-status")).to_have_text(re.compile(r"saved as 17"))
    rows = stored(server_app)[before:]
    assert [(r.mode, r.predicted, r.truth) for r in rows] == [("number", read, "17")]
    # A number as people write it, with a sign and a decimal comma: what the API takes, the page takes. (One
    # correction an answer: a new drawing brings a new one.)
    page.locator("#clear-number").click()
    mouse_draw(page, [[(0.3, 0.2), (0.3, 0.8)], [(0.6, 0.2), (0.6, 0.8)]], selector="#pad-number")
    expect(page.locator("#feedback-number-input")).to_be_enabled()
    page.locator("#feedback-number-input").fill("-1,7")
    page.locator("#feedback-number-input").press("Enter")
    expect(page.locator("#feedback-status")).to_have_text(re.compile(r"saved as -1\.7"))
    assert stored(server_app)[-1].truth == "-1.7"
