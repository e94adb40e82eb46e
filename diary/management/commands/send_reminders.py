"""manage.py send_reminders: send the reminders that are due now, then exit.

For cron or a systemd timer every minute, and for the tests. It is safe to run while another copy
or the worker runs: each reminder is taken by exactly one of them (diary/reminders.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from diary.reminders import reminders_send_due


class Command(BaseCommand):
    help = "Send the reminders that are due now (each once, whoever else is sending)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = reminders_send_due()
        summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"Reminders: {summary}.")
