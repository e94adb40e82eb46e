"""Reminders in a real Chromium: "Remind me on this phone" on the settings page, and the service
worker's `push` and `notificationclick` (TESTING.md "Web Push").

No push service is reachable from these machines, so the page's subscription comes from a
stand-in pushManager.subscribe (an init script) that answers as Chromium would, with an endpoint
on a real push service's host; the worker's side is driven through the DevTools protocol's
ServiceWorker.deliverPushMessage. Pat is a patient on her phone (tests/browser/test_offline.py).
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import BrowserContext, Page, expect

from diary.models import PushSubscription
from tests.browser.support import make_patient, sign_in, wait_for_worker, wait_until
from tests.browser.test_smoke import assert_accessible, screenshot

ENDPOINT = "https://fcm.googleapis.com/fcm/send/chromium-test-phone"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def stand_in_subscription() -> dict[str, Any]:
    """What Chromium's PushSubscription.toJSON() gives: the endpoint and the phone's two keys."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "endpoint": ENDPOINT,
        "expirationTime": None,
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
    }


# Counts permission requests, and stands in for the push service: subscribe() records the key it
# was given and answers a subscription; getSubscription() answers it afterwards.
STAND_IN = """
(() => {
  const subscription = %s;
  self.__push = { permissionRequests: 0, subscribedWith: null };
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...args) => { self.__push.permissionRequests += 1; return ask(...args); };
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    self.__push.subscribedWith = {
      userVisibleOnly: options.userVisibleOnly,
      key: Array.from(new Uint8Array(options.applicationServerKey)),
    };
    current = {
      endpoint: subscription.endpoint,
      toJSON: () => subscription,
      unsubscribe: async () => { current = null; return true; },
    };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


@pytest.mark.browser
def test_it_subscribes_this_phone_from_a_tap_and_says_so(
    page: Page, context: BrowserContext, live_server: Any, transactional_db: Any
) -> None:
    """No permission prompt on load; the tap asks, subscribes with the server's key, and the page says
    this phone will be reminded once reminders are on. The settings page passes axe."""
    patient = make_patient()
    context.grant_permissions(["notifications"], origin=live_server.url)
    page.add_init_script(STAND_IN % json.dumps(stand_in_subscription()))
    sign_in(page, live_server.url)
    wait_for_worker(page)

    page.goto(f"{live_server.url}/settings")
    expect(page.get_by_role("heading", name="Reminders", exact=True)).to_be_visible()
    status = page.locator("[data-push-status]")
    expect(status).to_have_text("This phone is not set up for reminders.")
    assert page.evaluate("self.__push.permissionRequests") == 0
    expect(page.locator("[data-push-unavailable]")).to_be_hidden()
    assert_accessible(page)

    # Reminders on, by push: the plain form.
    page.get_by_label("Remind me to check in").check()
    page.get_by_role("button", name="Save reminders").click()
    expect(page.get_by_role("status").first).to_contain_text("Reminders saved.")

    page.get_by_role("button", name="Remind me on this phone").click()
    expect(status).to_have_text("This phone will be reminded at the times above.")
    assert page.evaluate("self.__push.permissionRequests") == 1
    subscribed_with = page.evaluate("self.__push.subscribedWith")
    assert subscribed_with["userVisibleOnly"] is True
    server_key = page.evaluate("fetch('/api/v1/push/key').then((answer) => answer.json())")["public_key"]
    assert b64url(bytes(subscribed_with["key"])) == server_key
    stored = PushSubscription.objects.get()
    assert (stored.patient_id, stored.endpoint) == (patient.pk, ENDPOINT)
    screenshot(page, "settings-reminders")
    assert_accessible(page)

    page.get_by_role("button", name="Stop reminders on this phone").click()
    expect(status).to_have_text("This phone is not set up for reminders.")
    assert not PushSubscription.objects.exists()


@pytest.mark.browser
def test_it_tells_an_iphone_about_the_home_screen(browser: Any, live_server: Any, transactional_db: Any) -> None:
    """Safari on an iPhone, not from the Home Screen: no PushManager, and the page says what to do."""
    make_patient()
    iphone = browser.new_context(
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    page = iphone.new_page()
    page.add_init_script("delete window.PushManager;")
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/settings")
    expect(page.locator("[data-push-ios]")).to_be_visible()
    expect(page.locator("[data-push-ios]")).to_contain_text("Add to Home Screen")
    expect(page.locator("[data-push-setup]")).to_be_hidden()
    iphone.close()


def registration_id(page: Page, cdp: Any) -> str:
    """The worker registration's id, from the DevTools protocol's ServiceWorker domain."""
    found: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: found.extend(r["registrationId"] for r in event["registrations"] if not r["isDeleted"]),
    )
    cdp.send("ServiceWorker.enable")
    wait_until(page, lambda: found)
    return found[0]


NOTIFICATIONS = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
    .map((n) => ({title: n.title, body: n.body, url: n.data && n.data.url, tag: n.tag}))"""


@pytest.mark.browser
def test_it_shows_a_pushed_reminder_and_a_tap_opens_the_check_in_page(
    page: Page, context: BrowserContext, live_server: Any, transactional_db: Any
) -> None:
    """A push with {title, body, url} is shown as a notification; clicking it takes the open diary
    to the check-in page."""
    make_patient()
    context.grant_permissions(["notifications"], origin=live_server.url)
    sign_in(page, live_server.url)
    wait_for_worker(page)
    page.goto(f"{live_server.url}/history")
    wait_for_worker(page)

    cdp = context.new_cdp_session(page)
    payload = {"title": "Time for your check-in", "body": "A minute for your diary.", "url": "/"}
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server.url, "registrationId": registration_id(page, cdp), "data": json.dumps(payload)},
    )
    wait_until(page, lambda: page.evaluate(NOTIFICATIONS))
    assert page.evaluate(NOTIFICATIONS) == [
        {"title": "Time for your check-in", "body": "A minute for your diary.", "url": "/", "tag": "diary-reminder"}
    ]

    # No DevTools command clicks a notification: the worker is handed the click event as the browser would.
    worker = context.service_workers[0]
    worker.evaluate(
        """async () => {
            const [notification] = await self.registration.getNotifications();
            try {
                self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
            } catch (error) {
                // waitUntil refuses an event the browser did not send; the handler has started by then.
            }
        }"""
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")
    assert page.url == f"{live_server.url}/"
    assert page.evaluate(NOTIFICATIONS) == []


@pytest.mark.browser
def test_it_never_shows_more_than_a_reminder_whatever_the_payload(
    page: Page, context: BrowserContext, live_server: Any, transactional_db: Any
) -> None:
    """An empty or odd payload still shows the plain reminder, and never links off the site."""
    make_patient()
    context.grant_permissions(["notifications"], origin=live_server.url)
    sign_in(page, live_server.url)
    wait_for_worker(page)
    cdp = context.new_cdp_session(page)
    registration = registration_id(page, cdp)
    for data in ("", "not json", json.dumps({"title": 7, "url": "https://elsewhere.example/"})):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live_server.url, "registrationId": registration, "data": data},
        )
        # 30 s, not 10: on a loaded CI machine a push has been seen to take longer than 10 s to show.
        wait_until(page, lambda: page.evaluate(NOTIFICATIONS), timeout=30)
        assert page.evaluate(NOTIFICATIONS) == [
            {"title": "Time for your check-in", "body": "A minute for your diary.", "url": "/", "tag": "diary-reminder"}
        ]
        page.evaluate(
            "async () => (await (await navigator.serviceWorker.ready).getNotifications()).forEach((n) => n.close())"
        )
        # Gone before the next push: a close still on its way would close the next reminder, which
        # has the same tag and replaces this one.
        wait_until(page, lambda: page.evaluate(NOTIFICATIONS) == [])


@pytest.mark.browser
def test_signing_out_stops_this_phones_reminders(
    page: Page, context: BrowserContext, live_server: Any, transactional_db: Any
) -> None:
    """A shared phone: when Pat signs out, the server forgets the phone's subscription and the browser drops it."""
    make_patient()
    context.grant_permissions(["notifications"], origin=live_server.url)
    page.add_init_script(STAND_IN % json.dumps(stand_in_subscription()))
    sign_in(page, live_server.url)
    wait_for_worker(page)
    page.goto(f"{live_server.url}/settings")
    page.get_by_role("button", name="Remind me on this phone").click()
    expect(page.locator("[data-push-status]")).to_contain_text("This phone is set up")
    assert PushSubscription.objects.count() == 1

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert not PushSubscription.objects.exists()
