"""Simultaneous retries of one send, on a real database: one row, never a 500.

A phone that lost its connection mid-send retries, and a service worker may
flush the same outbox from two tabs: the same client_uuid can arrive several
times at once. Only PostgreSQL runs these truly in parallel (SQLite serialises
writers), so this module needs it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from diary import consent, flags, medication
from diary.models import CareLink, CheckIn, Dose, PushSubscription, User
from tests.api.test_flags import assert_stored_flags_are_fresh
from tests.api.test_medicines import dose_body
from tests.api.test_reminders import subscription_body
from tests.conftest import Api, checkin_body

THREADS = 8

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so requests cannot race (set DATABASE_URL)")


def ready_client(user: Any) -> tuple[Client, str]:
    """A browser-like client signed in as ``user``, with its CSRF token fetched beforehand."""
    api = Api(user)
    return api.client, api._token()


def race(senders: list[Callable[[], Any]]) -> list[Any]:
    """Run each sender in its own thread, all released at the same moment; their responses, or what they raised."""
    barrier = threading.Barrier(len(senders))
    results: list[Any] = [None] * len(senders)

    def run(index: int, send: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = send()
        except Exception as exc:  # reported by race() below, not lost in a thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, send)) for index, send in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    for result in results:
        assert not isinstance(result, BaseException), repr(result)
    return results


def poster(client: Client, token: str, path: str, body: dict[str, Any]) -> Callable[[], Any]:
    return lambda: client.post(path, json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})


def test_it_stores_one_checkin_when_the_same_send_arrives_at_once(patient: Any) -> None:
    """Eight simultaneous POSTs of one client_uuid: one 201, seven 200 with the same row, and exactly one row."""
    body = checkin_body(notes="sent from a flaky train")
    clients = [ready_client(patient) for _ in range(THREADS)]

    responses = race([poster(client, token, "/api/v1/checkins", body) for client, token in clients])

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (THREADS - 1) + [201], [r.content for r in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    stored = CheckIn.objects.get()
    assert (stored.patient, str(stored.client_uuid), stored.notes) == (patient, body["client_uuid"], body["notes"])


def test_it_stores_one_dose_when_the_same_send_arrives_at_once(patient: Any) -> None:
    """Doses are idempotent exactly like check-ins (API.md 1.1): one 201, the rest 200 with the same row."""
    medicine = medication.medicine_create(patient=patient, name="oxycodone", strength="5 mg", kind="as_needed")
    body = dose_body(medicine.pk)
    clients = [ready_client(patient) for _ in range(THREADS)]

    responses = race([poster(client, token, "/api/v1/doses", body) for client, token in clients])

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (THREADS - 1) + [201], [r.content for r in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    assert str(Dose.objects.get().client_uuid) == body["client_uuid"]


def test_it_gives_the_uuid_to_one_patient_when_two_race_for_it(patient: Any, other_patient: Any) -> None:
    """Pat and Olive sending one client_uuid at once: one of them owns it, the other gets only 409s."""
    body = checkin_body()
    senders_as = [patient if index % 2 else other_patient for index in range(THREADS)]
    clients = [ready_client(person) for person in senders_as]

    responses = race([poster(client, token, "/api/v1/checkins", body) for client, token in clients])

    stored = CheckIn.objects.get()
    by_owner = [r.status_code for person, r in zip(senders_as, responses, strict=True) if person == stored.patient]
    by_other = [r.status_code for person, r in zip(senders_as, responses, strict=True) if person != stored.patient]
    assert sorted(by_owner) == [200] * (THREADS // 2 - 1) + [201]
    assert by_other == [409] * (THREADS // 2)


def test_it_makes_one_link_when_the_same_code_is_sent_at_once(patient: Any, unlinked_therapist: Any) -> None:
    """Eight simultaneous POST links with one code: one 201, seven 200, one active link."""
    body = {"invite_code": unlinked_therapist.invite_code, "consent_version": consent.VERSION}
    clients = [ready_client(patient) for _ in range(THREADS)]

    responses = race([poster(client, token, "/api/v1/links", body) for client, token in clients])

    assert sorted(response.status_code for response in responses) == [200] * (THREADS - 1) + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert CareLink.objects.filter(therapist=unlinked_therapist, ended_at__isnull=True).count() == 1


def test_it_makes_one_account_when_the_same_signup_arrives_at_once(db: Any) -> None:
    """A double-tapped signup: one 201, the rest the ordinary 400 on email, never a 500; one account."""
    body = {"email": "twice@example.com", "password": "a long new passphrase", "timezone": "Europe/Paris"}
    clients = [ready_client(None) for _ in range(THREADS)]

    responses = race([poster(client, token, "/api/v1/auth/signup", body) for client, token in clients])

    assert sorted(response.status_code for response in responses) == [201] + [400] * (THREADS - 1), [
        response.content for response in responses
    ]
    assert all("email" in response.json() for response in responses if response.status_code == 400)
    assert User.objects.filter(email="twice@example.com").count() == 1


def test_it_keeps_the_stored_flags_fresh_when_checkins_arrive_at_once(patient: Any) -> None:
    """Eight different check-ins at once: each refresh waits for the one before, so the last sees them all."""
    clients = [ready_client(patient) for _ in range(THREADS)]
    bodies = [checkin_body(symptoms=["blood_in_urine"] if index % 2 else ["night_sweats"]) for index in range(THREADS)]

    responses = race(
        [poster(client, token, "/api/v1/checkins", body) for (client, token), body in zip(clients, bodies, strict=True)]
    )

    assert sorted(response.status_code for response in responses) == [201] * THREADS
    stored = assert_stored_flags_are_fresh(patient)
    blood = next(flag for flag in stored.flags if flag["code"] == "blood_in_stool_or_urine")
    assert len(blood["evidence"]["checkin_ids"]) == THREADS // 2


def test_it_does_not_store_a_stale_read_over_a_checkin_written_meanwhile(patient: Any, monkeypatch: Any) -> None:
    """The first read of a new day re-judges the diary; a check-in written meanwhile is not lost.

    The read is held between reading the diary and storing its flags until the check-in is written
    (or a second has passed). Reads that refresh take the diary's lock as writes do, so the check-in
    waits for the read, and its own refresh comes last. Without the lock the read would store flags
    that miss the check-in, over the check-in's own.
    """
    Api(patient).post("checkins", checkin_body(pain=2))
    diary_read, checkin_written = threading.Event(), threading.Event()
    real_trend_entries = flags.trend_entries

    def trend_entries_held_for_the_reader(patients: Any, **kwargs: Any) -> Any:
        entries = real_trend_entries(patients, **kwargs)
        if threading.current_thread().name == "reader":
            diary_read.set()
            checkin_written.wait(timeout=1)
        return entries

    monkeypatch.setattr(flags, "trend_entries", trend_entries_held_for_the_reader)
    reader, _ = ready_client(patient)
    writer, writer_token = ready_client(patient)
    body = checkin_body(symptoms=["limb_weakness"])
    results: dict[str, Any] = {}

    def read() -> None:
        try:
            results["read"] = reader.get("/api/v1/flags")
        finally:
            connection.close()

    def write() -> None:
        try:
            diary_read.wait(timeout=5)
            results["write"] = poster(writer, writer_token, "/api/v1/checkins", body)()
            checkin_written.set()
        finally:
            connection.close()

    with time_machine.travel(timezone.now() + timedelta(days=1), tick=True):
        threads = [threading.Thread(target=read, name="reader"), threading.Thread(target=write, name="writer")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert diary_read.is_set()
        assert (results["read"].status_code, results["write"].status_code) == (200, 201)
        stored = assert_stored_flags_are_fresh(patient)
    assert [flag["code"] for flag in stored.flags if flag["level"] == "emergency"] == ["spinal_cord_compression_signs"]


def test_twenty_phones_retrying_the_same_fifty_checkins_store_exactly_fifty(patient: Any) -> None:
    """20 threads each send the same 50 check-ins, in their own order, retrying what fails: 50 rows, no 5xx.

    As when a patient's phone and tablet, and several tabs of each, all flush the same outbox at once.
    """
    bodies = [
        checkin_body(recorded_at=(timezone.now() - timedelta(hours=n)).isoformat(), pain=n % 11, notes=f"entry {n}")
        for n in range(50)
    ]
    clients = [ready_client(patient) for _ in range(20)]
    answers: list[list[int]] = [[] for _ in clients]

    def phone(index: int, client: Client, token: str) -> Callable[[], Any]:
        def send_all() -> None:
            order = bodies[index % 50 :] + bodies[: index % 50]  # each starts somewhere else
            for body in order:
                for _attempt in range(3):
                    status = poster(client, token, "/api/v1/checkins", body)().status_code
                    if status < 500:
                        break
                answers[index].append(status)

        return send_all

    race([phone(index, client, token) for index, (client, token) in enumerate(clients)])

    statuses = [status for phone_answers in answers for status in phone_answers]
    assert len(statuses) == 20 * 50
    assert set(statuses) <= {200, 201}, sorted(set(statuses))
    assert statuses.count(201) == 50  # each check-in created once; every other send found it
    assert CheckIn.objects.filter(patient=patient).count() == 50
    stored = set(CheckIn.objects.values_list("client_uuid", flat=True))
    assert {str(uuid) for uuid in stored} == {body["client_uuid"] for body in bodies}


def test_it_stores_one_push_subscription_when_the_same_phone_subscribes_at_once(
    patient: Any, other_patient: Any
) -> None:
    """Eight simultaneous POSTs of one endpoint from Pat and Olive: one row, whoever's it is, and no 500."""
    body = subscription_body("https://fcm.googleapis.com/fcm/send/shared-phone")
    clients = [ready_client(patient if n % 2 else other_patient) for n in range(THREADS)]
    responses = race([poster(client, token, "/api/v1/push/subscriptions", body) for client, token in clients])
    assert sorted({response.status_code for response in responses}) <= [200, 201]
    assert PushSubscription.objects.count() == 1
    assert len({response.json()["id"] for response in responses}) == 1
