"""Session limits and the list of one's sessions (OWASP ASVS V7).

- Idle timeout: a therapist's session ends after 30 minutes without a request, a patient's after
  14 days (the diary lives on their own phone, and signing in again each time would stop them
  keeping it). An absolute lifetime ends any session at last: 12 hours for a therapist, 90 days for
  a patient.
- Each session is listed for its owner (SessionRecord) with when it began, when it was last used
  and from where; "sign out everywhere else" ends all but the current one. A password change ends
  the others too (Django checks each session against the password, and the change deletes them).
- Django gives a session a new key when its privileges change (sign-in, a password change, the
  therapist's second step). SessionStore below moves the session's record to the new key, so the
  list and "sign out everywhere else" still reach a session whose key was rotated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from diary import audit
from diary.models import Role, SessionRecord, User

IDLE: dict[str, timedelta] = {Role.THERAPIST: timedelta(minutes=30), Role.PATIENT: timedelta(days=14)}
LIFETIME: dict[str, timedelta] = {Role.THERAPIST: timedelta(hours=12), Role.PATIENT: timedelta(days=90)}
# How often a busy session notes that it is still in use: not on every request.
TOUCH_EVERY = 60  # seconds
# Sent with every sign-out (page and API): the browser drops its caches and the phone's outbox of
# check-ins, so the next person on a shared phone finds nothing of the last one's.
CLEAR_SITE_DATA = '"cache", "storage"'
# The stored session outlives its idle time by this much, only so that coming back within it the
# middleware can say why you were signed out; it refuses the session all the same.
TELL_WHY_FOR = timedelta(days=1)

STARTED, SEEN = "diary_started_at", "diary_seen_at"  # in the session, as Unix times


class SessionStore(DatabaseSessionStore):
    """Django's database sessions, whose record (SessionRecord) follows the key when it is rotated.

    Without this the record keeps the old key, and the rotated session can no longer be listed or
    ended from another device (issue 12, finding 3). SESSION_ENGINE = "diary.sessions".
    """

    def cycle_key(self) -> None:
        old_key = self.session_key
        super().cycle_key()
        if old_key is not None:
            SessionRecord.objects.filter(session_key=old_key).update(session_key=self.session_key)


def limits_for(user: User) -> tuple[timedelta, timedelta]:
    return IDLE.get(user.role, IDLE[Role.THERAPIST]), LIFETIME.get(user.role, LIFETIME[Role.THERAPIST])


def expiry(idle: timedelta) -> int:
    """Seconds until the cookie and the stored session go (see TELL_WHY_FOR)."""
    return int((idle + TELL_WHY_FOR).total_seconds())


def signed_out_why(idle: timedelta, lifetime: timedelta, started: float, seen: float) -> str | None:
    """Why this session must end now, in words for the sign-in page; None if it may go on."""
    now = time.time()
    if now - seen > idle.total_seconds():
        minutes = int(idle.total_seconds() // 60)
        span = f"{minutes} minutes" if minutes < 120 else f"{int(idle.total_seconds() // 86400)} days"
        return f"You were signed out after {span} without using the diary. Please sign in again."
    if now - started > lifetime.total_seconds():
        return "You were signed out because you had been signed in for a long time. Please sign in again."
    return None


View = Callable[..., HttpResponse]


def session_free(view: View) -> View:
    """Mark a view that serves the same bytes to everyone (the PWA's shell, offline page, manifest,
    worker): the session limits leave its requests alone, so its answer does not vary by cookie."""
    view.session_free = True  # type: ignore[attr-defined]
    return view


class SessionLimitsMiddleware:
    """End a session that has been idle or alive too long; note the activity of one that goes on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: View, args: Any, kwargs: Any) -> None:
        if getattr(view, "session_free", False):
            return
        user = request.user
        if user.is_authenticated:
            self.check(request, user)

    def check(self, request: HttpRequest, user: User) -> None:
        session = request.session
        now = time.time()
        started = float(session.get(STARTED, now))
        seen = float(session.get(SEEN, now))
        idle, lifetime = limits_for(user)
        why = signed_out_why(idle, lifetime, started, seen)
        if why is not None:
            key = session.session_key
            logout(request)  # the request goes on signed out: pages send it to sign in, the API answers 401
            SessionRecord.objects.filter(session_key=key).delete()
            messages.info(request, why)
            return
        if STARTED not in session:
            session[STARTED] = now
        if SEEN not in session or now - seen > TOUCH_EVERY:
            session[SEEN] = now
            session.set_expiry(expiry(idle))
            SessionRecord.objects.filter(session_key=session.session_key).update(last_seen=timezone.now())


def on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Start the session's clocks and list it for its owner (connected in diary/apps.py)."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[STARTED] = now
    request.session[SEEN] = now
    request.session.set_expiry(expiry(limits_for(user)[0]))
    if request.session.session_key is None:
        request.session.save()
    SessionRecord.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip": audit.client_address(request),
            "user_agent": request.headers.get("User-Agent", "")[:200],
        },
    )


def active_sessions(user: User) -> list[SessionRecord]:
    """The user's sessions that are still alive, newest use first; rows of ended ones are removed."""
    records = list(SessionRecord.objects.filter(user=user))
    alive = set(
        Session.objects.filter(
            session_key__in=[r.session_key for r in records], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    ended = [r.pk for r in records if r.session_key not in alive]
    if ended:
        SessionRecord.objects.filter(pk__in=ended).delete()
    return [r for r in records if r.session_key in alive]


def sign_out_elsewhere(*, user: User, keep: str | None) -> int:
    """End every session of the user but `keep` (the current one); how many ended."""
    records = SessionRecord.objects.filter(user=user).exclude(session_key=keep or "")
    keys = list(records.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    records.delete()
    return len(keys)
