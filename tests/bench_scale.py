"""The app with a clinic's worth of data: 10,000 patients × 90 days (manage.py generate_scale) on PostgreSQL.

Not collected by pytest (the name starts with bench_). Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/diary .venv/bin/python tests/bench_scale.py
    SCALE=1000 ...        # fewer patients, for a quick run (DAYS=90, WORKERS=2, YEAR_SCALE=500 likewise)

It builds its data in a throwaway test_<name> database (Django's test utilities) and drops it at the
end. It prints how long the generator took; refresh_flags for every patient through the database
task queue with WORKERS `db_worker` processes (from the first batch queued to the last one done),
and the same in one process (--sync) for comparison; the therapist's triage page and GET
/api/v1/patients for the caseload of 200 (median of RUNS); and the database size per patient-year,
at DAYS of history and again for YEAR_SCALE patients with a year of it (0 skips that).
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
# The durable queue, as in production: refresh_flags queues batches and the worker processes run them.
os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment  # noqa: E402

from diary.models import CheckIn, Dose, FlagState, Role, User  # noqa: E402
from diary.schedule import refresh_flags_batch  # noqa: E402
from tests.conftest import pass_second_step  # noqa: E402

SCALE = int(os.environ.get("SCALE", "10000"))
DAYS = int(os.environ.get("DAYS", "90"))
CASELOAD = min(200, SCALE)
WORKERS = int(os.environ.get("WORKERS", "2"))
YEAR_SCALE = int(os.environ.get("YEAR_SCALE", "500"))
RUNS = int(os.environ.get("RUNS", "9"))
ROOT = Path(__file__).resolve().parents[1]


def diary_tables() -> dict[str, int]:
    """Bytes on disk of each of the app's tables, with its indexes and TOAST (pg_total_relation_size)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relkind = 'r' AND relname LIKE 'diary\\_%' ORDER BY 2 DESC"
        )
        return dict(cursor.fetchall())


def generate(patients: int, days: int, caseload: int, prefix: str) -> float:
    started = time.perf_counter()
    call_command(
        "generate_scale",
        patients=patients,
        days=days,
        caseload=caseload,
        prefix=prefix,
        not_production=True,
        stdout=io.StringIO(),
    )
    return time.perf_counter() - started


def start_workers(count: int) -> list[subprocess.Popen[bytes]]:
    """`manage.py db_worker` processes on this (test) database."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    workers = [
        subprocess.Popen([*command, "-v", "0"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL) for _ in range(count)
    ]
    # Warm them: a worker imports a task's module on its first task (Matplotlib among them), which a
    # worker that has run for a day has long done.
    warm = [refresh_flags_batch.enqueue([]) for _ in range(2 * count)]
    while not all(result.is_finished for result in warm):
        time.sleep(0.2)
        for result in warm:
            result.refresh()
    return workers


def refresh(*, sync: bool) -> tuple[float, float]:
    """Seconds to bring every diary's flags up to date, and the machine's load average at the end."""
    FlagState.objects.all().delete()  # every diary stale, as on a new day
    started = time.perf_counter()
    call_command("refresh_flags", *(["--sync"] if sync else []), stdout=io.StringIO(), stderr=io.StringIO())
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0]
    active = User.objects.filter(role=Role.PATIENT, is_active=True).count()
    assert FlagState.objects.count() == active, (FlagState.objects.count(), active)
    return elapsed, load


def timed(client: Client, url: str) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:300]
    return elapsed, len(captured), len(response.content)


def pages(therapist: User) -> None:
    client = Client()
    client.force_login(therapist)
    pass_second_step(client, therapist)
    for label, url in {"triage page GET /": "/", "GET /api/v1/patients": "/api/v1/patients"}.items():
        timed(client, url)  # warm: the first call of the day would re-judge stale flags (there are none now)
        runs = [timed(client, url) for _ in range(RUNS)]
        times = [ms for ms, _, _ in runs]
        print(
            f"  {label}, {CASELOAD} patients, {RUNS} runs: median {statistics.median(times):.0f} ms, "
            f"max {max(times):.0f} ms; queries {sorted({q for _, q, _ in runs})}; {runs[-1][2] / 1024:.0f} KB"
        )


def sizes(label: str, tables: dict[str, int], patient_years: float) -> None:
    total = sum(tables.values())
    checkins, doses = tables.get("diary_checkin", 0), tables.get("diary_dose", 0)
    print(
        f"  {label}: {total / 2**20:,.0f} MB in the diary tables (check-ins {checkins / 2**20:,.0f} MB, doses "
        f"{doses / 2**20:,.0f} MB) for {patient_years:,.0f} patient-years: "
        f"{total / patient_years / 2**10:,.0f} KB per patient-year"
    )


def main() -> None:
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    if connection.vendor != "postgresql":
        sys.exit("bench_scale needs PostgreSQL: set DATABASE_URL=postgres://... (a throwaway test_ database is used)")
    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        print(f"Scale on PostgreSQL: {SCALE:,} patients × {DAYS} days, a caseload of {CASELOAD}")
        seconds = generate(SCALE, DAYS, CASELOAD, "scale")
        print(
            f"  generate_scale: {CheckIn.objects.count():,} check-ins, {Dose.objects.count():,} doses "
            f"in {seconds:.0f} s"
        )
        with connection.cursor() as cursor:
            # As autovacuum would have done by night on a real database; left to it, it runs during the timings.
            cursor.execute("VACUUM (ANALYZE) diary_checkin, diary_dose, diary_user, diary_carelink")
        workers = start_workers(WORKERS)
        elapsed, load = refresh(sync=False)
        print(
            f"  refresh_flags, {SCALE:,} patients through {WORKERS} db_worker processes (enqueue to all done): "
            f"{elapsed:.0f} s ({elapsed / SCALE * 1000:.1f} ms a patient; target under 300 s); "
            f"load average {load:.1f} on {os.cpu_count()} cores"
        )
        elapsed, load = refresh(sync=True)
        print(
            f"  refresh_flags --sync, in one process: {elapsed:.0f} s ({elapsed / SCALE * 1000:.1f} ms a patient); "
            f"load average {load:.1f}"
        )
        pages(User.objects.get(email="scale-therapist@example.invalid"))
        before = diary_tables()
        sizes(f"{DAYS} days of history", before, SCALE * DAYS / 365.25)
        if YEAR_SCALE:
            generate(YEAR_SCALE, 365, 0, "year")
            call_command("refresh_flags", "--sync", stdout=io.StringIO(), stderr=io.StringIO())
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            after = diary_tables()
            grown = {table: after[table] - before.get(table, 0) for table in after}
            sizes(f"a year of history ({YEAR_SCALE:,} more patients)", grown, YEAR_SCALE)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
