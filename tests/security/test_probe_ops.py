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

from diary import backups
from diary.models import User


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
