"""manage.py scheduler: enqueue the periodic tasks every minute, for `manage.py db_worker` to run.

Reminders every minute and the nightly refresh_flags (diary/schedule.py). It sends nothing
itself: stop the worker and the queue waits; stop the scheduler and nothing new is queued (a
reminder that comes back within 30 minutes is still sent late, then they are recorded as missed).
Instead of this loop, cron or a systemd timer may run `manage.py send_reminders` every minute and
`manage.py refresh_flags` nightly (README.md).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from diary.schedule import schedule_tick


class Command(BaseCommand):
    help = "Every minute, enqueue the due reminders (and nightly, refresh_flags) for the task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now and exit.")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        self.stdout.write("Scheduler: enqueuing due reminders every minute (Ctrl-C stops it).")
        while True:
            now = timezone.now()
            enqueued = schedule_tick(now)
            self.stdout.write(f"{now:%H:%M:%S} enqueued {', '.join(enqueued)}", ending="\n")
            self.stdout.flush()
            if once:
                return
            try:
                # Wake at the start of the next minute, when the next reminders fall due.
                time.sleep(60 - time.time() % 60 + 0.5)
            except KeyboardInterrupt:
                return
