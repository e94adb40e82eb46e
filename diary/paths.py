"""Where the JSON API lives, for the code that answers differently there (JSON, not a page)."""

from __future__ import annotations

from django.http import HttpRequest

# config/urls.py mounts diary/api/urls.py here (API.md: base path /api/v1/).
API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    """A request to the API, which answers in JSON even when refusing."""
    return request.path.startswith(API_PREFIX)
