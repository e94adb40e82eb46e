"""Reminders, step 1 (API.md 1.1): the push key, a patient's subscriptions, and their settings.

Nothing is sent yet; these are what a sender will read. Personas from tests/conftest.py: Pat and
Olive are patients, Thea is their therapist, Uma an unlinked therapist.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import IntegrityError, transaction
from rest_framework.throttling import ScopedRateThrottle

from diary import push
from diary.models import PushSubscription, ReminderSettings, User
from tests.conftest import PASSWORD

# The key pyproject.toml gives the test run, and its public half as a browser would receive it.
TEST_PUBLIC_KEY_BYTES = 65


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def browser_keys() -> dict[str, str]:
    """A phone's keys, as PushSubscription.toJSON() gives them: a P-256 public key and a 16-byte secret."""
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}


def subscription_body(endpoint: str = "https://fcm.googleapis.com/fcm/send/abc123", **extra: Any) -> dict[str, Any]:
    return {"endpoint": endpoint, "expirationTime": None, "keys": browser_keys(), **extra}


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> Any:
    # push.vapid_key() keeps the key it read; a test that changes the settings must not see the last one's.
    push._key.cache_clear()
    yield
    push._key.cache_clear()


# --- push/key ------------------------------------------------------------------------


def test_it_gives_anyone_the_vapid_public_key(db: Any, api: Any) -> None:
    """GET push/key needs no sign-in and answers the uncompressed P-256 point, base64url without padding."""
    response = api(None).get("push/key")
    assert response.status_code == 200
    key = response.json()["public_key"]
    assert "=" not in key and "+" not in key and "/" not in key
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == TEST_PUBLIC_KEY_BYTES and raw[0] == 4
    # The very point of the configured private key.
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    assert key == push.public_key()


def test_it_reads_a_pem_key_too(db: Any, api: Any, settings: Any) -> None:
    """VAPID_PRIVATE_KEY may be PEM text; its public half is served."""
    private = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert api(None).get("push/key").json() == {"public_key": b64url(point)}


def test_it_answers_503_without_a_key_in_production(db: Any, api: Any, settings: Any) -> None:
    """DEBUG off and no VAPID_PRIVATE_KEY: 503 with a message naming the setting."""
    settings.DEBUG = False
    settings.VAPID_PRIVATE_KEY = ""
    response = api(None).get("push/key")
    assert response.status_code == 503
    assert "VAPID_PRIVATE_KEY" in response.json()["detail"]


def test_it_answers_503_for_a_key_it_cannot_read(db: Any, api: Any, settings: Any) -> None:
    settings.VAPID_PRIVATE_KEY = "not-a-key"
    response = api(None).get("push/key")
    assert response.status_code == 503
    assert "VAPID_PRIVATE_KEY" in response.json()["detail"]


def test_it_makes_a_development_key_once_and_keeps_it(db: Any, api: Any, settings: Any, tmp_path: Any) -> None:
    """DEBUG on and no key: one is made into the git-ignored file, readable by its owner only, and reused."""
    settings.DEBUG = True
    settings.VAPID_PRIVATE_KEY = ""
    settings.VAPID_DEV_KEY_FILE = tmp_path / ".vapid-dev-key"
    first = api(None).get("push/key").json()["public_key"]
    assert settings.VAPID_DEV_KEY_FILE.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert settings.VAPID_DEV_KEY_FILE.stat().st_mode & 0o777 == 0o600
    push._key.cache_clear()
    assert api(None).get("push/key").json()["public_key"] == first


def test_it_warns_on_deploy_without_a_key(db: Any, settings: Any) -> None:
    """`check --deploy` with DEBUG off and no key names diary.W101."""
    settings.DEBUG = False
    settings.VAPID_PRIVATE_KEY = ""
    assert [message.id for message in push.check_vapid_key()] == ["diary.W101"]
    settings.VAPID_PRIVATE_KEY = "S2o_W3LRND6mXoxJJOTEAbKvLdu_uBoPvl47hRd3Jng"
    assert push.check_vapid_key() == []
    settings.VAPID_PRIVATE_KEY = ""
    with pytest.raises(SystemCheckError, match=r"diary\.W101"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")


def test_it_warns_about_a_key_it_cannot_read(db: Any, settings: Any) -> None:
    settings.VAPID_PRIVATE_KEY = "not-a-key"
    assert [message.id for message in push.check_vapid_key_readable()] == ["diary.W102"]


# --- push/subscriptions ----------------------------------------------------------------


def test_it_stores_a_subscription(patient: Any, api: Any) -> None:
    """201 {id, endpoint, created_at}; the keys are stored, never shown back."""
    body = subscription_body()
    response = api(patient).post("push/subscriptions", body)
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"id", "endpoint", "created_at"}
    stored = PushSubscription.objects.get(pk=data["id"])
    assert (stored.patient, stored.endpoint) == (patient, body["endpoint"])
    assert (stored.p256dh, stored.auth) == (body["keys"]["p256dh"], body["keys"]["auth"])
    assert api(patient).get("push/subscriptions").json() == [data]


def test_it_answers_200_to_the_same_endpoint_again(patient: Any, api: Any) -> None:
    """The same endpoint from the same patient: 200, the same id, nothing new."""
    client = api(patient)
    first = client.post("push/subscriptions", subscription_body())
    again = client.post("push/subscriptions", subscription_body())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert PushSubscription.objects.count() == 1


def test_it_moves_an_endpoint_to_the_account_now_using_the_phone(patient: Any, other_patient: Any, api: Any) -> None:
    """A phone that Pat subscribed, then Olive: the subscription is Olive's, and Pat's reminders stop reaching it."""
    pat_id = api(patient).post("push/subscriptions", subscription_body()).json()["id"]
    response = api(other_patient).post("push/subscriptions", subscription_body())
    assert response.status_code == 201
    assert response.json()["id"] == pat_id
    assert PushSubscription.objects.get().patient == other_patient
    assert api(patient).get("push/subscriptions").json() == []


def test_it_keeps_one_row_per_endpoint_in_the_database(patient: Any, other_patient: Any) -> None:
    keys = browser_keys()
    PushSubscription.objects.create(patient=patient, endpoint="https://fcm.googleapis.com/x", **keys)
    with pytest.raises(IntegrityError), transaction.atomic():
        PushSubscription.objects.create(patient=other_patient, endpoint="https://fcm.googleapis.com/x", **keys)
    with pytest.raises(IntegrityError), transaction.atomic():
        PushSubscription.objects.create(patient=patient, endpoint="https://fcm.googleapis.com/y", p256dh="x", auth="y")


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://10.0.0.1/push",
        "https://10.0.0.1/push",
        "file:///etc/passwd",
        "https://example.com/push",
        "http://fcm.googleapis.com/fcm/send/abc",  # the right host, but not https
        "https://fcm.googleapis.com:8443/fcm/send/abc",  # another port
        "https://user:pw@fcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com.example.com/x",
        "https://push.apple.com/x",  # the pattern is *.push.apple.com: a subdomain, not the domain
        "https://evilpush.apple.com/x",
        "https://127.0.0.1:9/push",  # the stand-in is plain http only
        "http://127.0.0.2:9/push",
        "http://[::1]:9/push",
        "gopher://127.0.0.1:70/",
        "not a url",
        "",
    ],
)
def test_it_refuses_endpoints_that_are_not_push_services(patient: Any, api: Any, settings: Any, endpoint: str) -> None:
    """Only https on PUSH_SERVICE_HOSTS (or a local stand-in with DEBUG on): the server is nobody's proxy."""
    settings.DEBUG = True  # the most that is ever allowed
    response = api(patient).post("push/subscriptions", subscription_body(endpoint))
    assert response.status_code == 400
    assert "endpoint" in response.json()
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGx",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
        "http://127.0.0.1:8765/push/abc",
        "http://localhost:8765/push/abc",
    ],
)
def test_it_accepts_the_browsers_push_services(patient: Any, api: Any, settings: Any, endpoint: str) -> None:
    """The default hosts of API.md, and with DEBUG on a stand-in on this machine."""
    settings.DEBUG = True
    assert api(patient).post("push/subscriptions", subscription_body(endpoint)).status_code == 201


def test_it_refuses_a_local_stand_in_when_debug_is_off(patient: Any, api: Any, settings: Any) -> None:
    """http://127.0.0.1:PORT/ is for development only."""
    settings.DEBUG = False
    response = api(patient).post("push/subscriptions", subscription_body("http://127.0.0.1:8765/push/abc"))
    assert response.status_code == 400


def test_it_follows_the_push_service_hosts_setting(patient: Any, api: Any, settings: Any) -> None:
    settings.PUSH_SERVICE_HOSTS = ["push.example.org"]
    client = api(patient)
    assert client.post("push/subscriptions", subscription_body("https://push.example.org/a")).status_code == 201
    assert client.post("push/subscriptions", subscription_body("https://fcm.googleapis.com/a")).status_code == 400


@pytest.mark.parametrize(
    "keys",
    [
        {},
        {"p256dh": browser_keys()["p256dh"]},
        {"auth": browser_keys()["auth"]},
        {"p256dh": "abc", "auth": browser_keys()["auth"]},
        {"p256dh": browser_keys()["p256dh"], "auth": "abc"},
        # 65 bytes that start like a point but are not on the curve.
        {"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": browser_keys()["auth"]},
        {"p256dh": browser_keys()["p256dh"] + "!", "auth": browser_keys()["auth"]},
    ],
)
def test_it_refuses_keys_that_cannot_encrypt(patient: Any, api: Any, keys: dict[str, str]) -> None:
    response = api(patient).post("push/subscriptions", {**subscription_body(), "keys": keys})
    assert response.status_code == 400
    assert "keys" in response.json()
    assert not PushSubscription.objects.exists()


def test_it_accepts_padded_keys_and_stores_them_unpadded(patient: Any, api: Any) -> None:
    keys = browser_keys()
    padded = {"p256dh": keys["p256dh"] + "=", "auth": keys["auth"] + "=="}
    assert api(patient).post("push/subscriptions", {**subscription_body(), "keys": padded}).status_code == 201
    assert PushSubscription.objects.get().p256dh == keys["p256dh"]


def test_it_deletes_only_the_callers_subscription(patient: Any, other_patient: Any, api: Any) -> None:
    """DELETE push/subscriptions/{id}: 204 for one's own; another patient's is 404 and stays."""
    pat_id = api(patient).post("push/subscriptions", subscription_body()).json()["id"]
    assert api(other_patient).send("DELETE", f"push/subscriptions/{pat_id}").status_code == 404
    assert PushSubscription.objects.filter(pk=pat_id).exists()
    assert api(patient).send("DELETE", f"push/subscriptions/{pat_id}").status_code == 204
    assert not PushSubscription.objects.exists()


def test_it_throttles_subscribing(patient: Any, api: Any) -> None:
    """POST push/subscriptions is limited (THROTTLE_PUSH_SUBSCRIBE, 30 an hour); listing is not."""
    # DRF binds THROTTLE_RATES to the class when rest_framework.throttling is imported.
    allowed = ScopedRateThrottle().parse_rate(ScopedRateThrottle.THROTTLE_RATES["push_subscribe"])[0]
    assert allowed == 30
    client = api(patient)
    codes = [
        client.post("push/subscriptions", subscription_body(f"https://fcm.googleapis.com/{n}")).status_code
        for n in range(allowed + 1)
    ]
    assert codes == [201] * allowed + [429]
    assert client.get("push/subscriptions").status_code == 200
    assert PushSubscription.objects.count() == allowed


def test_it_lists_subscriptions_in_one_query(patient: Any, api: Any, django_assert_max_num_queries: Any) -> None:
    client = api(patient)
    for n in range(3):
        client.post("push/subscriptions", subscription_body(f"https://fcm.googleapis.com/{n}"))
    with django_assert_max_num_queries(6):  # session, user, audit, and one for the list
        response = client.get("push/subscriptions")
    assert len(response.json()) == 3


def test_it_refuses_therapists(therapist: Any, api: Any) -> None:
    """Reminders are a patient's: a therapist gets 403 on subscriptions and settings."""
    client = api(therapist)
    assert client.post("push/subscriptions", subscription_body()).status_code == 403
    assert client.get("reminders").status_code == 403
    assert client.send("PUT", "reminders", {"times": []}).status_code == 403
    assert not PushSubscription.objects.exists()


# --- reminders -------------------------------------------------------------------------


def reminders_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "times": ["08:30", "20:00"],
        "enabled": True,
        "missed_nudge": True,
        "channels": {"push": True, "email": False},
    }
    return {**body, **fields}


def test_a_new_patient_has_reminders_off_with_an_evening_time_suggested(db: Any, api: Any) -> None:
    """Sign-up suggests 20:00 but sends nothing until the patient turns reminders on."""
    client = api(None)
    signed_up = client.post(
        "auth/signup", {"email": "new@example.com", "password": PASSWORD, "timezone": "Pacific/Auckland"}
    )
    assert signed_up.status_code == 201
    assert client.get("reminders").json() == {
        "times": ["20:00"],
        "enabled": False,
        "missed_nudge": False,
        "channels": {"push": True, "email": False},
    }
    assert ReminderSettings.objects.filter(patient__email="new@example.com").exists()


def test_it_stores_the_settings(patient: Any, api: Any) -> None:
    """PUT reminders: 200 with the settings as stored, times sorted, each once."""
    client = api(patient)
    response = client.send("PUT", "reminders", reminders_body(times=["20:00", "08:30", "20:00"]))
    assert response.status_code == 200
    assert response.json() == reminders_body()
    assert client.get("reminders").json() == reminders_body()
    stored = ReminderSettings.objects.get(patient=patient)
    assert (stored.times, stored.enabled, stored.missed_nudge, stored.push, stored.email) == (
        ["08:30", "20:00"],
        True,
        True,
        True,
        False,
    )


def test_it_accepts_four_times_and_none(patient: Any, api: Any) -> None:
    client = api(patient)
    four = ["07:00", "12:00", "17:00", "21:45"]
    assert client.send("PUT", "reminders", reminders_body(times=four)).json()["times"] == four
    assert client.send("PUT", "reminders", reminders_body(times=[], enabled=False)).json()["times"] == []


@pytest.mark.parametrize(
    ("times", "words"),
    [
        (["07:00", "12:00", "17:00", "20:00", "22:00"], "at most 4"),
        (["25:00"], "HH:MM"),
        (["20:60"], "HH:MM"),
        (["8:00"], "HH:MM"),
        (["20:00:00"], "HH:MM"),
        (["8pm"], "HH:MM"),
        (["20:00+01:00"], "HH:MM"),
        ([""], "HH:MM"),
    ],
)
def test_it_refuses_times_that_are_not_four_local_times(patient: Any, api: Any, times: list[str], words: str) -> None:
    """400 {"times": [message]} naming the rule; nothing changes."""
    client = api(patient)
    response = client.send("PUT", "reminders", reminders_body(times=times))
    assert response.status_code == 400
    assert words in " ".join(response.json()["times"])
    assert ReminderSettings.objects.get(patient=patient).times == ["20:00"]


@pytest.mark.parametrize(
    "body",
    [
        {"times": "20:00", "enabled": True, "missed_nudge": False, "channels": {"push": True, "email": True}},
        reminders_body(times=[2000]),
        reminders_body(times=[None]),
        reminders_body(enabled="yes"),
        reminders_body(missed_nudge=1),
        reminders_body(channels={"push": True}),
        reminders_body(channels={"push": "true", "email": False}),
        {"times": ["20:00"]},
    ],
)
def test_it_refuses_a_malformed_body(patient: Any, api: Any, body: dict[str, Any]) -> None:
    response = api(patient).send("PUT", "reminders", body)
    assert response.status_code == 400
    assert ReminderSettings.objects.get(patient=patient).enabled is False


def test_it_erases_reminders_and_subscriptions_with_the_account(patient: Any, other_patient: Any, api: Any) -> None:
    """DELETE me takes the patient's settings and phones with it; Olive's stay."""
    api(patient).post("push/subscriptions", subscription_body("https://fcm.googleapis.com/pat"))
    api(other_patient).post("push/subscriptions", subscription_body("https://fcm.googleapis.com/olive"))
    assert api(patient).send("DELETE", "me", {"password": PASSWORD}).status_code == 204
    assert not User.objects.filter(pk=patient.pk).exists()
    assert not ReminderSettings.objects.filter(patient_id=patient.pk).exists()
    assert not PushSubscription.objects.filter(patient_id=patient.pk).exists()
    assert PushSubscription.objects.filter(patient=other_patient).count() == 1
    assert ReminderSettings.objects.filter(patient=other_patient).count() == 1
