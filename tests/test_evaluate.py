"""`flask evaluate`: labelled images through the API's own path, with the figures a person reads."""

from __future__ import annotations

import json

from digitpred import create_app
from digitpred.evaluation.report import evaluate, write_html
from tests.helpers import canvas_png


def test_evaluate_reads_every_image_even_when_the_app_has_a_rate_limit(config, heldout, tmp_path):
    """Evaluation sends thousands of requests from one place: the rate limit must not turn them into errors."""
    images, labels = heldout
    for i, (digit, label) in enumerate(zip(images[:4], labels[:4], strict=True)):
        folder = tmp_path / "set" / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.png").write_bytes(canvas_png(digit))
    app = create_app({**config, "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "1 per minute"})
    out = tmp_path / "figures.json"
    result = app.test_cli_runner().invoke(
        args=["evaluate", str(tmp_path / "set"), "--json", str(out), "--report", str(tmp_path / "report.html")]
    )
    assert result.exit_code == 0, result.output
    (figures,) = json.loads(out.read_text())
    assert figures["images"] == 4 and figures["errors"] == 0, figures
    assert (tmp_path / "report.html").is_file()


def test_the_unsure_flag_is_counted_among_mistakes_and_right_answers(tmp_path):
    """Three images of 7 and one of 1; the answers, in file order, say whether they are sure."""
    for name, label in (("a", 7), ("b", 7), ("c", 7), ("d", 1)):
        (tmp_path / str(label)).mkdir(exist_ok=True)
        (tmp_path / str(label) / f"{name}.png").write_bytes(name.encode())
    answers = {  # image -> (digit, unsure)
        b"a": (7, False),
        b"b": (7, True),
        b"c": (1, True),
        b"d": (7, False),
    }

    def predict(data: bytes) -> dict:
        digit, unsure = answers[data]
        return {"digit": digit, "confidence": 0.5 if unsure else 0.99, "uncertain": unsure, "input": ""}

    report = evaluate(tmp_path, predict)
    assert report.accuracy == 0.5
    assert report.flagged() == {"mistakes": 0.5, "right": 0.5}
    assert report.summary()["flagged_uncertain"] == {"mistakes": 0.5, "right": 0.5}
    page = write_html([report], tmp_path / "report.html").read_text()
    assert "flagged unsure" in page and "<td>50%</td><td>50.0%</td>" in page
