"""The floor of the load test (tests/bench_load.py): a bare Django JSON view, nothing else.

A WSGI app of its own, never in the product's URLs: gunicorn serves it with the same settings as
the app (tests.floor_app:application), so the ratio of its requests per second to an endpoint's
is what the endpoint costs beyond Django and gunicorn themselves.
"""

from __future__ import annotations

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, JsonResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="floor-of-the-load-test-serves-no-data",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)


def floor(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("", floor)]

application = get_wsgi_application()
