"""Chart images kept in the shared cache, under a key that changes whenever what a chart shows may have.

A chart is drawn from one patient's check-ins, doses (and their medicines' kinds), flags and
profile (therapy start, time zone). Every write that changes one of those re-judges the flags and
stores a new `FlagState.computed_at` (diary/flags.py `flags_refresh`: check-ins and doses created,
changed or deleted, a medicine's kind, a new time zone or therapy start), and so does the patient's
day turning (`flags_current_for`). That timestamp is the diary's version in the key. The writes that
change a diary without re-judging it (a medicine added, renamed, stopped or deleted) call
`charts_changed`, which replaces a random token that is part of the key as well.

The key holds no health data: it is a digest of ids, versions and the period. Whoever asks has
passed the gatekeeper first (the views), so a key is never a way into another patient's charts.
An erased patient's images can no longer be reached (their id is never reused, and the views
answer 404 before any cache read) and leave the cache within CHART_SECONDS.
"""

from __future__ import annotations

import hashlib
from datetime import date
from uuid import uuid4

from django.core.cache import cache
from django.db import transaction

from diary.models import FlagState, User

# Long enough for a reload and a therapist's look on the same day; short, so an erased
# patient's images do not stay long (the key changes with each day anyway).
CHART_SECONDS = 60 * 60
TOKEN_SECONDS = 24 * 60 * 60


def _token_key(patient_id: int) -> str:
    return f"chart-token:{patient_id}"


def diary_token(patient_id: int) -> str:
    """The patient's current token; a new random one if there is none (never an old one come back)."""
    key = _token_key(patient_id)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid4().hex, timeout=TOKEN_SECONDS)  # the first of two racing requests wins
        token = cache.get(key)
    return str(token)


def charts_changed(patient: User) -> None:
    """Draw this patient's charts anew: for a write that changes their diary without re-judging the flags.

    After the transaction commits: a chart drawn meanwhile from the old rows is then kept under
    the old token, where nobody looks.
    """
    patient_id = patient.pk
    transaction.on_commit(lambda: cache.set(_token_key(patient_id), uuid4().hex, timeout=TOKEN_SECONDS))


def chart_key(
    *, patient: User, state: FlagState, kind: str, start: date, end: date, drawing: str, unit: str = ""
) -> str:
    """The key of one chart image: the patient, their diary's versions (`state` fresh from
    flags_current_for), the chart, the period, the drawing code's version and the weight unit it is in."""
    parts = (
        state.computed_at.isoformat(),
        state.as_of.isoformat(),
        diary_token(patient.pk),
        kind,
        start.isoformat(),
        end.isoformat(),
        unit,
        drawing,
    )
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]
    return f"chart:{patient.pk}:{digest}"


def cached_chart(key: str) -> bytes | None:
    svg = cache.get(key)
    return svg if isinstance(svg, bytes) else None


def keep_chart(key: str, svg: bytes) -> None:
    cache.set(key, svg, timeout=CHART_SECONDS)
