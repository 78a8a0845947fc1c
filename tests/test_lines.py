"""mode=lines on the shipped model: every number on a page, line by line, through the service, the API, the batch
endpoint and the command line; and the page sets that `flask evaluate` reads."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitpred.ml.errors import NoDigit
from digitpred.ml.service import LinesReading, predict_lines
from tests.helpers import png_bytes


def sheet(lines: list[str], clear_digits, slant: float = 0.0, indents=None, gap: float = 2.0) -> bytes:
    """Each line's text (digits, "-", ".", and spaces between numbers `gap` heights apart) written with the clear
    digits."""
    from digitpred.synth.evalsets import number_parts, written_number

    rng = np.random.default_rng(11)
    rows = []
    for text in lines:
        parts = []
        for word in text.split():
            labels, minus, point = number_parts(word)
            digits = np.stack([clear_digits[d] for d in labels])
            while True:  # plain numbers: no touching or broken digits
                canvas, info = written_number(digits, rng, minus=minus, point=point)
                if not (info["touching"] or info["broken"]):
                    break
            parts.append(canvas.convert("L"))
        height = max(p.height for p in parts)
        space = round(gap * height)
        row = Image.new("L", (sum(p.width for p in parts) + space * (len(parts) - 1), height), 255)
        x = 0
        for p in parts:
            row.paste(p, (x, height - p.height))
            x += p.width + space
        rows.append(row.rotate(slant, fillcolor=255, expand=True))
    indents = indents or [40] * len(rows)
    page = Image.new(
        "L", (max(r.width + i for r, i in zip(rows, indents, strict=True)) + 40, sum(r.height for r in rows) + 80), 255
    )
    y = 40
    for r, i in zip(rows, indents, strict=True):
        page.paste(r, (i, y))
        y += r.height
    return png_bytes(page)


def test_lines_top_to_bottom_and_numbers_apart(clear_digits, model):
    reading = predict_lines(sheet(["12.5", "-7 406", "3309"], clear_digits, indents=[40, 300, 120]), model)
    assert isinstance(reading, LinesReading)
    assert reading.answer == "12.5 / -7 406 / 3309"
    body = reading.to_dict()
    assert [(e["line"], e["number"]) for e in body["lines"]] == [(0, "12.5"), (1, "-7"), (1, "406"), (2, "3309")]
    # Boxes in the page's pixels, each line below the one before.
    tops = [e["box"][1] for e in body["lines"]]
    assert tops[0] < min(tops[1], tops[2]) and tops[3] > max(tops[1], tops[2])
    assert [m["kind"] for m in body["lines"][0]["marks"]] == ["digit", "digit", "point", "digit"]


def test_numbers_far_apart_on_one_line(clear_digits, model):
    # Wider apart than a stroke may be from its line's nearest stroke: two lines at first, merged as one.
    reading = predict_lines(sheet(["25 7", "81"], clear_digits, gap=10), model)
    assert reading.answer == "25 7 / 81"


def test_slanted_lines(clear_digits, model):
    assert predict_lines(sheet(["85", "2910"], clear_digits, slant=3.0), model).answer == "85 / 2910"


def test_a_point_on_a_slanted_line_is_low_against_the_digits_beside_it(clear_digits, model):
    """On a line falling to the right the point after the 5 sits higher than the row's median baseline; against
    the 5 and the 0 beside it, it is on the baseline."""
    assert predict_lines(sheet(["5.08"], clear_digits, slant=-7.0), model).answer == "5.08"


def test_a_blank_page_is_no_digit(model):
    with pytest.raises(NoDigit):
        predict_lines(png_bytes(Image.new("L", (400, 300), 255)), model)


def test_a_scribble_beside_the_numbers_is_left_out(clear_digits, model):
    data = sheet(["47"], clear_digits)
    page = Image.open(io.BytesIO(data)).convert("L")
    bigger = Image.new("L", (page.width, page.height + 300), 255)
    bigger.paste(page, (0, 0))
    ImageDraw.Draw(bigger).line(
        [(40, page.height + 150), (120, page.height + 90), (60, page.height + 250), (200, page.height + 100)],
        fill=0,
        width=10,
    )  # a zigzag doodle, a line of its own
    reading = predict_lines(png_bytes(bigger), model)
    assert reading.answer.split(" / ")[0] == "47"


def test_the_api_the_batch_and_the_command_line_take_the_mode(clear_digits, real_client, tmp_path):
    data = sheet(["51", "-0.3"], clear_digits)
    rv = real_client.post("/api/predict?mode=lines", data=data, content_type="image/png")
    assert rv.status_code == 200, rv.json
    assert [e["number"] for e in rv.json["lines"]] == ["51", "-0.3"]
    rv = real_client.post("/api/predict/batch?mode=lines", data={"images": [(io.BytesIO(data), "p.png")]})
    assert [e["number"] for e in rv.json["results"][0]["lines"]] == ["51", "-0.3"]
    rv = real_client.post("/api/predict/batch?mode=pages", data={"images": [(io.BytesIO(data), "p.png")]})
    assert rv.status_code == 400 and rv.json["error"]["code"] == "invalid_mode"

    from click.testing import CliRunner

    from digitpred.console import main

    (tmp_path / "page.png").write_bytes(data)
    result = CliRunner().invoke(main, ["predict", str(tmp_path / "page.png"), "--mode", "lines", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split(",")[2] == "51 / -0.3"


def test_evaluate_reads_a_page_set(runner, tmp_path):
    from digitpred.mnist import read_idx
    from tests.helpers import RESOURCES

    images = read_idx(RESOURCES / "heldout-images-idx3-ubyte.gz")
    labels = read_idx(RESOURCES / "heldout-labels-idx1-ubyte.gz")
    from digitpred.synth.evalsets import generate_pages

    generate_pages(images, labels, tmp_path / "pages", 4, seed=1)
    header = (tmp_path / "pages" / "labels.csv").read_text().splitlines()[0]
    assert header == "path,lines,touching,broken,photographed,scanned"
    result = runner.invoke(args=["evaluate", str(tmp_path / "pages")])
    assert result.exit_code == 0, result.output
    assert "pages [all]:" in result.output and "of their lines read exactly" in result.output


def test_a_digit_broken_into_two_halves_one_over_the_other_is_one_line():
    """The halves of a 1 drawn in two strokes, nearly touching, stay on one line; the line below stays apart."""
    from digitpred.ml.lines import _chain
    from digitpred.ml.segment import Group

    top, bottom = Group([1], 100, 108, 40, 72, 1.0), Group([2], 98, 106, 75, 110, 1.0)
    below = [Group([3 + i], 60 + 40 * i, 90 + 40 * i, 170, 240, 1.0) for i in range(3)]
    lines = _chain([top, bottom, *below])
    assert len(lines) == 2
    assert {id(g) for g in lines[0]} == {id(top), id(bottom)}


def _inked_rows(img: Image.Image) -> np.ndarray:
    return np.flatnonzero((np.asarray(img) < 128).any(axis=1))


def test_a_small_number_just_over_a_big_one_is_a_line_of_its_own(clear_digits, model):
    """Small digits written just above a big number are a number, not pieces of the big one's digits (the two
    were read as one line and refused)."""
    small = Image.open(io.BytesIO(sheet(["29"], clear_digits))).convert("L")
    big = Image.open(io.BytesIO(sheet(["18"], clear_digits))).convert("L")
    small = small.resize((small.width * 2 // 5, small.height * 2 // 5))
    s1 = _inked_rows(small)[-1]
    b0, b1 = _inked_rows(big)[[0, -1]]
    page = Image.new("L", (big.width + 80, 600), 255)
    page.paste(big, (40, 250 - b0))
    # The small number's digits end a third of the big ones' height above them, over their columns.
    page.paste(small, (100, 250 - (b1 - b0) // 3 - s1))
    assert predict_lines(png_bytes(page), model).answer == "29 / 18"


def test_the_bar_of_a_small_five_stays_with_its_small_number():
    """A small 5 whose bar came apart, on a page of bigger numbers: the bar folds into the small number's line,
    not into a line of its own (it was read as a 2 on a line of its own, and the 51 as 31)."""
    from digitpred.ml.lines import _chain
    from digitpred.ml.segment import Group

    body, bar, one = Group([1], 66, 76, 17, 31, 1.0), Group([2], 75, 86, 13, 17, 1.0), Group([3], 92, 96, 14, 30, 1.0)
    big = [Group([4 + i], 20 + 40 * i, 50 + 40 * i, 60, 95, 1.0) for i in range(3)]
    lines = _chain([body, bar, one, *big])
    assert len(lines) == 2
    assert {id(g) for g in lines[0]} == {id(body), id(bar), id(one)}


def big_and_small(clear_digits, big: str, grow: int, shrink: float, width: int, at: int) -> tuple[Image.Image, int]:
    """A page with a big number (`grow` times its drawn size) over a small one (`shrink` times), the small one
    starting `at` pixels from the left: the page and the small number's width."""
    large = Image.open(io.BytesIO(sheet([big], clear_digits)))
    small = Image.open(io.BytesIO(sheet(["7.6"], clear_digits)))
    large = large.resize((large.width * grow, large.height * grow), Image.BICUBIC)
    small = small.resize((round(small.width * shrink), round(small.height * shrink)), Image.BICUBIC)
    page = Image.new("L", (width, large.height + small.height + 200), 255)
    page.paste(large, (100, 50))
    page.paste(small, (at, large.height + 100))
    return page, small.width


def test_a_small_number_on_a_big_page_is_read_from_the_picture_itself(clear_digits, model):
    """On a page the ink map shrinks fourfold, a small number is a few pixels tall there and its point is lost: each
    number is cut again from the picture, at its own resolution."""
    page, small_width = big_and_small(clear_digits, "85", 3, 0.3, 2400, 1500)
    reading = predict_lines(png_bytes(page), model)
    assert reading.answer == "85 / 7.6"
    small_box = reading.to_dict()["lines"][1]["box"]
    assert 1500 <= small_box[0] <= 1500 + small_width


def test_a_number_cut_again_from_a_huge_page_is_no_taller_than_a_drawn_one(clear_digits, model):
    """Cutting a number again from the picture gains detail only up to the size of a drawn number: a big number on
    a huge page is cut at a fraction of its pixels, which would cost time and memory and show nothing more."""
    from digitpred.ml.lines import SHARP_HEIGHT, find_numbers

    big = Image.open(io.BytesIO(sheet(["85"], clear_digits)))
    big = big.resize((big.width * 5, big.height * 5), Image.BICUBIC)
    page = Image.new("L", (3000, big.height + 400), 255)
    page.paste(big, (200, 200))
    found = find_numbers(page)
    assert [f.image.height <= 2 * SHARP_HEIGHT for f in found] == [True]
    assert predict_lines(png_bytes(page), model).answer == "85"


def test_the_point_of_a_small_number_beside_big_digits_is_kept(clear_digits, model):
    """On the page, a small number's point weighs under SPECK of a big digit's stroke and is left out of the lines
    as a speck; the number's own reading still gets it, and tells it from a speck against its own digits."""
    from digitpred.ml.lines import SPECK
    from digitpred.ml.preprocess import Options, ink_map
    from digitpred.ml.segment import strokes

    page, _ = big_and_small(clear_digits, "88", 4, 0.4, 1600, 1250)
    masses = sorted(s.mass for s in strokes(ink_map(page, Options()))[1])
    assert masses[0] < SPECK * masses[-1]  # the point is a speck beside the big digits
    assert predict_lines(png_bytes(page), model).answer == "88 / 7.6"


@pytest.mark.parametrize(("specks", "widest"), [(1500, 2), (3000, 3), (5000, 2)])
def test_a_grainy_page_reads_as_the_clean_one(clear_digits, model, specks, widest):
    """Specks inside a number's box go back to it only on a clean page (one may be its point): on a grainy page
    (a noisy scan, a dusty photo) they are noise, and fed to the numbers they turned -12.5 into 12.5 or worse.
    Clumps of grain there were read as numbers of their own (a "4" and a "1" among the lines)."""
    clean = Image.open(io.BytesIO(sheet(["-12.5", "307", "-4.08"], clear_digits))).convert("L")
    grainy = np.asarray(clean).copy()
    rng = np.random.default_rng(0)
    for _ in range(specks):
        y, x = rng.integers(0, grainy.shape[0] - 4), rng.integers(0, grainy.shape[1] - 4)
        side = rng.integers(1, widest + 1)
        grainy[y : y + side, x : x + side] = 0
    assert predict_lines(png_bytes(clean), model).answer == "-12.5 / 307 / -4.08"
    assert predict_lines(png_bytes(Image.fromarray(grainy)), model).answer == "-12.5 / 307 / -4.08"
