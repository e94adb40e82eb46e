"""What the service worker, a chart image and the pages cost, against a floor: one request through the same stack.

Not collected by pytest (the name starts with bench_). In-process with Django's test Client (no
server, no network), so the ratios leave out what gunicorn and the socket add to every request
alike: compare them with each other and with the floor here, not with `wrk` figures. Run from
the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/diary_bench CACHE_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python tests/bench_cache.py

That runs with DEBUG on (unhashed static names: the worker's version then reads the files, and
nothing is kept between requests, frontend/pwa.py). As production: DEBUG=0 with SECRET_KEY,
ALLOWED_HOSTS=testserver, CLINIC_ACUTE_PHONE, EMAIL_BACKEND set, after `manage.py collectstatic`.

The floor is a bare JSON view behind the same middleware (a URL of this script's own, never the
product's). The data: a patient with 180 days × 3 check-ins and a dose most days, and a therapist
with 40 linked patients (tests/bench_api.py's diaries), in a throwaway test database.
"""

from __future__ import annotations

import os
import random
import sys
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

import time_machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment  # noqa: E402
from django.urls import include, path  # noqa: E402

from diary.flags import flags_refresh_many  # noqa: E402
from diary.invite_codes import new_invite_code  # noqa: E402
from diary.models import CareLink, CheckIn, Dose, Medicine, MedicineKind, Role, User  # noqa: E402
from frontend import pwa  # noqa: E402
from tests.bench_api import NOW, diary_of  # noqa: E402
from tests.conftest import clear_cache, pass_second_step  # noqa: E402

LINKED = 40
SECONDS = 2.0  # of repeated requests per path


def floor(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bench-floor", floor), path("", include("config.urls"))]


def build() -> tuple[User, User]:
    """A therapist with 40 linked patients; the first has a dose most days (tests/bench_api.py's diaries)."""
    rng = random.Random(20260320)
    therapist = User.objects.create(
        email="bench-therapist@example.com", role=Role.THERAPIST, display_name="T", invite_code=new_invite_code()
    )
    patients = User.objects.bulk_create(
        User(
            email=f"bench-{i}@example.com",
            role=Role.PATIENT,
            display_name=f"Patient {i:02}",
            timezone="Europe/London",
            therapy_started_on=NOW.date() - timedelta(days=60),
            password="!",
        )
        for i in range(LINKED)
    )
    CareLink.objects.bulk_create(CareLink(patient=p, therapist=therapist) for p in patients)
    rows: list[CheckIn] = []
    for patient in patients:
        rows += diary_of(patient, rng)
    CheckIn.objects.bulk_create(rows, batch_size=2_000)
    patient = patients[0]
    medicine = Medicine.objects.create(patient=patient, name="Paracetamol", kind=MedicineKind.AS_NEEDED)
    Dose.objects.bulk_create(
        Dose(
            patient=patient,
            medicine=medicine,
            client_uuid=uuid4(),
            taken_at=NOW - timedelta(days=day, hours=3),
            local_date=(NOW - timedelta(days=day, hours=3)).date(),
            part_of_day="morning",
            reason="breakthrough_pain",
        )
        for day in range(0, 180, 2)
    )
    flags_refresh_many(patients=patients)
    return patient, therapist


def rate(get: Callable[[], object], before: Callable[[], object] | None = None) -> tuple[float, float]:
    """Requests a second over SECONDS of wall time, and this process's CPU milliseconds a request
    (steadier on a shared machine; it leaves out PostgreSQL's and Redis's own work). Each request
    after `before`, untimed, if given; one warm-up first."""
    if before:
        before()
    get()
    spent, cpu, count = 0.0, 0.0, 0
    while spent < SECONDS:
        if before:
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        get()
        spent += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
        count += 1
    return count / spent, 1000 * cpu / count


def main() -> None:
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        # Keys of its own, so that clearing them (a chart's first draw) touches nothing else in Redis.
        own_cache = {**settings.CACHES["default"], "KEY_PREFIX": f"bench-cache-{os.getpid()}"}
        with (
            time_machine.travel(NOW, tick=False),
            override_settings(ROOT_URLCONF=__name__, CACHES={"default": own_cache}),
        ):
            patient, therapist = build()
            me, them = Client(), Client()
            me.force_login(patient)
            them.force_login(therapist)
            pass_second_step(them, therapist)
            end = NOW.date()
            period = f"start={end - timedelta(days=89)}&end={end}"

            def ok(client: Client, url: str, **headers: str) -> Callable[[], object]:
                def get() -> object:
                    response = client.get(url, headers=headers, secure=True)
                    assert response.status_code in (200, 304), (url, response.status_code)
                    return response

                return get

            etag = Client().get("/sw.js", secure=True).headers.get("ETag", "")
            clear_memo = getattr(pwa, "clear_memo", None)
            rows: list[tuple[str, tuple[float, float]]] = [
                ("floor: bare JSON view", rate(ok(Client(), "/bench-floor"))),
                ("the same, signed in (a patient)", rate(ok(me, "/bench-floor"))),
                ("/sw.js", rate(ok(Client(), "/sw.js"))),
                ("/sw.js with If-None-Match", rate(ok(Client(), "/sw.js", if_none_match=etag or "x"))),
                ("/manifest.webmanifest", rate(ok(Client(), "/manifest.webmanifest"))),
                ("/checkin-shell", rate(ok(Client(), "/checkin-shell"))),
            ]
            if clear_memo:
                rows.append(("/sw.js, first in a process", rate(ok(Client(), "/sw.js"), before=clear_memo)))
            chart = f"/trends/charts/pain.svg?{period}"
            rows += [
                ("pain chart 90 days, patient, drawn", rate(ok(me, chart), before=clear_cache)),
                ("pain chart 90 days, patient, again", rate(ok(me, chart))),
                (
                    "pain chart 90 days, therapist, drawn",
                    rate(ok(them, f"/patients/{patient.pk}/charts/pain.svg?{period}"), before=clear_cache),
                ),
                ("patient home page", rate(ok(me, "/"))),
                ("patient /trends?days=90", rate(ok(me, "/trends?days=90"))),
                (f"therapist triage page ({LINKED})", rate(ok(them, "/"))),
                ("therapist patient page, 90 days", rate(ok(them, f"/patients/{patient.pk}?days=90"))),
            ]
            base, base_cpu = rows[0][1]
            print(f"database: {connection.vendor}; cache: {settings.CACHES['default']['BACKEND']}; in-process")
            print(f"{'path':40} {'req/s':>7} {'floor/this':>10} {'CPU ms':>7} {'CPU ratio':>9}")
            for label, (per_second, cpu_ms) in rows:
                print(f"{label:40} {per_second:7.0f} {base / per_second:10.1f} {cpu_ms:7.2f} {cpu_ms / base_cpu:9.1f}")
            print(f"(one run of {SECONDS:.0f} s each; rerun to see the spread)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
