"""Rate limits counted two ways at once: per account and per client address.

DRF's ScopedRateThrottle counts a signed-in caller per account only, so someone with several
accounts (sign-up is open) gets the limit once for each. Guessing invite codes is limited both
ways, with the `link` rate of settings.REST_FRAMEWORK, and the API (diary/api/links.py) and the
sharing page (frontend/views/sharing.py) count on the same two counters.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import ScopedRateThrottle

from diary import audit

INVITE_CODE_SCOPE = "link"


class AccountWritesThrottle(ScopedRateThrottle):
    """The view's scope, counted per signed-in account (per address for anyone else); reads are not counted."""

    per = "account"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def who(self, request: Any) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return str(user.pk)
        return self.where(request)

    def where(self, request: Any) -> str:
        # The audit's address: through NUM_PROXIES proxies, and only ever a valid IP address.
        return audit.client_address(request) or "unknown"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": f"{self.scope}-{self.per}", "ident": self.who(request)}


class AddressWritesThrottle(AccountWritesThrottle):
    """The view's scope, counted per client address whoever is signed in."""

    per = "address"

    def who(self, request: Any) -> str:
        return self.where(request)


class _Scope:
    """What ScopedRateThrottle reads from a view: the name of its rate."""

    throttle_scope = INVITE_CODE_SCOPE


def invite_code_attempt_allowed(request: HttpRequest) -> bool:
    """Count one invite-code attempt from a page against the API's two counters; False past either limit.

    Both are counted even when the first refuses, as DRF does for a view's throttles.
    """
    answers = [
        throttle().allow_request(request, _Scope()) for throttle in (AccountWritesThrottle, AddressWritesThrottle)
    ]
    return all(answers)
