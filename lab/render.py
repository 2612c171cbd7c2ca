"""A picture of a text screen (for Bochs, whose own screen capture is unusable here, and for
reports): each cell drawn in its VGA foreground and background colour."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .screen import COLS, ROWS, Screen

CELL_W, CELL_H = 9, 16  # the VGA text mode's character box
# The 16 colours of the VGA text palette (IBM VGA Technical Reference, default DAC values).
PALETTE = [(0, 0, 0), (0, 0, 170), (0, 170, 0), (0, 170, 170), (170, 0, 0), (170, 0, 170),
           (170, 85, 0), (170, 170, 170), (85, 85, 85), (85, 85, 255), (85, 255, 85),
           (85, 255, 255), (255, 85, 85), (255, 85, 255), (255, 255, 85), (255, 255, 255)]


def render_png(screen: Screen, path: Path) -> Path:
    img = Image.new("RGB", (COLS * CELL_W, ROWS * CELL_H))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    for r in range(ROWS):
        for c in range(COLS):
            ch, attr = screen.cell(r, c)
            x, y = c * CELL_W, r * CELL_H
            # Bit 7 is blink (or bright background); a still picture shows the colour.
            draw.rectangle([x, y, x + CELL_W - 1, y + CELL_H - 1], fill=PALETTE[attr >> 4 & 7])
            if ch not in (" ", "\x00"):
                draw.text((x + 1, y + 2), ch, fill=PALETTE[attr & 15], font=font)
    img.save(path)
    return path
