"""Helpers shared by the browser tests written after test_offline.py (not a test module itself).

The basic steps (sign in, wait for the worker, check in) come from test_offline.py, so
every file drives the app the same way; what is here reads and writes the outbox from
the page, and routes the check-in API to play a server that fails in a given way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, Route

from tests.browser.test_offline import check_in, make_patient, sign_in, status, wait_for_worker, wait_until

__all__ = [
    "CHECKINS_API",
    "SCREENSHOTS",
    "check_in",
    "flush_from_page",
    "make_patient",
    "outbox_items",
    "put_in_outbox",
    "route_checkin_posts",
    "screenshot",
    "session_cookie",
    "sign_in",
    "status",
    "wait_for_worker",
    "wait_until",
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
# Both spellings of API.md (with and without the trailing slash), never the pages'.
CHECKINS_API = re.compile(r"/api/v1/checkins/?(\?.*)?$")

URLS_FROM_PAGE = (
    "({me: document.body.dataset.apiMe, csrf: document.body.dataset.apiCsrf,"
    " checkins: document.body.dataset.apiCheckins})"
)


def outbox_items(page: Page, user: Any) -> list[dict[str, Any]]:
    """Everything the phone keeps for this person, waiting or refused, oldest first."""
    return page.evaluate("async (id) => await self.diaryOutbox.items(id)", user.pk)


def put_in_outbox(page: Page, items: list[dict[str, Any]], state: str = "waiting") -> None:
    """Write items back into IndexedDB exactly as they were (same client_uuid): a replay."""
    page.evaluate(
        "async ([items, state]) => { for (const item of items) await self.diaryOutbox.save({...item, state}); }",
        [items, state],
    )


def flush_from_page(page: Page, times: int = 1) -> list[dict[str, Any]]:
    """Run the outbox's flush `times` times at once from the page; their summaries."""
    return page.evaluate(
        f"async (times) => {{ const urls = {URLS_FROM_PAGE};"
        " return await Promise.all(Array.from({length: times}, () => self.diaryOutbox.flush(urls))); }",
        times,
    )


def route_checkin_posts(context: BrowserContext, answer: Callable[[Route, int], None]) -> list[int]:
    """Route POSTs to the check-in API through `answer(route, n)` (n counts from 1), for every page
    of the context and its service worker (Playwright routes a worker's requests on its context).

    GETs pass through untouched. Returns the list the numbers of the routed POSTs go into.
    """
    seen: list[int] = []

    def handler(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        seen.append(len(seen) + 1)
        answer(route, seen[-1])

    context.route(CHECKINS_API, handler)
    return seen


def session_cookie(user: Any, base_url: str) -> dict[str, Any]:
    """A signed-in session for `user`, as a cookie a new browser context can take."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


# A full-page capture paints a bar stuck to the bottom of the screen (the check-in form's
# Save bar) over whatever sits at the bottom of the first screenful; here it stays in its place.
# Set through the CSSOM: the Content-Security-Policy refuses an injected stylesheet.
UNSTICK = """(unstick) => document.querySelectorAll(".checkin-form .form-actions")
    .forEach((bar) => { bar.style.position = unstick ? "static" : ""; })"""


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of what a 390×844 phone shows, one image pixel per CSS pixel."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate(UNSTICK, True)
    try:
        page.screenshot(path=str(path), full_page=True, scale="css", animations="disabled")
    finally:
        page.evaluate(UNSTICK, False)
    return path
