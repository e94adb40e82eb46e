"""A new patient's phone, from the narrowest to an ordinary one (issue 15, items 7, 9–12, 15).

Who is who: Pat is a patient with a few weeks of diary, shared with her therapist Thea.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from diary import limits, services
from diary.models import CheckIn
from tests.browser.support import SCREENSHOTS, keep_diary, make_patient, screenshot, sign_in, status, wait_until
from tests.browser.test_smoke import assert_accessible
from tests.conftest import PASSWORD

# Pat's phone keeps her diary's time (Europe/London), so no travel question stands above the form.
AT_HOME = pytest.mark.browser_context_args(timezone_id="Europe/London")
PATIENT_PAGES = ("/", "/history", "/trends", "/summary", "/links", "/access", "/settings")
# A wrapped link's text has two line boxes; a cut one is wider than its box.
ONE_LINE = """(a) => { const text = document.createRange(); text.selectNodeContents(a);
    return text.getClientRects().length === 1 && a.scrollWidth <= a.clientWidth + 1; }"""
# What sticks out, for the failure message.
TOO_WIDE = """() => [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .slice(0, 5).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def pat_with_a_diary() -> Any:
    pat = make_patient()
    keep_diary(pat, 14)
    thea = services.therapist_create(email="thea@example.com", password=PASSWORD, display_name="Thea Therapist")
    services.link_create(patient=pat, invite_code=thea.invite_code)
    return pat


@pytest.mark.browser
@AT_HOME
@pytest.mark.parametrize("width", [320, 360, 390])
def test_no_patient_page_scrolls_sideways(page: Page, live_server: Any, transactional_db: Any, width: int) -> None:
    """Every patient page fits the phone's width; the navigation's last item is whole and not wrapped."""
    pat = pat_with_a_diary()
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, live_server.url)
    pages = [*PATIENT_PAGES, f"/checkins/{CheckIn.objects.filter(patient=pat).first().pk}/edit"]
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(SIDEWAYS) == 0, f"{path} scrolls sideways at {width} px: {page.evaluate(TOO_WIDE)}"
        settings_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")
        box = settings_link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, f"{path}: Settings is cut"
        for link in page.get_by_role("navigation", name="Main").get_by_role("link").all():
            # One line each: a wrapped "Check in" is two lines tall.
            assert link.evaluate(ONE_LINE), f"{path}: a navigation link wraps or is cut at {width} px"
    page.goto(f"{live_server.url}/")
    screenshot(page, f"checkin-{width}")


@pytest.mark.browser
@AT_HOME
def test_the_first_screen_holds_both_scales_and_save_and_the_list_updates(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    """At 390×844, three taps with no scroll save a check-in, and "Your last check-ins" shows it at once."""
    make_patient()
    sign_in(page, live_server.url)
    expect(page.get_by_role("region", name="Your last check-ins")).to_contain_text("None yet")
    # The first screen only, as the phone shows it.
    page.screenshot(path=str(SCREENSHOTS / "checkin-first-screen.png"), scale="css")
    for control in (
        page.get_by_role("group", name="Pain right now"),
        page.get_by_role("group", name="Tiredness right now"),
        page.get_by_role("button", name="Save check-in"),
    ):
        box = control.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, control
    warning = page.get_by_role("link", name=re.compile("Any warning signs"))
    expect(warning).to_be_visible()

    page.get_by_role("group", name="Pain right now").get_by_role("radio", name=re.compile(r"^6\b")).click()
    page.get_by_role("group", name="Tiredness right now").get_by_role("radio", name=re.compile(r"^3\b")).click()
    # Both numbers chosen without the page moving: Save is in sight as well.
    assert page.evaluate("window.scrollY") == 0
    page.get_by_role("button", name="Save check-in").click()

    expect(status(page)).to_contain_text("Check-in saved at")
    recent = page.get_by_role("region", name="Your last check-ins")
    expect(recent).to_contain_text("pain 6/10, tiredness 3/10")
    expect(recent).not_to_contain_text("None yet")
    assert CheckIn.objects.get().pain == 6

    # The warning signs are one tap away, and the More section opens to them.
    warning.click()
    expect(page.get_by_role("checkbox", name="Arms or legs weak or heavy").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "checkin-more-open")


@pytest.mark.browser
def test_a_zero_gap_double_click_on_save_makes_one_checkin(page: Page, live_server: Any, transactional_db: Any) -> None:
    make_patient()
    sign_in(page, live_server.url)
    page.get_by_role("group", name="Pain right now").get_by_role("radio", name=re.compile(r"^5\b")).click()
    # Two clicks in the same task: no time at all between them.
    page.evaluate("""() => {
        const save = document.querySelector(".checkin-form button[type=submit]");
        save.click();
        save.click();
    }""")
    expect(status(page)).to_contain_text("Check-in saved at")
    page.wait_for_timeout(500)
    assert CheckIn.objects.count() == 1


@pytest.mark.browser
def test_a_double_click_on_the_plain_form_makes_one_checkin(
    browser: Any, live_server: Any, transactional_db: Any
) -> None:
    """Without JavaScript the form's hidden client_uuid, made when the page was rendered, is the key."""
    make_patient()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server.url)
        page.get_by_role("group", name="Pain right now").get_by_role("radio", name=re.compile(r"^5\b")).check()
        page.get_by_role("button", name="Save check-in").dblclick()
        expect(status(page)).to_contain_text("Check-in saved at")
        wait_until(page, lambda: CheckIn.objects.exists())
        page.wait_for_timeout(500)
        assert CheckIn.objects.count() == 1
        # The warning-signs line opens the folded questions without JavaScript too (a fragment link).
        page.get_by_role("link", name=re.compile("Any warning signs")).click()
        expect(page.get_by_role("checkbox", name="Arms or legs weak or heavy")).to_be_visible()
    finally:
        context.close()


@pytest.mark.browser
@AT_HOME
def test_the_earlier_time_cannot_be_later_than_now(page: Page, live_server: Any, transactional_db: Any) -> None:
    make_patient()
    sign_in(page, live_server.url)
    page.get_by_text("More (where, sleep, symptoms, note)").click()
    earlier = page.get_by_label("Earlier time (optional)")
    assert earlier.get_attribute("max")
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1), timezone=_london())
    earlier.fill(f"{tomorrow:%Y-%m-%dT%H:%M}")
    page.get_by_role("group", name="Pain right now").get_by_role("radio", name=re.compile(r"^5\b")).click()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_role("alert")).to_contain_text(limits.RECORDED_AT_LATER_THAN_NOW)
    assert not CheckIn.objects.exists()


def _london() -> ZoneInfo:
    return ZoneInfo("Europe/London")


@pytest.mark.browser
def test_the_notes_counter_appears_near_the_limit(page: Page, live_server: Any, transactional_db: Any) -> None:
    make_patient()
    sign_in(page, live_server.url)
    page.get_by_text("More (where, sleep, symptoms, note)").click()
    notes = page.get_by_role("textbox", name="Notes")
    notes.fill("x" * (limits.NOTES_MAX_LENGTH - 10))
    counter = page.locator("[data-notes-counter]")
    expect(counter).to_have_text("10 characters left")
    notes.fill("x" * (limits.NOTES_MAX_LENGTH + 3))
    expect(counter).to_have_text(f"3 characters too many: notes can be at most {limits.NOTES_MAX_LENGTH}")
    # Nothing was cut.
    assert len(notes.input_value()) == limits.NOTES_MAX_LENGTH + 3
    assert_accessible(page)


@pytest.mark.browser
@AT_HOME
def test_a_weight_typed_in_pounds_reaches_the_diary_in_kg(page: Page, live_server: Any, transactional_db: Any) -> None:
    """The page's script converts as the plain form does (diary/units.py): 160 lb is 72.57 kg."""
    pat = make_patient()
    pat.weight_unit = "lb"
    pat.save(update_fields=["weight_unit"])
    sign_in(page, live_server.url)
    page.get_by_text("More (where, sleep, symptoms, note)").click()
    page.get_by_label("Weight in lb").fill("160")
    page.get_by_role("button", name="Save check-in").click()
    expect(status(page)).to_contain_text("Check-in saved at")
    wait_until(page, lambda: CheckIn.objects.exists())
    assert CheckIn.objects.get().weight_kg == 72.57
    screenshot(page, "checkin-after-save")
