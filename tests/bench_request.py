"""What one authenticated request costs in this process (issue 16): GET /api/v1/me and GET flags
beside a floor (a bare Django JSON view through a handler with no middleware), production settings.

Not collected by pytest (the name starts with bench_). Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/diary CACHE_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python tests/bench_request.py
    BENCH_PROFILE=me .venv/bin/python tests/bench_request.py      # cProfile of one endpoint instead

No gunicorn and no wrk: each request is a WSGI call on Django's own handler (what gunicorn calls),
so the figures are the Python each request costs, with PostgreSQL and Redis round trips. The
endpoints take turns in rounds (floor, me, flags, floor, ...), so the machine's noise falls on all
alike; it prints the median CPU and wall time per request and the ratio of each to the floor's.
The data (a patient with 180 days × 3 check-ins and her flags) is built in a throwaway test database.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy"))

import prod_local  # noqa: E402  (deploy/prod_local.py: the production environment and the mail sink)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
PER_ROUND = int(os.environ.get("BENCH_PER_ROUND", "20"))
PATHS = {"me": "/api/v1/me", "flags": "/api/v1/flags"}


def production_settings() -> None:
    folder = Path(tempfile.mkdtemp(prefix="diary-bench-request-"))
    env = prod_local.environment(8443, folder, prod_local.mail_sink(folder / "mail"))
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/diary"
    env["CACHE_URL"] = os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/0"
    env["CACHE_KEY_PREFIX"] = f"bench-request-{os.getpid()}"
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def build_patient() -> str:
    """A patient with 180 days × 3 check-ins and her flags; her session's key."""
    import random

    from django.test import Client

    from diary import services
    from diary.flags import flags_refresh
    from diary.models import CheckIn
    from tests.bench_load import diary_rows

    patient = services.patient_signup(
        email="bench-request@example.com", password=secrets.token_urlsafe(16), timezone_name="Europe/London"
    )
    CheckIn.objects.bulk_create(diary_rows(patient, 180, 3, random.Random(16)), batch_size=5_000)  # type: ignore[misc]
    flags_refresh(patient=patient)
    client = Client()
    client.force_login(patient)
    return str(client.session.session_key)


def floor_handler() -> Any:
    """Django's WSGI handler with no middleware, answering every path with a bare JSON view."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import JsonResponse
    from django.test.utils import override_settings
    from django.urls import path

    class Floor:
        urlpatterns = [path("floor", lambda request: JsonResponse({"ok": True}))]

    class Handler(WSGIHandler):
        def get_response(self, request: Any) -> Any:
            request.urlconf = Floor
            return super().get_response(request)

    with override_settings(MIDDLEWARE=[]):
        return Handler()


def environ(path: str, cookie: str) -> dict[str, Any]:
    """What gunicorn hands the app for a GET behind the proxy (X-Forwarded-Proto, as nginx sends)."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "198.51.100.7",
        "HTTP_ACCEPT": "application/json",
        "HTTP_COOKIE": cookie,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def call(handler: Any, path: str, cookie: str) -> None:
    status: list[str] = []
    body = handler(environ(path, cookie), lambda s, headers, exc_info=None: status.append(s))
    b"".join(body)
    if hasattr(body, "close"):
        body.close()
    if not status[0].startswith("200"):
        sys.exit(f"{path} answered {status[0]}")


def main() -> None:
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    production_settings()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        session = build_patient()
        cookie = f"__Host-sessionid={session}; __Host-csrftoken={secrets.token_hex(16)}"
        app, floor = WSGIHandler(), floor_handler()
        endpoints = {"floor": (floor, "/floor"), **{name: (app, path) for name, path in PATHS.items()}}
        for handler, path in endpoints.values():  # warm: imports, URL resolvers, connections
            for _ in range(20):
                call(handler, path, cookie)
        only = os.environ.get("BENCH_PROFILE")
        if only:
            handler, path = endpoints[only]
            profile = cProfile.Profile(time.process_time)  # CPU, not the waits on PostgreSQL and Redis
            profile.runcall(lambda: [call(handler, path, cookie) for _ in range(500)])
            stats = pstats.Stats(profile).sort_stats("cumulative")
            stats.print_stats(60)
            stats.sort_stats("tottime").print_stats(30)
            return
        cpu: dict[str, list[float]] = {name: [] for name in endpoints}
        wall: dict[str, list[float]] = {name: [] for name in endpoints}
        for _ in range(ROUNDS):
            for name, (handler, path) in endpoints.items():
                for _ in range(PER_ROUND):
                    c, w = time.process_time(), time.perf_counter()
                    call(handler, path, cookie)
                    cpu[name].append(time.process_time() - c)
                    wall[name].append(time.perf_counter() - w)
        # process_time ticks coarsely on some kernels: the mean of a round is steadier than one request.
        floor_cpu = statistics.fmean(cpu["floor"]) * 1000
        floor_wall = statistics.median(wall["floor"]) * 1000
        print(f"{ROUNDS} rounds × {PER_ROUND} requests each, alternating; PostgreSQL, Redis, DEBUG off")
        print(f"{'endpoint':<8} {'CPU ms':>8} {'× floor':>8} {'wall ms p50':>12} {'× floor':>8}")
        for name in endpoints:
            c, w = statistics.fmean(cpu[name]) * 1000, statistics.median(wall[name]) * 1000
            print(f"{name:<8} {c:8.3f} {c / floor_cpu:8.1f} {w:12.3f} {w / floor_wall:8.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
