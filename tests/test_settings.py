"""The settings read the environment, refuse bad values, and are deploy-clean in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "diary.example.org",
    "CLINIC_NAME": "Riverside Physio",
    "CLINIC_ACUTE_PHONE": "0800 123 4567",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
}


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py in a fresh process with only the given settings variables set."""
    base = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CLINIC_ACUTE_PHONE"}
    }
    base.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'unused.sqlite3'}")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_check_deploy_with_production_settings() -> None:
    """`manage.py check --deploy` gives no warning with the production variables set."""
    result = run_django(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_requires_a_secret_key_when_debug_is_off() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_django(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_requires_the_acute_phone_number_in_production() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "CLINIC_ACUTE_PHONE"}
    result = run_django(env, "check")
    assert result.returncode != 0
    assert "CLINIC_ACUTE_PHONE" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "maybe"), ("SECURE_HSTS_SECONDS", "a year"), ("CLINIC_TIMEZONE", "Mars/Olympus_Mons")],
)
def test_it_fails_loudly_on_a_bad_value(name: str, value: str) -> None:
    result = run_django({**PRODUCTION, name: value}, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_it_defaults_to_debug_off() -> None:
    result = run_django(PRODUCTION, "shell", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_production_cookies_are_host_only_and_secure() -> None:
    """__Host- names: the browser takes them only over HTTPS, for this host, at path / (no subdomain can plant one)."""
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_PATH, s.SESSION_COOKIE_DOMAIN, s.CSRF_COOKIE_PATH, s.CSRF_COOKIE_DOMAIN)"
    )
    result = run_django(PRODUCTION, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "__Host-sessionid __Host-csrftoken True True / None / None"
