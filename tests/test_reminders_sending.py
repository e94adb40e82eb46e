"""Sending reminders (API.md 1.1 "Reminders"), end to end against a push-service stand-in.

The stand-in (tests/pushstandin.py) listens on 127.0.0.1, checks each request's VAPID JWT and
decrypts its body with the phone's private key, as a browser vendor's push service would. Phones
subscribe through the real API; `manage.py send_reminders` does the sending; the clock is frozen
with time-machine at the instants that matter.

Personas: Pat (tests/conftest.py, Europe/London) and Olive (America/Los_Angeles) are patients; Kiri
is a patient in Pacific/Auckland, made here.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from diary import push, reminders, schedule, services
from diary.models import DeliveryKind, DeliveryStatus, PushSubscription, ReminderDelivery, User
from tests import pushstandin
from tests.conftest import PASSWORD, Api, signed_in

EXPECTED_PAYLOAD = {
    "title": "Time for your check-in",
    "body": "How are you today? A check-in takes a minute.",
    "url": "/",
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def standin() -> Iterator[pushstandin.PushStandIn]:
    push._key.cache_clear()
    # With DEBUG on, endpoints on 127.0.0.1 are accepted (API.md 1.1); pytest-django turns it off.
    with override_settings(DEBUG=True), pushstandin.running(push.public_key()) as running:
        yield running


def subscribe(patient: User, standin: pushstandin.PushStandIn) -> str:
    """Subscribe one phone of the patient through the API, with a stand-in endpoint; its endpoint."""
    endpoint, keys = standin.phone()
    response = Api(patient).post("push/subscriptions", {"endpoint": endpoint, "keys": keys})
    assert response.status_code == 201, response.content
    return endpoint


def remind(patient: User, *times: str, push: bool = True, email: bool = False, missed_nudge: bool = False) -> None:
    services.reminders_update(
        patient=patient, times=list(times), enabled=True, missed_nudge=missed_nudge, push=push, email=email
    )


def send_at(instant: datetime) -> None:
    with time_machine.travel(instant, tick=False):
        call_command("send_reminders", stdout=open(os.devnull, "w"))  # noqa: SIM115


def checkin_at(patient: User, instant: datetime) -> None:
    with time_machine.travel(instant + timedelta(seconds=5), tick=False):
        services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=instant, pain=4, fatigue=3)


@pytest.fixture
def kiri(db: Any) -> User:
    # Kiri: a patient in Auckland, where the clocks change in April and September.
    return services.patient_signup(email="kiri@example.com", password=PASSWORD, timezone_name="Pacific/Auckland")


# --- one message, once -------------------------------------------------------------------------------


def test_a_due_reminder_reaches_the_phone_once_and_says_nothing_about_health(patient: User, standin: Any) -> None:
    """20:00 in London on a summer day is 19:00 UTC: exactly one message, VAPID-signed, aes128gcm, TTL ≤ 12 h."""
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 19, 0, 10))
    messages = standin.messages_for(endpoint)
    assert standin.refused == []
    assert len(messages) == 1
    assert messages[0].payload == EXPECTED_PAYLOAD
    assert messages[0].encoding == "aes128gcm"
    assert 0 < messages[0].ttl <= 12 * 3600
    assert messages[0].claims["sub"] == settings.VAPID_SUBJECT
    text = str(messages[0].payload)
    assert "Pat" not in text and patient.email not in text
    delivery = ReminderDelivery.objects.get(patient=patient)
    assert (delivery.status, delivery.channel, str(delivery.local_time)) == (DeliveryStatus.SENT, "push", "20:00:00")


def test_running_the_sender_twice_still_sends_one_message(patient: User, standin: Any) -> None:
    """The second run finds the reminder's row taken and sends nothing."""
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 19, 0, 10))
    send_at(utc(2026, 7, 1, 19, 1, 10))
    assert len(standin.messages_for(endpoint)) == 1
    assert ReminderDelivery.objects.count() == 1


def test_each_phone_of_the_patient_gets_the_reminder(patient: User, standin: Any) -> None:
    first, second = subscribe(patient, standin), subscribe(patient, standin)
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert len(standin.messages_for(first)) == len(standin.messages_for(second)) == 1


def test_nothing_is_sent_before_the_time(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 18, 59, 50))
    assert standin.messages_for(endpoint) == []


def test_reminders_turned_off_send_nothing(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    services.reminders_update(
        patient=patient, times=["20:00"], enabled=False, missed_nudge=False, push=True, email=True
    )
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert standin.messages_for(endpoint) == [] and mail.outbox == []


# --- time zones and changes of clocks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "local_day", "due"),
    [
        # Los Angeles: PST (UTC-8) in winter; the clocks go forward at 02:00 on 8 March 2026.
        ("America/Los_Angeles", (2026, 3, 7), utc(2026, 3, 8, 4, 0)),
        ("America/Los_Angeles", (2026, 3, 8), utc(2026, 3, 9, 3, 0)),
        # ...and back at 02:00 on 1 November 2026.
        ("America/Los_Angeles", (2026, 11, 1), utc(2026, 11, 2, 4, 0)),
        # Auckland: NZDT (UTC+13) until 03:00 on 5 April 2026, when the clocks go back to NZST (UTC+12).
        ("Pacific/Auckland", (2026, 4, 4), utc(2026, 4, 4, 7, 0)),
        ("Pacific/Auckland", (2026, 4, 5), utc(2026, 4, 5, 8, 0)),
        # ...and forward on 27 September 2026.
        ("Pacific/Auckland", (2026, 9, 27), utc(2026, 9, 27, 7, 0)),
    ],
)
def test_twenty_hundred_is_due_at_the_right_utc_instant(
    db: Any, standin: Any, zone: str, local_day: tuple[int, int, int], due: datetime
) -> None:
    """A reminder at 20:00 local time is due at 20:00 on the patient's own clock, DST days included."""
    person = services.patient_signup(email="tz@example.com", password=PASSWORD, timezone_name=zone)
    endpoint = subscribe(person, standin)
    remind(person, "20:00")
    send_at(due - timedelta(seconds=30))
    assert standin.messages_for(endpoint) == []
    send_at(due + timedelta(seconds=5))
    assert len(standin.messages_for(endpoint)) == 1
    delivery = ReminderDelivery.objects.get(patient=person)
    assert (delivery.local_date.timetuple()[:3], delivery.due_at) == (local_day, due)


def test_a_time_the_clocks_skip_is_sent_when_they_jump(other_patient: User, standin: Any) -> None:
    """02:30 does not exist in Los Angeles on 8 March 2026: it is sent at 03:00 PDT (10:00 UTC), once."""
    endpoint = subscribe(other_patient, standin)
    remind(other_patient, "02:30")
    send_at(utc(2026, 3, 8, 9, 59, 30))
    assert standin.messages_for(endpoint) == []
    send_at(utc(2026, 3, 8, 10, 0, 5))
    assert len(standin.messages_for(endpoint)) == 1


def test_a_time_the_clocks_repeat_is_sent_once(other_patient: User, standin: Any) -> None:
    """01:30 happens twice in Los Angeles on 1 November 2026: sent at the first (08:30 UTC) only."""
    endpoint = subscribe(other_patient, standin)
    remind(other_patient, "01:30")
    send_at(utc(2026, 11, 1, 8, 30, 5))
    send_at(utc(2026, 11, 1, 9, 30, 5))
    assert len(standin.messages_for(endpoint)) == 1


def test_auckland_and_los_angeles_each_get_theirs(kiri: User, other_patient: User, standin: Any) -> None:
    """One run at one instant sends only to whoever's 20:00 it is."""
    in_auckland, in_los_angeles = subscribe(kiri, standin), subscribe(other_patient, standin)
    remind(kiri, "20:00")
    remind(other_patient, "20:00")
    send_at(utc(2026, 7, 1, 8, 0, 5))  # 20:00 NZST
    assert (len(standin.messages_for(in_auckland)), len(standin.messages_for(in_los_angeles))) == (1, 0)
    send_at(utc(2026, 7, 2, 3, 0, 5))  # 20:00 PDT
    assert (len(standin.messages_for(in_auckland)), len(standin.messages_for(in_los_angeles))) == (1, 1)


# --- skips, late senders ---------------------------------------------------------------------------------


def test_a_check_in_30_minutes_before_skips_the_reminder(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00")
    checkin_at(patient, utc(2026, 7, 1, 18, 30))
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert standin.messages_for(endpoint) == []
    assert ReminderDelivery.objects.get(patient=patient).status == DeliveryStatus.SKIPPED


def test_a_check_in_two_hours_before_does_not_skip_it(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00")
    checkin_at(patient, utc(2026, 7, 1, 16, 50))
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert len(standin.messages_for(endpoint)) == 1


def test_a_sender_stopped_for_20_minutes_still_sends(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 19, 20))
    assert len(standin.messages_for(endpoint)) == 1
    assert ReminderDelivery.objects.get(patient=patient).status == DeliveryStatus.SENT


def test_a_sender_stopped_for_45_minutes_drops_it_and_records_it_missed(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00", email=True)
    send_at(utc(2026, 7, 1, 19, 45))
    assert standin.messages_for(endpoint) == [] and mail.outbox == []
    assert ReminderDelivery.objects.get(patient=patient).status == DeliveryStatus.MISSED


# --- what push services answer ---------------------------------------------------------------------------


def test_410_removes_the_subscription_and_email_takes_over(patient: User, standin: Any) -> None:
    """Gone for good: the row is deleted, and the patient, with no working phone, gets the email."""
    endpoint = subscribe(patient, standin)
    standin.answer(endpoint, 410)
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert not PushSubscription.objects.filter(endpoint=endpoint).exists()
    assert len(mail.outbox) == 1
    assert ReminderDelivery.objects.get(patient=patient).channel == "email"


def test_404_removes_the_subscription(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    standin.answer(endpoint, 404)
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert not PushSubscription.objects.filter(endpoint=endpoint).exists()


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retried_by_a_later_run(patient: User, standin: Any, status: int) -> None:
    """Not now, not gone: the row waits for a later run (after a back-off), which sends it once."""
    endpoint = subscribe(patient, standin)
    standin.answer(endpoint, status)
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 19, 0, 10))
    delivery = ReminderDelivery.objects.get(patient=patient)
    assert standin.messages_for(endpoint) == [] and mail.outbox == []
    assert delivery.status == DeliveryStatus.RETRY and delivery.next_attempt_at is not None
    assert PushSubscription.objects.get(endpoint=endpoint).failure_count == 1
    send_at(utc(2026, 7, 1, 19, 0, 40))  # before the back-off ends: nothing
    assert standin.messages_for(endpoint) == []
    send_at(utc(2026, 7, 1, 19, 2, 10))
    send_at(utc(2026, 7, 1, 19, 3, 10))
    assert len(standin.messages_for(endpoint)) == 1
    assert ReminderDelivery.objects.get(patient=patient).status == DeliveryStatus.SENT
    assert PushSubscription.objects.get(endpoint=endpoint).failure_count == 0


def test_a_push_service_that_keeps_failing_gives_up_after_30_minutes(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    standin.answer(endpoint, *[503] * 20)
    remind(patient, "20:00")
    for minute in range(0, 40, 1):
        send_at(utc(2026, 7, 1, 19, minute, 10))
    assert ReminderDelivery.objects.get(patient=patient).status == DeliveryStatus.FAILED
    assert standin.messages_for(endpoint) == []


# --- email ---------------------------------------------------------------------------------------------


def test_email_goes_where_the_patient_chose_it_and_names_nothing(patient: User, standin: Any) -> None:
    remind(patient, "20:00", push=False, email=True)
    checkin_at(patient, utc(2026, 6, 28, 9, 0))
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [patient.email]
    assert message.subject == "Time for your check-in"
    assert "Pat" not in message.body and "pain" not in message.body.lower()


def test_a_patient_without_a_phone_gets_email(patient: User) -> None:
    """Push chosen but no subscription: the email is the fallback."""
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert len(mail.outbox) == 1
    assert ReminderDelivery.objects.get(patient=patient).channel == "email"


def test_both_channels_when_both_are_chosen(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00", email=True)
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert len(standin.messages_for(endpoint)) == 1 and len(mail.outbox) == 1
    assert ReminderDelivery.objects.get(patient=patient).channel == "push+email"


# --- the missed-days nudge ------------------------------------------------------------------------------


def test_the_missed_nudge_goes_once_per_missed_spell(patient: User, standin: Any) -> None:
    """No check-in on 2, 3 and 4 July ("missed", CLINICAL.md 1.1): one nudge on the 4th, none on the 5th."""
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00", missed_nudge=True)
    checkin_at(patient, utc(2026, 7, 1, 9, 0))
    for day in (2, 3, 4, 5):
        send_at(utc(2026, 7, day, 19, 0, 10))
    nudges = [m for m in standin.messages_for(endpoint) if m.payload["body"] != EXPECTED_PAYLOAD["body"]]
    assert len(nudges) == 1
    assert "check-in" in nudges[0].payload["body"]
    assert ReminderDelivery.objects.get(kind=DeliveryKind.MISSED_NUDGE).local_date.day == 4


def test_no_nudge_without_asking_for_it(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00")
    checkin_at(patient, utc(2026, 7, 1, 9, 0))
    send_at(utc(2026, 7, 4, 19, 0, 10))
    assert [m.payload for m in standin.messages_for(endpoint)] == [EXPECTED_PAYLOAD]


# --- two processes at once, on PostgreSQL ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_one_message(patient: User, standin: Any) -> None:
    """Two `manage.py send_reminders` processes started together, on a real database: one message."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (set DATABASE_URL)")
    endpoints = [subscribe(patient, standin) for _ in range(3)]
    local = datetime.now(UTC).astimezone(ZoneInfo(patient.timezone))
    remind(patient, f"{local:%H:%M}")
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    manage = Path(settings.BASE_DIR) / "manage.py"
    runs = [
        subprocess.Popen([sys.executable, str(manage), "send_reminders"], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert [len(standin.messages_for(endpoint)) for endpoint in endpoints] == [1, 1, 1]
    assert ReminderDelivery.objects.get(patient=patient).status == DeliveryStatus.SENT


# --- the scheduler and the worker ---------------------------------------------------------------------------

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    """The durable worker, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0, stdout=io.StringIO())


# The worker closes its database connection between tasks: no test transaction can hold it.
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_queues_reminders_and_the_worker_sends_them(patient: User, standin: Any) -> None:
    """With the database queue: the scheduler's tick sends nothing itself; the worker's run sends one."""
    endpoint = subscribe(patient, standin)
    remind(patient, "20:00")
    with override_settings(TASKS=DATABASE_TASKS), time_machine.travel(utc(2026, 7, 1, 19, 0, 10), tick=False):
        call_command("scheduler", "--once", stdout=io.StringIO())
        call_command("scheduler", "--once", stdout=io.StringIO())  # a second scheduler: harmless
        assert standin.messages_for(endpoint) == []
        queued = DBTaskResult.objects.filter(status="READY", task_path="diary.reminders.send_due_reminders")
        assert queued.count() == 2
        run_worker()
    assert len(standin.messages_for(endpoint)) == 1
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


# The worker closes its database connection between tasks: no test transaction can hold it.
@pytest.mark.django_db(transaction=True)
def test_the_nightly_refresh_flags_is_queued_once_a_night(db: Any) -> None:
    """Several ticks after 00:30 in the clinic's zone, from several schedulers: one refresh_flags that night."""
    with override_settings(TASKS=DATABASE_TASKS):
        assert "refresh_all_flags" not in schedule.schedule_tick(utc(2026, 7, 1, 0, 29))
        assert "refresh_all_flags" in schedule.schedule_tick(utc(2026, 7, 1, 0, 31))
        assert "refresh_all_flags" not in schedule.schedule_tick(utc(2026, 7, 1, 0, 32))
        assert "refresh_all_flags" not in schedule.schedule_tick(utc(2026, 7, 1, 23, 59))
        assert "refresh_all_flags" in schedule.schedule_tick(utc(2026, 7, 2, 0, 31))
        refreshes = DBTaskResult.objects.filter(task_path="diary.schedule.refresh_all_flags")
        assert refreshes.count() == 2
        run_worker()
        assert refreshes.filter(status="SUCCESSFUL").count() == 2


# --- "Send me a test reminder" ---------------------------------------------------------------------------


def test_the_test_button_sends_one_reminder_to_this_patient_only(
    patient: User, other_patient: User, standin: Any
) -> None:
    """Sent now, even with reminders off; Olive's phone hears nothing; a second tap within a minute is refused."""
    mine, hers = subscribe(patient, standin), subscribe(other_patient, standin)
    client = signed_in(patient)
    client.get("/settings")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post("/settings/reminders/test", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    assert [m.payload["body"] for m in standin.messages_for(mine)] == [reminders.TEST_BODY]
    assert standin.messages_for(hers) == [] and mail.outbox == []
    client.post("/settings/reminders/test", HTTP_X_CSRFTOKEN=token)
    assert len(standin.messages_for(mine)) == 1
    assert ReminderDelivery.objects.get().kind == DeliveryKind.TEST


def test_the_settings_page_offers_the_test_button(patient: User) -> None:
    page = signed_in(patient).get("/settings").content.decode()
    assert "Send me a test reminder" in page and 'action="/settings/reminders/test"' in page


# --- adherence, for the therapist ---------------------------------------------------------------------------


@time_machine.travel(utc(2026, 7, 31, 12, 0), tick=False)
def test_the_therapist_sees_days_with_a_check_in_and_whether_reminders_are_on(
    patient: User, other_patient: User, therapist: User
) -> None:
    """Pat checked in on 3 days of the last 14 (twice on one) and 1 more before, within 30; Olive never.
    Pat's reminders are on; Olive's off. The times are not shown."""
    for day in (31, 30, 25):
        checkin_at(patient, utc(2026, 7, day, 9, 0))
    checkin_at(patient, utc(2026, 7, 25, 18, 0))
    checkin_at(patient, utc(2026, 7, 10, 9, 0))
    checkin_at(patient, utc(2026, 6, 20, 9, 0))  # 41 days before: in neither
    remind(patient, "20:17")
    client = signed_in(therapist)
    home = client.get("/").content.decode()
    assert "Checked in on 3 of the last 14 days, 4 of 30 · reminders on" in home
    assert "Checked in on 0 of the last 14 days, 0 of 30 · reminders off" in home
    assert "20:17" not in home
    detail = client.get(f"/patients/{patient.pk}").content.decode()
    assert "3 of the last 14, 4 of the last 30" in detail and "20:17" not in detail
    listed = {row["id"]: row["adherence"] for row in Api(therapist).get("patients").json()}
    assert listed[patient.pk] == {"last_14_days": 3, "last_30_days": 4, "reminders_on": True}
    assert listed[other_patient.pk] == {"last_14_days": 0, "last_30_days": 0, "reminders_on": False}


def test_erasing_the_account_erases_its_reminder_record(patient: User) -> None:
    remind(patient, "20:00")
    send_at(utc(2026, 7, 1, 19, 0, 10))
    assert ReminderDelivery.objects.filter(patient=patient).exists()
    services.account_delete(user=patient)
    assert not ReminderDelivery.objects.exists()
