"""Sheets for a blind reading by people: the model's mistakes mixed with digits it reads right, unlabelled.

    python scripts/blind_sheets.py make [--out blind] [--controls 50] [--seed 3]
    python scripts/blind_sheets.py score blind/key.json reading.json

`make` runs the shipped model over eval-data/canvas, eval-data/styles, the 10,000 held-out MNIST digits and the
plain pages of eval-data/pages, and draws every digit (or page number) it reads wrong, with `--controls` it reads
right, shuffled and numbered (#1, #2, ...) on sheets OUT/<set>-<n>.png; the answers go to OUT/key.json, which the
readers must not see. A reader writes what each tile holds into a JSON object {"canvas#1": "7", "pages#3":
"-12.5", ...}: a digit, "?" when they cannot tell, or for pages the number with "-" and "." (a "?" for a digit
they cannot tell). `score` says, per set, how many of the mistakes the readers read as labelled, as the model
read them, or could not tell, and how many controls they read right: what share of the model's mistakes are
digits people read, and so what the evaluation sets let any reader reach.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _tile(path: Path, size: int) -> Image.Image:
    """The picture as a person would see it: transparency over grey, upright, shrunk to fit."""
    img = ImageOps.exif_transpose(Image.open(path)).convert("RGBA")
    back = Image.new("RGBA", img.size, (150, 150, 150, 255))
    back.alpha_composite(img)
    img = back.convert("RGB")
    img.thumbnail((size, size))
    return img


def _sheets(out: Path, name: str, items: list, rnd: random.Random, key: dict, cols: int, rows: int, tile: tuple):
    rnd.shuffle(items)
    per, (w, h) = cols * rows, tile
    for start in range(0, len(items), per):
        sheet = Image.new("RGB", (cols * (w + 4), rows * (h + 22)), "white")
        for i, (img, answer) in enumerate(items[start : start + per]):
            x, y = (i % cols) * (w + 4), (i // cols) * (h + 22)
            ImageDraw.Draw(sheet).text((x + 2, y + 2), f"#{start + i + 1}", fill=(200, 0, 0))
            sheet.paste(img, (x, y + 18))
            key[f"{name}#{start + i + 1}"] = answer
        sheet.save(out / f"{name}-{start // per + 1}.png")


def make(out: Path, controls: int, seed: int) -> None:
    import numpy as np

    from digitpred.evaluation.report import lines_answer
    from digitpred.ml.errors import DigitpredError
    from digitpred.ml.model import default_model_path, load_model
    from digitpred.ml.service import Settings, predict_lines, read
    from digitpred.mnist import VALIDATION_SIZE, load_mnist, split

    model = load_model(default_model_path())
    rnd, key = random.Random(seed), {}
    out.mkdir(parents=True, exist_ok=True)
    for name in ("canvas", "styles"):
        wrong, right = [], []
        for folder in sorted((ROOT / "eval-data" / name).iterdir()):
            for path in sorted(folder.iterdir()):
                try:
                    got = str(read(path.read_bytes(), "digit", model, Settings()).to_dict()["digit"])
                except DigitpredError:
                    got = "refused"
                (right if got == folder.name else wrong).append((path, folder.name, got))
        picked = wrong + rnd.sample(right, min(controls, len(right)))
        items = [(_tile(p, 150), {"file": str(p), "label": lab, "model": got}) for p, lab, got in picked]
        _sheets(out, name, items, rnd, key, 5, 4, (150, 150))

    images, labels = load_mnist(ROOT.parent / "shared" / "data" / "mnist")
    _, (x, y) = split(images, labels, VALIDATION_SIZE)
    fields = (x[..., None] / 255.0).astype(np.float32)
    reading = np.concatenate([np.asarray(model(fields[i : i + 500])) for i in range(0, len(x), 500)])
    refused = reading[:, 10] >= Settings().not_a_digit_above if reading.shape[1] > 10 else np.zeros(len(x), bool)
    said = np.where(refused, -1, reading[:, :10].argmax(1))
    wrong = [int(i) for i in np.flatnonzero(said != y)]
    right = rnd.sample([int(i) for i in np.flatnonzero(said == y)], controls)
    items = [
        (
            Image.fromarray(255 - x[i]).resize((112, 112), Image.NEAREST).convert("RGB"),
            {"index": i, "label": str(y[i]), "model": "refused" if said[i] < 0 else str(said[i])},
        )
        for i in wrong + right
    ]
    _sheets(out, "mnist", items, rnd, key, 6, 5, (112, 112))

    pages = ROOT / "eval-data" / "pages"
    items = []
    for line in (pages / "labels.csv").read_text().splitlines()[1:]:
        path, truth, *flags = line.split(",")
        if any(f == "1" for f in flags):
            continue  # plain pages only
        body = predict_lines((pages / path).read_bytes(), model).to_dict()
        numbers = [n for entry in body["lines"] for n in entry.get("numbers", [entry])]
        wanted = " ".join(truth.split(" / ")).split()
        if len(numbers) != len(wanted):
            continue  # a number missed or one too many: no number-by-number pairing to show
        page = ImageOps.exif_transpose(Image.open(pages / path)).convert("RGB")
        right = lines_answer(body) == truth.split(" / ")
        for n, want in zip(numbers, wanted, strict=True):
            if right and rnd.random() > controls / 500:
                continue  # of the pages read right, about a tenth of the numbers (at 50 controls) are shown
            bx, by, bw, bh = n["box"]
            pad = max(10, bh // 4)
            crop = page.crop((bx - pad, by - pad, bx + bw + pad, by + bh + pad))
            crop.thumbnail((420, 110))
            items.append((crop, {"page": path, "truth": want, "model": n["number"]}))
    _sheets(out, "pages", items, rnd, key, 2, 8, (420, 124))
    (out / "key.json").write_text(json.dumps(key, indent=1))
    print(f"{len(key)} tiles on sheets in {out}; the answers in {out / 'key.json'}")


def score(key_path: Path, reading_path: Path) -> None:
    key, reading = json.loads(key_path.read_text()), json.loads(reading_path.read_text())
    counts: dict[str, Counter] = {}
    for tile, answer in key.items():
        name = tile.split("#")[0]
        truth, said, read_as = answer.get("label", answer.get("truth")), answer["model"], reading.get(tile, "?")
        kind = "mistake" if said != truth else "control"
        how = "as labelled" if read_as == truth else "as the model" if read_as == said else "unsure or other"
        counts.setdefault(name, Counter())[kind, how] += 1
    for name, c in counts.items():
        mistakes = sum(v for (kind, _), v in c.items() if kind == "mistake")
        controls = sum(v for (kind, _), v in c.items() if kind == "control")
        print(
            f"{name}: {mistakes} mistakes: {c['mistake', 'as labelled']} read as labelled, "
            f"{c['mistake', 'as the model']} as the model read them, {c['mistake', 'unsure or other']} unsure or "
            f"otherwise; controls read as labelled {c['control', 'as labelled']} of {controls}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", type=Path, default=Path("blind"))
    m.add_argument("--controls", type=int, default=50, help="Digits read right to mix in, per set.")
    m.add_argument("--seed", type=int, default=3)
    s = sub.add_parser("score")
    s.add_argument("key", type=Path)
    s.add_argument("reading", type=Path)
    args = parser.parse_args()
    if args.command == "make":
        make(args.out, args.controls, args.seed)
    else:
        score(args.key, args.reading)


if __name__ == "__main__":
    main()
