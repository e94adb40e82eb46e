"""The app's own files at the root of the site: the worker must sit at / to control every page.

A namespace of their own, apart from `frontend`'s pages: these are public, data-free
resources of the app shell, not pages with an access rule (see frontend/pwa.py).
"""

from django.urls import path

from frontend import pwa

app_name = "pwa"

urlpatterns = [
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("checkin-shell", pwa.checkin_shell, name="checkin_shell"),
    path("offline", pwa.offline, name="offline"),
]
