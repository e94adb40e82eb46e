"""Every page, for everyone who can see it, online and offline: WCAG 2.1 AA by axe-core, no
sideways scrolling on a 390 px phone, and offline no health data from anywhere but the server.

The tour is built from the names in frontend/urls.py (and the app's own pages in
frontend/pwa_urls.py), so a page added later without a stop here fails
test_the_tour_stops_at_every_page. Each stop also leaves a full-page screenshot in
screenshots/ at the project root: `<who>-<page>.png` online, `offline-<who>-<page>.png`
offline (the patient's check-in page offline is `offline-checkin.png`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import URLPattern, reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from diary import medication, services
from diary.models import AuditEvent, CareLink
from frontend import pwa_urls
from frontend import urls as frontend_urls
from tests.browser.support import (
    keep_diary,
    load_images,
    make_patient,
    screenshot,
    session_cookie,
    wait_for_worker,
)
from tests.browser.test_smoke import AXE_OPTIONS
from tests.conftest import PASSWORD

CHECK_IN = "How are you right now?"
OFFLINE = "You are offline"
PHONE_WIDTH = 390
NOTE = "Ached after the stairs at the clinic"  # health data: never on a page served offline
# Pages that only take a POST (a button on another page): nothing to look at.
POST_ONLY = {
    "frontend:logout",
    "frontend:flag_acknowledge",
    "frontend:note_create",
    "frontend:sessions_end",
    "frontend:invite_code_rotate",
    "frontend:timezone_switch",
    "frontend:recovery_codes_renew",
    "frontend:reminders_update",  # the settings page's reminders form (tests/browser/test_push.py runs axe there)
    "frontend:reminder_test",  # the settings page's "Send me a test reminder"
    "frontend:medicine_rename",  # the medicine list's rename form (toured at frontend:medicines)
    "frontend:medicine_active",  # the medicine list's "I have stopped taking it"
    "frontend:dose_log",  # the check-in page's "I took a pain reliever" (toured at frontend:home)
    "frontend:dose_relief",  # the check-in page's "Did the <medicine> help?" (toured at frontend:home)
}
# Two-step sign-in: only a therapist who has not passed it sees these; test_the_second_step_is_accessible.
SECOND_STEP = {"frontend:second_step", "frontend:second_step_setup"}
# The charts: SVG images shown on the trends pages, not pages. Axe has nothing to check in
# them (their text alternatives are on the pages); test_charts.py checks that each one loads.
IMAGES = {"frontend:my_chart", "frontend:patient_chart", "frontend:patient_sparkline"}


@dataclass(frozen=True)
class Stop:
    url_name: str
    slug: str
    offline: str  # the h1 offline: the check-in shell, or the offline page
    args: Callable[[dict[str, Any]], list[Any]] = lambda world: []
    online: str | None = None  # the h1 online, where it is the offline page's


PATIENT = [
    Stop("frontend:home", "checkin", CHECK_IN),
    Stop("frontend:history", "history", OFFLINE),
    Stop("frontend:checkin_edit", "checkin-edit", OFFLINE, lambda world: [world["checkin"].pk]),
    Stop("frontend:checkin_delete", "checkin-delete", OFFLINE, lambda world: [world["checkin"].pk]),
    Stop("frontend:links", "links", OFFLINE),
    Stop("frontend:link_end", "link-end", OFFLINE, lambda world: [world["link"].pk]),
    Stop("frontend:settings", "settings", OFFLINE),
    Stop("frontend:medicines", "medicines", OFFLINE),
    Stop("frontend:alert", "alert", OFFLINE),
    Stop("frontend:my_trends", "trends", OFFLINE),
    Stop("frontend:my_summary", "summary", OFFLINE),
    Stop("frontend:access_log", "access", OFFLINE),
    Stop("frontend:password_change", "password-change", OFFLINE),
    Stop("pwa:checkin_shell", "shell", CHECK_IN),
    Stop("pwa:offline", "offline-page", OFFLINE, online=OFFLINE),
]
THERAPIST = [
    # Offline, "/" is the check-in shell, which sends anyone but a patient on to the offline page.
    Stop("frontend:home", "patients", OFFLINE),
    Stop("frontend:patient_detail", "patient", OFFLINE, lambda world: [world["patient"].pk]),
    Stop("frontend:patient_summary", "summary", OFFLINE, lambda world: [world["patient"].pk]),
    Stop("frontend:note_delete", "note-delete", OFFLINE, lambda world: [world["patient"].pk, world["note"].pk]),
    Stop("frontend:settings", "settings", OFFLINE),
    Stop("frontend:password_change", "password-change", OFFLINE),
    Stop("pwa:offline", "offline-page", OFFLINE, online=OFFLINE),
]
PUBLIC = [
    Stop("frontend:signup", "signup", OFFLINE),
    # Sign-up by emailed link (SIGNUP_VERIFY_EMAIL): "check your email", and a link that no longer works
    # (the link's address moves its token into the session and shows the confirm page).
    Stop("frontend:signup_sent", "signup-sent", OFFLINE),
    Stop("frontend:signup_confirm", "signup-confirm", OFFLINE),
    Stop("frontend:signup_confirm_link", "signup-confirm-link", OFFLINE, lambda world: ["MQ.not-a-token"]),
    Stop("frontend:login", "login", OFFLINE),
    Stop("frontend:password_reset", "password-reset", OFFLINE),
    Stop("frontend:password_reset_sent", "password-reset-sent", OFFLINE),
    # A link that no longer works: the page says so and offers a new one.
    Stop("frontend:password_reset_confirm", "password-reset-link", OFFLINE, lambda world: ["MQ", "set-password"]),
    Stop("frontend:password_reset_done", "password-reset-done", OFFLINE),
    Stop("pwa:offline", "offline-page", OFFLINE, online=OFFLINE),
    # Nobody signed in on this phone: no check-in form, online or not.
    Stop("pwa:checkin_shell", "shell", OFFLINE, online=OFFLINE),
]

axe = Axe()


def page_names() -> set[str]:
    return {
        f"{module.app_name}:{pattern.name}"
        for module in (frontend_urls, pwa_urls)
        for pattern in module.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.name
    }


def test_the_tour_stops_at_every_page() -> None:
    toured = {stop.url_name for stop in PATIENT + THERAPIST + PUBLIC}
    not_pages = {"pwa:service_worker", "pwa:manifest"}
    assert toured | POST_ONLY | IMAGES | SECOND_STEP | not_pages == page_names()
    assert not toured & (POST_ONLY | IMAGES)


def world() -> dict[str, Any]:
    """Pat, with two weeks of check-ins (the last one an emergency), shared with Thea, who noted one day.

    Two weeks in every part of the day, with night pain flagged: the charts have something to draw.
    """
    pat = make_patient()
    keep_diary(pat, 14)
    thea = services.therapist_create(email="thea@example.com", password=PASSWORD, display_name="Thea Therapist")
    services.link_create(patient=pat, invite_code=thea.invite_code)
    now = timezone.now()
    for days, pain, fatigue in [(2, 3, 2), (1, 5, 4)]:
        services.checkin_create(
            patient=pat, client_uuid=uuid4(), recorded_at=now - timedelta(days=days), pain=pain, fatigue=fatigue
        )
    checkin = services.checkin_create(
        patient=pat,
        client_uuid=uuid4(),
        recorded_at=now - timedelta(minutes=5),
        pain=7,
        fatigue=6,
        pain_locations=["lower_back", "leg_left"],
        movement_effect="worse",
        symptoms=["limb_weakness", "night_sweats"],
        sleep_hours=5,
        notes=NOTE,
    ).checkin
    note = services.therapist_note_create(
        patient=pat, therapist=thea, written_on=checkin.local_date - timedelta(days=1), text="Phoned: new exercises"
    )
    # What "Who has seen my diary" lists: Thea's looks, and a refused one.
    seen = {"patient_user_id": pat.pk, "method": "GET", "ip": "127.0.0.1"}
    AuditEvent.objects.create(
        actor_user_id=thea.pk,
        actor_role="therapist",
        action="frontend:patient_detail",
        allowed=True,
        status=200,
        **seen,
    )
    AuditEvent.objects.create(
        actor_user_id=999999,  # an erased account: "account 999999"
        actor_role="therapist",
        action="frontend:patient_detail",
        allowed=False,
        status=404,
        **seen,
    )
    link = CareLink.objects.get(patient=pat, therapist=thea, ended_at__isnull=True)
    # The medicine list: one taken when needed (the check-in page offers to log it), one stopped.
    medication.medicine_create(patient=pat, name="Oxycodone", strength="5 mg", kind="as_needed")
    stopped = medication.medicine_create(patient=pat, name="Paracetamol", strength="1 g", kind="regular")
    medication.medicine_update(medicine=stopped, active=False)
    return {"patient": pat, "therapist": thea, "checkin": checkin, "note": note, "link": link}


def assert_accessible(page: Page, where: str) -> None:
    results = axe.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{where}: {page.url}\n{results.generate_snapshot()}"


def assert_fits_the_phone(page: Page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{where} scrolls sideways: {width} px wide on a {PHONE_WIDTH} px phone"


def tour(page: Page, base_url: str, who: str, stops: list[Stop], data: dict[str, Any]) -> None:
    """Each stop online, then (the worker in control) each stop again offline."""
    paths = [reverse(stop.url_name, args=stop.args(data)) for stop in stops]
    for stop, path in zip(stops, paths, strict=True):
        page.goto(base_url + path)
        if stop.online:
            expect(page.get_by_role("heading", level=1)).to_have_text(stop.online)
        else:
            expect(page.get_by_role("heading", level=1)).not_to_have_text(OFFLINE)
        page.wait_for_load_state()
        load_images(page)  # the charts, drawn in the screenshot and checked by axe
        assert_accessible(page, f"{who} {stop.slug} online")
        assert_fits_the_phone(page, f"{who} {stop.slug} online")
        screenshot(page, f"{who}-{stop.slug}")
    wait_for_worker(page)

    page.context.set_offline(True)
    try:
        for stop, path in zip(stops, paths, strict=True):
            page.goto(base_url + path)
            # From the worker: the shell for the patient signed in on this phone, else the offline page.
            expect(page.get_by_role("heading", level=1)).to_have_text(stop.offline)
            page.wait_for_load_state()
            # Only the server shows health data: offline there is none, not even stale.
            shown = page.content()
            assert NOTE not in shown
            assert "Pat Patient" not in shown
            assert "Your last check-ins" not in shown
            assert_accessible(page, f"{who} {stop.slug} offline")
            assert_fits_the_phone(page, f"{who} {stop.slug} offline")
            name = "offline-checkin" if (who, stop.slug) == ("patient", "checkin") else f"offline-{who}-{stop.slug}"
            screenshot(page, name)
    finally:
        page.context.set_offline(False)


@pytest.mark.browser
def test_every_patient_page_is_accessible_online_and_offline(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    data = world()
    page.context.add_cookies([session_cookie(data["patient"], live_server.url)])
    # The home page repeats the emergency guidance: the screenshots show it as patients see it.
    page.goto(live_server.url)
    expect(page.get_by_role("heading", name="Emergency Get help now")).to_be_visible()
    tour(page, live_server.url, "patient", PATIENT, data)


@pytest.mark.browser
def test_every_therapist_page_is_accessible_online_and_offline(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    data = world()
    page.context.add_cookies([session_cookie(data["therapist"], live_server.url)])
    page.goto(live_server.url)
    expect(page.get_by_role("link", name="Pat Patient")).to_be_visible()
    tour(page, live_server.url, "therapist", THERAPIST, data)


@pytest.mark.browser
def test_every_public_page_is_accessible_online_and_offline(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    tour(page, live_server.url, "public", PUBLIC, world())


def test_the_second_step_is_accessible(page: Page, live_server: Any) -> None:
    """Setting up the app, the recovery codes, and the step at a later sign-in: axe-clean, fit the phone."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    thea = services.therapist_create(email="thea@example.com", password=PASSWORD, display_name="Thea Therapist")
    page.context.add_cookies([session_cookie(thea, live_server.url, second_step=False)])  # the password only
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    assert_accessible(page, "two-step setup")
    assert_fits_the_phone(page, "two-step setup")
    screenshot(page, "therapist-two-step-setup")

    device = TOTPDevice.objects.get(user=thea, confirmed=False)
    page.get_by_label("Code").fill(f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    assert_accessible(page, "recovery codes")
    assert_fits_the_phone(page, "recovery codes")
    screenshot(page, "therapist-recovery-codes")

    page.context.clear_cookies()
    page.context.add_cookies([session_cookie(thea, live_server.url, second_step=False)])
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sign-in code")
    assert_accessible(page, "two-step")
    assert_fits_the_phone(page, "two-step")
    screenshot(page, "therapist-two-step")
