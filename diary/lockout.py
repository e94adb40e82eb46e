"""Locking an account after repeated failed sign-ins (django-axes), without saying whether it exists.

Axes counts failures per email address typed, whether or not an account has it, so a locked
"nobody@example.com" looks exactly like a locked real account. The per-address throttle
(THROTTLE_LOGIN) still limits how fast one place can guess across many accounts.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

LOCKED = (
    "Too many failed sign-ins for this email address. Wait 15 minutes, then try again; "
    "if you have forgotten your password, reset it."
)
# What a locked-out sign-in gets (a page, or JSON for the API): frontend.views.accounts.locked_out.


def username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The email typed, as the pages (username) and the API (email) send it, in the case it is stored in."""
    given = credentials or {}
    typed = given.get("username") or given.get("email")
    if typed is None and request is not None:
        typed = request.POST.get("username") or request.POST.get("email")
    return str(typed or "").strip().lower()
