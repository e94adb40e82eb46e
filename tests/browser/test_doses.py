"""A pain reliever logged from the check-in page in three taps, offline too, and "Did it help?" later.

Pat is a patient with two medicines she takes when she needs them, on her phone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from diary import medication
from diary.models import Dose
from tests.browser.support import make_patient, outbox_items, sign_in, status, wait_for_worker, wait_until
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
