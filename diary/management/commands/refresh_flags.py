"""manage.py refresh_flags: re-judge every diary whose stored flags are from an earlier day.

Flags are re-judged with each check-in and, lazily, on the first read after a
patient's day turns. The scheduler enqueues the same work for the task worker
nightly (diary/schedule.py); without the scheduler, run this shortly after midnight
(cron, or a platform's scheduler) so that no therapist's first page of the day waits for it.

By default it queues the patients in batches for the task worker(s) (`manage.py db_worker`;
several share the work) and waits for them with a progress bar on stderr. `--sync` does the
work in this process instead (no worker needed); `--no-wait` only queues it.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tasks import TaskResult, TaskResultStatus

from diary.management.progress import Progress
from diary.schedule import (
    REFRESH_LOCK_BATCH,
    REFRESH_TASK_BATCH,
    flags_refresh_enqueue,
    flags_refresh_patients,
    patient_id_batches,
)

POLL_SECONDS = 0.5
# Queued batches that no worker starts for this long: probably no worker is running.
NO_WORKER_SECONDS = 120


class Command(BaseCommand):
    help = "Re-judge the flags of every patient whose stored flags are not from their today."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=REFRESH_TASK_BATCH, help="Patients per task (per transaction with --sync)."
        )
        how = parser.add_mutually_exclusive_group()
        how.add_argument("--sync", action="store_true", help="Re-judge in this process, without the task worker.")
        how.add_argument("--no-wait", action="store_true", help="Queue the batches for the worker and exit.")

    def handle(self, *args: Any, batch: int, sync: bool, no_wait: bool, **options: Any) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if sync:
            count = self._here(batch)
        else:
            results = flags_refresh_enqueue(batch=batch)
            count = sum(len(result.args[0]) for result in results)
            if no_wait:
                self.stdout.write(f"Queued the flags of {count} patients in {len(results)} tasks for the worker.")
                return
            self._wait(results, count)
        self.stdout.write(f"Flags are up to date for {count} patients.")

    def _here(self, batch: int) -> int:
        batches = patient_id_batches(batch)
        progress = Progress(sum(len(ids) for ids in batches), "patients", stream=self.stderr)
        for ids in batches:
            flags_refresh_patients(ids, lock_batch=min(batch, REFRESH_LOCK_BATCH))
            progress.advance(len(ids))
        progress.close()
        return progress.total

    def _wait(self, results: list[TaskResult[int]], count: int) -> None:
        """Until every batch has run, showing the patients done; a failed batch or no worker is an error."""
        progress = Progress(count, "patients", stream=self.stderr)
        pending = list(results)
        last_change = time.monotonic()
        while True:
            still = []
            for result in pending:
                if not result.is_finished:
                    result.refresh()
                if result.status == TaskResultStatus.FAILED:
                    progress.close()
                    raise CommandError(f"A batch of the refresh failed (task {result.id}); see the worker's log.")
                if result.is_finished:
                    progress.advance(len(result.args[0]))
                else:
                    still.append(result)
            if len(still) != len(pending) or any(r.status == TaskResultStatus.RUNNING for r in still):
                last_change = time.monotonic()
            pending = still
            if not pending:
                break
            if time.monotonic() - last_change > NO_WORKER_SECONDS:
                progress.close()
                raise CommandError(
                    f"No task worker took a batch for {NO_WORKER_SECONDS} s: start `manage.py db_worker`, "
                    f"or use --sync. The {len(pending)} batches left stay queued for the worker."
                )
            time.sleep(POLL_SECONDS)
        progress.close()
