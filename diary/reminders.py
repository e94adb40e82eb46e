"""Sending reminders (API.md 1.1 "Reminders"): what is due, and sending each exactly once.

Two steps, both safe to run in several processes at once:
1. `reminders_schedule(now)` works out which reminders fell due in the last hours, in each
   patient's own zone, and creates one ReminderDelivery row for each (unique per patient, kind,
   local date and local time: a second run or a second worker finds the row already there).
   Reminders that are 30 minutes late or more are recorded as missed instead.
2. `reminder_deliver(delivery_id, now)` takes one pending row by moving it to "sending" in a single
   UPDATE (exactly one process wins), then pushes to each of the patient's subscriptions and/or
   emails them. 404/410 removes a subscription; 429 and 5xx leave the row to be tried again by a
   later run, with back-off, while it is still less than 30 minutes late.

The relief question of issue 14 ("Did the <medicine> help?") goes the same way: the scheduler
creates one row per as-needed dose left unanswered, due 30 minutes after it was taken and sent
before it is 60 minutes old, by push only, to patients who turned reminders on with push.

What leaves the server says nothing about health and carries no name: the lock screen of a shared
phone, or an email read over a shoulder, says only that it is time for a check-in, or that the
diary has a question (never which medicine, nor that there is one).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db.models import Exists, F, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from pywebpush import WebPushException, webpush

from diary import push, selectors, trends
from diary.models import (
    CheckIn,
    DeliveryKind,
    DeliveryStatus,
    Dose,
    MedicineKind,
    PushSubscription,
    ReminderDelivery,
    ReminderSettings,
    Role,
    User,
)

logger = logging.getLogger(__name__)

TITLE = "Time for your check-in"
BODY = "How are you today? A check-in takes a minute."
NUDGE_BODY = "It has been a few days. A check-in takes a minute, whenever you are ready."
TEST_BODY = "This is a test. Your reminders will look like this."
# The relief question: neutral words, since a lock screen is read by others too.
QUESTION_TITLE = "A quick question from your diary"
QUESTION_BODY = "One tap to answer, whenever you open your diary."
EMAIL_SUBJECT = "Time for your check-in"

# A reminder later than this is dropped and recorded as missed (API.md 1.1).
LATE_LIMIT = timedelta(minutes=30)
# No reminder when the patient checked in this soon before it (API.md 1.1).
RECENT_CHECKIN = timedelta(minutes=60)
# How far back the scheduler looks for reminders that fell due, so that a stopped sender's
# reminders are recorded as missed when it starts again.
LOOKBACK = timedelta(hours=6)
# A push service keeps an undelivered message this long (API.md: at most 12 hours). A reminder
# that reaches a phone two hours late is still of use; one from last night is not.
PUSH_TTL_SECONDS = 2 * 3600
PUSH_TIMEOUT_SECONDS = 10
# The nudge goes at the patient's first reminder time, or this one when they have none.
NUDGE_DEFAULT_TIME = time(20, 0)
NUDGE_KEY_TIME = time(0, 0)
# The relief question is due when the home page starts asking it, and LATE_LIMIT later it is
# dropped: asked 30–60 minutes after the dose (API.md 1.1). A dose entered later than that is
# asked about on the next visit only.
RELIEF_ASKED_AFTER = selectors.RELIEF_ASKED_AFTER
RELIEF_LATEST = RELIEF_ASKED_AFTER + LATE_LIMIT


# --- when a reminder is due -------------------------------------------------------


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def due_instant(local_date: date, local_time: time, zone_name: str) -> datetime:
    """The UTC instant a reminder for `local_time` on `local_date` is due, in the zone's own clock.

    A local time that happens twice (clocks going back) is due at its first occurrence. A local
    time that does not exist that day (clocks going forward) is due at the next valid instant: the
    moment the clocks jump.
    """
    zone = _zone(zone_name)
    wall = datetime.combine(local_date, local_time)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(ZoneInfo("UTC"))
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap: fold=1 gives an instant before the jump, fold=0 one after. The first minute whose
    # local clock reads at or after the wall time is the jump (gaps are whole minutes in tzdata).
    instant = wall.replace(tzinfo=zone, fold=1).astimezone(ZoneInfo("UTC"))
    while instant.astimezone(zone).replace(tzinfo=None) < wall:
        instant += timedelta(minutes=1)
    return instant


@dataclass(frozen=True)
class Due:
    patient_id: int
    kind: str
    local_date: date
    local_time: time
    due_at: datetime
    dose_id: int | None = None


def _parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _due_for(
    *, patient_id: int, zone_name: str, times: list[str], nudge_on: date | None, now: datetime
) -> Iterable[Due]:
    """One patient's reminders that fell due in (now - LOOKBACK, now]."""
    today = now.astimezone(_zone(zone_name)).date()
    for local_date in (today - timedelta(days=1), today):
        for value in times:
            local_time = _parse_time(value)
            due_at = due_instant(local_date, local_time, zone_name)
            if now - LOOKBACK < due_at <= now:
                yield Due(patient_id, DeliveryKind.REMINDER, local_date, local_time, due_at)
        if nudge_on == local_date:
            at = _parse_time(min(times)) if times else NUDGE_DEFAULT_TIME
            due_at = due_instant(local_date, at, zone_name)
            if now - LOOKBACK < due_at <= now:
                yield Due(patient_id, DeliveryKind.MISSED_NUDGE, local_date, NUDGE_KEY_TIME, due_at)


def due_reminders(now: datetime, *, patient_ids: list[int] | None = None) -> list[Due]:
    """Every reminder that fell due in the last LOOKBACK hours, for patients with reminders on.

    The missed-days nudge uses the one definition of "missed" (CLINICAL.md 1.1,
    trends.has_missed): it is due on the first local date the rule holds, once per spell.
    """
    rows = ReminderSettings.objects.filter(
        enabled=True, patient__is_active=True, patient__role=Role.PATIENT
    ).values_list("patient_id", "patient__timezone", "times", "missed_nudge")
    if patient_ids is not None:
        rows = rows.filter(patient_id__in=patient_ids)
    settings_rows = list(rows)
    nudged = [patient_id for patient_id, _, _, missed_nudge in settings_rows if missed_nudge]
    last_checkin_on = dict(
        CheckIn.objects.filter(patient_id__in=nudged)
        .values("patient_id")
        .annotate(last=Max("local_date"))
        .values_list("patient_id", "last")
    )
    due: list[Due] = []
    for patient_id, zone_name, times, _ in settings_rows:
        last = last_checkin_on.get(patient_id)
        nudge_on = last + timedelta(days=trends.MISSED_AFTER_DAYS) if last is not None else None
        due.extend(_due_for(patient_id=patient_id, zone_name=zone_name, times=times, nudge_on=nudge_on, now=now))
    return due


def due_relief_questions(now: datetime, *, patient_ids: list[int] | None = None) -> list[Due]:
    """One relief question for each unanswered as-needed dose whose question fell due in the last
    LOOKBACK hours, for patients with reminders on by push and a phone to push to.

    A dose entered more than RELIEF_LATEST after it was taken gets none: the next visit asks.
    """
    doses = Dose.objects.filter(
        relief__isnull=True,
        medicine__kind=MedicineKind.AS_NEEDED,
        taken_at__gt=now - LOOKBACK - RELIEF_ASKED_AFTER,
        taken_at__lte=now - RELIEF_ASKED_AFTER,
        created_at__lte=F("taken_at") + RELIEF_LATEST,
        patient__is_active=True,
        patient__role=Role.PATIENT,
        patient__reminder_settings__enabled=True,
        patient__reminder_settings__push=True,
    ).filter(Exists(PushSubscription.objects.filter(patient_id=OuterRef("patient_id"))))
    if patient_ids is not None:
        doses = doses.filter(patient_id__in=patient_ids)
    due: list[Due] = []
    doses = doses.order_by()  # any order: the rows are keyed, and the senders take them by due_at
    for dose_id, patient_id, zone_name, taken_at in doses.values_list(
        "pk", "patient_id", "patient__timezone", "taken_at"
    ):
        due_at = taken_at + RELIEF_ASKED_AFTER
        # Keyed to the microsecond: two doses logged at one instant share a question, and the page asks both.
        local = due_at.astimezone(_zone(zone_name))
        due.append(
            Due(
                patient_id,
                DeliveryKind.RELIEF_QUESTION,
                local.date(),
                local.time().replace(tzinfo=None),
                due_at,
                dose_id,
            )
        )
    return due


def reminders_schedule(now: datetime, *, patient_ids: list[int] | None = None) -> list[int]:
    """Record what fell due, and return the ids of the deliveries a sender should take now.

    Creating rows ignores conflicts: whichever run creates a row first, the row is the same. Ones
    already 30 minutes late are created as missed; pending ones that went past the limit without
    a sender (a crash, a stopped worker) become missed too, and retries past it failed.
    """
    recent = ReminderDelivery.objects.filter(due_at__gt=now - LOOKBACK)
    existing = set(recent.values_list("patient_id", "kind", "local_date", "local_time"))
    # A dose's question once, even if a change of zone has moved its local key since.
    asked = set(recent.filter(dose__isnull=False).values_list("dose_id", flat=True))
    new = [
        ReminderDelivery(
            patient_id=due.patient_id,
            kind=due.kind,
            local_date=due.local_date,
            local_time=due.local_time,
            due_at=due.due_at,
            dose_id=due.dose_id,
            status=DeliveryStatus.MISSED if now - due.due_at >= LATE_LIMIT else DeliveryStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
        for due in [*due_reminders(now, patient_ids=patient_ids), *due_relief_questions(now, patient_ids=patient_ids)]
        if (due.patient_id, due.kind, due.local_date, due.local_time) not in existing and due.dose_id not in asked
    ]
    ReminderDelivery.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    ReminderDelivery.objects.filter(status=DeliveryStatus.PENDING, due_at__lte=now - LATE_LIMIT).update(
        status=DeliveryStatus.MISSED, updated_at=now
    )
    # A retry that could not get through before the limit has failed.
    ReminderDelivery.objects.filter(status=DeliveryStatus.RETRY, due_at__lte=now - LATE_LIMIT).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, updated_at=now
    )
    ready = ReminderDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.RETRY, next_attempt_at__lte=now),
        due_at__gt=now - LATE_LIMIT,
        due_at__lte=now,
    )
    if patient_ids is not None:
        ready = ready.filter(patient_id__in=patient_ids)
    return list(ready.order_by("due_at", "pk").values_list("pk", flat=True))


# --- sending one -----------------------------------------------------------------


def payload(kind: str) -> dict[str, str]:
    """What the phone shows: no health data, no name (API.md 1.1). The home page is where the
    relief question is asked, so every kind opens it."""
    if kind == DeliveryKind.RELIEF_QUESTION:
        return {"title": QUESTION_TITLE, "body": QUESTION_BODY, "url": "/"}
    body = {DeliveryKind.MISSED_NUDGE: NUDGE_BODY, DeliveryKind.TEST: TEST_BODY}.get(DeliveryKind(kind), BODY)
    return {"title": TITLE, "body": body, "url": "/"}


@dataclass
class _PushOutcome:
    accepted: list[int]
    gone: int = 0
    transient: int = 0
    refused: int = 0


def _push_all(
    subscriptions: list[PushSubscription], data: str, now: datetime, session: requests.Session
) -> _PushOutcome:
    """Send one message to each subscription, and note on each how its push service answered."""
    outcome = _PushOutcome(accepted=[])
    key = push.vapid_key()
    for subscription in subscriptions:
        info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        status: int | None
        try:
            # Checked again here: the allow-list or DEBUG may have changed since it subscribed.
            push.check_endpoint(subscription.endpoint)
        except ValidationError:
            outcome.refused += 1
            logger.warning("Not sending to subscription %s: its endpoint is not allowed now", subscription.pk)
            continue
        try:
            # A fresh claims dict each time: pywebpush fills in "aud" (this endpoint's origin) and "exp".
            webpush(
                info,
                data=data,
                vapid_private_key=key,
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                content_encoding="aes128gcm",
                ttl=PUSH_TTL_SECONDS,
                timeout=PUSH_TIMEOUT_SECONDS,
                requests_session=session,
            )
            status = None
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else 0
        except requests.RequestException:
            status = 0  # no answer at all: the same as a 5xx, try again later
        if status is None:
            outcome.accepted.append(subscription.pk)
            PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=now, failure_count=0)
        elif status in (404, 410):
            # The browser unsubscribed, or the push service forgot it: it will never work again.
            outcome.gone += 1
            subscription.delete()
        else:
            PushSubscription.objects.filter(pk=subscription.pk).update(
                last_failure_at=now, last_failure_status=status or None, failure_count=F("failure_count") + 1
            )
            if status == 0 or status == 429 or status >= 500:
                outcome.transient += 1
            else:
                outcome.refused += 1
                logger.warning("Push service refused a reminder with %s (subscription %s)", status, subscription.pk)
    return outcome


def _email(delivery: ReminderDelivery) -> None:
    """The email channel: no name, nothing about health, a link to the diary and one to stop them."""
    diary = settings.SITE_URL + "/"
    change = settings.SITE_URL + reverse("frontend:settings")
    send_mail(
        subject=EMAIL_SUBJECT,
        message=(
            f"{payload(delivery.kind)['body']}\n\nOpen your diary: {diary}\n\n"
            f"You asked for this reminder. To change or stop reminders: {change}"
        ),
        from_email=None,
        recipient_list=[delivery.patient.email],
    )


def _checked_in_recently(delivery: ReminderDelivery, now: datetime) -> bool:
    """Checked in within the hour before the reminder (or since it fell due: a late sender)."""
    if delivery.kind == DeliveryKind.MISSED_NUDGE:
        return CheckIn.objects.filter(
            patient_id=delivery.patient_id,
            local_date__gte=delivery.local_date - timedelta(days=trends.MISSED_AFTER_DAYS - 1),
        ).exists()
    return CheckIn.objects.filter(
        patient_id=delivery.patient_id,
        recorded_at__gte=delivery.due_at - RECENT_CHECKIN,
        recorded_at__lte=max(now, delivery.due_at),
    ).exists()


def _still_wanted(delivery: ReminderDelivery, reminder_settings: ReminderSettings, now: datetime) -> bool:
    """Reminders still on, and no check-in just before (asked on the first attempt only: a retry
    continues a reminder already decided on)."""
    if delivery.kind == DeliveryKind.TEST:
        return delivery.patient.is_active  # asked for just now, whatever the settings
    if not reminder_settings.enabled or not delivery.patient.is_active:
        return False
    if delivery.kind == DeliveryKind.RELIEF_QUESTION:
        # Asked on every attempt: an answer given meanwhile, or push turned off, ends it.
        return reminder_settings.push and _relief_unanswered(delivery)
    return delivery.attempts > 1 or not _checked_in_recently(delivery, now)


def _relief_unanswered(delivery: ReminderDelivery) -> bool:
    """The dose asked about still waits for its answer (a deleted dose takes its question with it)."""
    if delivery.dose_id is None:
        return False
    return Dose.objects.filter(pk=delivery.dose_id, relief__isnull=True, medicine__kind=MedicineKind.AS_NEEDED).exists()


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take a delivery for this process. One UPDATE: of two processes, exactly one gets a row."""
    taken = ReminderDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.RETRY, next_attempt_at__lte=now),
        pk=delivery_id,
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
    return taken == 1


def reminder_deliver(delivery_id: int, now: datetime | None = None, *, session: requests.Session | None = None) -> str:
    """Send one due reminder, if this process is the one that takes it. Returns its status after."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return "taken"
    delivery = ReminderDelivery.objects.select_related("patient").get(pk=delivery_id)
    reminder_settings = ReminderSettings.objects.filter(patient_id=delivery.patient_id).first()
    status: str
    if now - delivery.due_at >= LATE_LIMIT:
        status = DeliveryStatus.MISSED if delivery.attempts == 1 else DeliveryStatus.FAILED
    elif reminder_settings is None or not _still_wanted(delivery, reminder_settings, now):
        status = DeliveryStatus.SKIPPED
    elif session is None:
        with requests.Session() as own_session:
            status = _send(delivery, reminder_settings, now, own_session)
    else:
        status = _send(delivery, reminder_settings, now, session)
    if status != DeliveryStatus.RETRY:
        delivery.next_attempt_at = None
    delivery.status = status
    delivery.updated_at = now
    delivery.save(update_fields=["status", "channel", "sent_to", "emailed", "next_attempt_at", "updated_at"])
    if delivery.kind == DeliveryKind.RELIEF_QUESTION:
        # Neither the kind nor the time: together they would say when a pain medicine was taken.
        logger.info("Reminder %s for patient %s: %s %s", delivery.pk, delivery.patient_id, status, delivery.channel)
    else:
        logger.info(
            "Reminder %s for patient %s (%s %s): %s %s",
            delivery.pk,
            delivery.patient_id,
            delivery.local_date,
            delivery.local_time,
            status,
            delivery.channel,
        )
    return str(status)


def _send(
    delivery: ReminderDelivery, reminder_settings: ReminderSettings, now: datetime, session: requests.Session
) -> str:
    """Push to the subscriptions not yet reached, email where the patient chose it or push cannot reach them."""
    outcome = _PushOutcome(accepted=[])
    if reminder_settings.push:
        subscriptions = list(
            PushSubscription.objects.filter(patient_id=delivery.patient_id).exclude(pk__in=delivery.sent_to)
        )
        if subscriptions:
            outcome = _push_all(subscriptions, json.dumps(payload(delivery.kind)), now, session)
    delivery.sent_to = [*delivery.sent_to, *outcome.accepted]
    pushed = bool(delivery.sent_to)
    # Email as chosen, or as the fallback when no phone took it and none is only waiting to retry.
    # Not the relief question: it is a push's quick tap, and the next visit asks it anyway.
    wants_email = delivery.kind != DeliveryKind.RELIEF_QUESTION and (
        reminder_settings.email or (not pushed and not outcome.transient)
    )
    if wants_email and not delivery.emailed:
        _email(delivery)
        delivery.emailed = True
    delivery.channel = "+".join(name for name, used in (("push", pushed), ("email", delivery.emailed)) if used)
    if outcome.transient:
        # Back-off: 1, 2, 4, 8... minutes; past the 30-minute limit the next run marks it failed.
        delivery.next_attempt_at = now + timedelta(minutes=2 ** (delivery.attempts - 1))
        return DeliveryStatus.RETRY
    return DeliveryStatus.SENT if delivery.channel else DeliveryStatus.FAILED


def reminders_send_due(now: datetime | None = None, *, patient_ids: list[int] | None = None) -> dict[str, int]:
    """Schedule what is due and send it, here and now: what `manage.py send_reminders` and the
    worker's task run. Counts of the outcomes, by status."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    with requests.Session() as session:
        for delivery_id in reminders_schedule(now, patient_ids=patient_ids):
            status = reminder_deliver(delivery_id, now, session=session)
            counts[status] = counts.get(status, 0) + 1
    return counts


@task()
def send_due_reminders() -> dict[str, int]:
    """The worker's task, enqueued every minute by the scheduler (manage.py scheduler)."""
    return reminders_send_due()


# --- the settings page's "Send me a test reminder" --------------------------------------------------------


@task()
def deliver_reminder(delivery_id: int) -> str:
    """Send one delivery (a test reminder) through the worker, as the scheduled ones go."""
    return reminder_deliver(delivery_id)


def reminder_test_send(*, patient: User, now: datetime | None = None) -> ReminderDelivery:
    """Send this patient a test reminder now, through the same path as the real ones: to the phones
    they subscribed and/or by email, as their settings say (email when no phone can take it)."""
    if not patient.is_patient:
        raise PermissionDenied("Only patients have reminders.")
    now = now or timezone.now()
    local_now = now.astimezone(_zone(patient.timezone))
    delivery = ReminderDelivery.objects.create(
        patient=patient,
        kind=DeliveryKind.TEST,
        local_date=local_now.date(),
        # To the microsecond: each test is its own row, and never takes a real reminder's place.
        local_time=local_now.time().replace(tzinfo=None),
        due_at=now,
        created_at=now,
        updated_at=now,
    )
    deliver_reminder.enqueue(delivery.pk)
    return delivery
