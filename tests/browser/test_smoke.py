"""A new patient on a phone: sign up, check in with two taps, and find it in the history."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from diary.models import CheckIn, User
from tests.conftest import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}, "resultTypes": ["violations"]}


def assert_accessible(page: Page) -> None:
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_snapshot()}"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_it_signs_up_checks_in_and_shows_the_history(page: Page, live_server: Any, transactional_db: Any) -> None:
    page.goto(f"{live_server.url}/signup")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your diary")
    assert_accessible(page)
    screenshot(page, "signup")

    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_role("button", name="Create my diary").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")
    assert page.url == f"{live_server.url}/"
    assert User.objects.get().timezone == "Europe/London"

    pain = page.get_by_role("group", name="Pain right now")
    expect(pain.get_by_role("radio")).to_have_count(11)
    pain.get_by_role("radio", name=re.compile(r"^7")).click()
    tiredness = page.get_by_role("group", name="Tiredness right now")
    tiredness.get_by_role("radio", name=re.compile(r"^4")).click()
    expect(pain.get_by_role("radio", name=re.compile(r"^7"))).to_be_checked()
    expect(pain.get_by_role("radio", name=re.compile(r"^0 No pain"))).not_to_be_checked()
    page.get_by_role("button", name="Save check-in").click()

    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Check-in saved at \d\d:\d\d\."))
    checkin = CheckIn.objects.get()
    assert (checkin.pain, checkin.fatigue) == (7, 4)
    assert_accessible(page)
    screenshot(page, "checkin")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your check-ins")
    entry = page.locator(".checkin-list > li").first
    expect(entry).to_contain_text("Pain")
    expect(entry).to_contain_text("7 out of 10")
    expect(entry).to_contain_text("4 out of 10")
    assert_accessible(page)
    screenshot(page, "history")


@pytest.mark.browser
def test_it_shows_errors_a_screen_reader_can_find(page: Page, live_server: Any, transactional_db: Any) -> None:
    """An empty check-in: a summary at the top, and nothing stored."""
    from diary import services

    services.patient_signup(email="sam@example.com", password=PASSWORD, timezone_name="Europe/London")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("button", name="Save check-in").click()

    expect(page.get_by_role("alert")).to_contain_text("Report at least one of pain")
    assert not CheckIn.objects.exists()
    assert_accessible(page)
    screenshot(page, "checkin-error")
