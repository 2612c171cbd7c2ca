from PIL import Image

from lab.render import CELL_H, CELL_W, PALETTE, render_png
from lab.screen import Screen


def test_each_cell_is_drawn_in_its_vga_colours(tmp_path):
    raw = bytearray(b" \x07" * 2000)
    raw[0:2] = b"A\x1f"  # white on blue
    raw[(24 * 80 + 79) * 2:] = b" \x40"  # red background, bottom-right cell
    png = render_png(Screen.from_bytes(bytes(raw)), tmp_path / "s.png")
    img = Image.open(png).convert("RGB")
    assert img.size == (80 * CELL_W, 25 * CELL_H)
    cell0 = {img.getpixel((x, y)) for x in range(CELL_W) for y in range(CELL_H)}
    assert PALETTE[1] in cell0  # the blue box
    assert any(r > 200 and g > 200 for r, g, b in cell0)  # a white (anti-aliased) glyph
    assert img.getpixel((79 * CELL_W + 4, 24 * CELL_H + 8)) == PALETTE[4]
    assert img.getpixel((40 * CELL_W + 4, 12 * CELL_H + 8)) == PALETTE[0]
