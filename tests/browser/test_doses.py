"""A pain reliever logged from the check-in page in three taps, offline too, and "Did it help?" later;
a dose the diary refuses stays on the phone, shown, until deleted.

Pat is a patient with two medicines she takes when she needs them, on her phone.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, Route, expect

from diary import medication, reminders
from diary.models import Dose
from tests.browser.support import make_patient, outbox_items, sign_in, status, wait_for_worker, wait_until
from tests.browser.test_push import NOTIFICATIONS, registration_id
from tests.browser.test_smoke import assert_accessible


@pytest.mark.browser
def test_a_dose_logged_offline_in_three_taps_arrives_once(page: Page, live_server: Any, transactional_db: Any) -> None:
    pat = make_patient()
    medication.medicine_create(patient=pat, name="Oxycodone", strength="5 mg", kind="as_needed")
    morphine = medication.medicine_create(patient=pat, name="Morphine", strength="10 mg", kind="as_needed")
    sign_in(page, live_server.url)
    wait_for_worker(page)
    page.context.set_offline(True)

    # One: open "I took a pain reliever". Two: which one. Three: Save.
    page.get_by_text("I took a pain reliever").click()
    page.get_by_label("Morphine 10 mg").check()
    page.get_by_role("button", name="Save dose").click()

    expect(status(page)).to_contain_text("Morphine 10 mg: saved on this phone, will send when online.")
    [waiting] = outbox_items(page, pat)
    assert (waiting["kind"], waiting["body"]["medicine_id"], waiting["state"]) == ("dose", morphine.pk, "waiting")
    assert Dose.objects.count() == 0

    page.context.set_offline(False)
    wait_until(page, lambda: Dose.objects.count() == 1)
    expect(status(page)).to_contain_text("Your pain reliever dose is in your diary.")
    wait_until(page, lambda: not outbox_items(page, pat))
    # Online again (the page, the worker's sync, another flush): still one dose, the one saved.
    page.reload()
    page.wait_for_timeout(1000)
    dose = Dose.objects.get()
    assert (dose.patient, dose.medicine, str(dose.client_uuid)) == (pat, morphine, waiting["client_uuid"])
    # The check-in page's own lines count check-ins, not doses.
    expect(status(page)).not_to_contain_text("check-in")


@pytest.mark.browser
def test_the_relief_question_appears_30_minutes_after_a_dose(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    medication.medicine_create(patient=pat, name="Oxycodone", strength="5 mg", kind="as_needed")
    sign_in(page, live_server.url)
    page.get_by_text("I took a pain reliever").click()
    page.get_by_role("button", name="Save dose").click()
    wait_until(page, lambda: Dose.objects.count() == 1)
    page.reload()
    expect(page.get_by_role("heading", name="Did the Oxycodone help?")).to_have_count(0)

    # The server's clock 35 minutes on (the live server runs in this process).
    with time_machine.travel(timezone.now() + timedelta(minutes=35)):
        page.reload()
        question = page.get_by_role("group", name="Did the Oxycodone help?")
        expect(question).to_be_visible()
        assert_accessible(page)
        question.get_by_role("button", name="Quite a lot").click()
        expect(status(page)).to_contain_text("Thank you. Saved for Oxycodone 5 mg: quite a lot.")
    assert Dose.objects.get().relief == "good"


# --- a dose the diary refuses is shown, with the diary's words, until deleted ------------------------------

DOSES_API = re.compile(r"/api/v1/doses/?(\?.*)?$")
REFUSED_DOSES = "Doses your diary did not accept"


def log_dose(page: Page, label: str) -> None:
    page.get_by_text("I took a pain reliever").click()
    page.get_by_label(label).check()
    page.get_by_role("button", name="Save dose").click()


@pytest.mark.browser
def test_a_dose_the_diary_refuses_is_shown_with_its_words_until_deleted(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    """Logged offline; the medicine is taken off the list before the phone is back online, so the
    diary answers 400. The dose stays on the phone, shown with the diary's reason, after a reload
    too (when the page has no dose form any more), until Pat deletes it."""
    pat = make_patient()
    oxycodone = medication.medicine_create(patient=pat, name="Oxycodone", strength="5 mg", kind="as_needed")
    sign_in(page, live_server.url)
    wait_for_worker(page)
    page.context.set_offline(True)
    log_dose(page, "Oxycodone 5 mg")
    expect(status(page)).to_contain_text("Oxycodone 5 mg: saved on this phone, will send when online.")
    assert medication.medicine_delete(medicine=oxycodone)  # no doses in the diary: deleted outright

    page.context.set_offline(False)
    refused = page.get_by_role("region", name=REFUSED_DOSES)
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("Oxycodone 5 mg, taken")
    expect(refused).to_contain_text("Medicine: Choose one of your own medicines.")
    expect(page.get_by_role("region", name="Check-ins that need your attention")).to_be_hidden()
    [kept] = outbox_items(page, pat)
    assert (kept["kind"], kept["state"], kept["problem"]["status"]) == ("dose", "attention", 400)
    assert Dose.objects.count() == 0

    page.reload()
    expect(page.get_by_text("I took a pain reliever")).to_have_count(0)
    expect(refused).to_contain_text("Medicine: Choose one of your own medicines.")
    assert_accessible(page)
    refused.get_by_role("button", name=re.compile("^Delete dose of")).click()
    expect(status(page)).to_contain_text("Dose deleted from this phone.")
    expect(refused).to_be_hidden()
    wait_until(page, lambda: not outbox_items(page, pat))
    assert Dose.objects.count() == 0


@pytest.mark.browser
def test_a_dose_refused_with_409_is_explained_in_plain_words_and_kept(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    """A 409 (the reference is another's) is said plainly; nothing is deleted unasked, and a waiting
    check-in is not mixed up with it."""
    pat = make_patient()
    medication.medicine_create(patient=pat, name="Morphine", strength="10 mg", kind="as_needed")
    sign_in(page, live_server.url)
    wait_for_worker(page)

    def conflict(route: Route) -> None:
        if route.request.method == "POST":
            route.fulfill(status=409, json={"detail": "This client_uuid is already used."})
        else:
            route.fallback()

    page.context.route(DOSES_API, conflict)
    log_dose(page, "Morphine 10 mg")
    refused = page.get_by_role("region", name=REFUSED_DOSES)
    expect(refused).to_contain_text("Morphine 10 mg, taken")
    expect(refused).to_contain_text("Your diary could not accept this dose's reference.")
    expect(refused.get_by_role("listitem").filter(has=page.get_by_role("heading"))).to_have_count(1)
    page.wait_for_timeout(500)
    assert [item["state"] for item in outbox_items(page, pat)] == ["attention"]
    assert Dose.objects.count() == 0


# --- the relief question's push, tapped while the home page is open ------------------------------------------

CLICK_THE_NOTIFICATION = """async () => {
    const [notification] = await self.registration.getNotifications();
    try {
        self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
    } catch (error) {
        // waitUntil refuses an event the browser did not send; the handler has started by then.
    }
}"""


def tap_the_relief_push(page: Page, context: BrowserContext, base_url: str) -> None:
    """The push the server sends 30 minutes after the dose (diary/reminders.py), shown and tapped."""
    cdp = context.new_cdp_session(page)
    data = json.dumps(reminders.payload("relief_question"))
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": base_url, "registrationId": registration_id(page, cdp), "data": data},
    )
    wait_until(page, lambda: page.evaluate(NOTIFICATIONS))
    # No DevTools command clicks a notification: the worker is handed the click event as the browser would.
    context.service_workers[0].evaluate(CLICK_THE_NOTIFICATION)


@pytest.mark.browser
def test_tapping_the_relief_push_shows_the_question_on_the_open_home_page(
    page: Page, context: BrowserContext, live_server: Any, transactional_db: Any
) -> None:
    """The home page was loaded before the question came due; the tap loads it afresh, and it asks."""
    pat = make_patient()
    medication.medicine_create(patient=pat, name="Oxycodone", strength="5 mg", kind="as_needed")
    context.grant_permissions(["notifications"], origin=live_server.url)
    sign_in(page, live_server.url)
    wait_for_worker(page)
    log_dose(page, "Oxycodone 5 mg")
    wait_until(page, lambda: Dose.objects.count() == 1)
    with time_machine.travel(timezone.now() + timedelta(minutes=35)):
        expect(page.get_by_role("group", name="Did the Oxycodone help?")).to_have_count(0)
        tap_the_relief_push(page, context, live_server.url)
        expect(page.get_by_role("group", name="Did the Oxycodone help?")).to_be_visible()
    assert page.url == f"{live_server.url}/"


@pytest.mark.browser
def test_tapping_the_relief_push_never_loses_answers_being_typed(
    page: Page, context: BrowserContext, live_server: Any, transactional_db: Any
) -> None:
    """Halfway through a check-in, the tap brings the page forward as it is: the answer stays, unsaved."""
    pat = make_patient()
    medication.medicine_create(patient=pat, name="Oxycodone", strength="5 mg", kind="as_needed")
    context.grant_permissions(["notifications"], origin=live_server.url)
    sign_in(page, live_server.url)
    wait_for_worker(page)
    log_dose(page, "Oxycodone 5 mg")
    wait_until(page, lambda: Dose.objects.count() == 1)
    pain = page.get_by_role("group", name="Pain right now").get_by_role("radio", name=re.compile(r"^6\b"))
    pain.check()
    with time_machine.travel(timezone.now() + timedelta(minutes=35)):
        tap_the_relief_push(page, context, live_server.url)
        wait_until(page, lambda: not page.evaluate(NOTIFICATIONS))
        page.wait_for_timeout(1000)
        expect(pain).to_be_checked()
        expect(page.get_by_role("group", name="Did the Oxycodone help?")).to_have_count(0)
