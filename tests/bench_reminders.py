"""How fast reminders go out: `send_reminders` for 10,000 patients with one reminder due each, to the
local push-service stand-in (tests/pushstandin.py), and the enqueue step alone for 1,000 and 10,000.

Not collected by pytest (the name starts with bench_). Run from the project root:

    .venv/bin/python tests/bench_reminders.py                      # a throwaway SQLite database
    DATABASE_URL=postgres://... .venv/bin/python tests/bench_reminders.py   # a throwaway test_<name> database

The stand-in runs in this process (a thread), so the figure includes its own work: checking each
VAPID signature and decrypting each message. A real push service does that on its own machines.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
# A key for this run only, so the bench never writes the development key file.
os.environ.setdefault("VAPID_PRIVATE_KEY", "S2o_W3LRND6mXoxJJOTEAbKvLdu_uBoPvl47hRd3Jng")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from diary import push  # noqa: E402
from diary.models import PushSubscription, ReminderDelivery, ReminderSettings, Role, User  # noqa: E402
from diary.reminders import reminders_schedule, reminders_send_due  # noqa: E402
from tests import pushstandin  # noqa: E402

SIZES = (1_000, 10_000)


def add_patients(start: int, stop: int, at: str, standin: pushstandin.PushStandIn) -> None:
    """Patients start..stop-1 in UTC, each with one reminder at `at` and one phone on the stand-in."""
    patients = User.objects.bulk_create(
        (
            User(email=f"bench-{index}@example.com", role=Role.PATIENT, timezone="UTC", password="!")
            for index in range(start, stop)
        ),
        batch_size=1000,
    )
    ReminderSettings.objects.bulk_create(
        (ReminderSettings(patient=patient, times=[at], enabled=True, push=True) for patient in patients),
        batch_size=1000,
    )
    phones = []
    for patient in patients:
        endpoint, keys = standin.phone()
        phones.append(PushSubscription(patient=patient, endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"]))
    PushSubscription.objects.bulk_create(phones, batch_size=1000)


def time_schedule(now: object) -> tuple[float, int]:
    """The enqueue step alone, on a table with no deliveries yet; then the table is emptied again."""
    started = time.perf_counter()
    ready = reminders_schedule(now)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    ReminderDelivery.objects.all().delete()
    return elapsed, len(ready)


def main() -> None:
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    logging.getLogger("diary.reminders").setLevel(logging.WARNING)  # not a line for each of 10,000
    # DEBUG on, as in development: endpoints on 127.0.0.1 (the stand-in) are allowed.
    setup_test_environment(debug=True)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        now = timezone.now()
        at = f"{now:%H:%M}"
        with pushstandin.running(push.public_key()) as standin:
            enqueue: dict[int, tuple[float, int]] = {}
            made = 0
            for size in SIZES:
                add_patients(made, size, at, standin)
                made = size
                enqueue[size] = time_schedule(now)
            started = time.perf_counter()
            counts = reminders_send_due(now)
            elapsed = time.perf_counter() - started
            received = len(standin.messages)
            refused = len(standin.refused)
        small, large = enqueue[SIZES[0]], enqueue[SIZES[1]]
        print(f"Reminders on {connection.vendor}:")
        for size in SIZES:
            seconds, ready = enqueue[size]
            each = seconds / size * 1e6
            print(f"  enqueue step, {size:>6,} patients: {seconds:.2f} s ({ready:,} due), {each:.0f} µs a patient")
        print(f"  enqueue growth, 10× the patients: {large[0] / small[0]:.1f}× the time (linear is 10×)")
        print(
            f"  send_reminders, {SIZES[-1]:,} patients: {elapsed:.1f} s, {received / elapsed:.0f} messages/s "
            f"({received:,} received by the stand-in, {refused} refused; outcomes {counts})"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
