"""What makes the diary an installable, offline-capable app: the service worker, the manifest,
the data-free check-in shell and the offline page.

None of these ever holds personal data. The shell and the offline page are rendered
without the request (no user, no session, no CSRF token, no messages), so the same
bytes go to everyone and are safe to keep in a cache on a shared phone. They are
public for the same reason: the worker fetches them at install, without cookies.

The worker's cache version is a digest of everything it precaches, computed here,
so any deploy that changes a precached file (or the shell's markup) changes the
version, and the new worker replaces the old cache.

Each of these answers is made once per process (`made`, below), gzipped once, and served
with a strong ETag, so a phone's update check costs about what a static file costs.
They are compressed here because nothing in them is secret or reflects a request, so
compression cannot leak anything (BREACH); pages with personal data are left to the
deployment's own choice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.text import compress_string
from django.views.decorators.http import require_GET

from diary.paths import API_PREFIX
from diary.sessions import session_free
from frontend.forms import CheckinShellForm

# Every static file the check-in shell needs offline, icons included.
PRECACHED_STATIC = (
    "frontend/app.css",
    "frontend/app.js",
    "frontend/checkin.js",
    "frontend/outbox.js",
    "frontend/zones.js",
    "frontend/icon.svg",
    "frontend/icons/icon-192.png",
    "frontend/icons/icon-512.png",
    "frontend/icons/maskable-192.png",
    "frontend/icons/maskable-512.png",
    "frontend/icons/apple-touch-icon.png",
)

ACCEPTS_GZIP = re.compile(r"\bgzip\b")  # as django.middleware.gzip reads Accept-Encoding
THEME_COLOUR = "#0b4f8a"
BACKGROUND_COLOUR = "#f5f7f9"


def _shell_context() -> dict[str, Any]:
    """What the context processors would add, minus everything about the person asking."""
    return {"clinic_name": settings.CLINIC_NAME, "clinic_acute_phone": settings.CLINIC_ACUTE_PHONE}


def shell_html() -> str:
    return render_to_string(
        "frontend/checkin.html",
        {**_shell_context(), "app_shell": "checkin", "form": CheckinShellForm()},
    )


def offline_html() -> str:
    return render_to_string("frontend/offline.html", {**_shell_context(), "app_shell": "offline"})


def manifest_data() -> dict[str, Any]:
    def icon(path: str, size: int, purpose: str) -> dict[str, str]:
        return {"src": static(path), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}

    return {
        "id": "/",
        "name": f"{settings.CLINIC_NAME} pain and fatigue diary",
        "short_name": "Diary",
        "description": "Record pain and tiredness in a few taps, even without a connection.",
        "lang": "en",
        "dir": "ltr",
        "start_url": reverse("frontend:home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            icon("frontend/icons/icon-192.png", 192, "any"),
            icon("frontend/icons/icon-512.png", 512, "any"),
            icon("frontend/icons/maskable-192.png", 192, "maskable"),
            icon("frontend/icons/maskable-512.png", 512, "maskable"),
            {"src": static("frontend/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }


def precache_urls() -> list[str]:
    return [
        reverse("pwa:checkin_shell"),
        reverse("pwa:offline"),
        reverse("pwa:manifest"),
        *(static(path) for path in PRECACHED_STATIC),
    ]


def cache_version() -> str:
    """A digest of every byte the worker precaches, and of the worker itself.

    With ManifestStaticFilesStorage the URLs already carry each file's hash; in
    development they do not, so the files' contents go in as well.
    """
    digest = hashlib.sha256()
    for part in (shell_html(), offline_html(), json.dumps(manifest_data(), sort_keys=True)):
        digest.update(part.encode())
    digest.update(get_template("frontend/sw.js").template.source.encode())
    hashed = static_names_are_hashed()
    for path in PRECACHED_STATIC:
        digest.update(static(path).encode())
        found = None if hashed else finders.find(path)
        if isinstance(found, str):
            with open(found, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


def static_names_are_hashed() -> bool:
    """True under ManifestStaticFilesStorage (production), where a file's name changes with its content."""
    return not static("frontend/app.js").endswith("/app.js")


# The worker, the shell and the offline page cannot carry a request's nonce: the worker's own
# policy governs its importScripts (outbox.js), and the shell and offline page are the same
# bytes for everyone, kept in the worker's cache. Their scripts (the app's own files) run by
# origin; they hold no data and no input, so there is nothing in them to inject into.
_scripts_without_nonce = csp_update({"script-src": [SELF]})


@session_free
@require_GET
@_scripts_without_nonce
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker, at the root so that its scope is the whole site (TESTING.md: not from /static/)."""
    return _serve(request, "service_worker")


def service_worker_js() -> str:
    context = {
        "version": cache_version(),
        "precache": json.dumps(precache_urls()),
        "home_url": reverse("frontend:home"),
        "shell_url": reverse("pwa:checkin_shell"),
        "offline_url": reverse("pwa:offline"),
        "static_prefix": settings.STATIC_URL,
        # Hashed names never change content, so the browser's HTTP cache may supply them;
        # unhashed ones (development) must be checked with the server.
        "static_cache_mode": "default" if static_names_are_hashed() else "no-cache",
        "outbox_url": static("frontend/outbox.js"),
        "icon_url": static("frontend/icons/icon-192.png"),
        "api_urls": json.dumps(api_urls()),
    }
    return render_to_string("frontend/sw.js", context)


def api_urls() -> dict[str, str]:
    """The API paths the outbox uses in the worker (pages read the same from data-* attributes of base.html)."""
    return {
        # Nothing under here is ever cached by the worker.
        "prefix": API_PREFIX,
        "me": reverse("api:me"),
        "csrf": reverse("api:csrf"),
        "checkins": reverse("api:checkins"),
        "doses": reverse("api:doses"),
    }


@session_free
@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    return _serve(request, "manifest")


@session_free
@require_GET
@_scripts_without_nonce
def checkin_shell(request: HttpRequest) -> HttpResponse:
    """The check-in form with nobody's data in it: what / shows when the phone is offline."""
    return _serve(request, "checkin_shell")


@session_free
@require_GET
@_scripts_without_nonce
def offline(request: HttpRequest) -> HttpResponse:
    """What every other page shows offline: pages with health data are never kept on the phone."""
    return _serve(request, "offline")


# --- made once per deploy -------------------------------------------------------
#
# The four answers depend only on the deploy (templates, static files, settings), never on the
# request, so each is made once per process and kept: a navigation's update check of the worker
# then costs about what a static file costs, and a browser that has the bytes gets a 304.
# In development (DEBUG) they are made on every request, because templates and static files
# change there without a restart.


@dataclass(frozen=True)
class Made:
    """One answer's bytes, plain and gzipped, with a strong ETag for each (the two are different bytes)."""

    content_type: str
    body: bytes
    etag: str
    gzipped: bytes
    gzipped_etag: str


MAKERS: dict[str, tuple[str, Callable[[], str]]] = {
    "service_worker": ("application/javascript; charset=utf-8", lambda: service_worker_js()),
    "manifest": ("application/manifest+json", lambda: json.dumps(manifest_data())),
    "checkin_shell": ("text/html; charset=utf-8", lambda: shell_html()),
    "offline": ("text/html; charset=utf-8", lambda: offline_html()),
}
_made: dict[str, Made] = {}


def made(name: str) -> Made:
    """The answer `name` of MAKERS, made at first use and kept for the life of the process (not under DEBUG)."""
    kept = _made.get(name)
    if kept is not None:
        return kept
    content_type, make = MAKERS[name]
    body = make().encode()
    # Nothing here is secret or reflects a request, so compressing cannot leak anything (BREACH),
    # and the same bytes every time need no random padding.
    gzipped = compress_string(body, max_random_bytes=0)
    digest = hashlib.sha256(body).hexdigest()[:32]
    answer = Made(content_type, body, f'"{digest}"', gzipped, f'"{digest}-gzip"')
    if not settings.DEBUG:
        _made[name] = answer
    return answer


def clear_memo() -> None:
    """Forget the answers made so far: for tests that change a setting or a file they depend on."""
    _made.clear()


def _serve(request: HttpRequest, name: str) -> HttpResponse:
    """The kept answer, gzipped if the browser takes it, or 304 if the browser has these bytes already."""
    answer = made(name)
    if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(answer.gzipped, content_type=answer.content_type)
        response["Content-Encoding"] = "gzip"
        response["ETag"] = answer.gzipped_etag
    else:
        response = HttpResponse(answer.body, content_type=answer.content_type)
        response["ETag"] = answer.etag
    response["Vary"] = "Accept-Encoding"
    # Always checked with the server (the ETag makes that cheap), so a deploy reaches every
    # phone on its next visit.
    response["Cache-Control"] = "no-cache"
    return get_conditional_response(request, etag=response["ETag"], response=response) or response
