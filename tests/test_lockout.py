"""Locking an account after repeated failed sign-ins (django-axes, diary/lockout.py).

Five wrong passwords for one email address, from anywhere, lock that address for 15 minutes:
even the right password is refused until then. An address with no account locks the same way,
with the same answer, so the lockout tells nobody which addresses have accounts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from diary.lockout import LOCKED
from diary.models import AuditEvent
from tests.conftest import PASSWORD, Api, signed_in
from tests.frontend.pages import hidden_inputs, text

LIMIT = settings.AXES_FAILURE_LIMIT


def fail(api: Api, email: str, times: int) -> None:
    for n in range(times):
        # A different address each time: the lockout is per account, not per place.
        answer = api.post("auth/login", {"email": email, "password": "wrong"}, REMOTE_ADDR=f"203.0.113.{n}")
        assert answer.status_code in (400, 429)


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(patient: Any) -> None:
    api = Api()
    fail(api, patient.email, LIMIT)

    refused = api.post("auth/login", {"email": patient.email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.1")

    assert refused.status_code == 429
    assert refused.json() == {"detail": LOCKED}
    assert SESSION_KEY not in api.client.session


def test_an_address_without_an_account_locks_with_the_same_answer(patient: Any) -> None:
    real, made_up = Api(), Api()
    fail(real, patient.email, LIMIT)
    fail(made_up, "nobody@example.com", LIMIT)

    for api, email in ((real, patient.email), (made_up, "nobody@example.com")):
        answer = api.post("auth/login", {"email": email, "password": "anything"}, REMOTE_ADDR="198.51.100.2")
        assert (answer.status_code, answer.json()) == (429, {"detail": LOCKED})


def test_the_sign_in_page_shares_the_lockout_and_says_what_to_do(patient: Any) -> None:
    fail(Api(), patient.email, LIMIT)
    client = signed_in(None)
    token = hidden_inputs(client.get("/login"))["csrfmiddlewaretoken"]

    page = client.post("/login", {"csrfmiddlewaretoken": token, "username": patient.email, "password": PASSWORD})

    assert page.status_code == 429
    assert LOCKED in text(page)
    assert not client.get("/login").wsgi_request.user.is_authenticated


def test_the_lock_lifts_after_the_cool_off_and_a_success_starts_the_count_again(patient: Any) -> None:
    with time_machine.travel("2026-03-10 12:00Z", tick=False) as clock:
        api = Api()
        fail(api, patient.email, LIMIT)
        assert api.post("auth/login", {"email": patient.email, "password": PASSWORD}).status_code == 429

        clock.shift(timedelta(minutes=16))
        assert api.post("auth/login", {"email": patient.email, "password": PASSWORD}).status_code == 200

        # The success cleared the failures: four more wrong ones do not lock.
        fail(Api(), patient.email, LIMIT - 1)
        assert Api().post("auth/login", {"email": patient.email, "password": PASSWORD}).status_code == 200


def test_a_few_mistakes_do_not_lock(patient: Any) -> None:
    api = Api()
    fail(api, patient.email, LIMIT - 1)

    assert api.post("auth/login", {"email": patient.email, "password": PASSWORD}).status_code == 200


def test_every_failed_sign_in_is_in_the_access_audit(patient: Any) -> None:
    fail(Api(), patient.email, LIMIT + 2)

    failures = AuditEvent.objects.filter(action="auth:login_failed", actor_user_id=patient.pk)
    assert failures.count() == LIMIT + 2
    assert set(failures.values_list("allowed", flat=True)) == {False}
