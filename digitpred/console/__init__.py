"""The `digitpred` command, for people who do not know Flask: `digitpred predict` reads files, folders and PDFs
on this machine or a Dask cluster, `digitpred serve` starts the production server. Installed as a console script
(pyproject.toml) and run by `python -m digitpred`."""

from __future__ import annotations

import click

from digitpred import __version__
from digitpred.console.predict import predict_command
from digitpred.console.serve import serve_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digitpred")
def main() -> None:
    """Handwritten digit recognition."""


main.add_command(predict_command)
main.add_command(serve_command)
