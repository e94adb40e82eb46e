"""Two-step sign-in for therapists (diary/mfa.py), end to end through the sign-in page.

Thea is a therapist signing in the long way; Pat, a patient, is never asked for a code.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from diary import mfa
from diary.models import AuditEvent
from tests.conftest import PASSWORD, Api
from tests.frontend.pages import hidden_inputs, text


def sign_in(client: Client, user: Any, next_url: str = "/") -> Any:
    page = client.get(f"/login?next={next_url}")
    return client.post(
        "/login", {**hidden_inputs(page), "username": user.email, "password": PASSWORD, "next": next_url}, follow=True
    )


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def set_up(client: Client, therapist: Any) -> list[str]:
    """Sign in and set up the app; the recovery codes shown."""
    page = sign_in(client, therapist)
    assert page.redirect_chain[-1][0].startswith("/two-step/setup")
    device = TOTPDevice.objects.get(user=therapist, confirmed=False)
    shown = client.post("/two-step/setup", {**hidden_inputs(page), "code": code_for(device), "next": "/"})
    assert "Your recovery codes" in text(shown)
    return re.findall(r"<li><code>(\w+)</code></li>", text(shown))


def fresh_client() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel("2026-03-10 09:00Z", tick=False) as traveller:
        yield traveller


def next_code_window(clock: Any) -> None:
    """A code works once: the next sign-in waits for the app's next code (30 seconds on)."""
    clock.shift(timedelta(seconds=31))


def test_a_therapists_first_sign_in_sets_up_the_app_and_shows_recovery_codes_once(therapist: Any) -> None:
    client = fresh_client()
    page = sign_in(client, therapist, next_url="/settings")

    assert "Set up two-step sign-in" in text(page)
    assert 'src="data:image/svg+xml;base64,' in text(page)
    device = TOTPDevice.objects.get(user=therapist, confirmed=False)
    assert mfa.key_in_letters(device).replace(" ", "") in text(page).replace(" ", "")
    assert client.get("/").status_code == 302  # nothing else until it is done

    shown = client.post("/two-step/setup", {**hidden_inputs(page), "code": code_for(device), "next": "/settings"})

    codes = re.findall(r"<li><code>(\w+)</code></li>", text(shown))
    assert len(codes) == mfa.RECOVERY_CODES
    assert 'href="/settings"' in text(shown)
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth:second_step_setup", actor_user_id=therapist.pk).exists()


def test_a_wrong_code_does_not_set_it_up(therapist: Any) -> None:
    client = fresh_client()
    page = sign_in(client, therapist)

    refused = client.post("/two-step/setup", {**hidden_inputs(page), "code": "000000"})

    assert "That code is not right" in text(refused)
    assert not TOTPDevice.objects.filter(user=therapist, confirmed=True).exists()
    assert client.get("/").status_code == 302


def test_each_later_sign_in_asks_for_the_apps_code(therapist: Any, clock: Any) -> None:
    set_up(fresh_client(), therapist)
    device = TOTPDevice.objects.get(user=therapist, confirmed=True)
    client = fresh_client()
    next_code_window(clock)

    page = sign_in(client, therapist, next_url="/settings")
    assert page.redirect_chain[-1][0].startswith("/two-step?next=")
    assert client.get("/").status_code == 302

    wrong = client.post("/two-step", {**hidden_inputs(page), "code": "123456", "next": "/settings"})
    assert "That code is not right" in text(wrong)
    clock.shift(timedelta(seconds=2))  # django-otp makes the next try after a wrong one wait a second

    right = client.post("/two-step", {**hidden_inputs(page), "code": code_for(device), "next": "/settings"})
    assert right["Location"] == "/settings"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth:second_step_failed", actor_user_id=therapist.pk).count() == 1


def test_a_recovery_code_works_once(therapist: Any) -> None:
    codes = set_up(fresh_client(), therapist)

    first = fresh_client()
    page = sign_in(first, therapist)
    assert first.post("/two-step", {**hidden_inputs(page), "code": codes[0].upper()})["Location"] == "/"

    again = fresh_client()
    page = sign_in(again, therapist)
    assert "That code is not right" in text(again.post("/two-step", {**hidden_inputs(page), "code": codes[0]}))
    assert StaticToken.objects.filter(device__user=therapist).count() == mfa.RECOVERY_CODES - 1


def test_the_api_refuses_a_therapist_who_has_not_passed_the_second_step(therapist: Any, patient: Any) -> None:
    api = Api()
    assert api.post("auth/login", {"email": therapist.email, "password": PASSWORD}).status_code == 200

    refused = api.get("patients")

    assert refused.status_code == 403
    assert refused.json() == {"detail": mfa.NEEDS_SECOND_STEP}
    assert api.get(f"patients/{patient.pk}/flags").status_code == 403


def test_patients_are_not_asked(patient: Any) -> None:
    client = fresh_client()
    page = sign_in(client, patient)

    assert page.redirect_chain[-1][0] == "/"
    assert client.get("/history").status_code == 200
    assert client.get("/two-step").status_code == 403


def test_new_recovery_codes_replace_the_old(therapist: Any) -> None:
    codes = set_up(client := fresh_client(), therapist)

    renewed = client.post("/settings/recovery-codes", hidden_inputs(client.get("/settings")))

    new_codes = re.findall(r"<li><code>(\w+)</code></li>", text(renewed))
    assert len(new_codes) == mfa.RECOVERY_CODES
    assert set(new_codes).isdisjoint(codes)
    assert set(StaticToken.objects.filter(device__user=therapist).values_list("token", flat=True)) == set(new_codes)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_it_never_sends_you_to_another_site_afterwards(therapist: Any, target: str, clock: Any) -> None:
    set_up(fresh_client(), therapist)
    device = TOTPDevice.objects.get(user=therapist, confirmed=True)
    client = fresh_client()
    next_code_window(clock)
    page = sign_in(client, therapist)

    answer = client.post("/two-step", {**hidden_inputs(page), "code": code_for(device), "next": target})

    assert answer["Location"] == "/"


def test_an_administrator_can_reset_a_lost_phone(therapist: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    set_up(fresh_client(), therapist)
    out = StringIO()

    call_command("reset_two_step", therapist.email.upper(), stdout=out)

    assert "reset for thea@example.com" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=therapist).exists()
    assert sign_in(fresh_client(), therapist).redirect_chain[-1][0].startswith("/two-step/setup")
    assert AuditEvent.objects.filter(action="auth:second_step_reset").exists()
