"""The diary on a phone set to another time zone than the server's, or than the diary's.

Who is who: Nia signs up on a phone in Chicago; Pat keeps her diary in Europe/London and
travels to Tokyo with her phone. Each test makes its own browser context with the phone's
zone (Playwright's timezone_id), on top of the phone-sized conftest settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from django.templatetags.static import static
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from diary import services, zones
from diary.models import CheckIn, User
from tests.browser.support import (
    make_patient,
    outbox_items,
    session_cookie,
    status,
    wait_for_worker,
    wait_until,
)
from tests.browser.test_offline import open_more
from tests.browser.test_smoke import assert_accessible
from tests.conftest import PASSWORD

CHICAGO = ZoneInfo("America/Chicago")
LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
TRAVEL_QUESTION = "Your phone is now on Tokyo time. Use it for your diary?"


@pytest.fixture
def phone(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Any]:
    """`phone(zone, **options)` → a page in a new context whose clock is on `zone`."""
    contexts: list[BrowserContext] = []

    def open_page(zone: str, **options: Any) -> Page:
        context = browser.new_context(**{**browser_context_args, "timezone_id": zone, **options})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def yesterday_in(zone: ZoneInfo) -> date:
    return timezone.now().astimezone(zone).date() - timedelta(days=1)


def saved_for(day: date, at: str) -> str:
    """The confirmation for a check-in on another day than today, as the pages word it."""
    return f"Check-in saved for {day:%A} {day.day} {day:%B} at {at}."


def me(page: Page, base_url: str) -> dict[str, Any]:
    response = page.request.get(f"{base_url}/api/v1/me")
    assert response.ok, response.status
    answer: dict[str, Any] = response.json()
    return answer


def sign_up(page: Page, base_url: str) -> None:
    page.get_by_label("Email").fill("nia@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my diary").click()


def check_in_earlier(page: Page, pain: int, when: str) -> None:
    """A check-in with a number for pain and a time typed in "Earlier time" ("2026-11-30T21:00")."""
    page.get_by_role("group", name="Pain right now").get_by_role("radio", name=re.compile(rf"^{pain}\b")).check()
    open_more(page)
    page.get_by_label("Earlier time (optional)").fill(when)
    page.get_by_role("button", name="Save check-in").click()


@pytest.mark.browser
def test_it_signs_up_in_the_phones_zone_and_dates_an_evening_check_in_in_it(
    phone: Any, live_server: Any, transactional_db: Any
) -> None:
    """Nia leaves the zone as the page found it: the diary is on Chicago time, and 21:00 is evening."""
    page = phone("America/Chicago")
    page.goto(f"{live_server.url}/signup")
    device = page.locator("[data-zone-device]")
    expect(device).to_have_text(f"Your phone is on {zones.zone_words('America/Chicago')}. Your diary will use it.")
    # Chosen in the list, which stays in view to choose another.
    zone = page.get_by_label("Time zone")
    expect(zone).to_be_visible()
    expect(zone).to_have_value("America/Chicago")
    assert_accessible(page)
    zone.select_option("Europe/Paris")
    expect(device).to_have_text(
        "Your phone is on Chicago time (America/Chicago). Your diary will use Paris time (Europe/Paris)."
    )
    zone.select_option("America/Chicago")

    sign_up(page, live_server.url)

    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")
    assert me(page, live_server.url)["timezone"] == "America/Chicago"
    assert User.objects.get().timezone == "America/Chicago"
    # Phone and diary agree: nothing to offer.
    expect(page.locator("[data-travel]")).to_be_hidden()

    yesterday = yesterday_in(CHICAGO)
    check_in_earlier(page, 4, f"{yesterday.isoformat()}T21:00")

    expect(status(page)).to_contain_text(f"{saved_for(yesterday, '21:00')} It is in your diary.")
    wait_until(page, lambda: CheckIn.objects.exists())
    checkin = CheckIn.objects.get()
    assert checkin.recorded_at == datetime.combine(yesterday, time(21, 0), CHICAGO)
    assert (checkin.local_date, checkin.part_of_day) == (yesterday, "evening")


@pytest.mark.browser
def test_it_asks_for_a_zone_without_javascript(phone: Any, live_server: Any, transactional_db: Any) -> None:
    """No script to ask the phone: the list is in plain sight with nothing chosen, and must be answered."""
    page = phone("America/Chicago", java_script_enabled=False)
    page.goto(f"{live_server.url}/signup")
    zone = page.get_by_label("Time zone")
    expect(zone).to_be_visible()
    expect(zone).to_have_value("")
    expect(zone.locator("option").first).to_have_text("Choose your time zone")
    expect(zone.locator("optgroup").first).to_have_attribute("label", "Common time zones")
    expect(page.locator("[data-zone-device]")).to_be_hidden()

    sign_up(page, live_server.url)

    expect(page.get_by_role("heading", level=1)).to_have_text("Create your diary")
    expect(page.locator("#id_timezone_error")).to_have_text("Error: Choose your time zone.")
    assert not User.objects.exists()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Time zone").select_option("America/Chicago")
    page.get_by_role("button", name="Create my diary").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")
    assert User.objects.get().timezone == "America/Chicago"
    assert me(page, live_server.url)["timezone"] == "America/Chicago"


def pats_evening(pat: Any) -> CheckIn:
    """Pat's check-in of yesterday at 22:00 in London: 07:00 the next morning in Tokyo."""
    day = yesterday_in(LONDON)
    recorded_at = datetime.combine(day, time(22, 0), LONDON)
    checkin = services.checkin_create(patient=pat, client_uuid=uuid4(), recorded_at=recorded_at, pain=5).checkin
    assert (checkin.local_date, checkin.part_of_day) == (day, "evening")
    return checkin


@pytest.mark.browser
def test_it_offers_the_phones_zone_to_a_traveller_and_switches_in_one_tap(
    phone: Any, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    checkin = pats_evening(pat)
    page = phone("Asia/Tokyo")
    page.context.add_cookies([session_cookie(pat, live_server.url)])
    page.goto(live_server.url)

    prompt = page.get_by_role("region", name=TRAVEL_QUESTION)
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Your diary is on London time (Europe/London).")
    expect(prompt.get_by_role("button", name="Keep London time")).to_be_visible()
    assert_accessible(page)

    prompt.get_by_role("button", name="Use Tokyo time").click()

    expect(status(page)).to_contain_text("Your diary now uses Tokyo time (Asia/Tokyo).")
    assert me(page, live_server.url)["timezone"] == "Asia/Tokyo"
    checkin.refresh_from_db()
    tokyo_time = checkin.recorded_at.astimezone(TOKYO)
    assert (checkin.local_date, checkin.part_of_day) == (tokyo_time.date(), "morning")
    assert checkin.local_date == yesterday_in(LONDON) + timedelta(days=1)
    # Phone and diary agree now.
    expect(page.get_by_role("region", name=TRAVEL_QUESTION)).to_be_hidden()


@pytest.mark.browser
def test_it_offers_the_switch_once_and_keeps_the_diarys_zone_on_keep(
    phone: Any, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    checkin = pats_evening(pat)
    page = phone("Asia/Tokyo")
    page.context.add_cookies([session_cookie(pat, live_server.url)])
    page.goto(live_server.url)

    page.get_by_role("button", name="Keep London time").click()

    expect(page.locator("[data-travel]")).to_be_hidden()
    expect(status(page)).to_contain_text("Your diary stays on London time (Europe/London).")
    # checkin.js has run by the time the page has loaded (a module script runs before DOMContentLoaded).
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")
    expect(page.locator("[data-travel]")).to_be_hidden()
    assert me(page, live_server.url)["timezone"] == "Europe/London"
    checkin.refresh_from_db()
    assert (checkin.local_date, checkin.part_of_day) == (yesterday_in(LONDON), "evening")


@pytest.mark.browser
def test_it_reads_a_typed_time_on_the_diarys_clock_not_the_phones(
    phone: Any, live_server: Any, transactional_db: Any
) -> None:
    """Pat keeps London time on a phone in Tokyo: "21:00" is 21:00 in London, and so is the confirmation."""
    pat = make_patient()
    page = phone("Asia/Tokyo")
    page.context.add_cookies([session_cookie(pat, live_server.url)])
    page.goto(live_server.url)
    page.get_by_role("button", name="Keep London time").click()
    yesterday = yesterday_in(LONDON)

    check_in_earlier(page, 3, f"{yesterday.isoformat()}T21:00")

    expect(status(page)).to_contain_text(f"{saved_for(yesterday, '21:00')} It is in your diary.")
    wait_until(page, lambda: CheckIn.objects.exists())
    checkin = CheckIn.objects.get()
    assert checkin.recorded_at == datetime.combine(yesterday, time(21, 0), LONDON)
    assert (checkin.local_date, checkin.part_of_day) == (yesterday, "evening")


@pytest.mark.browser
def test_it_reads_a_time_typed_offline_on_the_diarys_clock(phone: Any, live_server: Any, transactional_db: Any) -> None:
    """The offline shell names nobody; the phone remembers the diary's zone from the check-in page."""
    pat = make_patient()
    page = phone("Asia/Tokyo")
    page.context.add_cookies([session_cookie(pat, live_server.url)])
    page.goto(live_server.url)
    wait_for_worker(page)
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")
    # No prompt offline: switching needs the server.
    expect(page.locator("[data-travel]")).to_have_count(0)
    yesterday = yesterday_in(LONDON)

    check_in_earlier(page, 3, f"{yesterday.isoformat()}T21:00")

    expect(status(page)).to_contain_text("1 check-in saved on this phone")
    [item] = outbox_items(page, pat)
    sent = datetime.fromisoformat(item["body"]["recorded_at"].replace("Z", "+00:00"))
    assert sent == datetime.combine(yesterday, time(21, 0), LONDON)
    page.context.set_offline(False)
    wait_until(page, lambda: CheckIn.objects.exists())
    assert CheckIn.objects.get().part_of_day == "evening"


# Typed times around changes of the clocks, read as Python's zoneinfo reads them by default (fold=0):
# the first of a repeated time, and a skipped time with the offset from before the change.
CLOCK_TIMES = [
    ("Europe/London", "2026-07-01T09:15"),
    ("Europe/London", "2026-03-29T01:30"),  # skipped: clocks go from 01:00 to 02:00
    ("Europe/London", "2026-10-25T01:30"),  # happens twice
    ("America/Los_Angeles", "2026-03-08T02:30"),  # skipped
    ("America/Los_Angeles", "2026-11-01T01:30"),  # happens twice
    ("Pacific/Auckland", "2026-04-05T02:30"),  # happens twice
    ("Australia/Lord_Howe", "2026-04-05T01:45"),  # happens twice, half an hour apart
    ("Asia/Kolkata", "2026-12-31T23:59"),
    ("America/Chicago", "2026-11-30T21:00"),
]


@pytest.mark.browser
def test_the_page_reads_typed_times_in_a_zone_as_the_server_does(page: Page, live_server: Any) -> None:
    """zones.js instantFromClock and clockValue, in Chromium, against Python's zoneinfo."""
    # A page whose policy allows the origin's scripts: elsewhere only nonce-carrying scripts run,
    # and a test's dynamic import() carries no nonce (SECURITY.md, script-src).
    page.goto(f"{live_server.url}/offline")
    answers = page.evaluate(
        """async ([url, cases]) => {
            const zones = await import(url);
            return cases.map(([zone, typed]) => {
                const instant = zones.instantFromClock(typed, zone);
                return [instant.toISOString(), zones.clockValue(instant, zone)];
            });
        }""",
        [static("frontend/zones.js"), CLOCK_TIMES],
    )
    for (zone, typed), (iso, shown) in zip(CLOCK_TIMES, answers, strict=True):
        # Through UTC: Python never calls a repeated or skipped time equal to a time in another zone (PEP 495).
        expected = datetime.fromisoformat(typed).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        assert datetime.fromisoformat(iso) == expected, (zone, typed)
        # Shown back as typed, except a skipped time, which shows as the clocks read then.
        assert shown == expected.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M"), (zone, typed)
