"""The therapist's pages as a newcomer met them (issue 15), on the demo clinic (`manage.py seed_demo`).

Sam Rivera, PT is the demo's therapist; Maria Lopez (pain at night, notes on the bad nights) is the
patient looked at, and Grace Kim has an emergency on top of other flags. At a 390 px phone and a
1280 px laptop: no page scrolls sideways, the timeline shows symptoms and notes, the visit summary
prints on two A4 pages, and downloads are named after the patient.

Screenshots go to screenshots/: `therapist-<page>-<width>.png` and `therapist-summary-a4.pdf`.
"""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from diary.models import User
from tests.browser.support import SCREENSHOTS, load_images, screenshot, session_cookie
from tests.browser.test_smoke import assert_accessible

WIDTHS = {390: 844, 1280: 800}


def demo() -> dict[str, User]:
    """The demo clinic, as `manage.py seed_demo` makes it (the tests run with DEBUG off, hence the flag)."""
    call_command("seed_demo", not_production=True, stdout=StringIO())
    return {
        "therapist": User.objects.get(email="therapist@example.org"),
        "maria": User.objects.get(email="maria@example.org"),
        "grace": User.objects.get(email="grace@example.org"),
    }


def as_therapist(page: Page, people: dict[str, User], base_url: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([session_cookie(people["therapist"], base_url)])


def assert_no_sideways_scroll(page: Page, width: int, where: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{where} scrolls sideways: {scroll} px wide at {width} px"


def pdf_pages(pdf: bytes) -> int:
    # Page objects, not the /Pages tree above them.
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


@pytest.mark.browser
@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_therapists_pages_fit_the_screen_and_the_timeline_shows_symptoms_and_notes(
    page: Page, live_server: Any, transactional_db: Any, width: int
) -> None:
    people = demo()
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    as_therapist(page, people, live_server.url)
    maria = people["maria"].pk
    for name, path in (
        ("patients", reverse("frontend:home")),
        ("patient", reverse("frontend:patient_detail", args=[maria])),
        ("summary", reverse("frontend:patient_summary", args=[maria])),
        ("settings", reverse("frontend:settings")),
    ):
        page.goto(live_server.url + path)
        load_images(page)
        assert_no_sideways_scroll(page, width, name)
        screenshot(page, f"therapist-{name}-{width}")

    # The timeline: a check-in's symptoms and its note are on screen, not off to the side.
    page.goto(live_server.url + reverse("frontend:patient_detail", args=[maria]) + "?show=notes")
    row = page.locator(".checkin-row").first
    note = row.locator(".checkin-note .notes")
    note.scroll_into_view_if_needed()
    expect(note).to_be_visible()
    box = note.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    page.goto(live_server.url + reverse("frontend:patient_detail", args=[people["grace"].pk]) + "?show=symptoms")
    symptoms = page.locator(".checkin-row .checkin-symptoms li").first
    symptoms.scroll_into_view_if_needed()
    expect(symptoms).to_be_visible()
    box = symptoms.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    assert_no_sideways_scroll(page, width, "filtered timeline")
    load_images(page)
    assert_accessible(page)
    screenshot(page, f"therapist-timeline-symptoms-{width}")


@pytest.mark.browser
def test_the_level_filter_finds_a_patient_by_any_of_her_flags(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    """Grace's top flag is an emergency; "Urgent only" still lists her for the urgent flag below it."""
    people = demo()
    as_therapist(page, people, live_server.url)
    page.goto(live_server.url + reverse("frontend:home"))
    load_images(page)  # the pain lines, before the test's database is emptied under them
    levels = page.locator(".triage-card", has_text="Grace Kim").get_attribute("data-levels") or ""
    assert levels.split()[0] == "emergency"
    below = levels.split()[1]
    page.get_by_role("combobox", name="Show").select_option(below)
    expect(page.locator(".triage-card:visible", has_text="Grace Kim")).to_have_count(1)


@pytest.mark.browser
def test_the_visit_summary_prints_the_demos_30_days_on_two_a4_pages(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    people = demo()
    as_therapist(page, people, live_server.url)
    page.goto(live_server.url + reverse("frontend:patient_summary", args=[people["maria"].pk]))
    load_images(page)
    page.emulate_media(media="print")
    SCREENSHOTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(SCREENSHOTS / "therapist-summary-a4.pdf"), format="A4")
    assert pdf_pages(pdf) <= 2, f"{pdf_pages(pdf)} A4 pages"


@pytest.mark.browser
def test_downloads_are_named_after_the_patient(page: Page, live_server: Any, transactional_db: Any) -> None:
    people = demo()
    as_therapist(page, people, live_server.url)
    maria = people["maria"]
    page.goto(live_server.url + reverse("frontend:patient_detail", args=[maria.pk]))
    load_images(page)
    for link, extension in (("Spreadsheet", "csv"), ("Data", "json"), ("Health record", "fhir.json")):
        with page.expect_download() as download:
            page.get_by_role("link", name=link).click()
        name = download.value.suggested_filename
        pattern = rf"diary-maria-lopez-{maria.pk}-\d{{4}}-\d{{2}}-\d{{2}}\.{re.escape(extension)}"
        assert re.fullmatch(pattern, name), name
