"""Data at scale: the generate_scale command, and refresh_flags for every patient in batches through the worker."""

from __future__ import annotations

import io
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import override_settings
from django_tasks_db.models import DBTaskResult

from diary import schedule, services
from diary.management.commands import refresh_flags
from diary.models import CareLink, CheckIn, Dose, FlagState, ReminderSettings, Role, User
from diary.services import local_moment

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def generate(**options: Any) -> str:
    out = io.StringIO()
    call_command("generate_scale", "--i-know-this-is-not-production", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def run_worker() -> None:
    """The durable worker, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0, stdout=io.StringIO())


# --- generate_scale -----------------------------------------------------------------------------------------


def test_generate_scale_refuses_without_debug(db: Any) -> None:
    """Tests run with DEBUG off, as production does: made-up patients need the explicit flag."""
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("generate_scale", patients=3, days=5, caseload=1, stdout=io.StringIO())
    assert not User.objects.exists()


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_generate_scale_writes_diaries_dated_as_the_services_date_them() -> None:
    out = generate(patients=40, days=30, caseload=10)
    patients = User.objects.filter(role=Role.PATIENT)
    therapist = User.objects.get(role=Role.THERAPIST)
    assert patients.count() == 40
    assert not therapist.has_usable_password() and not any(p.has_usable_password() for p in patients)
    assert len({p.timezone for p in patients}) > 4
    assert patients.filter(therapy_started_on__isnull=False).exists()
    assert ReminderSettings.objects.count() == 40  # as sign-up makes them
    # The caseload: ten patients linked with their consent to the current wording.
    links = CareLink.objects.filter(therapist=therapist)
    assert links.count() == 10
    assert all(link.consent_version and link.consented_at for link in links)
    checkins = CheckIn.objects.select_related("patient")
    assert 40 * 30 * 0.5 < checkins.count() < 40 * 30 * 3
    for checkin in checkins:
        assert (checkin.local_date, checkin.part_of_day) == local_moment(checkin.recorded_at, checkin.patient.timezone)
        assert checkin.recorded_at <= NOW
        assert NOW.date() - checkin.local_date <= timedelta(days=31)
    # Some take a medicine; their doses are of their own medicine and dated alike.
    doses = Dose.objects.select_related("medicine", "patient")
    assert doses.exists()
    for dose in doses:
        assert dose.medicine.patient_id == dose.patient_id
        assert (dose.local_date, dose.part_of_day) == local_moment(dose.taken_at, dose.patient.timezone)
    assert not FlagState.objects.exists()  # judged by refresh_flags, not here
    assert f"{checkins.count():,} check-ins" in out


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_generate_scale_makes_the_same_diaries_from_the_same_seed_and_refuses_a_prefix_twice() -> None:
    generate(patients=5, days=10, caseload=2, prefix="a", seed=7)
    first = list(CheckIn.objects.order_by("id").values_list("recorded_at", "pain", "client_uuid"))
    with pytest.raises(CommandError, match="prefix"):
        generate(patients=5, days=10, caseload=2, prefix="a", seed=7)
    User.objects.all().delete()
    generate(patients=5, days=10, caseload=2, prefix="a", seed=7)
    assert list(CheckIn.objects.order_by("id").values_list("recorded_at", "pain", "client_uuid")) == first
    generate(patients=5, days=10, caseload=0, prefix="b", seed=7)  # another cohort beside it: new client_uuids
    assert CheckIn.objects.count() > len(first)


# --- refresh_flags in batches ---------------------------------------------------------------------------------


def stale_diaries(count: int) -> list[User]:
    """Patients whose flags were stored four days ago, and a therapist, who has no diary to refresh."""
    services.therapist_create(email="thea@example.org", password="a long passphrase 42")
    with time_machine.travel(NOW - timedelta(days=4), tick=False):
        patients = [
            services.patient_signup(email=f"p{index}@example.org", password="a long passphrase 42", timezone_name="UTC")
            for index in range(count)
        ]
        for patient in patients:
            services.checkin_create(patient=patient, client_uuid=uuid4(), recorded_at=NOW - timedelta(days=4), pain=3)
    return patients


def as_of_dates() -> list[str]:
    return sorted({state.as_of.isoformat() for state in FlagState.objects.all()})


@pytest.mark.django_db
def test_refresh_flags_sync_rejudges_every_stale_diary_in_this_process() -> None:
    stale_diaries(5)
    err = io.StringIO()
    with time_machine.travel(NOW, tick=False), override_settings(TASKS=DATABASE_TASKS):
        out = io.StringIO()
        call_command("refresh_flags", "--sync", "--batch", "2", stdout=out, stderr=err)
    assert as_of_dates() == ["2026-03-20"]
    assert not DBTaskResult.objects.exists()  # nothing went through the queue
    assert "Flags are up to date for 5 patients." in out.getvalue()
    assert "5/5 patients" in err.getvalue()  # the progress bar, on stderr


# The worker closes its database connection between tasks: no test transaction can hold it.
@pytest.mark.django_db(transaction=True)
def test_refresh_flags_queues_batches_that_the_worker_runs() -> None:
    patients = stale_diaries(5)
    User.objects.filter(pk=patients[0].pk).update(is_active=False)  # a closed account is left alone
    with time_machine.travel(NOW, tick=False), override_settings(TASKS=DATABASE_TASKS):
        out = io.StringIO()
        call_command("refresh_flags", "--no-wait", "--batch", "2", stdout=out)
        batches = DBTaskResult.objects.filter(task_path="diary.schedule.refresh_flags_batch")
        assert sorted(len(batch.args_kwargs["args"][0]) for batch in batches) == [2, 2]
        assert "4 patients in 2 tasks" in out.getvalue()
        assert as_of_dates() == ["2026-03-16"]  # queued, not done: the worker does it
        run_worker()
    assert batches.filter(status="SUCCESSFUL").count() == 2
    states = {state.patient_id: state.as_of.isoformat() for state in FlagState.objects.all()}
    assert states.pop(patients[0].pk) == "2026-03-16"
    assert set(states.values()) == {"2026-03-20"}


@pytest.mark.django_db(transaction=True)
def test_refresh_flags_waits_for_the_worker_with_a_progress_bar() -> None:
    stale_diaries(3)
    out, err = io.StringIO(), io.StringIO()
    with time_machine.travel(NOW, tick=True), override_settings(TASKS=DATABASE_TASKS):

        def refresh() -> None:
            try:
                call_command("refresh_flags", "--batch", "1", stdout=out, stderr=err)
            finally:
                connection.close()  # this thread's own connection, or the test database cannot be dropped

        waiting = threading.Thread(target=refresh)
        waiting.start()
        deadline = time.monotonic() + 60
        while DBTaskResult.objects.count() < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert DBTaskResult.objects.count() == 3, "the command did not queue its three batches"
        assert out.getvalue() == ""  # still waiting: no worker has run yet
        run_worker()
        waiting.join(timeout=60)
    assert not waiting.is_alive()
    assert "Flags are up to date for 3 patients." in out.getvalue()
    assert "3/3 patients" in err.getvalue()
    assert as_of_dates() == ["2026-03-20"]


@pytest.mark.django_db(transaction=True)
def test_refresh_flags_stops_waiting_when_no_worker_takes_the_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    stale_diaries(2)
    monkeypatch.setattr(refresh_flags, "NO_WORKER_SECONDS", 0.2)
    monkeypatch.setattr(refresh_flags, "POLL_SECONDS", 0.05)
    with time_machine.travel(NOW, tick=True), override_settings(TASKS=DATABASE_TASKS):
        with pytest.raises(CommandError, match="db_worker"):
            call_command("refresh_flags", stdout=io.StringIO(), stderr=io.StringIO())
        assert DBTaskResult.objects.filter(status="READY").count() == 1  # left queued for a worker
        run_worker()
    assert as_of_dates() == ["2026-03-20"]


@pytest.mark.django_db(transaction=True)
def test_the_nightly_refresh_queues_the_batches_for_the_worker() -> None:
    """The scheduler's nightly task only queues; the batches it queues bring every stale diary up to date."""
    stale_diaries(3)
    with time_machine.travel(NOW, tick=False), override_settings(TASKS=DATABASE_TASKS):
        assert "refresh_all_flags" in schedule.schedule_tick(datetime(2026, 3, 20, 0, 31, tzinfo=UTC))
        run_worker()
    assert DBTaskResult.objects.get(task_path="diary.schedule.refresh_all_flags").status == "SUCCESSFUL"
    assert DBTaskResult.objects.filter(task_path="diary.schedule.refresh_flags_batch", status="SUCCESSFUL").exists()
    assert as_of_dates() == ["2026-03-20"]


@pytest.mark.django_db
def test_a_batch_skips_accounts_erased_since_it_was_queued() -> None:
    patients = stale_diaries(2)
    gone = patients[1].pk
    User.objects.filter(pk=gone).delete()
    with time_machine.travel(NOW, tick=False):
        assert schedule.flags_refresh_patients([patients[0].pk, gone]) == 1
    assert as_of_dates() == ["2026-03-20"]
