"""The access audit (HIPAA 45 CFR 164.312(b)): who opened or changed whose diary, when, from where,
allowed or refused; and the security events around it (sign-ins, failed sign-ins, links, exports,
erasures).

One middleware (AuditMiddleware) writes the row for a request after the view has answered, so the
row says what actually happened (the status), whatever the view did:
- a URL with a patient in it (`patients/<patient_id>/...`): the actor and that patient;
- a view that showed several patients (the therapist's list) names them in
  `request.audit_patient_ids`, one row each;
- a patient's own sensitive acts (exporting, sharing, ending a share, erasing the account), from
  AUDITED below; a view that acted on a patient the URL does not name (a therapist ending a link)
  sets `request.audit_patient_ids` too;
- every refusal: 401, 403, 404 from a view, and a page that sent its visitor to sign in or to the
  second step of signing in (diary/mfa.py); what did not show data is never recorded as allowed,
  and an OPTIONS that was not refused is not recorded at all (it shows nothing).
Sign-ins and sign-outs come from Django's auth signals (diary/apps.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from rest_framework.throttling import BaseThrottle

from diary import selectors
from diary.models import AuditEvent, User

# The patient's own acts worth a record, by URL name, with the methods that do them.
AUDITED: dict[str, set[str]] = {
    "api:export": {"GET"},
    "api:links": {"POST"},
    "api:link": {"DELETE"},
    "frontend:links": {"POST"},
    "frontend:link_end": {"POST"},
}
REFUSED = {401, 403, 404}


def shown(request: Any, patient_ids: Iterable[int]) -> None:
    """Tell the audit which patients this request showed or acted on when its URL names none.

    Works for a page's HttpRequest and for DRF's Request (whose attributes are its own).
    """
    target = getattr(request, "_request", request)
    target.audit_patient_ids = list(patient_ids)


def refused(request: HttpRequest) -> None:
    """Tell the audit that this request was turned away although its answer is not an error (a page
    that sends a therapist to the second step of signing in shows nothing)."""
    request.audit_refused = True  # type: ignore[attr-defined]


def client_address(request: HttpRequest) -> str | None:
    """The client's address, through as many proxies as NUM_PROXIES says (the same rule as the throttles).

    Only an IP address is believed: a forwarded value that is not one (a misconfigured proxy, or
    a client's own header when NUM_PROXIES counts a proxy that is not there) gives way to the
    socket's address, so nothing of the caller's choosing is stored as "from where".
    """
    for candidate in (BaseThrottle().get_ident(request), request.META.get("REMOTE_ADDR")):  # type: ignore[arg-type]
        try:
            return str(ipaddress.ip_address(str(candidate or "").strip()))
        except ValueError:
            continue
    return None


def _actor(user: Any) -> dict[str, Any]:
    # The id only: the name is looked up when the audit is read (names_of), so erasing an account
    # leaves no name behind.
    if user is None or not user.is_authenticated:
        return {"actor_user_id": None, "actor_role": ""}
    return {"actor_user_id": user.pk, "actor_role": user.role}


def _object_id(request: HttpRequest) -> int | None:
    """The id the URL named besides the patient (checkin_id, link_id, note_id), if any.

    Kept instead of the path: a path can carry a flag's code (health data) or any text a caller
    typed, and the URL's name says the rest.
    """
    match = request.resolver_match
    if match is None:
        return None
    for name, value in match.kwargs.items():
        if name.endswith("_id") and name != "patient_id":
            return selectors.id_or_none(value)
    return None


def record(
    request: HttpRequest,
    action: str,
    *,
    allowed: bool,
    actor: Any = None,
    patient_ids: Iterable[int | None] = (None,),
    status: int | None = None,
) -> None:
    """Write one audit event per patient named (or one naming none)."""
    common = {
        **_actor(actor if actor is not None else getattr(request, "user", None)),
        "action": action[:64],
        "method": request.method or "",
        "object_id": _object_id(request),
        "ip": client_address(request),
        "allowed": allowed,
        "status": status,
    }
    rows = [AuditEvent(patient_user_id=pid, **common) for pid in patient_ids]
    if len(rows) == 1:
        # One plain INSERT, with no transaction around it: the usual case, and cheap enough to
        # run after every read of a patient's data.
        rows[0].save()
    else:
        AuditEvent.objects.bulk_create(rows)


def _sent_to_sign_in(response: HttpResponse) -> bool:
    return response.status_code == 302 and response.get("Location", "").startswith(resolve_url(settings.LOGIN_URL))


def record_request(request: HttpRequest, response: HttpResponse) -> None:
    """The audit event(s) of a request that touched a patient's data or was refused, if any."""
    match = request.resolver_match
    if match is None or not match.view_name:
        return  # an address that matches nothing is not an access to anyone's data
    user = getattr(request, "user", None)
    refused = response.status_code in REFUSED or _sent_to_sign_in(response) or getattr(request, "audit_refused", False)
    if request.method == "OPTIONS" and not refused:
        return  # it describes the URL and shows nothing of anyone's diary
    named = match.kwargs.get("patient_id")
    shown: list[int] | None = getattr(request, "audit_patient_ids", None)
    own_act = request.method in AUDITED.get(match.view_name, set())
    if named is None and shown is None and not own_act and not refused:
        return
    signed_in = user is not None and user.is_authenticated
    if named is not None and signed_in:
        patients: list[int | None] = [selectors.id_or_none(named)]
    elif named is not None:
        # Someone not signed in is refused without touching the patient's record: otherwise anyone
        # could fill a patient's "Who has seen my diary" by naming their number in a URL.
        patients = [None]
    elif shown is not None:
        patients = list(shown) or [None]
    elif own_act and signed_in:
        patients = [own(user)]
    else:
        patients = [None]
    record(
        request,
        match.view_name,
        allowed=not refused and response.status_code < 400,
        patient_ids=patients,
        status=response.status_code,
    )


def events_about(patient: User) -> QuerySet[AuditEvent]:
    """What others did with the patient's diary, newest first: for "Who has seen my diary" and the export."""
    return AuditEvent.objects.filter(patient_user_id=patient.pk).exclude(actor_user_id=patient.pk)


# --- sign-ins and sign-outs, from django.contrib.auth's signals (connected in diary/apps.py) ---


def on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None:
        record(request, "auth:login", allowed=True, actor=user, patient_ids=[own(user)])


def on_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is not None and user is not None:
        record(request, "auth:logout", allowed=True, actor=user, patient_ids=[own(user)])


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """A failed sign-in names the account tried if there is one; an unknown address is not kept (it may be a typo
    of a password)."""
    if request is None:
        return
    email = str(credentials.get("username") or credentials.get("email") or "")
    account = User.objects.filter(email__iexact=email).first() if email else None
    record(request, "auth:login_failed", allowed=False, actor=account, patient_ids=[own(account)])


def own(user: User | None) -> int | None:
    """Whose diary an event of this person's own is about: their own, if they keep one."""
    return user.pk if user is not None and user.role == "patient" else None


# --- what the patient reads in "Who has seen my diary" ---------------------------------

ACTION_WORDS = {
    "frontend:home": "saw you in their list of patients",
    "api:patients": "saw you in their list of patients",
    "api:links": "saw you in their list of patients",
    "frontend:patient_detail": "opened your diary",
    "frontend:patient_chart": "looked at your charts",
    "frontend:patient_sparkline": "saw your pain line in their list",
    "frontend:patient_summary": "opened your visit summary",
    "frontend:flag_acknowledge": "acknowledged a flag",
    "api:patient-flag-acknowledge": "acknowledged a flag",
    "frontend:note_create": "wrote a note about you",
    "frontend:note_delete": "deleted a note about you",
    "api:patient-checkins": "read your check-ins",
    "api:patient-flags": "read your flags",
    "api:patient-trends": "read your trends",
    "api:patient-export": "downloaded your diary",
    "api:patient-medicines": "read your medicines",
    "api:patient-doses": "read your pain reliever doses",
    "api:link": "ended sharing",
}

# The same actions as the short parts of one visit: "looked at your diary: list, charts, summary".
VISIT_PARTS = {
    "frontend:home": "list",
    "api:patients": "list",
    "api:links": "list",
    "frontend:patient_sparkline": "list",
    "frontend:patient_detail": "diary",
    "frontend:patient_chart": "charts",
    "frontend:patient_summary": "summary",
    "frontend:flag_acknowledge": "acknowledged a flag",
    "api:patient-flag-acknowledge": "acknowledged a flag",
    "frontend:note_create": "wrote a note",
    "frontend:note_delete": "deleted a note",
    "api:patient-checkins": "check-ins",
    "api:patient-flags": "flags",
    "api:patient-trends": "trends",
    "api:patient-export": "downloaded it",
    "api:link": "ended sharing",
}


def visit_part(event: AuditEvent) -> str:
    """One event as a part of a visit ("charts"); the admin's and unknown routes in full words."""
    return VISIT_PARTS.get(event.action) or action_words(event)


def names_of(events: Iterable[AuditEvent]) -> dict[int, str]:
    """The current names of the people who did these things, by id; an erased account has none."""
    ids = {event.actor_user_id for event in events if event.actor_user_id is not None}
    return {user.pk: user.name for user in User.objects.filter(pk__in=ids).only("pk", "display_name", "email")}


def who(event: AuditEvent, names: dict[int, str]) -> str:
    """What to call the actor: their name, "account 17" once erased, "" for someone not signed in."""
    if event.actor_user_id is None:
        return ""
    return names.get(event.actor_user_id, f"account {event.actor_user_id}")


def action_words(event: AuditEvent) -> str:
    if not event.allowed:
        return "tried to open your diary and was refused"
    if event.action.startswith("admin:"):
        # The admin shows an account or a care link, never the diary itself (diary/admin.py).
        return "looked at your account or your sharing in the clinic's admin"
    return ACTION_WORDS.get(event.action, "opened your diary")
