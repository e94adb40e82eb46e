"""The app's own files: service worker, manifest, data-free check-in shell, offline page, and sign-out.

The browser behaviour (offline, outbox, installability) is in tests/browser/test_offline.py;
these check what the server hands the browser. Pat (tests/conftest.py) keeps a diary
with a name, a note and a flag, so that anything personal would show.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.utils import timezone

from diary import services
from frontend import pwa
from tests.conftest import signed_in
from tests.frontend.pages import submit, text

NOTE = "pat-secret-note-7"


@pytest.fixture
def pats_diary(patient: Any) -> Any:
    services.checkin_create(
        patient=patient,
        client_uuid=uuid4(),
        recorded_at=timezone.now(),
        pain=8,
        symptoms=["limb_weakness"],
        notes=NOTE,
    )
    return patient


def precache_list(worker: str) -> list[str]:
    match = re.search(r"^const PRECACHE = (\[.*\]);$", worker, re.MULTILINE)
    assert match, "no PRECACHE in the worker"
    return json.loads(match.group(1))


def test_it_serves_the_worker_from_the_root_and_never_from_a_stale_cache(db: Any) -> None:
    response = signed_in(None).get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    worker = text(response)
    assert 'const CACHE = "diary-shell-" + VERSION;' in worker
    assert f'const VERSION = "{pwa.cache_version()}";' in worker
    assert precache_list(worker)[:3] == ["/checkin-shell", "/offline", "/manifest.webmanifest"]
    assert "/static/frontend/app.css" in precache_list(worker)


def test_it_changes_the_cache_version_when_anything_precached_changes(
    db: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = pwa.cache_version()
    assert pwa.cache_version() == before

    monkeypatch.setattr(pwa, "offline_html", lambda: "<p>a new offline page</p>")
    after_page = pwa.cache_version()
    monkeypatch.undo()

    changed = tmp_path / "app.css"
    changed.write_text("body { color: red; }")
    real_find = pwa.finders.find
    monkeypatch.setattr(
        pwa.finders, "find", lambda path, **kwargs: str(changed) if path.endswith("app.css") else real_find(path)
    )
    after_css = pwa.cache_version()

    assert len({before, after_page, after_css}) == 3


def test_it_lists_the_hashed_static_names_that_production_serves(db: Any, settings: Any, tmp_path: Path) -> None:
    """With ManifestStaticFilesStorage the worker must precache the renamed files, and the scripts import them."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "frontend.storage.StaticStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)

    worker = text(signed_in(None).get("/sw.js"))

    static = [url for url in precache_list(worker) if url.startswith("/static/")]
    assert len(static) == len(pwa.PRECACHED_STATIC)
    assert all(re.search(r"\.[0-9a-f]{12}\.\w+$", url) for url in static), static
    assert 'const STATIC_PREFIX = "/static/";' in worker
    assert 'const STATIC_CACHE_MODE = "default";' in worker
    outbox = next(url for url in static if "/outbox." in url)
    assert f'importScripts("{outbox}");' in worker
    app = next(url for url in static if "/app." in url and url.endswith(".js"))
    checkin = next(url for url in static if "/checkin." in url)
    assert f'from "./{Path(app).name}";' in (tmp_path / checkin.removeprefix("/static/")).read_text()


def test_it_describes_an_installable_app(db: Any) -> None:
    response = signed_in(None).get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert {key: manifest[key] for key in ("id", "start_url", "scope", "display", "short_name")} == {
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "short_name": "Diary",
    }
    assert manifest["theme_color"] and manifest["background_color"]
    icons = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons
    for icon in manifest["icons"]:
        # The test client serves no static files; the finders say whether the file is there.
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_it_links_the_manifest_and_the_home_screen_icons_on_every_page(pats_diary: Any) -> None:
    html = text(signed_in(pats_diary).get("/"))
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<link rel="apple-touch-icon" href="/static/frontend/icons/apple-touch-icon.png">' in html
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in html
    assert f'data-user-id="{pats_diary.pk}" data-user-role="patient"' in html


@pytest.mark.parametrize("path", ["/checkin-shell", "/offline"])
def test_it_serves_the_same_data_free_shell_to_everyone(path: str, pats_diary: Any, therapist: Any) -> None:
    """Cached on a shared phone, so nothing in it may belong to anyone: no name, check-in, flag, token or key."""
    anonymous = signed_in(None).get(path)
    as_pat = signed_in(pats_diary).get(path)
    as_thea = signed_in(therapist).get(path)
    assert anonymous.status_code == as_pat.status_code == as_thea.status_code == 200
    assert text(anonymous) == text(as_pat) == text(as_thea)
    html = text(as_pat)
    for personal in ("Pat Patient", "pat@example.com", NOTE, "Your last check-ins", "data-user-id", "Sign out"):
        assert personal not in html, personal
    assert "csrfmiddlewaretoken" not in html
    assert 'name="client_uuid"' not in html
    assert not as_pat.cookies
    assert "Cookie" not in as_pat.get("Vary", "")


def test_it_keeps_the_questions_and_the_emergency_guidance_in_the_shell(db: Any) -> None:
    html = text(signed_in(None).get("/checkin-shell"))
    for words in ("<legend>Pain right now</legend>", "<legend>Tiredness right now</legend>", ">Save check-in</button>"):
        assert words in html
    assert 'data-emergency-symptoms="bladder_control_loss bowel_control_loss difficulty_walking' in html
    assert 'href="tel:08001234567"' in html
    assert 'data-app-shell="checkin"' in html


@pytest.mark.parametrize("path", ["/checkin-shell", "/offline"])
def test_it_has_no_inline_script_or_style_in_the_shell(path: str, db: Any) -> None:
    html = text(signed_in(None).get(path))
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert html.count("<h1") == 1


def test_it_tells_the_browser_to_forget_the_device_data_on_sign_out(patient: Any) -> None:
    client = signed_in(patient)
    response = submit(client, "/logout", form_page="/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_it_tells_the_browser_to_forget_the_device_data_on_api_sign_out(patient: Any, api: Any) -> None:
    response = api(patient).post("auth/logout")
    assert response.status_code == 204
    assert response["Clear-Site-Data"] == '"cache", "storage"'


# --- made once per deploy, with an ETag (frontend/pwa.py `made`) ------------------------

PWA_PATHS = ["/sw.js", "/manifest.webmanifest", "/checkin-shell", "/offline"]
MADE_AS = {"/sw.js": "service_worker", "/manifest.webmanifest": "manifest", "/checkin-shell": "checkin_shell"}


@pytest.mark.parametrize("path", PWA_PATHS)
def test_it_serves_the_same_bytes_and_etag_every_time_and_makes_them_once(
    path: str, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = MADE_AS.get(path, "offline")
    content_type, make = pwa.MAKERS[name]
    made = []
    monkeypatch.setitem(pwa.MAKERS, name, (content_type, lambda: made.append(name) or make()))
    client = signed_in(None)

    first, second, third = client.get(path), client.get(path), client.get(path)

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', first["ETag"]), "a strong ETag"
    assert first["Cache-Control"] == "no-cache"
    assert third.content == first.content
    assert made == [name]


@pytest.mark.parametrize("path", PWA_PATHS)
def test_it_answers_304_to_a_browser_that_has_the_bytes(path: str, db: Any) -> None:
    client = signed_in(None)
    etag = client.get(path)["ETag"]

    same = client.get(path, headers={"if-none-match": etag})
    other = client.get(path, headers={"if-none-match": '"0123456789abcdef0123456789abcdef"'})

    assert same.status_code == 304
    assert same.content == b""
    assert same["ETag"] == etag
    assert same["Cache-Control"] == "no-cache"
    assert other.status_code == 200
    assert other.content


@pytest.mark.parametrize("path", PWA_PATHS)
def test_it_gzips_once_with_an_etag_of_its_own(path: str, db: Any) -> None:
    client = signed_in(None)
    plain = client.get(path)
    zipped = client.get(path, headers={"accept-encoding": "gzip, br"})

    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert zipped["ETag"] != plain["ETag"]
    assert "Accept-Encoding" in zipped["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert client.get(path, headers={"accept-encoding": "gzip", "if-none-match": zipped["ETag"]}).status_code == 304


def test_it_makes_a_new_shell_and_worker_when_a_setting_they_show_changes(db: Any, settings: Any) -> None:
    client = signed_in(None)
    shell, worker = client.get("/checkin-shell"), client.get("/sw.js")

    settings.CLINIC_ACUTE_PHONE = (
        "0800 765 4321"  # the tests' conftest forgets the kept answers (as a new process would)
    )

    new_shell, new_worker = client.get("/checkin-shell"), client.get("/sw.js")
    assert 'href="tel:08007654321"' in text(new_shell)
    assert new_shell["ETag"] != shell["ETag"]
    assert new_worker["ETag"] != worker["ETag"]
    assert f'const VERSION = "{pwa.cache_version()}";' in text(new_worker)
    assert client.get("/sw.js", headers={"if-none-match": worker["ETag"]}).status_code == 200


def test_it_makes_a_new_worker_when_a_precached_file_changes_in_a_new_process(
    db: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = signed_in(None)
    worker = client.get("/sw.js")
    changed = tmp_path / "app.css"
    changed.write_text("body { color: red; }")
    real_find = pwa.finders.find
    monkeypatch.setattr(
        pwa.finders, "find", lambda path, **kwargs: str(changed) if path.endswith("app.css") else real_find(path)
    )

    assert client.get("/sw.js")["ETag"] == worker["ETag"], "kept for the life of the process"
    pwa.clear_memo()  # as a new process after the deploy
    assert client.get("/sw.js")["ETag"] != worker["ETag"]


@pytest.mark.parametrize("path", PWA_PATHS)
def test_it_touches_no_session_and_sets_no_cookie(path: str, pats_diary: Any, django_assert_num_queries: Any) -> None:
    client = signed_in(pats_diary)
    client.get(path)  # made and kept
    with django_assert_num_queries(0):
        response = client.get(path)
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
