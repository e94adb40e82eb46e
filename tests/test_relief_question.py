"""The relief question sent as a reminder (issue 14, item 2; API.md 1.1 "Reminders" and "Medicines and doses").

"Did the <medicine> help?" is asked on the home page from 30 minutes after an as-needed dose; a
patient with reminders on by push also gets one push 30–60 minutes after the dose, with neutral
words, once, through the reminders' own path. Against the push-service stand-in, with the clock
frozen by time-machine, like tests/test_reminders_sending.py.

Personas: Pat (tests/conftest.py, Europe/London) is a patient with an as-needed oxycodone and a
regular paracetamol; Olive (America/Los_Angeles) is another patient.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings

from diary import medication, push, reminders, services
from diary.models import DeliveryKind, DeliveryStatus, Dose, Medicine, ReminderDelivery, User
from tests import pushstandin
from tests.conftest import signed_in
from tests.test_reminders_sending import remind, send_at, subscribe, utc

QUESTION = {"title": "A quick question from your diary", "body": reminders.QUESTION_BODY, "url": "/"}
# A summer afternoon: 14:00 UTC is 15:00 in London.
TAKEN = utc(2026, 7, 1, 14, 0)


@pytest.fixture
def standin() -> Iterator[pushstandin.PushStandIn]:
    """As in tests/test_reminders_sending.py: DEBUG on, so that endpoints on 127.0.0.1 are accepted."""
    push._key.cache_clear()
    with override_settings(DEBUG=True), pushstandin.running(push.public_key()) as running:
        yield running


def oxycodone(patient: User) -> Medicine:
    return medication.medicine_create(patient=patient, name="Oxycodone", strength="5 mg", kind="as_needed")


def dose_at(patient: User, medicine: Medicine, taken_at: datetime, *, entered_after: timedelta) -> Dose:
    """A dose taken at `taken_at` and logged `entered_after` it (the server's clock then)."""
    with time_machine.travel(taken_at + entered_after, tick=False):
        return medication.dose_create(
            patient=patient, client_uuid=uuid4(), medicine_id=medicine.pk, taken_at=taken_at
        ).dose


def answer(dose: Dose, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        medication.dose_update(dose=dose, relief="good")


def test_one_question_goes_30_minutes_after_the_dose_and_names_nothing(patient: User, standin: Any) -> None:
    """Nothing at 29 minutes; one message at 30, with the neutral words and the home page's URL; none again."""
    endpoint = subscribe(patient, standin)
    remind(patient)
    dose = dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=29, seconds=50))
    assert standin.messages_for(endpoint) == []
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    send_at(TAKEN + timedelta(minutes=31, seconds=10))
    send_at(TAKEN + timedelta(minutes=45))
    messages = standin.messages_for(endpoint)
    assert [m.payload for m in messages] == [QUESTION]
    assert 0 < messages[0].ttl <= 12 * 3600
    text = str(messages[0].payload).lower()
    for word in ("oxycodone", "5 mg", "pain", "medicine", "dose", "pat"):
        assert word not in text
    delivery = ReminderDelivery.objects.get(patient=patient)
    assert (delivery.kind, delivery.dose_id, delivery.status, delivery.channel) == (
        DeliveryKind.RELIEF_QUESTION,
        dose.pk,
        DeliveryStatus.SENT,
        "push",
    )
    assert mail.outbox == []


def test_the_tap_opens_the_page_that_asks_the_question(patient: User, standin: Any) -> None:
    """The payload's URL is the home page, and there, after 30 minutes, the question is asked."""
    endpoint = subscribe(patient, standin)
    remind(patient)
    dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    url = standin.messages_for(endpoint)[0].payload["url"]
    with time_machine.travel(TAKEN + timedelta(minutes=31), tick=False):
        page = signed_in(patient).get(url).content.decode()
    assert "Did the Oxycodone help?" in page


def test_two_runs_in_the_same_minute_send_one_question(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient)
    dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    send_at(TAKEN + timedelta(minutes=30, seconds=20))
    assert len(standin.messages_for(endpoint)) == 1
    assert ReminderDelivery.objects.count() == 1


def test_each_dose_is_asked_about_once(patient: User, standin: Any) -> None:
    """Two doses an hour apart: two questions, each at its own time."""
    endpoint = subscribe(patient, standin)
    remind(patient)
    medicine = oxycodone(patient)
    dose_at(patient, medicine, TAKEN, entered_after=timedelta(minutes=1))
    dose_at(patient, medicine, TAKEN + timedelta(hours=1), entered_after=timedelta(minutes=1))
    for minutes in (31, 50, 91, 110):
        send_at(TAKEN + timedelta(minutes=minutes))
    assert len(standin.messages_for(endpoint)) == 2
    assert ReminderDelivery.objects.filter(kind=DeliveryKind.RELIEF_QUESTION).count() == 2


def test_an_answer_given_before_30_minutes_means_no_question(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient)
    dose = dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=1))
    answer(dose, TAKEN + timedelta(minutes=20))
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    assert standin.messages_for(endpoint) == []
    assert not ReminderDelivery.objects.exists()


def test_an_answer_given_while_the_push_service_was_busy_stops_the_retry(patient: User, standin: Any) -> None:
    """The first try meets a 503; the patient answers on the home page; the retry sends nothing."""
    endpoint = subscribe(patient, standin)
    standin.answer(endpoint, 503)
    remind(patient)
    dose = dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    assert ReminderDelivery.objects.get().status == DeliveryStatus.RETRY
    answer(dose, TAKEN + timedelta(minutes=31))
    send_at(TAKEN + timedelta(minutes=33))
    assert standin.messages_for(endpoint) == []
    assert ReminderDelivery.objects.get().status == DeliveryStatus.SKIPPED


def test_a_busy_push_service_gets_the_question_on_a_retry(patient: User, standin: Any) -> None:
    """The control of the test above: unanswered, the retry sends it, once."""
    endpoint = subscribe(patient, standin)
    standin.answer(endpoint, 503)
    remind(patient)
    dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    send_at(TAKEN + timedelta(minutes=33))
    send_at(TAKEN + timedelta(minutes=40))
    assert [m.payload for m in standin.messages_for(endpoint)] == [QUESTION]


def test_a_regular_medicine_is_not_asked_about(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient)
    paracetamol = medication.medicine_create(patient=patient, name="Paracetamol", strength="1 g", kind="regular")
    dose_at(patient, paracetamol, TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    assert standin.messages_for(endpoint) == []
    assert not ReminderDelivery.objects.exists()


def test_a_dose_entered_45_minutes_late_is_asked_about_at_once(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient)
    dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=45))
    send_at(TAKEN + timedelta(minutes=45, seconds=30))
    assert [m.payload for m in standin.messages_for(endpoint)] == [QUESTION]


def test_a_dose_entered_more_than_an_hour_late_is_left_to_the_next_visit(patient: User, standin: Any) -> None:
    """No push at all (not even a missed record); the home page still asks."""
    endpoint = subscribe(patient, standin)
    remind(patient)
    dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=61))
    send_at(TAKEN + timedelta(minutes=61, seconds=30))
    send_at(TAKEN + timedelta(minutes=62, seconds=30))
    assert standin.messages_for(endpoint) == []
    assert not ReminderDelivery.objects.exists()
    with time_machine.travel(TAKEN + timedelta(minutes=63), tick=False):
        assert "Did the Oxycodone help?" in signed_in(patient).get("/").content.decode()


def test_a_sender_stopped_past_60_minutes_records_the_question_missed(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    remind(patient)
    dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=65))
    assert standin.messages_for(endpoint) == []
    assert ReminderDelivery.objects.get().status == DeliveryStatus.MISSED


def test_no_question_without_reminders_on_by_push_and_a_phone(patient: User, standin: Any) -> None:
    """Reminders off; on by email only (no email either: the next visit asks); on by push with no phone."""
    medicine = oxycodone(patient)
    endpoint = subscribe(patient, standin)
    services.reminders_update(patient=patient, times=[], enabled=False, missed_nudge=False, push=True, email=True)
    dose_at(patient, medicine, TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=31))
    remind(patient, push=False, email=True)
    dose_at(patient, medicine, TAKEN + timedelta(hours=2), entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(hours=2, minutes=31))
    assert standin.messages_for(endpoint) == [] and mail.outbox == []
    assert not ReminderDelivery.objects.exists()
    remind(patient)
    patient.push_subscriptions.all().delete()
    dose_at(patient, medicine, TAKEN + timedelta(hours=4), entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(hours=4, minutes=31))
    assert mail.outbox == [] and not ReminderDelivery.objects.exists()


def test_push_turned_off_after_the_question_was_scheduled_stops_it(patient: User, standin: Any) -> None:
    endpoint = subscribe(patient, standin)
    standin.answer(endpoint, 503)
    remind(patient)
    dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    remind(patient, push=False, email=True)
    send_at(TAKEN + timedelta(minutes=33))
    assert standin.messages_for(endpoint) == [] and mail.outbox == []
    assert ReminderDelivery.objects.get().status == DeliveryStatus.SKIPPED


def test_another_patients_settings_and_phone_hear_nothing_of_her_dose(
    patient: User, other_patient: User, standin: Any
) -> None:
    """Pat has reminders on by push and a phone; Olive has neither: Olive's dose reaches no one."""
    pats_phone = subscribe(patient, standin)
    remind(patient)
    dose_at(other_patient, oxycodone(other_patient), TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    assert standin.messages_for(pats_phone) == []
    assert not ReminderDelivery.objects.exists()


def test_each_patient_gets_the_question_about_her_own_dose_only(
    patient: User, other_patient: User, standin: Any
) -> None:
    pats_phone, olives_phone = subscribe(patient, standin), subscribe(other_patient, standin)
    remind(patient)
    remind(other_patient)
    dose_at(other_patient, oxycodone(other_patient), TAKEN, entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=30, seconds=10))
    assert standin.messages_for(pats_phone) == []
    assert [m.payload for m in standin.messages_for(olives_phone)] == [QUESTION]
    assert ReminderDelivery.objects.get().patient == other_patient


def test_the_log_does_not_say_when_a_dose_was_taken(patient: User, standin: Any, caplog: Any) -> None:
    subscribe(patient, standin)
    remind(patient)
    dose_at(patient, oxycodone(patient), TAKEN, entered_after=timedelta(minutes=1))
    with caplog.at_level(logging.INFO, logger="diary.reminders"):
        send_at(TAKEN + timedelta(minutes=30, seconds=10))
    logged = caplog.text.lower()
    assert "sent push" in logged
    for word in ("15:30", "14:30", "relief", "oxycodone", "dose"):
        assert word not in logged


def test_deleting_the_dose_or_the_account_erases_the_question(patient: User, standin: Any) -> None:
    subscribe(patient, standin)
    remind(patient)
    medicine = oxycodone(patient)
    first = dose_at(patient, medicine, TAKEN, entered_after=timedelta(minutes=1))
    dose_at(patient, medicine, TAKEN + timedelta(hours=1), entered_after=timedelta(minutes=1))
    send_at(TAKEN + timedelta(minutes=31))
    send_at(TAKEN + timedelta(minutes=91))
    assert ReminderDelivery.objects.filter(patient=patient).count() == 2
    medication.dose_delete(dose=first)
    assert ReminderDelivery.objects.filter(patient=patient).count() == 1
    services.account_delete(user=patient)
    assert not ReminderDelivery.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_ask_once(patient: User, standin: Any) -> None:
    """Two `manage.py send_reminders` processes started together, on a real database: one question."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (set DATABASE_URL)")
    endpoints = [subscribe(patient, standin) for _ in range(3)]
    remind(patient)
    medicine = oxycodone(patient)
    # Taken 31 minutes ago, logged now: due, and the subprocesses run on the real clock.
    medication.dose_create(
        patient=patient,
        client_uuid=uuid4(),
        medicine_id=medicine.pk,
        taken_at=datetime.now(UTC) - timedelta(minutes=31),
    )
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
