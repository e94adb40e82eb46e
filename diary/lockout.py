"""Locking an account after repeated failed sign-ins (django-axes), without saying whether it exists.

Axes counts failures per email address typed, whether or not an account has it, so a locked
"nobody@example.com" looks exactly like a locked real account. The per-address throttle
(THROTTLE_LOGIN) still limits how fast one place can guess across many accounts.

A signed-in person's password, asked again before changing it or erasing the account, is checked
the same way (password_confirms), so those forms are no way around the lockout.
"""

from __future__ import annotations

from math import ceil
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest

from diary.models import User

LOCKED = (
    "Too many failed sign-ins for this email address. Wait 15 minutes, then try again; "
    "if you have forgotten your password, reset it."
)
# What an attempt beyond the per-client-address limit gets (pages and the admin's sign-in).
TOO_MANY_ATTEMPTS = "Too many attempts from here. Please wait a while, then try again."
# What a locked-out sign-in gets (a page, or JSON for the API): frontend.views.accounts.locked_out.


def wait_words(seconds: float) -> str:
    """A wait in whole minutes, rounded up: "1 minute", "4 minutes"."""
    minutes = max(1, ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def too_many_attempts(wait_seconds: float | None) -> str:
    """The per-address limit's refusal, saying how long to wait when the throttle knows."""
    if wait_seconds is None:
        return TOO_MANY_ATTEMPTS
    return f"Too many attempts from here. Please wait {wait_words(wait_seconds)}, then try again."


def last_try_warning(request: HttpRequest, typed_username: str) -> str | None:
    """After the failure before the lockout's last: say so, so that a fifth guess is a choice.

    Axes counts per email typed, account or not, so the warning reveals no more than LOCKED does.
    """
    failures = AxesProxyHandler.get_failures(request, {"username": typed_username})
    if failures != settings.AXES_FAILURE_LIMIT - 1:
        return None
    minutes = max(1, ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return (
        f"You have one more try before a {minutes}-minute pause for this email address. "
        "If you are not sure of your password, reset it."
    )


def username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The email typed, as the pages (username) and the API (email) send it, in the case it is stored in."""
    given = credentials or {}
    typed = given.get("username") or given.get("email")
    if typed is None and request is not None:
        typed = request.POST.get("username") or request.POST.get("email")
    return str(typed or "").strip().lower()


def password_confirms(request: HttpRequest, user: User, password: str) -> bool:
    """Is this the signed-in user's password? Checked as a sign-in is, so that a wrong one counts
    toward the address's lockout and a locked address is refused even the right one: otherwise the
    password page and account erasure would let a stolen session guess without limit (issue 12,
    finding 11). While locked, django-axes marks the request and its middleware answers 429 with
    LOCKED (frontend.views.accounts.locked_out)."""
    return authenticate(request, email=user.email, password=password) is not None


def is_locked(request: HttpRequest) -> bool:
    """Did the last check on this request find the address locked?"""
    return bool(getattr(request, "axes_locked_out", False))
