"""Helpers shared by the browser tests written after test_offline.py (not a test module itself).

The basic steps (sign in, wait for the worker, check in) come from test_offline.py, so
every file drives the app the same way; what is here reads and writes the outbox from
the page, and routes the check-in API to play a server that fails in a given way; and
keep_diary writes weeks of a believable diary for the chart pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, Route

from diary import services
from tests.browser.test_offline import check_in, make_patient, sign_in, status, wait_for_worker, wait_until
from tests.conftest import pass_second_step

__all__ = [
    "CHECKINS_API",
    "SCREENSHOTS",
    "check_in",
    "flush_from_page",
    "keep_diary",
    "load_images",
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
    Call `wait_for_worker` first: a request the worker makes while it is still installing or
    activating escapes the route in this Chromium (seen: the POST reached the diary, unrouted).
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


def session_cookie(user: Any, base_url: str, *, second_step: bool = True) -> dict[str, Any]:
    """A signed-in session for `user`, as a cookie a new browser context can take.

    A therapist's session has passed the second step too, unless `second_step` is False (the password only).
    """
    client = Client()
    client.force_login(user)
    if user.is_therapist and second_step:
        pass_second_step(client, user)
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


# A week of small ups and downs, so that lines and bars are not flat.
WAVE = (0, 1, 2, 1, 0, -1, 1)
EXERCISE = (20, 10, None, 15, 30, None, 20)


def keep_diary(patient: Any, days: int, *, pain: int = 3) -> None:
    """`days` days of check-ins up to yesterday, through services.checkin_create, the same every run.

    Each day: on waking, pain that moving does not change, the night's sleep and on Mondays the
    weight; in the afternoon, after the exercises, pain that moving makes worse (on the worst
    days the day's highest); in the evening, easier and eased by moving. Every third night pain
    wakes the patient (with a note), enough for the night-pain flag. Pain drifts up 2 over the days.
    """
    zone = ZoneInfo(patient.timezone)
    today = timezone.now().astimezone(zone).date()
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        wave, drift = WAVE[day.toordinal() % 7], (days - back) * 2 // days
        slots: list[tuple[time, dict[str, Any]]] = [
            (
                time(7, 40),
                {
                    "pain": pain + 2 + wave + drift,
                    "fatigue": 4 + wave,
                    "movement_effect": "no_change",
                    "sleep_hours": 6.5 - wave / 2,
                    "weight_kg": round(72.0 - 0.03 * (days - back), 1) if day.weekday() == 0 else None,
                },
            ),
            (
                time(14, 10),
                {
                    "pain": pain + 1 + 2 * wave + drift,
                    "movement_effect": "worse",
                    "exercise_minutes": EXERCISE[day.weekday()],
                },
            ),
            (time(20, 30), {"pain": pain - 1 + drift + wave % 2, "fatigue": 5 + wave, "movement_effect": "better"}),
        ]
        if back % 3 == 0:
            slots.insert(0, (time(3, 15), {"pain": pain + 4 + drift, "notes": "Woke at three with the back pain."}))
        for at, fields in slots:
            services.checkin_create(
                patient=patient,
                client_uuid=uuid4(),
                recorded_at=datetime.combine(day, at, tzinfo=zone),
                **{name: value for name, value in fields.items() if value is not None},
            )


# Waits for one image: its width once loaded, 0 if it failed (a lazy image loads once in view).
IMAGE_WIDTH = """(image) => image.complete ? image.naturalWidth : new Promise((done) => {
    image.addEventListener("load", () => done(image.naturalWidth));
    image.addEventListener("error", () => done(0));
})"""


def load_images(page: Page) -> list[dict[str, Any]]:
    """Scroll every image of the page into view, as a reader would, and wait for it; src and width of each.

    The charts load lazily: without this a full-page screenshot shows empty frames below the first screenful.
    """
    images = []
    for image in page.locator("main img").all():
        image.scroll_into_view_if_needed()
        images.append({"src": image.evaluate("(image) => image.src"), "width": image.evaluate(IMAGE_WIDTH)})
    page.evaluate("window.scrollTo(0, 0)")
    return images


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
