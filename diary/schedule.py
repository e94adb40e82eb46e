"""The periodic work, run by the task worker (django-tasks-db's `manage.py db_worker`).

Neither django-tasks nor its database backend schedules anything by itself: `manage.py scheduler`
calls `schedule_tick` every minute, which enqueues
- `send_due_reminders` (diary/reminders.py) every minute. Two schedulers would enqueue it twice,
  which costs a little work and sends nothing twice: each reminder is taken by one sender only;
- `refresh_all_flags` once a night, at NIGHTLY_AT in the clinic's zone (CLINIC_TIMEZONE), once
  per date: a ScheduledRun row is the claim, so a second scheduler, or a restart, skips it. It
  queues the patients in batches (`refresh_flags_batch`), which several workers share.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django_tasks import TaskResult, task

from diary.flags import flags_current_for_many
from diary.models import Role, ScheduledRun, User
from diary.reminders import send_due_reminders

logger = logging.getLogger(__name__)

# Shortly after midnight, so that no therapist's first page of the day waits for the re-judging.
NIGHTLY_AT = time(0, 30)
REFRESH_FLAGS = "refresh_flags"


# The nightly refresh goes to the worker in tasks of this many patients (a few seconds each), so that
# several workers share it and a failure costs one batch; each task re-judges them in transactions
# of REFRESH_LOCK_BATCH, which keeps a patient's diary locked for about a second at most.
REFRESH_TASK_BATCH = 200
REFRESH_LOCK_BATCH = 100


def patient_id_batches(size: int = REFRESH_TASK_BATCH) -> list[list[int]]:
    """Every active patient's id, in batches of `size`, in id order."""
    ids = list(User.objects.filter(role=Role.PATIENT, is_active=True).order_by("pk").values_list("pk", flat=True))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def flags_refresh_patients(patient_ids: list[int], *, lock_batch: int = REFRESH_LOCK_BATCH) -> int:
    """Re-judge the flags of those of these patients whose stored flags are not from their today; how many patients.

    Ids of accounts erased or deactivated since they were batched are skipped.
    """
    patients = list(User.objects.filter(pk__in=patient_ids, role=Role.PATIENT, is_active=True).order_by("pk"))
    for start in range(0, len(patients), lock_batch):
        # Only the stale ones among each batch are re-judged, in a few queries per batch.
        flags_current_for_many(patients[start : start + lock_batch])
    return len(patients)


def flags_refresh_all(*, batch: int = REFRESH_LOCK_BATCH) -> int:
    """Every patient's refresh in this process, without the worker; how many patients."""
    return sum(flags_refresh_patients(ids, lock_batch=batch) for ids in patient_id_batches(batch))


@task()
def refresh_flags_batch(patient_ids: list[int]) -> int:
    """One batch of the all-patients refresh_flags, as a task for the worker."""
    return flags_refresh_patients(patient_ids)


def flags_refresh_enqueue(*, batch: int = REFRESH_TASK_BATCH) -> list[TaskResult[int]]:
    """Queue every patient's refresh for the worker(s), `batch` patients a task; the tasks' results."""
    return [refresh_flags_batch.enqueue(ids) for ids in patient_id_batches(batch)]


@task()
def refresh_all_flags() -> int:
    """The nightly refresh_flags: it queues the batches, which the worker(s) then run; how many patients."""
    results = flags_refresh_enqueue()
    count = sum(len(result.args[0]) for result in results)
    logger.info("Flags refresh queued for %s patients in %s tasks.", count, len(results))
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
