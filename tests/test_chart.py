"""The pure-Python PNG bar chart: a valid PNG of the right size, deterministic, bars where expected."""

from __future__ import annotations

import struct
import zlib

import pytest

from connectsbot.chart import BACKGROUND, BAR, HIGHLIGHT, Canvas, bar_chart_png


def _decode(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and raw RGB rows; checks signature, chunk CRCs and that the filter bytes are 0."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, {}
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + data) == crc
        chunks[kind] = data
        offset += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = width * 3 + 1
    rows = [raw[i * stride : (i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


def _pixel(rows: list[bytes], x: int, y: int) -> tuple[int, int, int]:
    r, g, b = rows[y][x * 3 : x * 3 + 3]
    return (r, g, b)


def test_a_valid_png_with_bars_and_highlights() -> None:
    labels = [f"11-{d:02d}" for d in range(8, 22)]
    values = [3, 0, 5, 8, 2, 0, 0, 1, 9, 4, 4, 6, 7, 2]
    png = bar_chart_png(
        labels,
        values,
        highlight=[v // 2 for v in values],
        title="Questions per day",
        legend=("asked", "answered"),
    )
    width, height, rows = _decode(png)
    assert 100 < width < 1000 and 100 < height < 600
    colours = {_pixel(rows, x, y) for y in range(height) for x in range(0, width, 3)}
    assert {BACKGROUND, BAR, HIGHLIGHT} <= colours
    assert png == bar_chart_png(
        labels,
        values,
        highlight=[v // 2 for v in values],
        title="Questions per day",
        legend=("asked", "answered"),
    )


def test_all_zero_and_single_bar() -> None:
    _decode(bar_chart_png(["a"], [0]))
    _decode(bar_chart_png([], []))
    _decode(bar_chart_png(["x"], [1e9], title="big"))


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        bar_chart_png(["a", "b"], [1])
    with pytest.raises(ValueError):
        bar_chart_png(["a"], [1], highlight=[1, 2])
    with pytest.raises(ValueError):
        bar_chart_png(["a"] * 500, [1] * 500)
    with pytest.raises(ValueError):
        Canvas(0, 10)


def test_canvas_clips_and_draws_text() -> None:
    canvas = Canvas(20, 10)
    canvas.text(0, 0, "Ab9?~")
    canvas.rect(-5, -5, 10, 10, (1, 2, 3))
    canvas.rect(15, 5, 100, 100, (4, 5, 6))
    assert canvas.pixel(0, 0) == (1, 2, 3) and canvas.pixel(19, 9) == (4, 5, 6)
    _decode(canvas.png())
