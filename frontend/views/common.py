"""What every page module shares: reading a form's data, the shared throttles, page sizes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.throttling import ScopedRateThrottle

CHECKINS_PER_PAGE = 30


def posted(request: HttpRequest) -> Any:
    """The submitted form data on a POST, None (an unbound form) otherwise."""
    return request.POST if request.method == "POST" else None


class _ThrottleScope:
    """What DRF's ScopedRateThrottle reads from a view: the name of its rate."""

    def __init__(self, scope: str) -> None:
        self.throttle_scope = scope


def too_many_attempts(request: HttpRequest, scope: str) -> bool:
    """Count this attempt against the API's rate of the same scope (settings.REST_FRAMEWORK).

    Pages and API share one counter, so signing in through the pages is no way around the
    API's lockout. (Invite codes are counted twice over, in diary/throttles.py.)
    """
    return attempt_wait(request, scope) is not None


def attempt_wait(request: HttpRequest, scope: str) -> float | None:
    """As too_many_attempts, but says how long: None if this attempt is allowed, else the seconds to wait."""
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, _ThrottleScope(scope)):
        return None
    wait: float | None = throttle.wait()
    # DRF gives no wait when the rate has no history yet; a minute is the shortest we say.
    return wait if wait is not None else 60.0
