"""Real Chromium through Playwright, set up as /work/shared/TESTING.md describes.

There is no `playwright install` here: the tests drive the system Chromium. Where
it is missing, every test in this folder is skipped with the command that installs it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
INSTALL_HINT = (
    f"Chromium not found at {CHROMIUM}. Install it with "
    "`apt-get update && apt-get install -y chromium fonts-liberation` "
    "(or point CHROMIUM_PATH at a Chromium binary)."
)
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    browser = [item for item in items if HERE in Path(item.path).parents]
    # Last, because Playwright's event loop (and the setting below that it needs) lasts
    # until the session ends; tests that run after it would run beside them.
    items[:] = [item for item in items if item not in browser] + browser
    if not Path(CHROMIUM).exists():
        if browser and os.environ.get("REQUIRE_BROWSER"):
            # CI sets this: there, a missing browser must fail the run, not quietly skip.
            raise pytest.UsageError(INSTALL_HINT)
        skip = pytest.mark.skip(reason=INSTALL_HINT)
        for item in browser:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base URL: tests use live_server.url.

    pytest-playwright's own fallback fixture is a method, which pytest 9 deprecates;
    with deprecation warnings as errors it would fail every browser test.
    """
    return None


@pytest.fixture(scope="session", autouse=True)
def _allow_sync_orm_beside_playwright() -> Iterator[None]:
    """Let the ORM run beside sync Playwright's event loop, for as long as Playwright lives.

    Set here rather than at import (as TESTING.md shows) so it is not in the
    environment while the rest of the suite runs: subprocesses would inherit it,
    and `manage.py check --deploy` rightly warns about it.
    """
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(autouse=True)
def _one_request_at_a_time_on_in_memory_sqlite(request: pytest.FixtureRequest) -> None:
    """On in-memory SQLite the live server's threads share the test's one connection, and two
    requests writing at once fail with "database table is locked". Charts kept in the cache answer
    fast enough for a page's images to overlap, so the live server takes one request at a time
    there (PostgreSQL, as in production, takes them together)."""
    if "live_server" not in request.fixturenames:
        return
    from django.db import connection

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return
    httpd = request.getfixturevalue("live_server").thread.httpd
    app = httpd.get_app()
    if getattr(app, "one_at_a_time", False):
        return
    lock = threading.Lock()

    def one_at_a_time(environ: Any, start_response: Any) -> Any:
        with lock:
            # The whole answer is made, and closed (request_finished), inside the lock.
            answer = app(environ, start_response)
            try:
                return list(answer)
            finally:
                if hasattr(answer, "close"):
                    answer.close()

    one_at_a_time.one_at_a_time = True  # type: ignore[attr-defined]
    httpd.set_app(one_at_a_time)
