#!/usr/bin/env python3
"""Draws the app icon (a ledger page on a teal rounded square) as RGBA PNGs, with no
dependency beyond the standard library. Run from the repo root: python3 scripts/make-icons.py"""
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src-tauri" / "icons"


def png(size: int) -> bytes:
    s = size
    teal, page, line, accent = (15, 118, 110, 255), (250, 250, 247, 255), (148, 163, 184, 255), (15, 118, 110, 255)
    r = s * 0.2  # corner radius
    rows = []
    for y in range(s):
        row = bytearray([0])
        for x in range(s):
            cx, cy = x + 0.5, y + 0.5
            # rounded square mask
            dx = max(r - cx, 0, cx - (s - r))
            dy = max(r - cy, 0, cy - (s - r))
            inside = dx * dx + dy * dy <= r * r
            px = (0, 0, 0, 0)
            if inside:
                px = teal
                # the page
                if 0.24 * s <= cx <= 0.76 * s and 0.16 * s <= cy <= 0.84 * s:
                    px = page
                    # ruled lines
                    for i in range(5):
                        ly = (0.30 + i * 0.11) * s
                        if abs(cy - ly) <= max(0.5, s * 0.018) and 0.32 * s <= cx <= 0.68 * s:
                            px = accent if i == 0 else line
            row += bytes(px)
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", s, s, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        (OUT / name).write_bytes(png(size))
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
