"""A small bar chart as a PNG, in pure Python (zlib and struct only): the picture `/faq stats` attaches.

One bar per label, optionally with a highlighted part drawn over it (e.g. questions asked, and of
those how many were answered), the value above each bar, the labels below, a title and a legend, in
a built-in 3x5 pixel font scaled up. No fonts, no matplotlib, deterministic bytes for equal input.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

Color = tuple[int, int, int]

BACKGROUND: Color = (255, 255, 255)
AXIS: Color = (90, 90, 90)
TEXT: Color = (40, 40, 40)
BAR: Color = (160, 174, 192)
HIGHLIGHT: Color = (67, 160, 71)

SCALE = 2  # font pixels per glyph pixel
GLYPH_W, GLYPH_H = 3, 5
CHAR_W = (GLYPH_W + 1) * SCALE
TEXT_H = GLYPH_H * SCALE
MAX_BARS = 120
MAX_SIDE = 4000

# A 3x5 pixel font: five rows of three pixels per character ("#" on). Lower case prints as upper case;
# anything else prints as "?".
_FONT_ROWS = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("##.", "..#", ".#.", "#..", "###"),
    "3": ("##.", "..#", ".#.", "..#", "##."),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "##.", "..#", "##."),
    "6": (".##", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "##."),
    "A": (".#.", "#.#", "###", "#.#", "#.#"),
    "B": ("##.", "#.#", "##.", "#.#", "##."),
    "C": (".##", "#..", "#..", "#..", ".##"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "F": ("###", "#..", "##.", "#..", "#.."),
    "G": (".##", "#..", "#.#", "#.#", ".##"),
    "H": ("#.#", "#.#", "###", "#.#", "#.#"),
    "I": ("###", ".#.", ".#.", ".#.", "###"),
    "J": ("..#", "..#", "..#", "#.#", ".#."),
    "K": ("#.#", "#.#", "##.", "#.#", "#.#"),
    "L": ("#..", "#..", "#..", "#..", "###"),
    "M": ("#.#", "###", "###", "#.#", "#.#"),
    "N": ("##.", "#.#", "#.#", "#.#", "#.#"),
    "O": (".#.", "#.#", "#.#", "#.#", ".#."),
    "P": ("##.", "#.#", "##.", "#..", "#.."),
    "Q": (".#.", "#.#", "#.#", "##.", ".##"),
    "R": ("##.", "#.#", "##.", "#.#", "#.#"),
    "S": (".##", "#..", ".#.", "..#", "##."),
    "T": ("###", ".#.", ".#.", ".#.", ".#."),
    "U": ("#.#", "#.#", "#.#", "#.#", "###"),
    "V": ("#.#", "#.#", "#.#", "#.#", ".#."),
    "W": ("#.#", "#.#", "###", "###", "#.#"),
    "X": ("#.#", "#.#", ".#.", "#.#", "#.#"),
    "Y": ("#.#", "#.#", ".#.", ".#.", ".#."),
    "Z": ("###", "..#", ".#.", "#..", "###"),
    " ": ("...", "...", "...", "...", "..."),
    "-": ("...", "...", "###", "...", "..."),
    "/": ("..#", "..#", ".#.", "#..", "#.."),
    ":": ("...", ".#.", "...", ".#.", "..."),
    ".": ("...", "...", "...", "...", ".#."),
    ",": ("...", "...", "...", ".#.", "#.."),
    "%": ("#.#", "..#", ".#.", "#..", "#.#"),
    "(": (".#.", "#..", "#..", "#..", ".#."),
    ")": (".#.", "..#", "..#", "..#", ".#."),
    "+": ("...", ".#.", "###", ".#.", "..."),
    "?": ("##.", "..#", ".#.", "...", ".#."),
}
_FONT = {char: tuple(tuple(cell == "#" for cell in row) for row in rows) for char, rows in _FONT_ROWS.items()}


class Canvas:
    """An RGB pixel buffer that can draw rectangles and text and encode itself as PNG."""

    def __init__(self, width: int, height: int, background: Color = BACKGROUND) -> None:
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise ValueError(f"a chart is 1..{MAX_SIDE} pixels on each side, not {width}x{height}")
        self.width = width
        self.height = height
        self._pixels = bytearray(bytes(background) * (width * height))

    def pixel(self, x: int, y: int) -> Color:
        offset = (y * self.width + x) * 3
        r, g, b = self._pixels[offset : offset + 3]
        return (r, g, b)

    def rect(self, x: int, y: int, width: int, height: int, color: Color) -> None:
        """Fill a rectangle, clipped to the canvas."""
        left, top = max(x, 0), max(y, 0)
        right, bottom = min(x + width, self.width), min(y + height, self.height)
        if left >= right or top >= bottom:
            return
        row = bytes(color) * (right - left)
        for line in range(top, bottom):
            offset = (line * self.width + left) * 3
            self._pixels[offset : offset + len(row)] = row

    def text(self, x: int, y: int, text: str, color: Color = TEXT) -> None:
        for index, char in enumerate(text):
            glyph = _FONT.get(char.upper(), _FONT["?"])
            for row, cells in enumerate(glyph):
                for column, on in enumerate(cells):
                    if on:
                        self.rect(x + index * CHAR_W + column * SCALE, y + row * SCALE, SCALE, SCALE, color)

    def png(self) -> bytes:
        stride = self.width * 3
        raw = b"".join(
            b"\x00" + bytes(self._pixels[line * stride : (line + 1) * stride]) for line in range(self.height)
        )
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b"")
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


def text_width(text: str) -> int:
    return len(text) * CHAR_W - SCALE if text else 0


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def bar_chart_png(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    highlight: Sequence[float] | None = None,
    title: str = "",
    legend: tuple[str, str] | None = None,
    height: int = 240,
    bar_width: int = 18,
) -> bytes:
    """A bar per label (at most MAX_BARS), `highlight` drawn over the bottom of each bar.

    `legend` names the two colours (the whole bar, the highlighted part). Negative values count as 0.
    """
    if len(labels) != len(values) or (highlight is not None and len(highlight) != len(values)):
        raise ValueError("labels, values and highlight must have the same length")
    if len(values) > MAX_BARS:
        raise ValueError(f"at most {MAX_BARS} bars")
    values = [max(0.0, float(v)) for v in values]
    marked = [max(0.0, float(v)) for v in highlight] if highlight is not None else None
    gap = max(4, bar_width // 3)
    label_every = _label_every(labels, bar_width + gap)
    margin = 12
    top = margin + (TEXT_H + 8 if title else 0) + (TEXT_H + 8 if legend else 0) + TEXT_H + 4
    bottom_space = TEXT_H + 10
    plot_height = max(40, height - top - bottom_space - margin)
    plot_width = max(1, len(values)) * (bar_width + gap) + gap
    width = max(plot_width + 2 * margin, text_width(title) + 2 * margin, 120)
    if legend:
        width = max(width, 2 * margin + 2 * (TEXT_H + 6) + text_width(legend[0]) + text_width(legend[1]) + 16)
    height = top + plot_height + bottom_space + margin
    canvas = Canvas(width, height)

    y = margin
    if title:
        canvas.text(margin, y, title)
        y += TEXT_H + 8
    if legend:
        x = margin
        for name, color in ((legend[0], BAR), (legend[1], HIGHLIGHT)):
            canvas.rect(x, y, TEXT_H, TEXT_H, color)
            x += TEXT_H + 6
            canvas.text(x, y, name)
            x += text_width(name) + 16

    baseline = top + plot_height
    canvas.rect(margin, baseline, plot_width, 2, AXIS)
    peak = max([*values, *(marked or []), 1.0])
    for index, value in enumerate(values):
        x = margin + gap + index * (bar_width + gap)
        bar = round(plot_height * value / peak)
        canvas.rect(x, baseline - bar, bar_width, bar, BAR)
        if marked is not None:
            part = round(plot_height * min(marked[index], peak) / peak)
            canvas.rect(x, baseline - part, bar_width, part, HIGHLIGHT)
        if value or marked is not None:
            number = _number(value)
            canvas.text(_centred(x, bar_width, number, width), baseline - bar - TEXT_H - 3, number)
        if index % label_every == 0:
            label = labels[index]
            canvas.text(_centred(x, bar_width, label, width), baseline + 6, label)
    return canvas.png()


def _centred(x: int, slot: int, text: str, width: int) -> int:
    """Where text centred on a slot starts, kept inside the picture."""
    return max(0, min(width - text_width(text), x + (slot - text_width(text)) // 2))


def _label_every(labels: Sequence[str], slot: int) -> int:
    """Show every n-th label so that labels never overlap."""
    widest = max((text_width(label) for label in labels), default=0)
    every = 1
    while every * slot < widest + 6:
        every += 1
    return every
