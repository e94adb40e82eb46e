"""Sign-up that reveals nothing (API.md 1.1; issue 12, finding 1).

Answering "an account with this email already exists" tells anyone that a person is a cancer
patient or a therapist. With SIGNUP_VERIFY_EMAIL on, sign-up answers the same whatever the
address, and the difference goes by email, to the address's owner only:
- a new address gets a pending account (inactive, so nothing signs it in) and a link to confirm;
- an address whose sign-up is still pending gets the newest password and a fresh link (only the
  newest link works: the token is bound to the password);
- an address with an account gets a notice that someone tried, and nothing changes.

The time must not tell either: the password is hashed in every case, and the email is sent by a
background task (django-tasks; a worker in production) whose only argument is the account's id.
The task builds the link itself, so no token or address is stored in the task's row.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_tasks import task

from diary.flags import flags_refresh
from diary.models import Role, User
from diary.zones import canonical_zone

SENT = (
    "Check your email. If you can sign up with this address, we have sent a link to finish; "
    "if it already has an account, we have sent a note on how to sign in."
)
LINK_EXPIRED = "This link no longer works. Sign up again to get a new one."


class _SignupTokens(PasswordResetTokenGenerator):
    """Django's reset tokens, salted apart: a link works until the sign-up is confirmed, or until a
    newer sign-up changes the password, for PASSWORD_RESET_TIMEOUT (two hours)."""

    key_salt = "diary.signup.SignupTokens"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{user.pk}{user.password}{user.signup_pending}{timestamp}"


_tokens = _SignupTokens()


def token_for(user: User) -> str:
    """One string for the link and for POST auth/signup/confirm: the account's id and its token."""
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{_tokens.make_token(user)}"


def signup_request(*, email: str, password: str, timezone_name: str, display_name: str = "") -> None:
    """Ask to sign up as a patient. Refuses (ValidationError) only for what does not depend on whether
    the address has an account: the password rules and the time zone."""
    email = User.objects.normalize_email(email).lower()
    timezone_name = canonical_zone(timezone_name) or timezone_name
    candidate = User(email=email, role=Role.PATIENT, timezone=timezone_name, display_name=display_name)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as error:
        raise ValidationError({"password": list(error.messages)}) from None
    # validate_unique=False: whether the address is taken is exactly what must not show here.
    candidate.full_clean(exclude=["password"], validate_unique=False)
    # Hashed whatever happens next, so a new address and a taken one cost the same time.
    hashed = make_password(password)
    with transaction.atomic():
        existing = User.objects.select_for_update().filter(email=email).first()
        if existing is None:
            candidate.password = hashed
            candidate.signup_pending = True
            candidate.is_active = False
            try:
                with transaction.atomic():
                    candidate.save()
            except IntegrityError:
                return  # the same address signed up a moment ago (a double tap): its link is on its way
            signup_confirmation_send.enqueue(candidate.pk)
        elif existing.signup_pending:
            existing.password = hashed
            existing.timezone = timezone_name
            existing.display_name = display_name
            existing.save(update_fields=["password", "timezone", "display_name"])
            signup_confirmation_send.enqueue(existing.pk)
        else:
            signup_attempt_notice_send.enqueue(existing.pk)


def link_works(token: str) -> bool:
    """Would this token finish a sign-up now? (The page asks before offering its button.)"""
    return _pending_account(token) is not None


def _pending_account(token: str, *, lock: bool = False) -> User | None:
    """The pending account the token is for, if the token is still good."""
    encoded_id, _, user_token = token.partition(".")
    try:
        user_id = int(urlsafe_base64_decode(encoded_id).decode())
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None
    accounts = User.objects.select_for_update() if lock else User.objects.all()
    user = accounts.filter(pk=user_id, signup_pending=True).first()
    if user is None or not _tokens.check_token(user, user_token):
        return None
    return user


def signup_confirm(*, token: str) -> User | None:
    """Finish a pending sign-up from its emailed link: the account becomes usable. None if the link is
    wrong, expired, replaced by a newer one, or used already."""
    with transaction.atomic():
        user = _pending_account(token, lock=True)
        if user is None:
            return None
        user.signup_pending = False
        user.is_active = True
        user.save(update_fields=["signup_pending", "is_active"])
        # Every patient has stored flags from the start, as services.patient_signup does.
        flags_refresh(patient=user)
    return user


# --- the emails, sent by the task worker ---------------------------------------


@task()
def signup_confirmation_send(user_id: int) -> None:
    """Email a pending account its link. Nothing if it was confirmed (or erased) meanwhile."""
    user = User.objects.filter(pk=user_id, signup_pending=True).first()
    if user is None:
        return
    link = settings.SITE_URL + reverse("frontend:signup_confirm_link", args=[token_for(user)])
    send_mail(
        subject="Finish signing up for your diary",
        message=(
            f"Someone (we hope you) asked to start a pain and fatigue diary with {settings.CLINIC_NAME} "
            f"using this address. To finish, open this link within two hours:\n\n{link}\n\n"
            "If it was not you, ignore this email: nothing happens without the link."
        ),
        from_email=None,
        recipient_list=[user.email],
    )


@task()
def signup_attempt_notice_send(user_id: int) -> None:
    """Tell the owner of an account that someone tried to sign up with their address."""
    user = User.objects.filter(pk=user_id, signup_pending=False).first()
    if user is None:
        return
    sign_in = settings.SITE_URL + reverse("frontend:login")
    reset = settings.SITE_URL + reverse("frontend:password_reset")
    send_mail(
        subject="Someone tried to sign up with your address",
        message=(
            f"Someone tried to sign up for a diary with {settings.CLINIC_NAME} using this address, "
            "which already has an account. Nothing was changed.\n\n"
            f"If it was you, sign in instead: {sign_in}\n"
            f"Forgotten your password? Reset it: {reset}\n\n"
            "If it was not you, you can ignore this email."
        ),
        from_email=None,
        recipient_list=[user.email],
    )
