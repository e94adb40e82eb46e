"""Issue 12, the outside probe: the operations findings (settings, commands, files, parsing, headers).

Each test is named after the finding it keeps closed.
"""

from __future__ import annotations

import http.cookiejar
import io
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory, override_settings
from django.urls import get_resolver
from rest_framework.throttling import ScopedRateThrottle

from diary import audit, backups, checks, consent, exports, limits
from diary.models import CareLink, User
from tests.conftest import checkin_body, signed_in
from tests.frontend.pages import hidden_inputs
from tests.test_settings import PRODUCTION, ROOT, run_django


@override_settings(DEBUG=False)
def test_finding_16_seed_demo_refuses_without_debug(db: Any) -> None:
    """The demo's password, authenticator key and recovery codes are public: never in a real clinic by accident."""
    with pytest.raises(CommandError, match="i-know-this-is-not-production"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()


def test_finding_17_backups_are_private_to_their_owner(tmp_path: Path) -> None:
    """A backup holds every diary: 0600 in a 0700 folder, whatever the umask."""
    source = tmp_path / "live.sqlite3"
    with closing(sqlite3.connect(source)) as conn:
        conn.execute("CREATE TABLE t (x)")
    destination = tmp_path / "backups" / "diary.sqlite3"
    backups.backup({"ENGINE": "django.db.backends.sqlite3", "NAME": str(source)}, destination)
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600
    assert stat.S_IMODE(destination.parent.stat().st_mode) == 0o700


def test_finding_4_check_deploy_refuses_an_email_backend_that_keeps_mail_on_the_server() -> None:
    """With DEBUG off and no EMAIL_BACKEND, reset links would go to stdout (the server log): an error, diary.E001."""
    production = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_BACKEND"}
    result = run_django(production, "check", "--deploy")
    assert result.returncode != 0
    assert "diary.E001" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("backend", "debug", "errors"),
    [
        ("django.core.mail.backends.console.EmailBackend", False, ["diary.E001"]),
        ("django.core.mail.backends.filebased.EmailBackend", False, ["diary.E001"]),
        ("django.core.mail.backends.locmem.EmailBackend", False, ["diary.E001"]),
        ("django.core.mail.backends.dummy.EmailBackend", False, ["diary.E001"]),
        ("django.core.mail.backends.smtp.EmailBackend", False, []),
        ("django.core.mail.backends.console.EmailBackend", True, []),
    ],
)
def test_finding_4_only_a_real_email_backend_passes_in_production(backend: str, debug: bool, errors: list[str]) -> None:
    with override_settings(EMAIL_BACKEND=backend, DEBUG=debug):
        assert [message.id for message in checks.email_backend_delivers(None)] == errors


def test_finding_8_check_deploy_warns_without_a_shared_cache() -> None:
    """Without CACHE_URL each worker keeps its own throttle counts: a warning, diary.W001."""
    result = run_django({**PRODUCTION, "CACHE_URL": ""}, "check", "--deploy")
    assert "diary.W001" in result.stdout + result.stderr


def test_finding_8_cache_url_selects_redis() -> None:
    script = "from django.conf import settings as s; c = s.CACHES['default']; print(c['BACKEND'], c['KEY_PREFIX'])"
    result = run_django({**PRODUCTION, "CACHE_KEY_PREFIX": "clinic-a"}, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["django.core.cache.backends.redis.RedisCache", "clinic-a"]


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One `runserver --noreload` process: an app server of its own, sharing only the database and the cache."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        deadline = time.monotonic() + 60
        while True:
            try:
                self.csrf = json.load(self.opener.open(self.url("/api/v1/auth/csrf"), timeout=5))["csrfToken"]
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def failed_sign_in(self, email: str) -> int:
        body = json.dumps({"email": email, "password": "wrong password here"}).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.csrf, "Referer": self.url("/")}
        login = self.url("/api/v1/auth/login")  # always http://127.0.0.1
        request = urllib.request.Request(login, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            return int(self.opener.open(request, timeout=10).status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.mark.skipif(not os.environ.get("CACHE_URL"), reason="needs a shared cache: set CACHE_URL=redis://... (.ci/run)")
def test_finding_8_two_app_servers_share_one_throttle(tmp_path: Path) -> None:
    """The 11th failed sign-in from one address in a minute is refused, whichever of two servers answers.

    Before CACHE_URL each process counted alone, so two servers let through twenty.
    """
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "CACHE_KEY_PREFIX": f"two-servers-{uuid.uuid4().hex}",  # counts start at zero, apart from other runs
        "THROTTLE_LOGIN": "10/min",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    first = Server(env)
    try:
        second = Server(env)
        try:
            # Five each, a different email every time so that no account lockout is involved.
            answers = [server.failed_sign_in(f"n{n}@example.com") for n in range(5) for server in (first, second)]
            assert answers == [400] * 10
            assert first.failed_sign_in("eleven@example.com") == 429
            assert second.failed_sign_in("twelve@example.com") == 429
        finally:
            second.stop()
    finally:
        first.stop()


def test_finding_14_num_proxies_defaults_to_none_in_production() -> None:
    """With no proxy in front, trusting X-Forwarded-For would let the client choose its own address."""
    script = "from django.conf import settings; print(settings.REST_FRAMEWORK['NUM_PROXIES'])"
    result = run_django(PRODUCTION, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0"


@pytest.mark.parametrize("forwarded", ["not-an-address", "1.2.3.4<script>", "999.1.1.1", "", " "])
def test_finding_14_only_a_valid_address_is_stored(forwarded: str, settings: Any) -> None:
    """Behind a proxy the forwarded address is used only if it is an IP address; otherwise the socket's."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.9")
    assert audit.client_address(request) == "10.0.0.9"


def test_finding_14_a_valid_forwarded_address_is_used_behind_a_proxy(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="2001:db8::1, 203.0.113.7", REMOTE_ADDR="10.0.0.9")
    assert audit.client_address(request) == "203.0.113.7"


@pytest.mark.parametrize(
    "text",
    [" =1+1", "  @SUM(A1)", "\n=1+1", "\n\n-1", " \t+1", "＝1+1", "＋1", "－1", "＠SUM(A1)", " ＝HYPERLINK(1)", "﹦1"],
)
def test_finding_20b_csv_escapes_formulas_behind_whitespace_and_in_full_width(text: str) -> None:
    """Spreadsheets trim leading whitespace and read full-width ＝ as =: both still start a formula."""
    assert exports._cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Slept badly", " slept badly", "2026-03-01", "lower_back;hip"])
def test_finding_20b_csv_leaves_ordinary_text_alone(text: str) -> None:
    assert exports._cell(text) == text


@pytest.mark.parametrize("body", ["[" * 50_000, "[" * 100 + "]" * 100, '{"a":' * 200 + "1" + "}" * 200])
def test_finding_15_deeply_nested_json_is_a_400(patient: Any, api: Any, body: str) -> None:
    """50,000 nested `[` made the parser recurse until it crashed (500); no request of ours is deeper than a few."""
    response = api(patient).post("checkins", body)
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


@pytest.mark.parametrize("day", ["0001-01-02", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_finding_15_a_therapy_start_outside_1900_to_2100_is_a_400(patient: Any, api: Any, day: str) -> None:
    """Year 1 overflowed the trend module's date arithmetic (500); no therapy started before 1900 or after 2100."""
    api(patient).post("checkins", checkin_body())
    response = api(patient).patch("me", {"therapy_started_on": day})
    assert response.status_code == 400
    assert response.json() == {"therapy_started_on": [limits.THERAPY_START_OUT_OF_RANGE]}
    patient.refresh_from_db()
    assert patient.therapy_started_on is None


def test_finding_15_a_therapy_start_in_range_is_kept(patient: Any, api: Any) -> None:
    response = api(patient).patch("me", {"therapy_started_on": "1900-01-01"})
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.therapy_started_on == date(1900, 1, 1)


@pytest.mark.parametrize("path", ["/api/v1/checkins", "/checkin"])
def test_finding_15_the_500_answer_does_not_promise_that_nothing_was_lost(path: str) -> None:
    """A request that failed may not have been stored: the page and the API say so, and how to retry safely."""
    handler = get_resolver().resolve_error_handler(500)
    text = handler(RequestFactory().post(path)).content.decode()
    assert "Nothing you sent was lost" not in text
    assert "may not have been saved" in text


def link_attempts_allowed() -> int:
    return int(ScopedRateThrottle().parse_rate(ScopedRateThrottle.THROTTLE_RATES["link"])[0])


def test_finding_12_invite_code_guesses_are_limited_per_address_across_accounts(
    patient: Any, other_patient: Any, unlinked_therapist: Any, api: Any
) -> None:
    """Accounts made for guessing share one address's limit: the next account from it is refused (API and page)."""
    guesser = api(patient)
    for n in range(link_attempts_allowed()):
        assert (
            guesser.post("links", {"invite_code": f"ZZZZZZZZ{n:02d}", "consent_version": consent.VERSION}).status_code
            == 404
        )

    # A second account from the same address: refused on its first try, through the API and the page.
    assert (
        api(other_patient)
        .post("links", {"invite_code": unlinked_therapist.invite_code, "consent_version": consent.VERSION})
        .status_code
        == 429
    )
    page = signed_in(other_patient)
    token = hidden_inputs(page.get("/links"))["csrfmiddlewaretoken"]
    share = {"consent": "on", "consent_version": consent.VERSION, "csrfmiddlewaretoken": token}
    assert page.post("/links", {**share, "invite_code": unlinked_therapist.invite_code}).status_code == 429
    assert not CareLink.objects.filter(therapist=unlinked_therapist).exists()


def test_finding_12_invite_code_guesses_are_limited_per_account_across_addresses(
    patient: Any, unlinked_therapist: Any, api: Any
) -> None:
    """One account guessing from many addresses is still one account's limit."""
    guesser = api(patient)
    for n in range(link_attempts_allowed()):
        response = guesser.post(
            "links",
            {"invite_code": f"ZZZZZZZZ{n:02d}", "consent_version": consent.VERSION},
            REMOTE_ADDR=f"10.0.0.{n + 1}",
        )
        assert response.status_code == 404
    refused = guesser.post(
        "links",
        {"invite_code": unlinked_therapist.invite_code, "consent_version": consent.VERSION},
        REMOTE_ADDR="10.0.1.1",
    )
    assert refused.status_code == 429


def script_src(response: Any) -> list[str]:
    """The script-src directive's sources in a response's Content-Security-Policy."""
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return next(directive[1:] for directive in directives if directive[:1] == ["script-src"])


@pytest.mark.parametrize(("path", "signed_in_as_patient"), [("/", True), ("/history", True), ("/login", False)])
def test_finding_20a_scripts_run_only_with_the_nonce(patient: Any, path: str, signed_in_as_patient: bool) -> None:
    """script-src is the request's nonce alone: 'self' would also let any script file on the origin run."""
    response = (signed_in(patient) if signed_in_as_patient else Client()).get(path)
    assert response.status_code == 200
    [source] = script_src(response)
    assert source.startswith("'nonce-")
    # Workers (/sw.js) have their own directive, which stays 'self'.
    assert "worker-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/sw.js", "/checkin-shell", "/offline", "/admin/login/"])
def test_finding_20a_only_pages_without_a_request_nonce_allow_the_origins_scripts(db: Any, path: str) -> None:
    """The worker (its importScripts), the offline shell and page (cached, no nonce), and Django's admin (none)."""
    assert script_src(Client().get(path)) == ["'self'"]
