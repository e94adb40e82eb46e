"""manage.py refresh_flags: re-judge every diary whose stored flags are from an earlier day.

Flags are re-judged with each check-in and, lazily, on the first read after a
patient's day turns. The scheduler enqueues the same work for the task worker
nightly (diary/schedule.py); without a worker, run this shortly after midnight
(cron, or a platform's scheduler) so that no therapist's first page of the day waits for it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from diary.schedule import flags_refresh_all


class Command(BaseCommand):
    help = "Re-judge the flags of every patient whose stored flags are not from their today."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=100, help="Patients re-judged per transaction.")

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        count = flags_refresh_all(batch=batch)
        self.stdout.write(f"Flags are up to date for {count} patients.")
