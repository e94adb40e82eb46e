from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csp.constants import SELF
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property

from diary import audit, selectors


class NoStoreMiddleware:
    """Tell browsers and proxies never to store a page or API answer.

    Nearly every dynamic response carries health data or a CSRF token, so the
    rule is "no-store everywhere" rather than a list to keep up to date.
    WhiteNoise sits above this middleware, so hashed static files keep their
    long cache lifetimes. A view that wants caching (the service worker script)
    sets its own Cache-Control first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class AuditMiddleware:
    """Write the access audit's row for each request that touched a patient's diary or was refused (diary/audit.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        audit.record_request(request, response)
        return response


class PatientOptionsMiddleware:
    """Answer OPTIONS on a path that names a patient only to someone who may see that patient, else 404.

    API.md: a therapist who is not linked gets 404 on every path under patients/{id}/. The views
    run the gatekeeper for the methods they serve, but OPTIONS is answered before any of them
    (DRF describes the view; a POST-only page answers 405), so it is gated here, by the same
    gatekeeper, for every such route at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]) -> None:
        if request.method == "OPTIONS" and "patient_id" in kwargs:
            selectors.patient_for(request.user, kwargs["patient_id"])  # type: ignore[arg-type]


class AdminScriptsMiddleware:
    """Let Django's admin run its own script files: it writes them without the request's nonce.

    The app's pages allow only nonce-carrying scripts (settings.CONTENT_SECURITY_POLICY); the
    admin is Django's, so it gets the origin's scripts ('self') under its own path and nowhere
    else. Listed after django-csp's middleware, so this runs before the header is written.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def admin_path(self) -> str:
        # Once per process, not on every response: reverse() costs about as much as the rest of this class.
        return reverse("admin:index")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(self.admin_path):
            response._csp_update = {"script-src": [SELF]}  # type: ignore[attr-defined]  # django-csp's csp_update
        return response
