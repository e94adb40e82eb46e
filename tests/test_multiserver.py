"""Two app servers behind nginx, for real: `make prod-local`'s set-up (deploy/prod_local.py) in
production settings over the test database (PostgreSQL) and Redis.

Any server may answer any request, so a session, a rate limit and an idempotent check-in must
hold across them. The servers start once per session (one gunicorn worker each, without the task
worker and the scheduler, which these tests do not use). Without nginx, PostgreSQL or Redis the
tests are skipped, saying what is missing; where REQUIRE_MULTISERVER=1 (.ci/run's PostgreSQL pass)
they fail instead.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from diary import services
from diary.models import CheckIn
from tests.conftest import PASSWORD, checkin_body

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.multiserver, pytest.mark.django_db(transaction=True)]


def what_is_missing() -> str | None:
    """Why the two-server set-up cannot run here, or None."""
    for program in ("nginx", "openssl"):
        if not shutil.which(program):
            return f"needs {program} (apt-get install {program})"
    if connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://... (.ci/run's second pass)"
    cache_url = os.environ.get("CACHE_URL")
    if not cache_url:
        return "needs Redis: set CACHE_URL=redis://... (.ci/run's second pass)"
    import redis

    try:
        redis.Redis.from_url(cache_url, socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"needs Redis at CACHE_URL ({error})"
    return None


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    settings = connection.settings_dict
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    return f"postgres://{settings['USER']}{password}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"


@dataclass
class Servers:
    """Where the set-up answers: nginx (HTTPS, its own certificate) and each app server directly."""

    nginx_port: int
    app_ports: list[int]
    certificate: Path
    cache_url: str
    cache_prefix: str

    def clear_rate_limits(self) -> None:
        """Empty the servers' cache (only their prefix), so a test's sign-ins start from zero."""
        import redis

        client = redis.Redis.from_url(self.cache_url)
        keys = list(client.scan_iter(match=f"{self.cache_prefix}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture(scope="session")
def servers(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Servers]:
    with django_db_blocker.unblock():
        missing = what_is_missing()
    if missing:
        if os.environ.get("REQUIRE_MULTISERVER"):
            pytest.fail(f"REQUIRE_MULTISERVER is set, but the two-server set-up {missing}")
        pytest.skip(f"the two-server set-up {missing}")
    folder = tmp_path_factory.mktemp("prod-local")
    ports = [free_port() for _ in range(3)]
    prefix = f"multiserver-{uuid.uuid4().hex[:12]}"
    cache_url = os.environ["CACHE_URL"]
    env = {**os.environ, "DATABASE_URL": database_url(), "CACHE_KEY_PREFIX": prefix}
    log = (folder / "servers.log").open("w")
    command = [
        sys.executable, "deploy/prod_local.py", "--port", str(ports[0]),
        "--app-ports", f"{ports[1]},{ports[2]}", "--workers", "1", "--dir", str(folder), "--no-background",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True).start()
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if line.startswith("ready:"):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                log.flush()
                pytest.fail(f"prod-local did not start:\n{(folder / 'servers.log').read_text()[-3000:]}")
        yield Servers(ports[0], ports[1:], folder / "localhost.crt", cache_url, prefix)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group this fixture started
            process.wait()
        log.close()


@dataclass
class Person:
    """One browser's cookies, sent to whichever server the test names: "nginx", 0 or 1 (directly)."""

    servers: Servers
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, via: str | int, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
        conn: http.client.HTTPConnection
        if via == "nginx":
            port = self.servers.nginx_port
            context = ssl.create_default_context(cafile=str(self.servers.certificate))
            conn = http.client.HTTPSConnection("localhost", port, context=context, timeout=30)
            host = f"localhost:{port}"
        else:
            # Directly to one app server, with the header nginx would add (it listens on 127.0.0.1 only).
            port = self.servers.app_ports[int(via)]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            host = f"127.0.0.1:{port}"
            headers.setdefault("X-Forwarded-Proto", "https")
        headers["Host"] = host
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method != "GET":
            headers["Origin"] = f"https://{host}"
            headers["X-CSRFToken"] = self.cookies.get("__Host-csrftoken", "")
            headers["Content-Type"] = "application/json"
        with closing(conn):
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            content = response.read()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value
            kind = response.headers.get("Content-Type", "")
            return response.status, json.loads(content) if kind.startswith("application/json") else content

    def sign_in(self, via: str | int, email: str, password: str = PASSWORD, **headers: str) -> int:
        self.request(via, "GET", "/api/v1/auth/csrf")
        status, _ = self.request(via, "POST", "/api/v1/auth/login", {"email": email, "password": password}, **headers)
        return status


def patient_with_a_real_hash(email: str) -> Any:
    """A patient the production servers can sign in: PBKDF2 (the suite's MD5 is not in their hashers)."""
    user = services.patient_signup(email=email, password=PASSWORD, timezone_name="Europe/London")
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1_000)  # cheap; upgraded at sign-in
    user.save(update_fields=["password"])
    return user


def test_it_signs_in_on_one_server_and_continues_on_the_other(servers: Servers) -> None:
    """The session is in the database, not in a process: B and nginx know who signed in on A."""
    servers.clear_rate_limits()
    patient = patient_with_a_real_hash("pat.multi@example.com")
    pat = Person(servers)
    assert pat.sign_in(0, patient.email) == 200
    for via in (1, "nginx"):
        status, me = pat.request(via, "GET", "/api/v1/me")
        assert (status, me["email"]) == (200, patient.email)
    assert pat.request(1, "GET", "/trends")[0] == 200  # a page too, not only the API
    # Signed out on B, the same cookie is refused on A.
    assert pat.request(1, "POST", "/api/v1/auth/logout")[0] == 204
    assert pat.request(0, "GET", "/api/v1/me")[0] == 401


def test_a_stranger_is_refused_by_every_server(servers: Servers) -> None:
    """Without a session no server answers with data: the control for the test above."""
    stranger = Person(servers)
    for via in (0, 1, "nginx"):
        assert stranger.request(via, "GET", "/api/v1/me")[0] == 401


def test_the_eleventh_failed_sign_in_from_one_address_is_refused_by_whichever_server_answers(
    servers: Servers,
) -> None:
    """THROTTLE_LOGIN (10/min) counts in Redis: ten failures spread over both servers and nginx use it up.

    A client's own X-Forwarded-For changes nothing through nginx (NUM_PROXIES=1 reads the address
    nginx appends), so a spoofed one is sent there every time. (Directly, an app server believes
    the header as nginx's: that is why they listen on 127.0.0.1 only.)
    """
    servers.clear_rate_limits()
    caller = Person(servers)
    routes: list[str | int] = ["nginx", 0, 1, "nginx", 0, 1, "nginx", 0, 1, "nginx"]
    answers = [
        # A different email each time, so no account lockout is involved, only the per-address limit.
        caller.sign_in(
            via,
            f"nobody{n}@example.com",
            "wrong password here",
            **({"X-Forwarded-For": f"198.51.100.{n}"} if via == "nginx" else {}),
        )
        for n, via in enumerate(routes)
    ]
    assert answers == [400] * 10
    for via in (0, 1, "nginx"):
        assert caller.sign_in(via, "eleven@example.com", "wrong password here") == 429, via


def test_one_checkin_sent_to_both_servers_at_once_is_stored_once(servers: Servers) -> None:
    """The same client_uuid at the same moment on A and B: one row, 201 and 200 with the same id."""
    servers.clear_rate_limits()
    patient = patient_with_a_real_hash("pat.race@example.com")
    pat = Person(servers)
    assert pat.sign_in(0, patient.email) == 200
    for _ in range(3):
        body = checkin_body()
        start = threading.Barrier(2)
        answers: dict[int, tuple[int, Any]] = {}

        def send(
            via: int,
            body: dict[str, Any] = body,
            start: threading.Barrier = start,
            answers: dict[int, tuple[int, Any]] = answers,
        ) -> None:
            start.wait()
            answers[via] = pat.request(via, "POST", "/api/v1/checkins", body)

        threads = [threading.Thread(target=send, args=(via,)) for via in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(status for status, _ in answers.values()) == [200, 201], answers
        assert answers[0][1]["id"] == answers[1][1]["id"]
        assert CheckIn.objects.filter(client_uuid=body["client_uuid"]).count() == 1
    assert CheckIn.objects.filter(patient=patient).count() == 3


def test_the_servers_run_in_production_settings(servers: Servers) -> None:
    """DEBUG off, as deployed: plain HTTP straight to an app server is sent to HTTPS, and the cookies
    nginx passes on are __Host- and Secure; a 404 is the plain production page, not Django's debug one."""
    with closing(http.client.HTTPConnection("127.0.0.1", servers.app_ports[0], timeout=30)) as conn:
        conn.request("GET", "/login", headers={"Host": f"127.0.0.1:{servers.app_ports[0]}"})
        response = conn.getresponse()
        assert response.status == 301
        assert response.headers["Location"] == f"https://127.0.0.1:{servers.app_ports[0]}/login"
    context = ssl.create_default_context(cafile=str(servers.certificate))
    with closing(http.client.HTTPSConnection("localhost", servers.nginx_port, context=context, timeout=30)) as conn:
        conn.request("GET", "/api/v1/auth/csrf")
        cookie = conn.getresponse().headers["Set-Cookie"]
        assert cookie.startswith("__Host-csrftoken=")
        assert "Secure" in cookie
    with closing(http.client.HTTPSConnection("localhost", servers.nginx_port, context=context, timeout=30)) as conn:
        conn.request("GET", "/no-such-page")
        response = conn.getresponse()
        assert response.status == 404
        assert b"DEBUG = True" not in response.read()
