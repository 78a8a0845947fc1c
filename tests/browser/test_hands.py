"""Every hand, and only digits, with the real model in a real browser: a heart is refused with the closest digit
shown small, and a leaning 1 with a long flag, a 1 with a base and a crossed 7 are read as people mean them."""

from __future__ import annotations

import math
import re

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.helpers import PageErrors, expect_digit, mouse_draw  # noqa: E402


def _heart(n: int = 24) -> list[list[tuple[float, float]]]:
    """The classic heart curve, drawn as one would with a mouse: each side from the dip at the top round its lobe
    down to the point."""

    def side(sign: int) -> list[tuple[float, float]]:
        points = []
        for i in range(n + 1):
            t = math.pi * i / n
            x = 16 * math.sin(t) ** 3
            y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
            points.append((0.5 + sign * x / 40, 0.45 - y / 40))
        return points

    return [side(-1), side(1)]


HEART = _heart()
# A continental 1: a long flag from low on the left up to the top, then the stem down, the whole digit leaning.
FLAGGED_ONE = [[(0.36, 0.45), (0.58, 0.15), (0.46, 0.85)]]
# A 1 with a short flag and a base.
BASED_ONE = [[(0.42, 0.28), (0.53, 0.15), (0.53, 0.82)], [(0.4, 0.83), (0.66, 0.83)]]
# A 7 with its bar, its stem and a crossbar of its own.
CROSSED_SEVEN = [[(0.3, 0.2), (0.7, 0.2), (0.46, 0.85)], [(0.42, 0.52), (0.7, 0.52)]]


def test_a_heart_is_refused_and_the_closest_digit_shown_small(page: Page):
    errors = PageErrors(page)
    mouse_draw(page, HEART)
    expect(page.locator("#result-error")).to_have_text("That doesn't look like a digit.")
    expect(page.locator("#result-closest")).to_be_visible()
    expect(page.locator("#result-closest-digit")).to_have_text(re.compile(r"^[0-9]$"))
    expect(page.locator("#result-body")).to_be_hidden()
    assert not errors.messages


@pytest.mark.parametrize(("strokes", "digit"), [(FLAGGED_ONE, 1), (BASED_ONE, 1), (CROSSED_SEVEN, 7)])
def test_other_hands_are_read_as_meant(page: Page, strokes, digit):
    mouse_draw(page, strokes)
    expect_digit(page, digit)
    expect(page.locator("#result-closest")).to_be_hidden()
