"""The admin's sign-in, limited like the app's (issue 12, finding 6).

Django's admin has a sign-in page of its own. django-axes already locks an address there after
repeated failures, but the per-client-address limit (THROTTLE_LOGIN) was only counted by the app's
sign-in, so /admin/login/ let one place guess across many accounts without limit. This form counts
each attempt on the same counter as /login and POST /api/v1/auth/login (DRF's "login" scope, as
frontend.views.common.too_many_attempts counts it), and refuses with the same words. It is set on
the admin site in config/urls.py, apart from diary/admin.py's ModelAdmins.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from rest_framework.throttling import ScopedRateThrottle

from diary.lockout import TOO_MANY_ATTEMPTS


class _SignInScope:
    """What ScopedRateThrottle reads from a view: the name of its rate."""

    throttle_scope = "login"


def too_many_sign_ins(request: HttpRequest) -> bool:
    """Count this attempt against the sign-in rate per client address; True once it is over."""
    return not ScopedRateThrottle().allow_request(request, _SignInScope())  # type: ignore[arg-type]


class AdminSignInForm(AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        # Refused before the password is checked, as the app's sign-in does: no answer to a guess.
        if self.request is not None and too_many_sign_ins(self.request):
            raise ValidationError(TOO_MANY_ATTEMPTS, code="throttled")
        return super().clean()
