"""How long the scheduler's relief-question step takes each minute (issue 14): `due_relief_questions`
for 10,000 patients with reminders on by push, each with three weeks of as-needed doses, 1,000 of
them with a dose whose question is due now.

Not collected by pytest (the name starts with bench_). Run from the project root:

    .venv/bin/python tests/bench_relief_question.py                      # a throwaway SQLite database
    DATABASE_URL=postgres://... .venv/bin/python tests/bench_relief_question.py   # a throwaway test_<name> database
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from diary.models import (  # noqa: E402
    Dose,
    Medicine,
    MedicineKind,
    PartOfDay,
    PushSubscription,
    ReminderSettings,
    Role,
    User,
)
from diary.reminders import due_relief_questions, reminders_schedule  # noqa: E402

PATIENTS = 10_000
DOSES_EACH = 20  # about one a day for three weeks
DUE_NOW = 1_000
RUNS = 5


def build(now: object) -> None:
    patients = User.objects.bulk_create(
        (
            User(email=f"bench-{index}@example.com", role=Role.PATIENT, timezone="Europe/London", password="!")
            for index in range(PATIENTS)
        ),
        batch_size=1000,
    )
    ReminderSettings.objects.bulk_create(
        (ReminderSettings(patient=patient, times=["20:00"], enabled=True, push=True) for patient in patients),
        batch_size=1000,
    )
    PushSubscription.objects.bulk_create(
        (
            PushSubscription(
                patient=p, endpoint=f"https://fcm.googleapis.com/fcm/send/{p.pk}", p256dh="B" * 87, auth="A" * 22
            )
            for p in patients
        ),
        batch_size=1000,
    )
    medicines = Medicine.objects.bulk_create(
        (Medicine(patient=p, name="oxycodone", strength="5 mg", kind=MedicineKind.AS_NEEDED) for p in patients),
        batch_size=1000,
    )
    doses = []
    for number, medicine in enumerate(medicines):
        for day in range(DOSES_EACH):
            taken = now - timedelta(days=day + 1, hours=3)  # type: ignore[operator]
            doses.append(_dose(medicine, taken, relief="some"))
        if number < DUE_NOW:
            doses.append(_dose(medicine, now - timedelta(minutes=31), relief=None))  # type: ignore[operator]
    Dose.objects.bulk_create(doses, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would soon: plans for the tables as they are


def _dose(medicine: Medicine, taken: object, *, relief: str | None) -> Dose:
    return Dose(
        patient_id=medicine.patient_id,
        medicine=medicine,
        client_uuid=uuid4(),
        taken_at=taken,
        local_date=taken.date(),  # type: ignore[attr-defined]
        part_of_day=PartOfDay.MORNING,
        reason="breakthrough_pain",
        relief=relief,
    )


def main() -> None:
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    setup_test_environment(debug=True)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        now = timezone.now()
        build(now)
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            due = due_relief_questions(now)
            timings.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            ready = reminders_schedule(now)
            whole = time.perf_counter() - started
        print(f"Relief questions on {connection.vendor}: {PATIENTS:,} patients, {Dose.objects.count():,} doses")
        print(f"  due_relief_questions: {min(timings) * 1000:.0f} ms at best of {RUNS} ({len(due):,} due)")
        print(f"  reminders_schedule with them: {whole * 1000:.0f} ms, {len(queries)} queries ({len(ready):,} ready)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
