"""manage.py restore FILE: replace the whole database with a backup (diary/backups.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from diary import backups


class Command(BaseCommand):
    help = "Replace everything in the database with a backup made by `manage.py backup`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path)
        parser.add_argument("--no-input", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, backup: Path, no_input: bool, **options: Any) -> None:
        database = settings.DATABASES["default"]
        if not no_input:
            answer = input(f"This replaces every row in {database['NAME']} with {backup}. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was restored.")
        connections.close_all()  # the restore needs the database to itself
        try:
            backups.restore(database, backup)
        except (backups.UnsupportedDatabase, OSError, subprocess.CalledProcessError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {database['NAME']} from {backup}.")
