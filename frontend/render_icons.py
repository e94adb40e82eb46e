"""Render the app icons (PNG) from their SVG sources with the system Chromium. A one-off, not part of the app.

    .venv/bin/python frontend/render_icons.py

Run it again after changing frontend/static/frontend/icon.svg or icons/maskable.svg, and
commit the PNGs: browsers and home screens want bitmaps, and no Python imaging
library is worth a dependency for four files.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parent / "static" / "frontend"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BRAND = "#0b4f8a"

# (output, source, size, background): "any" icons keep their transparent rounded corners;
# maskable ones are full-bleed already; iOS shows transparency as black, so Apple's gets the brand colour.
ICONS = [
    ("icons/icon-192.png", "icon.svg", 192, None),
    ("icons/icon-512.png", "icon.svg", 512, None),
    ("icons/maskable-192.png", "icons/maskable.svg", 192, None),
    ("icons/maskable-512.png", "icons/maskable.svg", 512, None),
    ("icons/apple-touch-icon.png", "icon.svg", 180, BRAND),
]


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(device_scale_factor=1)
        for output, source, size, background in ICONS:
            svg = base64.b64encode((STATIC / source).read_bytes()).decode()
            page.set_viewport_size({"width": size, "height": size})
            page.set_content(
                f'<body style="margin:0;background:{background or "transparent"}">'
                f'<img src="data:image/svg+xml;base64,{svg}" width="{size}" height="{size}" style="display:block">'
            )
            page.wait_for_load_state()
            page.screenshot(path=str(STATIC / output), omit_background=background is None)
            print(f"{output}: {size}×{size}")
        browser.close()


if __name__ == "__main__":
    main()
