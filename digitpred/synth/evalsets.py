"""Realistic evaluation sets made from held-out MNIST digits only (never trained on): canvas drawings, phone
photos of paper, and low-resolution scans. Each set is a folder DIR/<digit>/<n>.<ext>."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from digitpred.evaluation.report import NOT_A_DIGIT_FOLDER
from digitpred.synth.render import Stroke, draw, place
from digitpred.synth.strokes import colours

# Added to --seed for each set; fixed, so that a set stays the same as kinds are added.
SEEDS = {
    **{"canvas": 0, "photo": 1, "scan": 2, "numbers": 3, "tiny": 4, "notebook": 5, "styles": 6, "nondigits": 7},
    "decimals": 8,
    "pages": 9,
}


def _encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def canvas(digit: np.ndarray, rng: np.random.Generator) -> tuple[bytes, str]:
    """What the page sends: a 280×280 PNG, digit small or large, anywhere, thin or thick pen, any colours."""
    height = rng.uniform(40, 240)
    width = rng.uniform(2, 40) if rng.random() < 0.8 else rng.uniform(2, 8)
    width = min(width, height / 3)
    centre = place(height, width, rng)
    ink, background = colours(rng)
    img = draw(digit, Stroke(height, centre, width, ink, background))
    if rng.random() < 0.15:
        # A stray dot away from the digit, as a careless tap leaves.
        from PIL import ImageDraw

        x, y = rng.uniform(5, 275, 2)
        r = rng.uniform(1, 3)
        ImageDraw.Draw(img).ellipse([x - r, y - r, x + r, y + r], fill=ink)
    return _encode(img, "PNG"), "png"


def photo(
    digit: np.ndarray, rng: np.random.Generator, size: tuple[int, int] | None = None, lines: str | None = None
) -> tuple[bytes, str]:
    """A phone photo of a digit written on paper: uneven light, a shadow, tint, noise, blur, a slight
    rotation, JPEG, and often stored sideways with an EXIF orientation. `lines` ("ruled" or "squared") prints
    a notebook's lines on the paper, under the ink."""
    w, h = (int(v) for v in rng.choice([(1200, 1600), (900, 1200), (1536, 2048), (1000, 1000)]))
    if rng.random() < 0.5:
        w, h = h, w
    if size:
        w, h = size
    share = rng.uniform(0.05, 0.6)  # of the frame's area the digit's box covers
    height = np.sqrt(share * w * h / 0.7)
    height = min(height, 0.7 * min(w, h))
    pen = height * rng.uniform(0.04, 0.12)
    margin = height / 2 + pen
    centre = (rng.uniform(margin, w - margin), rng.uniform(margin, h - margin))
    paper = np.array([rng.uniform(200, 250), rng.uniform(195, 245), rng.uniform(180, 240)])
    ink = rng.uniform(10, 80, 3) * np.array([1, 1, rng.uniform(1, 2.5)])
    mask = np.asarray(draw(digit, Stroke(height, centre, pen), size=(w, h), supersample=1).convert("L"), np.float32)
    mask = 1.0 - mask / 255.0
    sheet = paper[None, None, :] * _notebook_lines(lines, (w, h), height, rng) if lines else paper[None, None, :]
    img = sheet * (1 - mask[..., None]) + np.clip(ink, 0, 255)[None, None, :] * mask[..., None]
    # Light falling off across the page, and a soft shadow over part of it.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xx / w + np.sin(angle) * yy / h
    light = 1.0 - rng.uniform(0.1, 0.45) * (ramp - ramp.min()) / max(ramp.max() - ramp.min(), 1e-6)
    if rng.random() < 0.6:
        sx = rng.uniform(0, w)
        edge = 0.5 * (1 + np.tanh((xx - sx - 0.3 * (yy - h / 2)) / (2 * rng.uniform(10, 60))))
        light *= 1.0 - rng.uniform(0.2, 0.45) * edge
    img = img * light[..., None]
    img += rng.normal(0, rng.uniform(2, 8), img.shape)
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
    out = out.rotate(rng.uniform(-8, 8), resample=Image.BILINEAR, fillcolor=tuple(int(v * 0.8) for v in paper))
    out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 2.0)))
    orientation = int(rng.choice([1, 1, 3, 6, 8]))
    stored = {
        1: out,
        3: out.transpose(Image.Transpose.ROTATE_180),
        6: out.transpose(Image.Transpose.ROTATE_90),
        8: out.transpose(Image.Transpose.ROTATE_270),
    }[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _encode(stored, "JPEG", quality=int(rng.integers(70, 95)), exif=exif), "jpg"


def _notebook_lines(lines: str, size: tuple[int, int], height: float, rng: np.random.Generator) -> np.ndarray:
    """How much light a notebook's printed lines leave (h×w×3, 1 on bare paper): light blue or grey lines a
    pixel or three wide, spaced half to 1.2 times the digit's height, across the page and, squared, down it."""
    w, h = size
    spacing = height * rng.uniform(0.5, 1.2)
    width = max(1.0, min(w, h) * rng.uniform(0.001, 0.003))
    depth = rng.uniform(0.15, 0.45)
    colour = np.array([1.0, 0.75, 0.25]) if rng.random() < 0.7 else np.ones(3)  # how much each channel darkens

    def rule(n: int) -> np.ndarray:
        distance = np.abs(
            (np.arange(n, dtype=np.float32) - rng.uniform(0, spacing) + spacing / 2) % spacing - spacing / 2
        )
        return np.clip(width / 2 + 0.5 - distance, 0.0, 1.0)

    cover = np.broadcast_to(rule(h)[:, None], (h, w))
    if lines == "squared":
        cover = np.maximum(cover, rule(w)[None, :])
    return 1.0 - cover[..., None] * depth * colour[None, None, :]


def notebook(digit: np.ndarray, rng: np.random.Generator, size: tuple[int, int] | None = None) -> tuple[bytes, str]:
    """A phone photo of a digit written in a notebook, on ruled or squared paper."""
    return photo(digit, rng, size=size, lines="ruled" if rng.random() < 0.5 else "squared")


def scan(digit: np.ndarray, rng: np.random.Generator) -> tuple[bytes, str]:
    """A low-resolution scan or thumbnail: the digit 8–32 pixels tall, then enlarged (blocky or blurred),
    sometimes thick-penned, stored as grey, palette, 16-bit or RGBA."""
    small = int(rng.integers(8, 33))
    side = small + int(rng.integers(2, 10))
    pen = small * rng.uniform(0.08, 0.3)
    img = draw(digit, Stroke(small * 0.9, (side / 2, side / 2), pen), size=(side, side), supersample=4)
    grey = np.asarray(img.convert("L"), dtype=np.float32)
    grey = 235 - (235 - grey) * rng.uniform(0.5, 1.0) + rng.normal(0, 4, grey.shape)
    low = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L")
    scale = int(rng.integers(3, 12))
    big = low.resize((side * scale, side * scale), Image.NEAREST if rng.random() < 0.5 else Image.BICUBIC)
    if rng.random() < 0.4:
        big = big.filter(ImageFilter.GaussianBlur(scale * rng.uniform(0.2, 0.6)))
    mode = rng.integers(4)
    if mode == 0:
        return _encode(big, "PNG"), "png"
    if mode == 1:
        return _encode(big.convert("P", palette=Image.Palette.ADAPTIVE, colors=16), "PNG"), "png"
    if mode == 2:
        wide = Image.fromarray(np.asarray(big, dtype=np.uint16) * 257)
        return _encode(wide, "PNG"), "png"
    return _encode(big, "JPEG", quality=int(rng.integers(40, 90))), "jpg"


def tiny(digit: np.ndarray, rng: np.random.Generator, fewest: int = 8) -> tuple[bytes, str]:
    """A digit scanned at a handful of cells (`fewest` to 16 a side) and enlarged: the old NIST way of making small
    digits, where a binary bitmap of the digit filling its frame is counted in blocks. The digit runs up to
    the frame's edges; the cells are then blown up blocky or smooth, dark on light or light on dark."""
    cells = int(rng.integers(fewest, 17))
    block = 4
    side = cells * block
    ys, xs = np.nonzero(digit > 40)
    box = digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = box.shape
    scale = side / max(h, w) * rng.uniform(0.85, 1.0)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    bitmap = np.asarray(Image.fromarray(box).resize(size, Image.BILINEAR)) > rng.uniform(60, 140)
    frame = np.zeros((side, side), dtype=np.float32)
    top, left = (side - size[1]) // 2, (side - size[0]) // 2
    frame[top : top + size[1], left : left + size[0]] = bitmap
    levels = frame.reshape(cells, block, cells, block).sum(axis=(1, 3))  # 0..16 per cell
    ink = levels / 16.0
    paper, pen = rng.uniform(200, 255), rng.uniform(0, 70)
    grey = paper - (paper - pen) * ink
    if rng.random() < 0.3:
        grey = 255.0 - grey
    low = Image.fromarray(np.clip(np.round(grey), 0, 255).astype(np.uint8), "L")
    enlarge = int(rng.integers(4, 17))
    big = low.resize((cells * enlarge, cells * enlarge), Image.NEAREST if rng.random() < 0.5 else Image.BICUBIC)
    return _encode(big, "PNG"), "png"


MAKERS: dict[str, Callable[[np.ndarray, np.random.Generator], tuple[bytes, str]]] = {
    "canvas": canvas,
    "photo": photo,
    "scan": scan,
    "tiny": tiny,
    "notebook": notebook,
}


def styled(digit: np.ndarray, label: int, rng: np.random.Generator) -> tuple[bytes, str]:
    """A held-out digit in another hand, drawn on the pad: half from our stroke programs for its label (a
    flagged 1, a crossed 7, an open 4, ...), half the digit itself redrawn with a tablet's pen and, for 0, 1
    and 7, given a slash, a flag or a bar. Digits with no program of their own (6, 8) are always redrawn."""
    from digitpred.synth.styles import PROGRAMS
    from digitpred.synth.styles import styled as draw_styled

    own = label in PROGRAMS and rng.random() < 0.5
    return _encode(draw_styled(label, rng, None if own else digit), "PNG"), "png"


def not_a_digit(digits: np.ndarray, rng: np.random.Generator) -> tuple[bytes, str]:
    """Something that is not a digit, from the makers training never uses: other fonts, other doodles, and
    pairs of held-out digits."""
    from digitpred.synth.negatives import negative

    return _encode(negative(rng, held_out=True, digits=digits)[0], "PNG"), "png"


LABELLED = {"styles": styled}  # makers that need the digit's label
KINDS = (*MAKERS, *LABELLED, "nondigits")


def generate(kind: str, images: np.ndarray, labels: np.ndarray, out_dir: str | Path, seed: int = 0) -> int:
    """Write one image per held-out digit into out_dir/<label>/ (for "nondigits", as many things that are not
    digits into out_dir/not-a-digit/, the digits feeding its pairs); returns how many were written."""
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    for i, (digit, label) in enumerate(zip(images, labels, strict=False)):
        if kind == "nondigits":
            data, ext = not_a_digit(images, rng)
        elif kind in LABELLED:
            data, ext = LABELLED[kind](digit, int(label), rng)
        else:
            data, ext = MAKERS[kind](digit, rng)
        folder = out_dir / (str(int(label)) if kind != "nondigits" else NOT_A_DIGIT_FOLDER)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i:05d}.{ext}").write_bytes(data)
    return len(images)


def number(
    digits: np.ndarray,
    rng: np.random.Generator,
    photographed: bool | None = None,
    minus: bool = False,
    point: int | None = None,
) -> tuple[bytes, str, dict]:
    """A number written in a row on a wide canvas: digits of varying size and height, some touching, some
    with broken strokes, now and then photographed on paper. With `minus`, a short bar before the first digit;
    with `point`, a dot or a comma on the baseline before digit number `point`. Returns the bytes, the suffix
    and what it has."""
    canvas, info = written_number(digits, rng, minus, point)
    if photographed if photographed is not None else rng.random() < 0.2:
        info["photographed"] = True
        return _encode(photographed_paper(canvas, rng), "JPEG", quality=85), "jpg", info
    return _encode(canvas, "PNG"), "png", info


def photographed_paper(canvas: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Paper under a phone's camera: a warm cast, light falling off across it, sensor noise, a little blur."""
    img = np.asarray(canvas.convert("RGB"), dtype=np.float32)
    ramp = np.linspace(1.0, rng.uniform(0.6, 0.9), canvas.width)[None, :, None]
    img = img * np.array([0.92, 0.9, 0.82]) * ramp + rng.normal(0, 5, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.0))


def written_number(
    digits: np.ndarray, rng: np.random.Generator, minus: bool = False, point: int | None = None
) -> tuple[Image.Image, dict]:
    """The number's drawing on white (RGBA) and what it has (see number)."""
    from digitpred.synth.render import skeleton

    base = rng.uniform(60, 130)
    pen = rng.uniform(0.06, 0.16) * base
    touching = rng.random() < 0.25 and point is None and not minus
    broken = rng.random() < 0.2
    layers, marks, x = [], [], 20.0
    middle = base * 0.8  # the digits' centres lie about here
    if minus:
        length = rng.uniform(0.3, 0.55) * base
        y = middle + rng.uniform(-0.12, 0.12) * base
        tilt = rng.uniform(-0.08, 0.08) * length
        marks.append(("line", [(x, y - tilt / 2), (x + length, y + tilt / 2)]))
        x += length + rng.uniform(0.12, 0.35) * base
    for k, digit in enumerate(digits):
        if k == point:
            x += rng.uniform(0.0, 0.1) * base
            r = pen * rng.uniform(0.55, 0.85)
            y = middle + base * 0.5 - r * rng.uniform(0.5, 1.5)  # on the baseline, give or take
            if rng.random() < 0.7:
                marks.append(("dot", [(x - r, y - r), (x + r, y + r)]))
            else:  # a comma: a short stroke down and to the left from the baseline
                marks.append(("line", [(x + r * 0.4, y - r), (x - r * 0.6, y + r * 2.2)]))
            x += 2 * r + rng.uniform(0.1, 0.25) * base
        points, _ = skeleton(digit)
        extent = points.max(axis=0) - points.min(axis=0)
        height = base * rng.uniform(0.8, 1.15)
        width = max(extent[0] / max(extent[1], 1e-6) * height, pen)
        gap = rng.uniform(-0.08, 0.02) * base if touching else rng.uniform(0.1, 0.4) * base
        centre = (x + width / 2 + pen / 2, base * 0.8 + rng.uniform(-0.12, 0.12) * base)
        layers.append((digit, Stroke(height, centre, pen, background=(0, 0, 0, 0)), broken and rng.random() < 0.5))
        x += width + pen + gap
    size = (int(x + 20), int(base * 1.6))
    canvas = Image.new("RGBA", size, (255, 255, 255, 255))
    for digit, stroke, gaps in layers:
        canvas.alpha_composite(draw(digit, stroke, size=size, gaps=0.25 if gaps else 0.0, rng=rng))
    if marks:
        from PIL import ImageDraw

        pen_draw = ImageDraw.Draw(canvas)
        for kind, where in marks:
            if kind == "dot":
                pen_draw.ellipse(where, fill=(0, 0, 0, 255))
            else:
                pen_draw.line(where, fill=(0, 0, 0, 255), width=max(1, round(pen)))
                for end in where:  # round ends, as a pen leaves
                    pen_draw.ellipse(
                        [end[0] - pen / 2, end[1] - pen / 2, end[0] + pen / 2, end[1] + pen / 2], fill=(0, 0, 0, 255)
                    )
    return canvas, {"touching": touching, "broken": broken, "photographed": False}


def number_text(labels, minus: bool, point: int | None) -> str:
    """How a number with these digit labels, sign and point (before digit number `point`) is written: "-12.50"."""
    digits = [str(int(d)) for d in labels]
    if point is not None:
        digits.insert(point, ".")
    return ("-" if minus else "") + "".join(digits)


def number_parts(text: str) -> tuple[list[int], bool, int | None]:
    """number_text backwards: the digits, whether there is a minus sign, and where the point is (or None)."""
    body = text.removeprefix("-")
    return [int(c) for c in body if c.isdigit()], text.startswith("-"), body.find(".") if "." in body else None


def generate_numbers(
    images: np.ndarray, labels: np.ndarray, out_dir: str | Path, count: int, seed: int = 0, signs: bool = False
) -> int:
    """Write `count` numbers of 2 to 8 held-out digits and a labels.csv of path,number,touching,broken,photo.
    With `signs`, numbers as prices and readings are written: half with a minus sign, most with a decimal point
    (labels such as -12.50); the number of digits is then 1 to 6."""
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = ["path,number,touching,broken,photographed"]
    for i in range(count):
        pick = rng.choice(len(images), int(rng.integers(1, 7) if signs else rng.integers(2, 9)), replace=False)
        minus = signs and rng.random() < 0.5
        point = int(rng.integers(1, len(pick))) if signs and len(pick) > 1 and rng.random() < 0.8 else None
        data, ext, info = number(images[pick], rng, minus=minus, point=point)
        name = f"{i:05d}.{ext}"
        (out_dir / name).write_bytes(data)
        text = number_text(labels[pick], minus, point)
        rows.append(f"{name},{text},{int(info['touching'])},{int(info['broken'])},{int(info['photographed'])}")
    (out_dir / "labels.csv").write_text("\n".join(rows) + "\n")
    return count


def page(numbers: list[list[tuple[np.ndarray, bool, int | None]]], rng: np.random.Generator) -> tuple[bytes, str, dict]:
    """A page of lines of numbers: each line one or two numbers (digits, minus, point) apart, lines of their own
    size, slant and indent; drawn, photographed or scanned. Returns the bytes, the suffix and what it has."""
    drawn, flags = [], {"touching": False, "broken": False}
    for line in numbers:
        parts = []
        for digits, minus, point in line:
            canvas, info = written_number(digits, rng, minus, point)
            flags = {k: flags[k] or info[k] for k in flags}
            scale = rng.uniform(0.6, 1.0)
            parts.append(canvas.resize((max(1, int(canvas.width * scale)), max(1, int(canvas.height * scale)))))
        height = max(p.height for p in parts)
        gap = int(rng.uniform(1.8, 3.0) * height)
        width = sum(p.width for p in parts) + gap * (len(parts) - 1)
        strip = Image.new("RGBA", (width, height), (255, 255, 255, 0))
        x = 0
        for p in parts:
            strip.alpha_composite(p, (x, height - p.height))
            x += p.width + gap
        drawn.append(strip.rotate(rng.uniform(-4, 4), resample=Image.BICUBIC, expand=True))
    width = int(max(d.width for d in drawn) * rng.uniform(1.15, 1.5) + 40)
    spacing = [int(rng.uniform(0.15, 0.5) * d.height) for d in drawn]
    height = sum(d.height for d in drawn) + sum(spacing) + 60
    sheet = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    y = 30
    for d, space in zip(drawn, spacing, strict=True):
        sheet.alpha_composite(d, (int(rng.uniform(10, max(11, width - d.width - 10))), y))
        y += d.height + space
    roll = rng.random()
    if roll < 0.25:
        return (
            _encode(photographed_paper(sheet, rng), "JPEG", quality=85),
            "jpg",
            {**flags, "photographed": True, "scanned": False},
        )
    if roll < 0.45:
        grey = sheet.convert("L").filter(ImageFilter.GaussianBlur(0.7))
        noisy = np.asarray(grey, dtype=np.float32) * 0.95 + 8 + rng.normal(0, 3, (grey.height, grey.width))
        scanned = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
        return _encode(scanned, "JPEG", quality=80), "jpg", {**flags, "photographed": False, "scanned": True}
    return _encode(sheet.convert("RGB"), "PNG"), "png", {**flags, "photographed": False, "scanned": False}


def generate_pages(images: np.ndarray, labels: np.ndarray, out_dir: str | Path, count: int, seed: int = 0) -> int:
    """Write `count` pages of 2 to 6 lines (a line: one number, sometimes two) from held-out digits, and a
    labels.csv of path,lines,touching,broken,photographed,scanned; `lines` is what mode=lines answers: the numbers
    of a line apart by a space, the lines by " / ". A page is touching or broken when any of its numbers is."""
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = ["path,lines,touching,broken,photographed,scanned"]
    for i in range(count):
        lines, texts = [], []
        for _ in range(int(rng.integers(2, 7))):
            line, words = [], []
            for _ in range(2 if rng.random() < 0.2 else 1):
                pick = rng.choice(len(images), int(rng.integers(1, 6)), replace=False)
                minus = rng.random() < 0.2
                point = int(rng.integers(1, len(pick))) if len(pick) > 1 and rng.random() < 0.3 else None
                line.append((images[pick], minus, point))
                words.append(number_text(labels[pick], minus, point))
            lines.append(line)
            texts.append(" ".join(words))
        data, ext, info = page(lines, rng)
        name = f"{i:05d}.{ext}"
        (out_dir / name).write_bytes(data)
        flags = ",".join(str(int(info[k])) for k in ("touching", "broken", "photographed", "scanned"))
        rows.append(f"{name},{' / '.join(texts)},{flags}")
    (out_dir / "labels.csv").write_text("\n".join(rows) + "\n")
    return count
