"""What a test can read of a PDF without a PDF library: fpdf2 writes its text as strings
in (deflated) content streams; this inflates them and gives their text back."""

import re
import zlib

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
SHOWN = re.compile(rb"\((.*?)(?<!\\)\)\s*Tj", re.S)


def pdf_text(data: bytes) -> str:
    """The text shown on the pages, one string per text run, joined with newlines."""
    runs: list[str] = []
    for raw in STREAM.findall(data):
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            content = raw
        for shown in SHOWN.findall(content):
            text = re.sub(rb"\\([()\\])", rb"\1", shown)
            runs.append(text.decode("latin-1"))
    return "\n".join(runs)


FONT = re.compile(rb"/F\d+\s+([\d.]+)\s+Tf")


def font_sizes(data: bytes) -> set[float]:
    """Every font size the pages' text is set in, in points."""
    sizes: set[float] = set()
    for raw in STREAM.findall(data):
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            content = raw
        sizes.update(float(size) for size in FONT.findall(content))
    return sizes
