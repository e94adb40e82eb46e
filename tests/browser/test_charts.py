"""The charts in a real browser: how each chart page looks on a phone and on paper, the print
button, the therapist's list narrowed in the page, and the images' text alternatives.

Who is who, all in Thea's list, one at each level (the list puts the most urgent first):
- Grace: emergency, her legs went weak yesterday.
- Pat: urgent, pain wakes her at night; thirteen weeks of diary for the charts, therapy begun
  eight weeks ago. Her pages are the ones looked at.
- Priya: review, very tired for a week that rest does not help.
- Leo: info, no check-ins for six days.
- James: no flags, two quiet days.

Screenshots and PDFs go to screenshots/ at the project root: `charts-<who>-<page>.png` (the
patient's trends as `charts-patient-trends-<n>days.png`, the printed summary as
`charts-summary-print.png`) and `summary-a4.pdf`, `summary-letter.pdf`.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, Request, Response, expect

from diary import medication, selectors, services
from frontend.drawing import CHARTS
from tests.browser.support import (
    SCREENSHOTS,
    keep_diary,
    load_images,
    make_patient,
    screenshot,
    session_cookie,
)
from tests.browser.test_accessibility import assert_fits_the_phone
from tests.conftest import PASSWORD

LIST_SIZE = 5
PRINT_STUB = "window.print = () => { window.printCalls = (window.printCalls || 0) + 1; };"


def at(patient: Any, days_ago: int, hour: int) -> datetime:
    """A moment `days_ago` local dates back, at `hour` o'clock in the patient's zone."""
    zone = ZoneInfo(patient.timezone)
    return datetime.combine(timezone.now().astimezone(zone).date() - timedelta(days=days_ago), time(hour), zone)


def check_in(patient: Any, days_ago: int, hour: int, **fields: Any) -> None:
    services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=at(patient, days_ago, hour), **fields)


def clinic() -> dict[str, Any]:
    thea = services.therapist_create(email="thea@example.com", password=PASSWORD, display_name="Thea Therapist")
    pat = make_patient()
    services.profile_update(user=pat, therapy_started_on=selectors.today_for(pat) - timedelta(weeks=8))
    keep_diary(pat, 91)
    # As-needed doses, so the doses' chart is drawn too: more in the weeks before therapy than since.
    oxycodone = medication.medicine_create(patient=pat, name="oxycodone", strength="5 mg", kind="as_needed")
    for days_ago in range(1, 91, 2):  # from yesterday: 14:00 today may be still to come
        for _ in range(1 + days_ago % 3 + (days_ago > 56)):
            medication.dose_create(
                patient=pat, client_uuid=uuid4(), medicine_id=oxycodone.pk, taken_at=at(pat, days_ago, 14)
            )
    grace = make_patient("grace@example.com", "Grace Kim")
    for days_ago in (4, 3, 2):
        check_in(grace, days_ago, 9, pain=4, fatigue=3)
    check_in(grace, 1, 9, pain=6, fatigue=4, symptoms=["limb_weakness", "difficulty_walking"])
    priya = make_patient("priya@example.com", "Priya Shah")
    for days_ago in range(7, 0, -1):
        check_in(priya, days_ago, 10, pain=2, fatigue=8, rest_helped="no", sleep_hours=9)
    leo = make_patient("leo@example.com", "Leo Martin")
    for days_ago in (8, 7, 6):
        check_in(leo, days_ago, 18, pain=2, fatigue=2)
    james = make_patient("james@example.com", "James Carter")
    for days_ago in (1, 0):
        check_in(james, days_ago, 0 if days_ago == 0 else 12, pain=2, fatigue=2)
    for patient in (pat, grace, priya, leo, james):
        services.link_create(patient=patient, invite_code=thea.invite_code)
    return {"patient": pat, "therapist": thea}


def as_user(page: Page, user: Any, base_url: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([session_cookie(user, base_url)])


def chart_pages(data: dict[str, Any]) -> dict[str, list[str]]:
    """Each chart page by who sees it: the patient's own and the therapist's."""
    pat = data["patient"].pk
    return {
        "patient": [reverse("frontend:my_trends"), reverse("frontend:my_summary")],
        "therapist": [
            reverse("frontend:home"),
            reverse("frontend:patient_detail", args=[pat]),
            reverse("frontend:patient_summary", args=[pat]),
        ],
    }


def pdf_pages(pdf: bytes) -> int:
    # Page objects, not the /Pages tree above them.
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


@pytest.mark.browser
def test_it_shows_each_chart_page_on_a_phone(page: Page, live_server: Any, transactional_db: Any) -> None:
    """Full-page screenshots to look at, each page fitting the phone with every chart drawn."""
    data = clinic()
    shots = [
        ("patient", f"{reverse('frontend:my_trends')}?days={days}", f"charts-patient-trends-{days}days")
        for days in (7, 30, 90)
    ]
    shots += [
        ("patient", reverse("frontend:my_summary"), "charts-patient-summary"),
        ("therapist", reverse("frontend:home"), "charts-therapist-patients"),
        ("therapist", reverse("frontend:patient_detail", args=[data["patient"].pk]), "charts-therapist-patient"),
        ("therapist", reverse("frontend:patient_summary", args=[data["patient"].pk]), "charts-therapist-summary"),
    ]
    for who, path, name in shots:
        as_user(page, data[who], live_server.url)
        page.goto(live_server.url + path)
        images = load_images(page)
        assert images, f"{name}: no charts"
        assert all(image["width"] > 0 for image in images), f"{name}: {images}"
        assert_fits_the_phone(page, name)
        screenshot(page, name)


@pytest.mark.browser
def test_every_chart_image_on_the_chart_pages_loads(page: Page, live_server: Any, transactional_db: Any) -> None:
    """The chart URLs are images, not pages (the accessibility tour leaves them out): each one loads as SVG."""
    data = clinic()
    answers: dict[str, Response] = {}
    page.on("response", lambda response: answers.__setitem__(response.url, response))
    for who, paths in chart_pages(data).items():
        as_user(page, data[who], live_server.url)
        for path in paths:
            page.goto(live_server.url + path)
            images = load_images(page)
            # Every chart on a trends page; a sparkline per patient on the list.
            assert len(images) == (LIST_SIZE if path == "/" else len(CHARTS)), f"{path}: {images}"
            for image in images:
                assert image["width"] > 0, f"{path}: {image['src']} drew nothing"
                answer = answers[image["src"]]
                assert answer.status == 200, f"{path}: {image['src']}"
                assert answer.headers["content-type"] == "image/svg+xml", f"{path}: {image['src']}"


@pytest.mark.browser
def test_every_image_has_a_text_alternative(page: Page, live_server: Any, transactional_db: Any) -> None:
    """An alt that says what the chart is, or alt="" where the figures are in words beside it (the sparkline)."""
    data = clinic()
    for who, paths in chart_pages(data).items():
        as_user(page, data[who], live_server.url)
        for path in paths:
            page.goto(live_server.url + path)
            images = page.locator("main img")
            expect(images.first).to_be_attached()
            for image in images.all():
                alt = image.get_attribute("alt")
                assert alt is not None, f"{path}: an image without alt"
                if alt.strip():
                    continue
                # Decorative only because the row says the same: "Pain 3–9/10 in 14 days, latest 7, rising".
                words = image.locator("xpath=..").inner_text()
                assert re.search(r"Pain \d+(–\d+)?/10 in 14 days|No pain scores", words), f"{path}: {words!r}"


@pytest.mark.browser
def test_the_visit_summary_prints_without_the_screen_parts(page: Page, live_server: Any, transactional_db: Any) -> None:
    """On paper: no header, menu, period chooser or button, the charts all there, A4 and Letter both."""
    data = clinic()
    as_user(page, data["patient"], live_server.url)
    page.goto(live_server.url + reverse("frontend:my_summary"))
    expect(page.get_by_role("button", name="Print this summary")).to_be_visible()
    images = load_images(page)

    page.emulate_media(media="print")
    # About the width of the printed page (A4 less its margins at 96 px an inch), not the phone's.
    page.set_viewport_size({"width": 720, "height": 1000})
    for hidden in (
        page.locator(".site-header"),
        page.get_by_role("navigation", name="Main"),
        page.get_by_role("navigation", name="Period of the charts"),
        page.get_by_role("button", name="Print this summary"),
        page.get_by_role("link", name="Back to my trends"),
    ):
        expect(hidden).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text("Visit summary")
    charts = page.locator("main img")
    expect(charts).to_have_count(len(images))
    for chart in charts.all():
        expect(chart).to_be_visible()
    screenshot(page, "charts-summary-print")

    for paper in ("A4", "Letter"):
        path = SCREENSHOTS / f"summary-{paper.lower()}.pdf"
        pdf = page.pdf(path=str(path), format=paper)
        assert pdf.startswith(b"%PDF")
        # 30 days (the default period): the facts, flags, the charts small and a few notes (issue 15: two pages).
        assert 1 <= pdf_pages(pdf) <= 2, f"{paper}: {pdf_pages(pdf)} pages"


@pytest.mark.browser
def test_the_print_button_opens_the_browsers_print(page: Page, live_server: Any, transactional_db: Any) -> None:
    """summary.js shows the button, and the button opens the browser's Print."""
    data = clinic()
    as_user(page, data["therapist"], live_server.url)
    page.add_init_script(PRINT_STUB)  # before any script of the page: the stub is what summary.js calls
    page.goto(live_server.url + reverse("frontend:patient_summary", args=[data["patient"].pk]))
    button = page.get_by_role("button", name="Print this summary")
    expect(button).to_be_visible()
    assert page.evaluate("window.printCalls || 0") == 0
    button.click()
    assert page.evaluate("window.printCalls") == 1


@pytest.mark.browser
def test_without_javascript_no_control_shows_that_would_do_nothing(
    live_server: Any, transactional_db: Any, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    """The print button and the list's filter need their scripts: without them they stay hidden."""
    data = clinic()
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        context.add_cookies([session_cookie(data["therapist"], live_server.url)])
        page = context.new_page()
        page.goto(live_server.url + reverse("frontend:patient_summary", args=[data["patient"].pk]))
        expect(page.get_by_role("heading", level=1)).to_have_text("Visit summary")
        expect(page.locator("[data-print]")).to_be_hidden()
        page.goto(live_server.url + reverse("frontend:home"))
        expect(page.locator(".triage-card")).to_have_count(LIST_SIZE)
        expect(page.locator("[data-triage-filter]")).to_be_hidden()
    finally:
        context.close()


@pytest.mark.browser
def test_the_list_narrows_in_the_page_by_keyboard(page: Page, live_server: Any, transactional_db: Any) -> None:
    """Thea finds a patient by typing part of a name or choosing a level; nothing she types leaves the page."""
    data = clinic()
    as_user(page, data["therapist"], live_server.url)
    home = live_server.url + reverse("frontend:home")
    page.goto(home)
    cards = page.locator(".triage-card")
    expect(cards).to_have_count(LIST_SIZE)
    expect(cards.filter(has_text="Leo Martin")).to_contain_text("Missed: last check-in 6 days ago")
    shown = page.locator(".triage-card:visible")
    count = page.locator("[data-triage-count]")
    search = page.get_by_role("searchbox", name="Find by name")
    level = page.get_by_role("combobox", name="Show")
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))

    tab_to(page, search)
    page.keyboard.type("gRa")
    expect(shown).to_have_count(1)
    expect(shown.get_by_role("link")).to_have_text("Grace Kim")
    expect(count).to_have_text(f"Showing 1 of {LIST_SIZE} patients.")
    screenshot(page, "charts-therapist-patients-filtered")

    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    expect(shown).to_have_count(LIST_SIZE)
    expect(count).to_have_text("")

    tab_to(page, level)
    page.keyboard.press("ArrowDown")  # Emergency only
    expect(level).to_have_value("emergency")
    expect(shown.get_by_role("link")).to_have_text("Grace Kim")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # Review only
    expect(level).to_have_value("review")
    # Any of a patient's flags counts (issue 15): Pat's urgent flag tops a review flag too.
    expect(shown.get_by_role("link")).to_have_text(["Pat Patient", "Priya Shah"])
    expect(count).to_have_text(f"Showing 2 of {LIST_SIZE} patients.")
    page.keyboard.press("Home")  # Everyone
    expect(level).to_have_value("")
    expect(shown).to_have_count(LIST_SIZE)
    expect(count).to_have_text("")

    assert page.url == home
    typed = [request for request in sent if "gra" in f"{request.url} {request.post_data or ''}".lower()]
    assert not typed, typed


def tab_to(page: Page, target: Any, most: int = 20) -> None:
    """Press Tab until `target` has the focus, as someone without a mouse would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("(element) => element === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached in {most} presses of Tab")
