"""Passwords: a reset link by email (Django's token machinery), and changing one's password.

Either way every other session of the account ends, and the access audit records it.
"""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.test import Client

from diary.models import AuditEvent
from tests.conftest import PASSWORD, Api, signed_in
from tests.frontend.pages import hidden_inputs, submit, text

NEW_PASSWORD = "a new calm river of words"


def password_is(user: Any, password: str) -> bool:
    user.refresh_from_db()
    return bool(user.check_password(password))


def reset_link(client: Client, email: str) -> str:
    response = submit(client, "/password-reset", {"email": email})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent"
    (message,) = mail.outbox
    match = re.search(r"https?://[^/\s]+(/reset/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_reset_link_sets_a_new_password_and_signs_out_everywhere_else(patient: Any) -> None:
    elsewhere = signed_in(patient)
    assert elsewhere.get("/history").status_code == 200
    client = signed_in(None)

    link = reset_link(client, "PAT@example.com ")
    form_page = client.get(link, follow=True)  # Django swaps the token for a session key first
    assert "Choose a new password" in text(form_page)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {**hidden_inputs(form_page), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    assert done["Location"] == "/reset/done"
    assert password_is(patient, NEW_PASSWORD)
    assert elsewhere.get("/history").status_code == 302  # that session ended
    assert AuditEvent.objects.filter(action="auth:password_reset", actor_user_id=patient.pk).exists()
    # The link works once.
    assert "This link no longer works" in text(signed_in(None).get(link, follow=True))


def test_asking_for_an_address_with_no_account_looks_the_same_and_sends_nothing(patient: Any) -> None:
    known = submit(signed_in(None), "/password-reset", {"email": patient.email})
    mail.outbox.clear()
    unknown = submit(signed_in(None), "/password-reset", {"email": "nobody@example.com"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert mail.outbox == []


def test_the_email_carries_only_the_link(patient: Any, settings: Any) -> None:
    settings.CLINIC_NAME = "Riverside Physio"
    reset_link(signed_in(None), patient.email)

    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert message.subject == "Reset your diary password"
    assert "Riverside Physio" in message.body
    assert "pain" not in message.body.lower()


def test_a_weak_new_password_is_refused_with_a_reason(patient: Any) -> None:
    client = signed_in(None)
    page = client.get(reset_link(client, patient.email), follow=True)

    weak = {**hidden_inputs(page), "new_password1": "password123", "new_password2": "password123"}
    refused = client.post(page.redirect_chain[-1][0], weak)

    assert refused.status_code == 200
    assert "This password is too short" in text(refused) or "too common" in text(refused)
    assert password_is(patient, PASSWORD)


def test_a_reset_lifts_a_lockout(patient: Any, settings: Any) -> None:
    api = Api()
    for n in range(settings.AXES_FAILURE_LIMIT):
        api.post("auth/login", {"email": patient.email, "password": "wrong"}, REMOTE_ADDR=f"203.0.113.{n}")
    assert api.post("auth/login", {"email": patient.email, "password": PASSWORD}).status_code == 429

    client = signed_in(None)
    page = client.get(reset_link(client, patient.email), follow=True)
    new = {**hidden_inputs(page), "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post(page.redirect_chain[-1][0], new).status_code == 302

    assert Api().post("auth/login", {"email": patient.email, "password": NEW_PASSWORD}).status_code == 200


def test_changing_the_password_keeps_this_session_and_ends_the_others(therapist: Any) -> None:
    here, elsewhere = signed_in(therapist), signed_in(therapist)
    assert elsewhere.get("/").status_code == 200

    changed = submit(
        here,
        "/settings/password",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert changed.status_code == 302
    assert "Password changed" in text(here.get(changed["Location"]))
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth:password_change", actor_user_id=therapist.pk).exists()


def test_changing_needs_the_current_password(patient: Any) -> None:
    client = signed_in(patient)

    refused = submit(
        client,
        "/settings/password",
        {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert refused.status_code == 200
    assert "Your old password was entered incorrectly" in text(refused)
    assert password_is(patient, PASSWORD)
