"""Requests per second under load (issue 16): wrk against gunicorn in production settings on
PostgreSQL and Redis, beside a floor (a bare Django JSON view, tests/floor_app.py) under the
same gunicorn settings, in the same run.

Not collected by pytest (the name starts with bench_). Run from the project root (`make bench`):

    .venv/bin/python tests/bench_load.py
    BENCH_SECONDS=2 BENCH_CONNECTIONS=4 .venv/bin/python tests/bench_load.py    # a quick look
    BENCH_ONLY=chart,sw.js .venv/bin/python tests/bench_load.py                # some endpoints only

Needs wrk, PostgreSQL and Redis (DATABASE_URL, default the local server; CACHE_URL, default
Redis database 0, with a key prefix of this run's own); without them it says so and stops.
It builds its data in a throwaway database (diary_bench_load_<pid>, dropped at the end): a
patient with 180 days × 3 check-ins and as-needed doses; a therapist with 40 linked patients of
three weeks each; and, for charts drawn for the first time, a second therapist with
BENCH_FRESH_PATIENTS patients of 90 days each (each chart request names the next patient, so none
is drawn twice while there are fewer requests than patients; the line says when there were more).

The app is one gunicorn with BENCH_WORKERS (2) sync workers, asked directly with the headers nginx
would add (X-Forwarded-Proto), not through nginx: TLS would measure nginx and openssl, and one
app server with two workers is what the issue's table measured, on this 2-core machine. The floor
runs the same way on a port of its own. Each endpoint must answer 2xx before it is timed, and any
other answer while timed fails the run. POST check-ins runs last (it adds to the patient's diary).
Ratios are floor req/s ÷ this req/s, against the issue's targets; the floor is timed first and
last, and the ratios use the mean of the two. One run on a shared machine is noisy: compare ratios
from the same run, not req/s between runs.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy"))

import prod_local  # noqa: E402  (deploy/prod_local.py: the production environment and the mail sink)

SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
THREADS = min(2, CONNECTIONS)
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
FRESH_PATIENTS = int(os.environ.get("BENCH_FRESH_PATIENTS", "250"))
LINKED_PATIENTS = 40
LUA = ROOT / "tests" / "bench_load.lua"
# The targets: floor req/s ÷ the endpoint's req/s at most this; None where it sets none.
FLOOR, FLOOR_AGAIN = "floor: bare Django view", "floor again, at the end"
TARGETS = {
    FLOOR: None,
    FLOOR_AGAIN: None,
    "static file (WhiteNoise)": None,
    "patient GET /api/v1/me": 5,
    "patient GET /api/v1/flags": 8,
    "patient GET /api/v1/trends?days=90": 15,
    "/sw.js": 3,
    "patient home page": 25,
    "patient /trends page": 25,
    "chart SVG 90 days, cached (same chart again)": 8,
    "chart SVG 90 days, first draw (a new patient each)": 60,
    "therapist GET /api/v1/patients (40)": None,
    "therapist triage page (40)": 25,
    "therapist patient page": 25,
    "patient POST /api/v1/checkins": 15,
}


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def missing() -> str | None:
    if not shutil.which("wrk"):
        return "wrk is not installed (apt-get install wrk)"
    database = os.environ.get("DATABASE_URL", "")
    if database and not database.startswith(("postgres://", "postgresql://")):
        return f"it needs PostgreSQL; DATABASE_URL is {urlsplit(database).scheme}://..."
    import psycopg
    import redis

    try:
        psycopg.connect(admin_url(), connect_timeout=3).close()
    except psycopg.Error as error:
        return f"PostgreSQL does not answer ({str(error).strip()})"
    try:
        redis.Redis.from_url(os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/0", socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis does not answer ({error})"
    return None


def admin_url() -> str:
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/diary"
    return urlsplit(url)._replace(path="/postgres").geturl()


# --- the data, built in this process with Django (its SECRET_KEY is the servers', so its sessions hold)


def setup_django(secret_key: str) -> None:
    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/diary"
    os.environ["SECRET_KEY"] = secret_key
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def diary_rows(patient: object, days: int, per_day: int, rng: random.Random) -> list[object]:
    """`days` days of `per_day` check-ins up to now: ordinary back pain, weight weekly."""
    from django.utils import timezone

    from diary import services
    from diary.models import CheckIn

    now = timezone.now()
    rows = []
    for day in range(days - 1, -1, -1):
        for hour in sorted(rng.sample([7, 8, 13, 18, 21], per_day)):
            recorded_at = (now - timedelta(days=day)).replace(hour=hour, minute=rng.randint(0, 59))
            if recorded_at > now:
                continue
            local_date, part_of_day = services.local_moment(recorded_at, patient.timezone)  # type: ignore[attr-defined]
            rows.append(
                CheckIn(
                    patient=patient,
                    recorded_at=recorded_at,
                    local_date=local_date,
                    part_of_day=part_of_day,
                    pain=rng.randint(0, 7),
                    pain_locations=["lower_back"],
                    movement_effect=rng.choice(["worse", "no_change", "better", None]),
                    fatigue=rng.randint(0, 7),
                    rest_helped=rng.choice(["yes", "somewhat", "no", None]),
                    sleep_hours=round(rng.uniform(4, 9), 1) if part_of_day == "morning" else None,
                    woke_from_pain=(rng.random() < 0.15) if part_of_day == "morning" else None,
                    weight_kg=round(rng.uniform(60, 62), 1) if day % 7 == 0 else None,
                    exercise_minutes=rng.choice([None, 10, 20]),
                    symptoms=[],
                )
            )
    return rows


def patients_linked_to(therapist: object, count: int, days: int, per_day: int, rng: random.Random) -> list[object]:
    from diary.flags import flags_refresh_many
    from diary.models import CareLink, CheckIn, Role, User

    name = therapist.email.split("@")[0]  # type: ignore[attr-defined]
    patients = User.objects.bulk_create(
        User(
            email=f"{name}-patient-{index}@example.com",
            role=Role.PATIENT,
            display_name=f"Patient {index:03}",
            timezone="Europe/London",
            password="!",  # nobody signs in as them
        )
        for index in range(count)
    )
    CareLink.objects.bulk_create(CareLink(patient=patient, therapist=therapist) for patient in patients)
    rows: list[object] = []
    for patient in patients:
        rows += diary_rows(patient, days, per_day, rng)
    CheckIn.objects.bulk_create(rows, batch_size=5_000)  # type: ignore[arg-type]
    flags_refresh_many(patients=patients)
    return patients


@dataclass
class World:
    patient_session: str
    therapist_session: str
    fresh_therapist_session: str
    linked_patient_id: int
    fresh_patient_ids: list[int]


def build_world() -> World:
    from django.test import Client
    from django.utils import timezone

    from diary import medication, services
    from diary.flags import flags_refresh
    from diary.models import CheckIn, Dose, DoseReason, MedicineKind
    from tests.conftest import pass_second_step

    rng = random.Random(16)
    password = secrets.token_urlsafe(16)
    patient = services.patient_signup(email="bench-load@example.com", password=password, timezone_name="Europe/London")
    CheckIn.objects.bulk_create(diary_rows(patient, 180, 3, rng), batch_size=5_000)  # type: ignore[misc]
    medicine = medication.medicine_create(
        patient=patient, name="oxycodone", strength="5 mg", kind=MedicineKind.AS_NEEDED
    )
    now = timezone.now()
    doses = []
    for day in range(1, 181, 2):
        taken_at = now - timedelta(days=day, hours=rng.randint(0, 12))
        local_date, part_of_day = services.local_moment(taken_at, patient.timezone)
        doses.append(
            Dose(
                patient=patient,
                medicine=medicine,
                taken_at=taken_at,
                local_date=local_date,
                part_of_day=part_of_day,
                reason=DoseReason.BREAKTHROUGH_PAIN,
            )
        )
    Dose.objects.bulk_create(doses)
    flags_refresh(patient=patient)

    therapist = services.therapist_create(email="bench-therapist@example.com", password=password)
    linked = patients_linked_to(therapist, LINKED_PATIENTS, 21, 3, rng)
    fresh_therapist = services.therapist_create(email="bench-fresh@example.com", password=password)
    fresh = patients_linked_to(fresh_therapist, FRESH_PATIENTS, 90, 3, rng)

    def session(user: object, second_step: bool = False) -> str:
        client = Client()
        client.force_login(user)  # type: ignore[arg-type]
        if second_step:
            pass_second_step(client, user)
        return str(client.session.session_key)

    return World(
        patient_session=session(patient),
        therapist_session=session(therapist, second_step=True),
        fresh_therapist_session=session(fresh_therapist, second_step=True),
        linked_patient_id=linked[0].pk,  # type: ignore[attr-defined]
        fresh_patient_ids=[p.pk for p in fresh],  # type: ignore[attr-defined]
    )


# --- the servers and wrk


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)


def gunicorn(app: str, port: int) -> list[str]:
    return [
        str(Path(sys.executable).parent / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
        "--timeout", "60", "--no-control-socket",
    ]  # fmt: skip


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=60)) as conn:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()


def wait_for(port: int, path: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if get(port, path, {"X-Forwarded-Proto": "https"})[0] == 200:
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the server on {port} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


@dataclass
class Endpoint:
    label: str
    port: int
    paths: list[str]
    headers: dict[str, str]
    checkin: bool = False


def wrk(endpoint: Endpoint) -> dict[str, float]:
    """Check the first path answers 2xx, then time all of them (in turn) with wrk."""
    method = "POST" if endpoint.checkin else "GET"
    if not endpoint.checkin:
        for _ in range(WORKERS):  # each worker has answered once (imports, connections)
            status, body = get(endpoint.port, endpoint.paths[0], endpoint.headers)
            if status != 200:
                sys.exit(f"{endpoint.label}: GET {endpoint.paths[0]} answered {status}, not 200: {body[:300]!r}")
    paths = endpoint.paths[1:] if len(endpoint.paths) > 1 else endpoint.paths
    headers = [arg for name, value in endpoint.headers.items() for arg in ("-H", f"{name}: {value}")]
    env = {**os.environ, "BENCH_PATHS": " ".join(paths), "BENCH_THREADS": str(THREADS)}
    env["BENCH_CHECKIN"] = "1" if endpoint.checkin else "0"
    command = [shutil.which("wrk") or "wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{SECONDS}s",
               "--timeout", "30s", "-s", str(LUA), *headers, f"http://127.0.0.1:{endpoint.port}"]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = next((line for line in result.stdout.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        sys.exit(f"{endpoint.label}: wrk printed no result ({method}):\n{result.stdout}\n{result.stderr}")
    figures: dict[str, float] = json.loads(line.removeprefix("BENCH "))
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


def main() -> None:
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    why = missing()
    if why:
        print(f"Load test skipped: {why}.")
        return
    secret_key = secrets.token_urlsafe(50)
    setup_django(secret_key)
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    folder = Path(tempfile.mkdtemp(prefix="diary-bench-load-"))
    log = folder / "servers.log"
    processes: list[subprocess.Popen[bytes]] = []
    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"diary_bench_load_{os.getpid()}"
    started = time.perf_counter()
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        world = build_world()
        connection.close()
        print(
            f"Load test: data built in {time.perf_counter() - started:.0f} s; wrk {SECONDS} s per endpoint, "
            f"{CONNECTIONS} connections, {THREADS} threads; gunicorn {WORKERS} sync workers (app and floor), "
            f"asked directly; PostgreSQL, Redis, DEBUG off."
        )
        app_port, floor_port = free_port(), free_port()
        env = prod_local.environment(app_port, folder, prod_local.mail_sink(folder / "mail"))
        env["DATABASE_URL"] = urlsplit(admin_url())._replace(path=f"/{test_name}").geturl()
        env["CACHE_URL"] = os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/0"
        env["CACHE_KEY_PREFIX"] = f"bench-load-{os.getpid()}"
        env["SECRET_KEY"] = secret_key
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
        )
        processes.append(start(gunicorn("config.wsgi", app_port), env, log))
        processes.append(start(gunicorn("tests.floor_app:application", floor_port), env, log))
        wait_for(app_port, "/api/v1/auth/csrf", processes[0], log)
        wait_for(floor_port, "/", processes[1], log)

        csrf = secrets.token_hex(16)  # 32 characters, as Django's own
        origin = f"https://127.0.0.1:{app_port}"
        base = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{app_port}"}

        def as_(session: str) -> dict[str, str]:
            return {**base, "Cookie": f"__Host-sessionid={session}; __Host-csrftoken={csrf}"}

        patient, therapist = as_(world.patient_session), as_(world.therapist_session)
        home = get(app_port, "/", patient)[1].decode()
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home)
        if not stylesheet:
            sys.exit("the patient's home page links no stylesheet")
        chart = "/trends/charts/pain.svg?days=90"
        fresh = [f"/patients/{pk}/charts/pain.svg?days=90" for pk in world.fresh_patient_ids]
        endpoints = [
            Endpoint(FLOOR, floor_port, ["/"], {"Host": "127.0.0.1"}),
            Endpoint("static file (WhiteNoise)", app_port, [stylesheet.group(1)], base),
            Endpoint("patient GET /api/v1/me", app_port, ["/api/v1/me"], patient),
            Endpoint("patient GET /api/v1/flags", app_port, ["/api/v1/flags"], patient),
            Endpoint("patient GET /api/v1/trends?days=90", app_port, ["/api/v1/trends?days=90"], patient),
            Endpoint("/sw.js", app_port, ["/sw.js"], patient),
            Endpoint("patient home page", app_port, ["/"], patient),
            Endpoint("patient /trends page", app_port, ["/trends"], patient),
            Endpoint("chart SVG 90 days, cached (same chart again)", app_port, [chart], patient),
            Endpoint(
                "chart SVG 90 days, first draw (a new patient each)",
                app_port,
                fresh,
                as_(world.fresh_therapist_session),
            ),
            Endpoint("therapist GET /api/v1/patients (40)", app_port, ["/api/v1/patients"], therapist),
            Endpoint("therapist triage page (40)", app_port, ["/"], therapist),
            Endpoint("therapist patient page", app_port, [f"/patients/{world.linked_patient_id}"], therapist),
            Endpoint(
                "patient POST /api/v1/checkins",
                app_port,
                ["/api/v1/checkins"],
                {**patient, "Origin": origin, "X-CSRFToken": csrf, "Content-Type": "application/json"},
                checkin=True,
            ),
        ]
        # BENCH_ONLY=word,word times only the endpoints whose label has one of them (and the floor).
        only = [word.strip().lower() for word in os.environ.get("BENCH_ONLY", "").split(",") if word.strip()]
        results = {}
        for endpoint in endpoints:
            if only and endpoint.port != floor_port and not any(word in endpoint.label.lower() for word in only):
                continue
            results[endpoint.label] = wrk(endpoint)
        # The floor again at the end: on a shared machine the load drifts, and the ratios use the mean.
        results[FLOOR_AGAIN] = wrk(endpoints[0])
        report(results, fresh_available=len(fresh) - 1)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group started above
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
        shutil.rmtree(folder, ignore_errors=True)
        forget_cache_keys(f"bench-load-{os.getpid()}")


def forget_cache_keys(prefix: str) -> None:
    """Remove this run's keys from Redis (rate-limit counters and cached artefacts)."""
    import redis

    client = redis.Redis.from_url(os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/0")
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def report(results: dict[str, dict[str, float]], fresh_available: int) -> None:
    floor = (results[FLOOR]["rps"] + results[FLOOR_AGAIN]["rps"]) / 2
    width = max(len(label) for label in results)
    print(
        f"{'endpoint':<{width}}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>7}  {'p99 ms':>7}  {'floor/this':>10}"
        "  target"
    )
    failed = []
    for label, figures in results.items():
        ratio = floor / figures["rps"] if figures["rps"] else float("inf")
        target = TARGETS[label]
        verdict = "" if target is None else f"≤ {target}  {'PASS' if ratio <= target else 'MISS'}"
        print(
            f"{label:<{width}}  {figures['requests']:8.0f}  {figures['rps']:7.1f}  {figures['p50_us'] / 1000:7.1f}  "
            f"{figures['p99_us'] / 1000:7.1f}  {ratio:10.1f}  {verdict or '—'}"
        )
        if figures["not_2xx"] or figures["socket_errors"]:
            failed.append(f"{label}: {figures['not_2xx']:.0f} answers not 2xx, {figures['socket_errors']:.0f} errors")
    first = results.get("chart SVG 90 days, first draw (a new patient each)", {"requests": 0})
    if first["requests"] > fresh_available:
        print(
            f"(first draw: {first['requests']:.0f} requests for {fresh_available} patients, so some were repeats: "
            "with a chart cache that figure is too kind; raise BENCH_FRESH_PATIENTS)"
        )
    print(f"floor/this uses the mean of the two floor runs ({floor:.0f} req/s). One run on a shared machine is noisy.")
    if failed:
        sys.exit("Load test FAILED, answers that were not 2xx while timed:\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main()
