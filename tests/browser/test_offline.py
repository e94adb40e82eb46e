"""The diary as an app on a phone: installable, usable offline, and safe on a shared phone.

Who is who: Pat is a patient who checks in on her phone, sometimes without a signal;
Olive is another patient who signs in on the same phone after her.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from django.db import OperationalError
from django.utils import timezone
from playwright.sync_api import BrowserContext, BrowserType, Page, expect
from playwright.sync_api import Error as PlaywrightError
from rest_framework.response import Response

from diary import services
from diary.api.checkins import CheckinListCreateView
from diary.models import CheckIn
from tests.browser.conftest import CHROMIUM
from tests.browser.test_smoke import assert_accessible, screenshot
from tests.conftest import PASSWORD

PAT = "pat@example.com"
OLIVE = "olive@example.com"
ACUTE_TEL = "tel:08001234567"  # CLINIC_ACUTE_PHONE of pyproject.toml, as the link dials it

WORKER_ACTIVATED = """async () => {
    const activated = (async () => {
        const worker = (await navigator.serviceWorker.ready).active;
        if (worker.state !== "activated") {
            await new Promise((done) => worker.addEventListener("statechange", () => {
                if (worker.state === "activated") done();
            }));
        }
        return worker.state;
    })();
    const giveUp = new Promise((done) => setTimeout(() => done("not activated after 15 s"), 15000));
    return Promise.race([activated, giveUp]);
}"""

# Polls a global inside the page. (page.wait_for_function would evaluate a string, which the CSP forbids.)
SOON = """async ([path, ms]) => {
    const read = () => path.split(".").reduce((value, key) => (value === undefined ? undefined : value[key]), self);
    const end = Date.now() + ms;
    while (!read() && Date.now() < end) await new Promise((done) => setTimeout(done, 50));
    return Boolean(read());
}"""


def make_patient(email: str = PAT, name: str = "Pat Patient") -> Any:
    user = services.patient_signup(email=email, password=PASSWORD, timezone_name="Europe/London")
    return services.profile_update(user=user, display_name=name)


def sign_in(page: Page, base_url: str, email: str = PAT) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")


def wait_for_worker(page: Page) -> None:
    """Until the worker is activated and controls the page (TESTING.md: `ready` comes before that)."""
    assert page.evaluate(WORKER_ACTIVATED) == "activated"
    if not page.evaluate(SOON, ["navigator.serviceWorker.controller", 2000]):
        # A page whose navigation began while the worker was installing (here: signing in)
        # can miss its clients.claim(); the page's next load is controlled.
        page.reload()
        assert page.evaluate(SOON, ["navigator.serviceWorker.controller", 5000])


def go_offline_on_the_shell(page: Page) -> None:
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")


def sign_in_and_go_offline(page: Page, base_url: str) -> None:
    """Pat signs in, the worker takes control, the phone loses signal: the check-in shell is showing."""
    sign_in(page, base_url)
    wait_for_worker(page)
    go_offline_on_the_shell(page)


def open_more(page: Page) -> None:
    """Unfold "More (where, sleep, symptoms, note)": every question but the two scales is folded there."""
    more = page.locator("details.checkin-more")
    if not more.evaluate("(details) => details.open"):
        more.locator("summary").click()


def check_in(page: Page, pain: int, tiredness: int, *symptoms: str) -> None:
    """The basic check-in: a number for pain, one for tiredness, and Save (three taps)."""
    page.get_by_role("group", name="Pain right now").get_by_role("radio", name=re.compile(rf"^{pain}\b")).check()
    page.get_by_role("group", name="Tiredness right now").get_by_role(
        "radio", name=re.compile(rf"^{tiredness}\b")
    ).check()
    if symptoms:
        open_more(page)
    for symptom in symptoms:
        page.get_by_role("checkbox", name=symptom).check()
    page.get_by_role("button", name="Save check-in").click()


def status(page: Page) -> Any:
    return page.get_by_role("status")


def wait_until(page: Page, condition: Any, timeout: float = 10) -> None:
    """Poll, letting Playwright deliver its events meanwhile (a plain sleep would hold them back)."""
    deadline = time.monotonic() + timeout
    while not _holds(condition):
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def _holds(condition: Any) -> bool:
    try:
        return bool(condition())
    except OperationalError:
        # SQLite's shared in-memory test database locks a table while the live server writes to it.
        return False


@pytest.mark.browser
def test_it_opens_the_check_in_form_offline_from_the_workers_cache(
    page: Page,
    live_server: Any,
    transactional_db: Any,
    browser: Any,
    browser_context_args: dict[str, Any],
) -> None:
    pat = make_patient()
    services.checkin_create(patient=pat, client_uuid=uuid4(), recorded_at=timezone.now(), pain=6)
    sign_in(page, live_server.url)
    expect(page.get_by_role("heading", name="Your last check-ins")).to_be_visible()
    screenshot(page, "checkin-online")
    wait_for_worker(page)

    go_offline_on_the_shell(page)

    expect(page.get_by_role("group", name="Pain right now").get_by_role("radio")).to_have_count(11)
    expect(page.get_by_role("group", name="Tiredness right now").get_by_role("radio")).to_have_count(11)
    expect(page.get_by_role("button", name="Save check-in")).to_be_visible()
    # The shell is the same for everyone: no recent check-ins, no name, no flags.
    expect(page.get_by_role("heading", name="Your last check-ins")).to_have_count(0)
    assert "Pat Patient" not in page.content()
    assert_accessible(page)
    screenshot(page, "checkin-offline")

    # A page with health data is never kept: offline it is the offline page.
    page.goto(f"{live_server.url}/history")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")

    # The control: without the worker, the same reload fails.
    control: BrowserContext = browser.new_context(**browser_context_args, service_workers="block")
    try:
        other = control.new_page()
        sign_in(other, live_server.url)
        control.set_offline(True)
        with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
            other.reload()
    finally:
        control.close()


@pytest.mark.browser
def test_it_keeps_check_ins_saved_offline_and_sends_them_when_back_online(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    sign_in_and_go_offline(page, live_server.url)

    for number, (pain, tiredness) in enumerate([(3, 2), (4, 3), (5, 4)], start=1):
        check_in(page, pain, tiredness)
        saved = "1 check-in" if number == 1 else f"{number} check-ins"
        expect(status(page)).to_contain_text(f"{saved} saved on this phone, will send when online")
    assert CheckIn.objects.count() == 0

    page.context.set_offline(False)

    wait_until(page, lambda: CheckIn.objects.count() == 3)
    expect(status(page)).to_contain_text("3 check-ins sent to your diary")
    expect(status(page)).not_to_contain_text("saved on this phone")
    checkins = CheckIn.objects.filter(patient=pat).order_by("recorded_at")
    assert [(c.pain, c.fatigue) for c in checkins] == [(3, 2), (4, 3), (5, 4)]
    assert len({c.client_uuid for c in checkins}) == 3


@pytest.mark.browser
def test_it_shows_the_emergency_guidance_from_the_phone_when_offline(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    make_patient()
    sign_in(page, live_server.url)
    wait_for_worker(page)
    page.context.set_offline(True)

    check_in(page, 6, 5, "Arms or legs weak or heavy")

    guidance = page.locator("[data-device-alert]")
    heading = guidance.get_by_role("heading", name=re.compile("Get help now"))
    expect(heading).to_be_focused()
    expect(guidance.get_by_role("link", name=re.compile(r"^Call 0800 123 4567 now"))).to_have_attribute(
        "href", ACUTE_TEL
    )
    expect(guidance).to_contain_text("Arms or legs weak or heavy")
    expect(guidance).to_contain_text("You are offline")
    assert CheckIn.objects.count() == 0
    screenshot(page, "checkin-offline-emergency")

    # Nothing behind it can be reached; only its own button leaves it.
    expect(page.locator("main")).to_have_attribute("inert", "")
    guidance.get_by_role("button", name="I have read this. Back to my diary").click()
    expect(guidance).to_be_hidden()
    expect(status(page)).to_contain_text("1 check-in saved on this phone, will send when online")


@pytest.mark.browser
def test_it_is_installable(
    browser_type: BrowserType,
    browser_type_launch_args: dict[str, Any],
    live_server: Any,
    transactional_db: Any,
    tmp_path: Path,
) -> None:
    """Chromium's own check; only a persistent context can pass it (others report in-incognito)."""
    context = browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=browser_type_launch_args["args"],
        headless=True,
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        wait_for_worker(page)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
    finally:
        context.close()


def outbox_size(page: Page, user: Any) -> int:
    """How many of this person's check-ins the phone holds (the page's scripts run after its markup shows)."""
    assert page.evaluate(SOON, ["self.diaryOutbox", 5000])
    return page.evaluate("async (id) => (await self.diaryOutbox.items(id)).length", user.pk)


@pytest.mark.browser
def test_it_sends_from_background_sync_with_no_page_of_the_diary_open(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    make_patient()
    sign_in(page, live_server.url)
    wait_for_worker(page)
    page.context.set_offline(True)
    check_in(page, 3, 2)
    expect(status(page)).to_contain_text("1 check-in saved on this phone")

    # Only the worker is left to send it.
    page.goto("about:blank")
    page.context.set_offline(False)
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    wait_until(page, lambda: bool(registrations))
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server.url,
            "registrationId": registrations[0]["registrationId"],
            "tag": "diary-outbox",
            "lastChance": False,
        },
    )

    wait_until(page, lambda: CheckIn.objects.count() == 1)


@pytest.mark.browser
def test_it_never_sends_or_shows_one_patients_check_ins_under_another(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    olive = make_patient(OLIVE, "Olive Other")
    sign_in(page, live_server.url)
    wait_for_worker(page)
    page.context.set_offline(True)
    check_in(page, 3, 2)

    # Pat's session ends without her signing out (it expired), and the phone is back online.
    page.context.clear_cookies()
    page.context.set_offline(False)
    expect(status(page)).to_contain_text("1 check-in saved on this phone. Sign in again to send it.")
    expect(page.get_by_role("link", name="Sign in again to send them")).to_be_visible()
    assert CheckIn.objects.count() == 0

    sign_in(page, live_server.url, OLIVE)
    check_in(page, 5, 5)
    wait_until(page, lambda: CheckIn.objects.count() == 1)
    expect(status(page)).to_contain_text("Check-in saved at")
    expect(status(page)).not_to_contain_text("saved on this phone")
    assert CheckIn.objects.get().patient == olive
    assert outbox_size(page, pat) == 1

    # Pat signs in again on the phone: hers goes, as hers.
    page.context.clear_cookies()
    sign_in(page, live_server.url)
    wait_until(page, lambda: CheckIn.objects.filter(patient=pat).count() == 1)
    assert CheckIn.objects.get(patient=pat).pain == 3


@pytest.mark.browser
def test_it_lists_a_check_in_the_diary_refused_until_it_is_changed(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    sign_in(page, live_server.url)
    # As if saved on a phone whose clock ran an hour fast: the API refuses it (400).
    page.evaluate(
        """async (userId) => {
            const clientUuid = crypto.randomUUID();
            const body = {client_uuid: clientUuid, recorded_at: new Date(Date.now() + 3600e3).toISOString(),
                          pain: 4, fatigue: 2, pain_locations: [], symptoms: [], notes: ""};
            await self.diaryOutbox.save({client_uuid: clientUuid, user_id: userId, body, saved_at: Date.now(),
                                         state: "waiting"});
        }""",
        pat.pk,
    )
    page.reload()

    refused = page.get_by_role("region", name="Check-ins that need your attention")
    expect(refused).to_contain_text("Time: That time is later than now.")
    expect(refused).to_contain_text("pain 4/10, tiredness 2/10")
    assert CheckIn.objects.count() == 0
    assert_accessible(page)

    refused.get_by_role("button", name=re.compile("^Change and save again")).click()
    pain = page.get_by_role("group", name="Pain right now")
    expect(pain.get_by_role("radio", name=re.compile(r"^4\b"))).to_be_checked()
    page.get_by_label("Earlier time (optional)").fill("")
    page.get_by_role("button", name="Save check-in").click()

    expect(status(page)).to_contain_text("Check-in saved at")
    expect(refused).to_be_hidden()
    assert CheckIn.objects.get().pain == 4
    assert outbox_size(page, pat) == 0


@pytest.mark.browser
def test_it_warns_before_signing_out_would_lose_check_ins_and_then_forgets_them(
    page: Page, live_server: Any, transactional_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pat = make_patient()
    sign_in(page, live_server.url)
    wait_for_worker(page)
    page.context.set_offline(True)
    check_in(page, 3, 2)
    # Back online, but the diary is down, so the check-in stays on the phone. (Patched in the
    # server, which runs in this process: page.route would miss the worker's Background Sync.)
    monkeypatch.setattr(CheckinListCreateView, "post", lambda view, request: Response(status=503))
    page.context.set_offline(False)
    expect(status(page)).to_contain_text("1 check-in saved on this phone. The diary could not take it just now")

    page.get_by_role("button", name="Sign out").click()
    dialog = page.get_by_role("dialog", name="Check-ins not sent yet")
    expect(dialog).to_contain_text("1 check-in saved on this phone has not reached your diary yet.")
    screenshot(page, "sign-out-warning")
    dialog.get_by_role("button", name="Stay signed in until they are sent").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")
    assert outbox_size(page, pat) == 1

    page.get_by_role("button", name="Sign out").click()
    dialog.get_by_role("button", name="Sign out and delete them").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(status(page)).to_contain_text("You have signed out.")
    assert outbox_size(page, pat) == 0
    assert CheckIn.objects.count() == 0


@pytest.mark.browser
def test_it_says_so_when_a_new_version_takes_over(
    page: Page, live_server: Any, transactional_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontend import pwa

    make_patient()
    sign_in(page, live_server.url)
    wait_for_worker(page)
    # A returning visitor: the page was loaded under the worker (the first page a worker claims is an
    # install, not an update, and says nothing). Signing in can be quicker than the worker's install.
    page.reload()
    wait_for_worker(page)
    old = page.evaluate("caches.keys()")

    # A deploy: the live server runs in this process, so the worker it serves changes at once once
    # the worker kept for the life of the process is forgotten (a deploy starts new processes).
    monkeypatch.setattr(pwa, "cache_version", lambda: "after-the-deploy")
    pwa.clear_memo()
    page.evaluate("navigator.serviceWorker.getRegistration().then((registration) => registration.update())")

    expect(status(page)).to_contain_text("The app was updated.")
    wait_until(page, lambda: page.evaluate("caches.keys()") == ["diary-shell-after-the-deploy"])
    assert old != ["diary-shell-after-the-deploy"]


@pytest.mark.browser
def test_it_shows_the_diarys_own_alert_page_once_the_check_in_reaches_it(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    make_patient()
    sign_in(page, live_server.url)

    check_in(page, 6, 5, "Difficulty walking")

    # Online the phone's guidance gives way to the diary's, which knows every flag.
    expect(page).to_have_url(f"{live_server.url}/alert")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Get help now")
    assert CheckIn.objects.get().symptoms == ["difficulty_walking"]


@pytest.mark.browser
def test_it_still_saves_with_the_plain_form_without_javascript(
    browser: Any, browser_context_args: dict[str, Any], live_server: Any, transactional_db: Any
) -> None:
    make_patient()
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server.url)
        check_in(page, 7, 4)
        expect(status(page)).to_contain_text(re.compile(r"Check-in saved at \d\d:\d\d\."))
        assert (CheckIn.objects.get().pain, CheckIn.objects.get().fatigue) == (7, 4)
    finally:
        context.close()
