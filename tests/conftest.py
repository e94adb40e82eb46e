"""Shared fixtures: the named people every test talks about.

- ``patient`` (Pat): keeps a diary, in Europe/London, linked to ``therapist``.
- ``other_patient`` (Olive): another patient, in America/Los_Angeles, also linked to ``therapist``.
- ``therapist`` (Thea): linked to both patients.
- ``unlinked_therapist`` (Uma): a therapist nobody linked to.
- ``ended_therapist`` (Ed): was linked to Pat, but the link has ended.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.utils import timezone

PASSWORD = "correct horse battery staple"


def examples(in_full: int) -> int:
    """How many generated cases a property or schema test runs: all of them in CI (CI=true, as .ci/run
    runs), a quarter in the inner loop (`make test` on a laptop). FULL_EXAMPLES=1 asks for all anywhere."""
    if os.environ.get("CI") or os.environ.get("FULL_EXAMPLES"):
        return in_full
    return max(10, in_full // 4)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher() -> Iterator[None]:
    # PBKDF2 at Django's default strength costs ~0.25 s a person, and nearly every test makes a
    # few. What the suite tests is who may do what, not the hash (Django tests its hashers), so
    # the whole suite, browser tests included, uses the fastest hasher Django ships.
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _own_cache_keys() -> Iterator[None]:
    # With CACHE_URL set (CI) the suite shares a Redis database with other runs on the machine:
    # this run's keys get a prefix of their own, so that clearing them touches nothing else.
    from django.conf import settings
    from django.test.utils import override_settings

    own = {**settings.CACHES["default"], "KEY_PREFIX": f"test-{os.getpid()}-{uuid4().hex[:8]}"}
    with override_settings(CACHES={"default": own}):
        yield


def clear_cache() -> None:
    """Empty this run's cache: in Redis only its own keys (RedisCache.clear() would empty the whole database)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)
        keys = list(client.scan_iter(match=backend.make_key("*")))
        if keys:
            client.delete(*keys)
    else:
        backend.clear()


@pytest.fixture(autouse=True)
def _fresh_throttles(_own_cache_keys: None) -> Iterator[None]:
    # Throttle counters live in the cache; one test's sign-ins must not lock out the next.
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _fresh_app_shell() -> Iterator[None]:
    # The worker, manifest and shell are made once per process (frontend/pwa.py): each test starts
    # without them, and a setting changed in a test has them made again.
    from django.test.signals import setting_changed

    from frontend import pwa

    def forget(**kwargs: Any) -> None:
        pwa.clear_memo()

    pwa.clear_memo()
    setting_changed.connect(forget)
    yield
    setting_changed.disconnect(forget)
    pwa.clear_memo()


@pytest.fixture
def patient(db: Any) -> Any:
    from diary import services

    user = services.patient_signup(email="pat@example.com", password=PASSWORD, timezone_name="Europe/London")
    return services.profile_update(user=user, display_name="Pat Patient")


@pytest.fixture
def other_patient(db: Any) -> Any:
    from diary import services

    user = services.patient_signup(email="olive@example.com", password=PASSWORD, timezone_name="America/Los_Angeles")
    return services.profile_update(user=user, display_name="Olive Other")


@pytest.fixture
def therapist(db: Any, patient: Any, other_patient: Any) -> Any:
    from diary import services

    user = services.therapist_create(email="thea@example.com", password=PASSWORD, display_name="Thea Therapist")
    services.link_create(patient=patient, invite_code=user.invite_code)
    services.link_create(patient=other_patient, invite_code=user.invite_code)
    return user


@pytest.fixture
def unlinked_therapist(db: Any) -> Any:
    from diary import services

    return services.therapist_create(email="uma@example.com", password=PASSWORD, display_name="Uma Unlinked")


@pytest.fixture
def ended_therapist(db: Any, patient: Any) -> Any:
    from diary import services

    user = services.therapist_create(email="ed@example.com", password=PASSWORD, display_name="Ed Ended")
    link = services.link_create(patient=patient, invite_code=user.invite_code).link
    services.link_end(link=link, by=patient)
    return user


def signed_in(user: Any | None) -> Client:
    """A client that enforces CSRF like a browser, signed in as ``user`` (or anonymous).

    A therapist's session has passed the second step too (diary/mfa.py); tests/test_mfa.py signs
    therapists in the long way.
    """
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
        if user.role in ("therapist", "staff"):
            pass_second_step(client, user)
    return client


def pass_second_step(client: Client, user: Any) -> None:
    """Mark the client's session as having passed the second step with the user's authenticator app."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class Api:
    """A thin JSON client for /api/v1/ that fetches and sends the CSRF token as the PWA does."""

    def __init__(self, user: Any | None = None) -> None:
        self.client = signed_in(user)

    def _token(self) -> str:
        return self.client.get("/api/v1/auth/csrf").json()["csrfToken"]

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1/{path}", params)

    def send(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        import json

        data = json.dumps(body) if body is not None and not isinstance(body, (str, bytes)) else body
        return getattr(self.client, method.lower())(
            f"/api/v1/{path}",
            data=data if data is not None else "",
            content_type=extra.pop("content_type", "application/json"),
            headers={"X-CSRFToken": self._token(), **extra.pop("headers", {})},
            **extra,
        )

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.send("POST", path, body, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.send("PATCH", path, body, **extra)

    def delete(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.send("DELETE", path, body, **extra)


@pytest.fixture
def api() -> Any:
    """``api(user)`` → an Api client signed in as that user; ``api(None)`` is anonymous."""
    return Api


def checkin_body(**fields: Any) -> dict[str, Any]:
    """A valid check-in from a minute ago, with any field overridden."""
    body: dict[str, Any] = {
        "client_uuid": str(uuid4()),
        "recorded_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "pain": 4,
        "fatigue": 3,
    }
    body.update(fields)
    return body
