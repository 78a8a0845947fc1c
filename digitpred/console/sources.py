"""What `digitpred predict` was given, as a list of sources (files, and standard input), and each source read
into rows: one per image, one per page of a PDF. read_source runs wherever the reading happens: in this process,
in a worker process (--jobs) or on a Dask worker (--scheduler), which each load the model once."""

from __future__ import annotations

import glob
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from digitpred.ml.errors import DigitpredError, InvalidImage, UnreadableFile
from digitpred.ml.service import Settings

# What a folder is searched for; a file named on the command line is always tried, whatever its name.
SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".pdf"}
# PDF pages are drawn at this resolution: a scanner's usual, and enough for a digit a few millimetres high.
PDF_DPI = 150


@dataclass(frozen=True)
class Source:
    name: str  # as the rows show it: the path as given (or found under a folder given), or "-"
    path: str | None = None  # absolute, so that a worker elsewhere on a shared folder finds it
    data: bytes | None = None  # standard input's bytes
    problem: str | None = None  # why nothing can be read from it (a path that does not exist)


def expand(args: Iterable[str], stdin: io.BufferedIOBase | None = None) -> list[Source]:
    """Files as given, folders searched recursively (sorted, hidden entries skipped), glob patterns expanded, and
    "-" read from standard input. A name that matches nothing stays a source, with its problem."""
    sources: list[Source] = []
    for arg in args:
        if arg == "-":
            data = (stdin or os.fdopen(0, "rb", closefd=False)).read()
            sources.append(Source("-", data=data))
        elif os.path.isdir(arg):
            found = sorted(_under(Path(arg)))
            sources.extend(Source(str(p), path=os.path.abspath(p)) for p in found)
            if not found:
                sources.append(Source(arg, problem=f"{arg}: the folder holds no image or PDF files"))
        elif os.path.exists(arg):
            sources.append(Source(arg, path=os.path.abspath(arg)))
        elif glob.has_magic(arg):
            found = sorted(p for p in glob.glob(arg, recursive=True) if os.path.isfile(p))
            sources.extend(Source(p, path=os.path.abspath(p)) for p in found)
            if not found:
                sources.append(Source(arg, problem=f"{arg}: no file matches"))
        else:
            sources.append(Source(arg, problem=f"{arg}: no such file or folder"))
    return sources


def _under(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES:
                yield Path(root) / name


def read_source(source: Source, mode: str, settings: Settings | None = None, dpi: int = PDF_DPI) -> list[dict]:
    """The rows for one source (see rows.row); never raises for bad input: its error is in its row."""
    from digitpred.console.rows import error_row, row
    from digitpred.library import predict, to_bytes

    try:
        if source.problem:
            raise UnreadableFile(source.problem)
        data = source.data if source.data is not None else to_bytes(Path(source.path))
        if data[:5] == b"%PDF-":
            rows = []
            for page, image in pdf_pages(data, dpi):
                try:
                    rows.append(row(source.name, page, predict(image, mode, settings=settings)))
                except DigitpredError as e:
                    rows.append(error_row(source.name, page, e))
            return rows
        return [row(source.name, None, predict(data, mode, settings=settings))]
    except DigitpredError as e:
        return [error_row(source.name, None, e)]
    except Exception as e:  # noqa: BLE001 - a broken file must cost its own row, never the whole run
        return [error_row(source.name, None, DigitpredError(f"{type(e).__name__}: {e}"))]


def pdf_pages(data: bytes, dpi: int = PDF_DPI):
    """Each page of a PDF drawn as a greyscale PIL image, with its number from 1."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise InvalidImage(f"The PDF cannot be read ({e}).") from e
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                yield i + 1, page.render(scale=dpi / 72, grayscale=True).to_pil()
            finally:
                page.close()
    finally:
        pdf.close()
