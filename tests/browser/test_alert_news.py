"""The full-screen "what to do now" only for news (issue 10, CLINICAL.md 1.1, API.md 1.1 `new`).

Pat (a patient in London) checks in on her phone. A check-in that reports an emergency symptom, or
raises an emergency or urgent flag, takes her to the full-screen guidance; the check-ins after it,
while the flag stays open, get a calm line in the page's status region and leave her on her diary,
online, offline and sent later, and with the plain form. Thea is her therapist, who acknowledges.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, Route, expect

from diary import services
from diary.flags import flag_acknowledge
from diary.models import CheckIn
from tests.browser.support import (
    CHECKINS_API,
    make_patient,
    route_checkin_posts,
    screenshot,
    sign_in,
    status,
    wait_for_worker,
    wait_until,
)
from tests.browser.test_offline import open_more
from tests.conftest import PASSWORD

CORD = "spinal_cord_compression_signs"
WEAK = "Arms or legs weak or heavy"
# The calm line of an open, unacknowledged emergency flag (flag_policy.status_line).
EMERGENCY_CALM = "If a doctor has not checked you yet, call your acute oncology line now."
NOTE = "Phoned Pat, booked an urgent MRI for tomorrow."


# --- driving the page ---------------------------------------------------------------------


def fill_and_save(page: Page, *, pain: int, symptoms: tuple[str, ...] = (), woke: str | None = None) -> None:
    """A check-in with a pain score only (and, if given, symptoms and the woken-by-pain answer)."""
    page.get_by_role("group", name="Pain right now").get_by_role("radio", name=re.compile(rf"^{pain}\b")).check()
    if symptoms or woke is not None:
        open_more(page)
    for symptom in symptoms:
        page.get_by_role("checkbox", name=symptom).check()
    if woke is not None:
        page.get_by_role("group", name="Did pain wake you last night?").get_by_role("radio", name=woke).check()
    page.get_by_role("button", name="Save check-in").click()


def navigations(page: Page) -> list[str]:
    """Every URL the page's main frame goes to from now on."""
    seen: list[str] = []
    page.on("framenavigated", lambda frame: seen.append(frame.url) if frame == page.main_frame else None)
    return seen


def record_answers(context: BrowserContext) -> list[dict[str, Any]]:
    """Pass every check-in POST to the diary and keep its JSON answer (page or worker alike)."""
    answers: list[dict[str, Any]] = []

    def answer(route: Route, _: int) -> None:
        response = route.fetch()
        answers.append({"status": response.status, **response.json()})
        route.fulfill(response=response)

    route_checkin_posts(context, answer)
    return answers


def the_alert(answer: dict[str, Any], code: str) -> dict[str, Any]:
    alerts: list[dict[str, Any]] = answer["alerts"]
    return next(item for item in alerts if item["code"] == code)


def device_alert(page: Page) -> Any:
    return page.locator("[data-device-alert]")


def make_therapist() -> Any:
    return services.therapist_create(email="thea@example.com", password=PASSWORD, display_name="Thea Therapist")


def painful_nights(patient: Any, nights: int, pain: int = 6) -> None:
    """`nights` nights before today, each a check-in at 03:00 in the patient's zone, woken by pain."""
    zone = ZoneInfo(patient.timezone)
    today = timezone.now().astimezone(zone).date()
    for back in range(nights, 0, -1):
        services.checkin_create(
            patient=patient,
            client_uuid=uuid4(),
            recorded_at=datetime.combine(today - timedelta(days=back), time(3, 0), tzinfo=zone),
            pain=pain,
            woke_from_pain=True,
        )


def report_emergency_on_the_page(page: Page, base_url: str) -> dict[str, Any]:
    """Pat ticks an emergency symptom: the phone's guidance at once, then the diary's /alert page.

    What the page shows is read while the check-in's POST waits for the diary's answer, so that
    the order (the phone's guidance first, the diary's page once it answers) is proven, not raced.
    Returns the diary's answer to the check-in.
    """
    guidance = device_alert(page)
    heading = guidance.get_by_role("heading", name=re.compile("Get help now"))
    seen: list[dict[str, Any]] = []

    def before_the_answer(route: Route, _: int) -> None:
        seen.append(
            {
                "url": page.url,
                "guidance": guidance.is_visible(),
                "focused": heading.evaluate("(element) => element === document.activeElement"),
                "reasons": guidance.locator("[data-device-alert-reasons]").inner_text(),
            }
        )
        response = route.fetch()
        seen[-1]["answer"] = {"status": response.status, **response.json()}
        route.fulfill(response=response)

    route_checkin_posts(page.context, before_the_answer)
    fill_and_save(page, pain=6, symptoms=(WEAK,))

    expect(page).to_have_url(f"{base_url}/alert")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Get help now")
    page.context.unroute(CHECKINS_API)
    assert len(seen) == 1
    answer: dict[str, Any] = seen[0].pop("answer")
    assert seen[0] == {"url": f"{base_url}/", "guidance": True, "focused": True, "reasons": WEAK}
    assert answer["status"] == 201
    assert the_alert(answer, CORD)["new"] is True
    assert CheckIn.objects.get(symptoms=["limb_weakness"]).new_alerts == [CORD]
    return answer


def back_to_the_diary(page: Page, base_url: str) -> None:
    page.get_by_role("link", name="Back to my diary").click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")


def assert_stays_on_the_diary(page: Page, base_url: str, went: list[str], calm: str) -> None:
    """The calm line in the status region, no phone guidance, and no way to /alert (given time to go there)."""
    expect(status(page)).to_contain_text(calm)
    expect(device_alert(page)).to_be_hidden()
    # followAlerts either says the calm lines or goes to /alert, never both; wait a little all the same.
    page.wait_for_timeout(1000)
    assert page.url == f"{base_url}/"
    assert not [url for url in went if url.endswith("/alert")], went
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")


# --- with JavaScript --------------------------------------------------------------------------


@pytest.mark.browser
def test_an_emergency_symptom_is_full_screen_and_pain_2_after_it_is_a_calm_line(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    make_patient()
    sign_in(page, live_server.url)
    wait_for_worker(page)
    report_emergency_on_the_page(page, live_server.url)
    back_to_the_diary(page, live_server.url)

    went = navigations(page)
    answers = record_answers(page.context)
    fill_and_save(page, pain=2)

    wait_until(page, lambda: answers)
    calm = the_alert(answers[0], CORD)
    assert (answers[0]["status"], calm["new"], calm["acknowledged"]) == (201, False, None)
    assert EMERGENCY_CALM in calm["status"]
    assert_stays_on_the_diary(page, live_server.url, went, calm["status"])
    assert CheckIn.objects.get(pain=2).new_alerts == []
    screenshot(page, "alert-news-calm-line")


@pytest.mark.browser
def test_pain_2_saved_offline_and_sent_later_is_not_full_screen_either(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    make_patient()
    sign_in(page, live_server.url)
    wait_for_worker(page)
    report_emergency_on_the_page(page, live_server.url)
    back_to_the_diary(page, live_server.url)
    wait_for_worker(page)

    went = navigations(page)
    answers = record_answers(page.context)
    page.context.set_offline(True)
    fill_and_save(page, pain=2)
    expect(status(page)).to_contain_text("1 check-in saved on this phone, will send when online")
    expect(device_alert(page)).to_be_hidden()
    assert not CheckIn.objects.filter(pain=2).exists()

    page.context.set_offline(False)

    wait_until(page, lambda: CheckIn.objects.filter(pain=2).exists())
    wait_until(page, lambda: answers)
    calm = the_alert(answers[0], CORD)
    assert calm["new"] is False
    assert_stays_on_the_diary(page, live_server.url, went, calm["status"])
    expect(status(page)).to_contain_text("Check-in saved at")
    assert CheckIn.objects.get(pain=2).new_alerts == []


@pytest.mark.browser
def test_one_more_painful_night_on_an_open_night_pain_flag_is_a_calm_line(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    painful_nights(pat, 3)
    assert [c.new_alerts for c in CheckIn.objects.order_by("recorded_at")] == [[], [], ["night_pain"]]
    sign_in(page, live_server.url)
    wait_for_worker(page)
    # The open flag is on the diary already, with what to do.
    expect(page.locator("main")).to_contain_text("Pain has been waking you at night")

    went = navigations(page)
    answers = record_answers(page.context)
    fill_and_save(page, pain=6, woke="Yes")

    wait_until(page, lambda: answers)
    calm = the_alert(answers[0], "night_pain")
    assert calm["new"] is False
    assert calm["status"].startswith("Contact your care team within 24 hours about night pain: open since")
    assert_stays_on_the_diary(page, live_server.url, went, calm["status"])
    stored = CheckIn.objects.get(client_uuid=answers[0]["client_uuid"])
    assert (stored.pain, stored.woke_from_pain, stored.new_alerts) == (6, True, [])


@pytest.mark.browser
def test_the_third_painful_night_sent_from_the_page_is_full_screen(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    """The contrast: the check-in that first raises night pain is news."""
    pat = make_patient()
    painful_nights(pat, 2)
    assert [c.new_alerts for c in CheckIn.objects.all()] == [[], []]
    sign_in(page, live_server.url)
    wait_for_worker(page)

    answers = record_answers(page.context)
    fill_and_save(page, pain=6, woke="Yes")

    expect(page).to_have_url(f"{live_server.url}/alert")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contact your care team within 24 hours")
    expect(page.locator("main")).to_contain_text("Pain has been waking you at night")
    assert the_alert(answers[0], "night_pain")["new"] is True
    assert CheckIn.objects.get(client_uuid=answers[0]["client_uuid"]).new_alerts == ["night_pain"]


# --- without JavaScript -----------------------------------------------------------------------


@pytest.mark.browser
def test_the_plain_form_goes_full_screen_for_the_emergency_and_not_for_pain_2(
    browser: Any, browser_context_args: dict[str, Any], live_server: Any, transactional_db: Any
) -> None:
    make_patient()
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server.url)
        fill_and_save(page, pain=6, symptoms=(WEAK,))
        expect(page).to_have_url(f"{live_server.url}/alert")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Get help now")
        assert CheckIn.objects.get().new_alerts == [CORD]

        back_to_the_diary(page, live_server.url)
        went = navigations(page)
        fill_and_save(page, pain=2)

        expect(page).to_have_url(f"{live_server.url}/")
        expect(status(page)).to_contain_text(re.compile(r"Check-in saved at \d\d:\d\d\."))
        expect(status(page)).to_contain_text(EMERGENCY_CALM)
        assert not [url for url in went if url.endswith("/alert")], went
        assert CheckIn.objects.get(pain=2).new_alerts == []
    finally:
        context.close()


# --- the acknowledgement, as the patient sees it ------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("shared", [True, False], ids=["note-shared", "note-kept"])
def test_the_patient_sees_that_the_care_team_saw_it_and_the_note_only_if_shared(
    page: Page, live_server: Any, transactional_db: Any, shared: bool
) -> None:
    pat = make_patient()
    thea = make_therapist()
    services.link_create(patient=pat, invite_code=thea.invite_code)
    services.checkin_create(patient=pat, client_uuid=uuid4(), recorded_at=timezone.now(), symptoms=["limb_weakness"])
    flag_acknowledge(patient=pat, therapist=thea, code=CORD, note=NOTE, share_with_patient=shared)
    seen = re.compile(r"Your care team saw this on \d{1,2} [A-Z][a-z]{2} \(Thea Therapist\)\.")

    sign_in(page, live_server.url)
    wait_for_worker(page)
    for url in ("/alert", "/"):
        page.goto(f"{live_server.url}{url}")
        main = page.locator("main")
        expect(main).to_contain_text(seen)
        if shared:
            expect(main).to_contain_text(f"Their note: “{NOTE}”")
        else:
            expect(main).not_to_contain_text(NOTE)

    # A check-in now: the calm line says who saw it, and the note only if shared.
    went = navigations(page)
    answers = record_answers(page.context)
    fill_and_save(page, pain=2)
    wait_until(page, lambda: answers)
    calm = the_alert(answers[0], CORD)
    assert calm["new"] is False
    assert calm["acknowledged"]["by"]["display_name"] == "Thea Therapist"
    assert calm["acknowledged"]["note"] == (NOTE if shared else None)
    assert calm["status"].startswith("Your care team has seen what you reported about signs of spinal cord compression")
    assert_stays_on_the_diary(page, live_server.url, went, calm["status"])
    if shared:
        expect(status(page)).to_contain_text(NOTE)
    else:
        expect(page.locator("body")).not_to_contain_text(NOTE)
