"""The weight of the check-in page on a phone's first visit, and the taps a basic check-in takes.

Not collected by pytest (the name starts with bench_). Run from the project root:

    .venv/bin/python tests/bench_pages.py

No browser and no server: it renders the check-in page with Django's test Client as a
signed-in patient (in a throwaway test database, as tests/bench_api.py does), follows
the stylesheets and scripts the page references (and the modules those scripts import)
to the files the static finders serve, and gzips each one as a compressing server would
(level 9, as WhiteNoise does). The budget is 60 KB, icons excluded; the browser test
tests/browser/test_install_and_speed.py measures the same load in Chromium.

Taps: 3, by construction of the page, and the browser test taps exactly these:
  1. a number on the pain scale (eleven big buttons, no menu to open),
  2. a number on the tiredness scale (the same),
  3. "Save check-in", in a bar that stays at the bottom of the screen.
Nothing else is required: every other question is optional, the time defaults to now,
and the page makes the check-in's client_uuid itself. Both scales and Save fit the first
screen of a 390×844 phone (the other questions are folded under "More"), so nothing is scrolled;
tests/browser/test_patient_layout.py checks it.
"""

from __future__ import annotations

import gzip
import os
import re
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

from diary import services  # noqa: E402

BUDGET_KB = 60
TAPS = 3  # pain, tiredness, Save: see the module's docstring
IMPORT = re.compile(r"""\bimport\s*(?:[^"';]*?\bfrom\s*)?["']([^"']+\.js)["']""")


class Assets(HTMLParser):
    """The stylesheets and scripts a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") == "stylesheet" and attributes.get("href"):
            self.urls.append(str(attributes["href"]))
        elif tag == "script" and attributes.get("src"):
            self.urls.append(str(attributes["src"]))


def static_file(url: str) -> bytes:
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    path = urlparse(url).path
    if not path.startswith(prefix):
        raise SystemExit(f"{url} is not a static file")
    found = finders.find(path.removeprefix(prefix))
    if not isinstance(found, str):
        raise SystemExit(f"{url}: no static file found")
    return Path(found).read_bytes()


def page_and_assets(client: Client, path: str) -> list[tuple[str, bytes]]:
    """The page's HTML, then every CSS and JS file it needs, each once, in load order."""
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")
    files = [(path, response.content)]
    parser = Assets()
    parser.feed(response.content.decode())
    queue, seen = list(parser.urls), set()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        body = static_file(url)
        files.append((url, body))
        if url.endswith(".js"):
            queue += [urljoin(url, imported) for imported in IMPORT.findall(body.decode())]
    return files


def main() -> None:
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        patient = services.patient_signup(
            email="bench-patient@example.com", password="bench pages correct horse", timezone_name="Europe/London"
        )
        client = Client()
        client.force_login(patient)
        files = page_and_assets(client, "/")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    total = 0
    print("Check-in page, first visit (signed-in patient), each file gzipped at level 9:")
    for url, body in files:
        size = len(gzip.compress(body, compresslevel=9))
        total += size
        print(f"  {size / 1024:6.1f} KB  (raw {len(body) / 1024:5.1f} KB)  {url}")
    verdict = "within" if total <= BUDGET_KB * 1024 else "OVER"
    print(f"  {total / 1024:6.1f} KB  in all, {verdict} the {BUDGET_KB} KB budget (icons excluded)")
    print(f"Taps for a basic check-in (pain, tiredness, Save): {TAPS}")


if __name__ == "__main__":
    main()
