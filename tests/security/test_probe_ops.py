"""Issue 12, the outside probe: the operations findings (settings, commands, files, parsing, headers).

Each test is named after the finding it keeps closed.
"""

from __future__ import annotations

import io
import sqlite3
import stat
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from diary import backups, checks
from diary.models import User
from tests.test_settings import PRODUCTION, run_django


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
