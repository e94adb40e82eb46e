"""The periodic work, run by the task worker (django-tasks-db's `manage.py db_worker`).

Neither django-tasks nor its database backend schedules anything by itself: `manage.py scheduler`
calls `schedule_tick` every minute, which enqueues
- `send_due_reminders` (diary/reminders.py) every minute. Two schedulers would enqueue it twice,
  which costs a little work and sends nothing twice: each reminder is taken by one sender only;
- `refresh_all_flags` once a night, at NIGHTLY_AT in the clinic's zone (CLINIC_TIMEZONE), once
  per date: a ScheduledRun row is the claim, so a second scheduler, or a restart, skips it.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django_tasks import task

from diary.flags import flags_current_for_many
from diary.models import Role, ScheduledRun, User
from diary.reminders import send_due_reminders

logger = logging.getLogger(__name__)

# Shortly after midnight, so that no therapist's first page of the day waits for the re-judging.
NIGHTLY_AT = time(0, 30)
REFRESH_FLAGS = "refresh_flags"


def flags_refresh_all(*, batch: int = 100) -> int:
    """Re-judge the flags of every patient whose stored flags are not from their today; how many patients."""
    patients = list(User.objects.filter(role=Role.PATIENT, is_active=True).order_by("pk"))
    for start in range(0, len(patients), batch):
        # Only the stale ones among each batch are re-judged, in a few queries per batch.
        flags_current_for_many(patients[start : start + batch])
    return len(patients)


@task()
def refresh_all_flags() -> int:
    """The nightly refresh_flags, as a task for the worker."""
    count = flags_refresh_all()
    logger.info("Flags are up to date for %s patients.", count)
    return count


def _claim_nightly(job: str, now: datetime) -> bool:
    """True for the one scheduler that records this job for the clinic's date, once it is time."""
    local = now.astimezone(ZoneInfo(settings.CLINIC_TIMEZONE))
    if local.time() < NIGHTLY_AT:
        return False
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(job=job, for_date=local.date(), enqueued_at=now)
    except IntegrityError:
        return False
    return True


def schedule_tick(now: datetime) -> list[str]:
    """Enqueue what is due this minute; the names of the tasks enqueued."""
    send_due_reminders.enqueue()
    enqueued = ["send_due_reminders"]
    if _claim_nightly(REFRESH_FLAGS, now):
        refresh_all_flags.enqueue()
        enqueued.append("refresh_all_flags")
    return enqueued
