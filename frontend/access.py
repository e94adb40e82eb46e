"""Who may open a page: signed in, of the right role, and in their own time zone while it renders."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from diary.models import Role

View = Callable[..., HttpResponse]


def _page(*roles: str) -> Callable[[View], View]:
    """Signed in (else to the sign-in page), of one of these roles if any are named (else 403), in
    their own time zone."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if roles and user.role not in roles:
                raise PermissionDenied
            with timezone.override(ZoneInfo(user.timezone)):
                return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


signed_in_page = _page()
patient_page = _page(Role.PATIENT)
therapist_page = _page(Role.THERAPIST)
# The second step's own pages: everyone who must pass it (diary.mfa.required_for).
second_step_page = _page(Role.THERAPIST, Role.STAFF)
