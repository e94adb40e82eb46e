"""Issue 12, an outside security probe: sign-up, sessions, the admin's sign-in and password checks.

Pat is a patient, Thea her therapist (tests/conftest.py). Each test is named after the finding it
closes and goes through the real URLs with CSRF enforced.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from diary import lockout
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
