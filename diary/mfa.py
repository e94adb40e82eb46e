"""Two-step sign-in for therapists and clinic staff (django-otp): a time-based code from an authenticator app (TOTP,
RFC 6238), with ten single-use recovery codes for a lost phone.

A therapist reads many people's diaries, so a password alone is not enough: after the password,
every therapist page and API call waits until the session has passed the second step
(SecondStepMiddleware). The first time, the therapist sets up their app (a QR code and the key in
letters); then each sign-in asks for the current code. Clinic staff (the admin) are asked too: the
admin can change any account's email or password, which is a way into every diary. Patients are not
asked: their diary is theirs, on their own phone, and an extra step would stop people in pain from
keeping it.

django-otp slows down guessing itself: after each wrong code a device refuses codes for a growing
delay (1 s, 2 s, 4 s, ...).
"""

from __future__ import annotations

import io
from base64 import b32encode
from collections.abc import Callable
from typing import Any

import qrcode
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import devices_for_user, match_token, user_has_device
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from diary import audit
from diary.models import Role, User
from diary.paths import is_api

RECOVERY_CODES = 10
APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"
NEEDS_SECOND_STEP = "Finish signing in with the code from your authenticator app first (on the diary's sign-in page)."

View = Callable[..., HttpResponse]


def required_for(user: Any) -> bool:
    return bool(user.is_authenticated and user.role in (Role.THERAPIST, Role.STAFF))


def passed(request: HttpRequest) -> bool:
    """Has this session passed the second step (or does its person not need one)?"""
    user = request.user
    return not required_for(user) or bool(user.is_verified())  # type: ignore[union-attr]


def is_set_up(user: User) -> bool:
    return bool(user_has_device(user, confirmed=True))


def app_device_to_set_up(user: User) -> TOTPDevice:
    """The unconfirmed authenticator-app device a therapist is setting up (made on first call)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


def qr_code_svg(device: TOTPDevice) -> bytes:
    """The app's setup link as a QR code: one SVG path, so no hairline gaps between squares."""
    out = io.BytesIO()
    qrcode.make(device.config_url, image_factory=SvgPathImage, border=2).save(out)
    return out.getvalue()


def key_in_letters(device: TOTPDevice) -> str:
    """The secret as an app asks for it when typed in: base32, in groups of four."""
    letters = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(letters[i : i + 4] for i in range(0, len(letters), 4))


@transaction.atomic
def recovery_codes_renew(user: User) -> list[str]:
    """Ten new single-use recovery codes; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def setup_confirm(request: HttpRequest, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the app with a code from it: the session passes the second step, and the recovery codes
    are returned to show once. None if the code is wrong."""
    if not device.verify_token(_digits(token)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    _pass(request, device)
    return recovery_codes_renew(device.user)


def verify(request: HttpRequest, token: str) -> Device | None:
    """Check a code from the app, or a recovery code (used up by this); the session passes if it is right."""
    user = request.user
    cleaned = token.strip().replace(" ", "").replace("-", "")
    device = match_token(user, _digits(cleaned) if cleaned.isdigit() else cleaned.lower())
    if device is not None:
        _pass(request, device)
    return device


def _pass(request: HttpRequest, device: Device) -> None:
    """Mark the session as having passed the second step, under a new key: the session is worth more
    now, so a key someone saw before this point (fixation) must not carry it (issue 12, finding 13).
    The session's record follows the new key (diary.sessions.SessionStore)."""
    otp_login(request, device)
    request.session.cycle_key()


def reset(user: User) -> None:
    """Forget a therapist's devices (a lost phone and lost recovery codes): they set up again at next sign-in."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()


def _digits(token: str) -> str:
    return "".join(character for character in token if character.isdigit())


# --- enforcement ----------------------------------------------------------------


def second_step_exempt(view: View) -> View:
    """Mark a view a therapist may use before the second step (setting it up, passing it, signing out)."""
    view.second_step_exempt = True  # type: ignore[attr-defined]
    return view


class SecondStepMiddleware:
    """Hold a therapist's (or staff's) session at the second step: pages (the admin's too) go to it,
    the API answers 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: View, args: Any, kwargs: Any) -> HttpResponse | None:
        if getattr(view, "second_step_exempt", False) or getattr(view, "session_free", False):
            return None
        if passed(request):
            return None
        if is_api(request):
            return JsonResponse({"detail": NEEDS_SECOND_STEP}, status=403)
        audit.refused(request)  # the redirect shows nothing: the audit records a refusal
        step = "frontend:second_step" if is_set_up(request.user) else "frontend:second_step_setup"  # type: ignore[arg-type]
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
