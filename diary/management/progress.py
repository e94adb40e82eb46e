"""A one-line progress bar on stderr for the long commands (generate_scale, refresh_flags).

Standard error, so that a command's output on stdout stays what it was and can be piped; the bar
is redrawn in place on a terminal and written once a tenth of the way (ten lines) elsewhere, so a
log or CI output is not flooded.
"""

from __future__ import annotations

import time

from django.core.management.base import OutputWrapper

WIDTH = 30


class Progress:
    def __init__(self, total: int, unit: str, *, stream: OutputWrapper) -> None:
        self.total = max(total, 0)
        self.unit = unit
        self.stream = stream  # a command's self.stderr
        self.done = 0
        self.started = time.perf_counter()
        self._tty = self.stream.isatty()
        self._last_tenth = -1

    def update(self, done: int) -> None:
        """Show `done` of the total."""
        self.done = min(done, self.total)
        tenth = self.done * 10 // self.total if self.total else 10
        if not self._tty and tenth == self._last_tenth:
            return
        self._last_tenth = tenth
        filled = WIDTH * self.done // self.total if self.total else WIDTH
        line = (
            f"[{'#' * filled}{'.' * (WIDTH - filled)}] {self.done:,}/{self.total:,} {self.unit} {self.elapsed():.0f} s"
        )
        self.stream.write(f"\r{line}" if self._tty else f"{line}\n", ending="")
        self.stream.flush()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def advance(self, step: int) -> None:
        self.update(self.done + step)

    def close(self) -> None:
        if self._tty:
            self.stream.write("\n", ending="")
            self.stream.flush()
