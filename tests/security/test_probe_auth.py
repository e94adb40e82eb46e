"""Issue 12, an outside security probe: sign-up, sessions, the admin's sign-in and password checks.

Pat is a patient, Thea her therapist (tests/conftest.py). Each test is named after the finding it
closes and goes through the real URLs with CSRF enforced.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from diary import lockout, signup
from diary.models import SessionRecord, User
from frontend.forms import TOO_MANY_ATTEMPTS
from tests.conftest import PASSWORD, Api, signed_in
from tests.frontend.pages import hidden_inputs, submit, text
from tests.test_mfa import code_for, sign_in

NEW_PASSWORD = "a new calm river of words"


# --- finding 3: "sign out everywhere else" reaches sessions whose key was rotated -------------


def test_finding_3_sign_out_everywhere_reaches_rotated_sessions(patient: Any) -> None:
    """A password change on A rotates A's session key; B's "sign out everywhere else" must still end A."""
    device_a, device_b = signed_in(patient), signed_in(patient)
    device_b.get("/")
    changed = submit(
        device_a,
        "/settings/password",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert device_a.get("/history").status_code == 200
    assert device_b.get("/history").status_code == 302  # the change ended B

    device_b = Client(enforce_csrf_checks=True)
    device_b.post(
        "/login", {**hidden_inputs(device_b.get("/login")), "username": patient.email, "password": NEW_PASSWORD}
    )
    settings_page = device_b.get("/settings")
    assert "Another device" in text(settings_page)  # A is listed under its new key

    device_b.post("/settings/sessions/end", hidden_inputs(settings_page))

    assert device_a.get("/history").status_code == 302
    assert device_b.get("/history").status_code == 200
    assert SessionRecord.objects.filter(user=patient).count() == 1


def test_finding_3_a_password_change_leaves_no_other_stored_session(patient: Any) -> None:
    """Changing the password deletes the other sessions outright, not only by failing their check."""
    here, elsewhere = signed_in(patient), signed_in(patient)
    elsewhere.get("/")

    submit(
        here,
        "/settings/password",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert Session.objects.count() == 1
    assert list(SessionRecord.objects.values_list("session_key", flat=True)) == [here.session.session_key]


# --- finding 13: passing the second step rotates the session key -----------------------------


def test_finding_13_passing_the_second_step_rotates_the_session_key(therapist: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    page = sign_in(client, therapist)
    key_before = client.session.session_key
    device = TOTPDevice.objects.get(user=therapist, confirmed=False)

    client.post("/two-step/setup", {**hidden_inputs(page), "code": code_for(device), "next": "/"})

    key_after = client.session.session_key
    assert key_after != key_before
    assert not Session.objects.filter(session_key=key_before).exists()
    assert client.get("/").status_code == 200
    # The session list follows the new key, so "sign out everywhere else" still reaches it.
    assert list(SessionRecord.objects.filter(user=therapist).values_list("session_key", flat=True)) == [key_after]


# --- finding 11: wrong current passwords count toward the sign-in lockout ----------------------


def test_finding_11_wrong_old_passwords_on_the_password_page_lock_out(patient: Any, settings: Any) -> None:
    """The password page is no oracle: wrong current passwords count with failed sign-ins and lock the address."""
    client = signed_in(patient)
    wrong = {"old_password": "not my password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert submit(client, "/settings/password", wrong).status_code == 200

    locked = submit(client, "/settings/password", wrong)
    assert locked.status_code == 429
    assert lockout.LOCKED in text(locked)

    # Even the right password is refused now, on this page and at sign-in.
    right = {**wrong, "old_password": PASSWORD}
    assert submit(client, "/settings/password", right).status_code == 429
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)
    assert Api().post("auth/login", {"email": patient.email, "password": PASSWORD}).status_code == 429


def test_finding_11_wrong_passwords_on_account_erasure_lock_out(patient: Any, settings: Any) -> None:
    api = Api(patient)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert api.delete("me", {"password": "not my password"}).status_code == 400

    locked = api.delete("me", {"password": "not my password"})
    assert locked.status_code == 429
    assert locked.json() == {"detail": lockout.LOCKED}
    assert api.delete("me", {"password": PASSWORD}).status_code == 429
    assert User.objects.filter(pk=patient.pk).exists()


# --- finding 6: the admin's sign-in counts toward the same per-address limit -------------------


def admin_sign_in(client: Client, email: str, password: str) -> Any:
    page = client.get("/admin/login/?next=/admin/")
    form = {**hidden_inputs(page), "username": email, "password": password, "next": "/admin/"}
    return client.post("/admin/login/?next=/admin/", form)


def test_finding_6_admin_sign_in_shares_the_per_address_limit(db: Any, settings: Any) -> None:
    """Guessing at /admin/login/ is limited as at /login: the same counter, the same words."""
    User.objects.create_superuser("admin@example.com", PASSWORD)
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    app = Api()
    # Many addresses, so no one address locks: what stops this is the limit per client address.
    for n in range(rate - 1):
        app.post("auth/login", {"email": f"guess{n}@example.com", "password": "wrong"})
    last_try = admin_sign_in(Client(enforce_csrf_checks=True), "guess-last@example.com", "wrong")
    assert TOO_MANY_ATTEMPTS not in text(last_try)

    client = Client(enforce_csrf_checks=True)
    refused = admin_sign_in(client, "admin@example.com", PASSWORD)

    assert TOO_MANY_ATTEMPTS in text(refused)
    assert "_auth_user_id" not in client.session  # not signed in, even with the right password


def test_finding_6_admin_sign_in_works_within_the_limit(db: Any) -> None:
    User.objects.create_superuser("admin@example.com", PASSWORD)
    client = Client(enforce_csrf_checks=True)

    signed = admin_sign_in(client, "admin@example.com", PASSWORD)

    assert signed.status_code == 302
    assert "_auth_user_id" in client.session  # signed in (a therapist, so the second step comes next)


# --- finding 1: sign-up reveals nothing (API.md 1.1, SIGNUP_VERIFY_EMAIL) ------------------------

NEW_ADDRESS = "newcomer@example.com"
SIGNUP_PASSWORD = "a long new passphrase"
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def verify_email(settings: Any) -> Any:
    settings.SIGNUP_VERIFY_EMAIL = True
    return settings


def signup_body(email: str, password: str = SIGNUP_PASSWORD) -> dict[str, str]:
    return {"email": email, "password": password, "timezone": "Europe/London"}


def link_in(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/signup/confirm/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_finding_1_signup_answers_the_same_for_new_and_existing_addresses(patient: Any, verify_email: Any) -> None:
    taken = Api().post("auth/signup", signup_body(patient.email))
    new = Api().post("auth/signup", signup_body(NEW_ADDRESS))

    assert taken.status_code == new.status_code == 202
    assert taken.json() == new.json() == {"detail": signup.SENT}
    assert "sessionid" not in taken.cookies and "sessionid" not in new.cookies
    # The difference goes by email, to the address's owner only.
    notice, confirmation = mail.outbox
    assert notice.to == [patient.email] and "Someone tried to sign up" in notice.subject
    assert "/signup/confirm/" not in notice.body
    assert confirmation.to == [NEW_ADDRESS] and "/signup/confirm/" in confirmation.body
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD) and patient.is_active
    # The new account exists, but nothing signs it in until the link is followed; the refusal is
    # the same as a wrong password's.
    pending = User.objects.get(email=NEW_ADDRESS)
    assert pending.signup_pending and not pending.is_active
    refused = Api().post("auth/login", {"email": NEW_ADDRESS, "password": SIGNUP_PASSWORD})
    wrong = Api().post("auth/login", {"email": patient.email, "password": "not the password"})
    assert refused.status_code == wrong.status_code == 400
    assert refused.json() == wrong.json()


def test_finding_1_password_rules_do_not_depend_on_the_address(patient: Any, verify_email: Any) -> None:
    taken = Api().post("auth/signup", signup_body(patient.email, "password123"))
    new = Api().post("auth/signup", signup_body(NEW_ADDRESS, "password123"))

    assert taken.status_code == new.status_code == 400
    assert taken.json() == new.json()
    assert "already exists" not in taken.content.decode()
    assert not mail.outbox


def test_finding_1_the_emailed_link_finishes_signing_up_through_the_api(db: Any, verify_email: Any) -> None:
    api = Api()
    api.post("auth/signup", signup_body(NEW_ADDRESS))
    token = link_in(mail.outbox[0]).rsplit("/", 1)[1]

    confirmed = api.post("auth/signup/confirm", {"token": token})

    assert confirmed.status_code == 201
    assert confirmed.json()["email"] == NEW_ADDRESS
    assert api.get("me").status_code == 200
    assert Api().post("auth/login", {"email": NEW_ADDRESS, "password": SIGNUP_PASSWORD}).status_code == 200
    # The link works once.
    assert Api().post("auth/signup/confirm", {"token": token}).status_code == 400
    assert Api().post("auth/signup/confirm", {"token": "nonsense"}).status_code == 400


def test_finding_1_the_pages_send_to_check_your_email_and_the_link_leaves_the_address_bar(
    patient: Any, verify_email: Any
) -> None:
    for email in (patient.email, NEW_ADDRESS):
        answer = submit(
            Client(enforce_csrf_checks=True),
            "/signup",
            {"email": email, "password": SIGNUP_PASSWORD, "timezone": "Europe/London", "display_name": ""},
        )
        assert answer.status_code == 302
        assert answer["Location"] == "/signup/sent"
    client = Client(enforce_csrf_checks=True)
    assert signup.SENT in text(client.get("/signup/sent"))

    link = link_in(mail.outbox[1])
    moved = client.get(link)
    assert moved.status_code == 302
    assert moved["Location"] == "/signup/confirm"  # the token is kept in the session, not the URL
    page = client.get("/signup/confirm")
    assert "Start my diary" in text(page)
    assert "sessionid" in client.cookies and client.session.get("_auth_user_id") is None

    done = client.post("/signup/confirm", hidden_inputs(page))

    assert done["Location"] == "/"
    assert client.get("/history").status_code == 200
    assert not User.objects.get(email=NEW_ADDRESS).signup_pending
    again = Client(enforce_csrf_checks=True)
    again.get(link)
    assert "This link no longer works" in text(again.get("/signup/confirm"))


def test_finding_1_signing_up_again_while_pending_sends_a_fresh_link(db: Any, verify_email: Any) -> None:
    Api().post("auth/signup", signup_body(NEW_ADDRESS))
    Api().post("auth/signup", signup_body(NEW_ADDRESS, "another long passphrase"))

    first, second = (link_in(message).rsplit("/", 1)[1] for message in mail.outbox)
    assert Api().post("auth/signup/confirm", {"token": first}).status_code == 400  # only the newest works
    assert Api().post("auth/signup/confirm", {"token": second}).status_code == 201
    assert User.objects.filter(email=NEW_ADDRESS).count() == 1


def test_finding_1_the_queued_email_task_holds_only_an_id(patient: Any, verify_email: Any) -> None:
    verify_email.TASKS = DB_TASKS
    Api().post("auth/signup", signup_body(NEW_ADDRESS))
    Api().post("auth/signup", signup_body(patient.email))

    rows = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [row.task_path.rsplit(".", 1)[1] for row in rows] == [
        "signup_confirmation_send",
        "signup_attempt_notice_send",
    ]
    assert [row.args_kwargs for row in rows] == [
        {"args": [User.objects.get(email=NEW_ADDRESS).pk], "kwargs": {}},
        {"args": [patient.pk], "kwargs": {}},
    ]
    assert not mail.outbox  # nothing sent on the request path: the worker sends it


def test_finding_1_signup_takes_as_long_for_a_taken_address_as_for_a_new_one(patient: Any, verify_email: Any) -> None:
    """With a real password hasher and the database task queue, the time tells nothing either."""
    verify_email.TASKS = DB_TASKS
    verify_email.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    timings: dict[str, list[float]] = {"new": [], "taken": []}
    for n in range(5):
        for kind, email in (("new", f"newcomer{n}@example.com"), ("taken", patient.email)):
            api = Api()
            token = api._token()
            started = time.perf_counter()
            answer = api.client.post(
                "/api/v1/auth/signup",
                data=json.dumps(signup_body(email)),
                content_type="application/json",
                headers={"X-CSRFToken": token},
            )
            timings[kind].append(time.perf_counter() - started)
            assert answer.status_code == 202

    new, taken = statistics.median(timings["new"]), statistics.median(timings["taken"])
    assert abs(new - taken) < 0.25 * max(new, taken) + 0.02, timings
