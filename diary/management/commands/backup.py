"""manage.py backup [--output FILE]: a backup of the whole database (diary/backups.py)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from diary import backups


class Command(BaseCommand):
    help = "Back up the database: pg_dump on PostgreSQL, a consistent copy on SQLite."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="Where to write it (default: backups/diary-<time>.<ext>).")

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        database = settings.DATABASES["default"]
        if output is None:
            suffix = "dump" if str(database["ENGINE"]).endswith("postgresql") else "sqlite3"
            output = Path("backups") / f"diary-{datetime.now(UTC):%Y%m%d-%H%M%S}.{suffix}"
            # The default folder is the app's own: closed to other users even if an older version made it 0755.
            output.parent.mkdir(mode=0o700, exist_ok=True)
            output.parent.chmod(0o700)
        try:
            written = backups.backup(database, output)
        except (backups.UnsupportedDatabase, OSError, subprocess.CalledProcessError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backed up to {written} ({written.stat().st_size / 1024:.0f} KB).")
