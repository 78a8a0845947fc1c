"""`flask evaluate`: labelled images through the API's own path, with the figures a person reads."""

from __future__ import annotations

import json

from digitpred import create_app
from tests.conftest import canvas_png


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
