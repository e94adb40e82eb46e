from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

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
