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


def _page(role: str | None = None) -> Callable[[View], View]:
    """Signed in (else to the sign-in page), of this role (else 403), in their own time zone."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if role is not None and user.role != role:
                raise PermissionDenied
            with timezone.override(ZoneInfo(user.timezone)):
                return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


signed_in_page = _page()
patient_page = _page(Role.PATIENT)
therapist_page = _page(Role.THERAPIST)
