"""Light enough for a poor mobile connection, quick enough for a bad day.

- The check-in page's first load on a phone that never saw the diary transfers at most
  60 KB, icons excluded, counted two ways. (1) What Chromium received (CDP
  `Network.loadingFinished` for the page, Playwright's request sizes for the worker's
  install), with the static files counted at their gzip size: the test server sends them
  uncompressed, WhiteNoise in production sends them gzipped; the HTML page counts as sent
  (uncompressed: the app leaves compressing personal pages to the deployment).
  (2) The gzip size of the HTML, CSS and JavaScript the page loaded. `make bench` prints
  the same figure without a browser (tests/bench_pages.py).
- A basic check-in, pain and tiredness, is three taps: a number, a number, Save.
- A repeat visit takes the styles and scripts from the worker, not the network (and
  offline, the page itself: test_offline.py).

Installability (Page.getInstallabilityErrors) is test_offline.py's test_it_is_installable.
"""

from __future__ import annotations

import gzip
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, CDPSession, Page, Request, Response, expect

from diary.models import CheckIn
from tests.browser.support import make_patient, session_cookie, status, wait_for_worker, wait_until

BUDGET = 60 * 1024
TEXT_TYPES = {"document", "stylesheet", "script"}
TAP_BUDGET = 3
STATIC_URL = "/" + settings.STATIC_URL.strip("/") + "/"
SERVICE_WORKER = reverse("pwa:service_worker")


def is_icon(url: str) -> bool:
    return "/icons/" in url or bool(re.search(r"\.(png|svg|ico)(\?|$)", url))


@pytest.mark.browser
def test_the_check_in_page_first_load_is_at_most_60_kb(
    browser: Browser, browser_context_args: dict[str, Any], live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    # A cold phone: a new context, nothing cached, no worker yet; just signed in.
    context = browser.new_context(**browser_context_args)
    try:
        context.add_cookies([session_cookie(pat, live_server.url)])
        page = context.new_page()
        loads = watch_the_network(context.new_cdp_session(page))
        texts: list[Response] = []
        page.on("response", lambda answer: texts.append(answer) if answer.request.resource_type in TEXT_TYPES else None)
        worker: list[Request] = []
        context.on("requestfinished", lambda request: worker.append(request) if request.service_worker else None)

        page.goto(live_server.url, wait_until="load")
        expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")
        wait_for_worker(page)  # its install fetched everything it keeps: part of the first load
        wait_until(page, lambda: all(load.get("done") for load in loads.values()))

        bodies = {answer.url: answer.body() for answer in texts}
        gzipped = {url: len(gzip.compress(body)) for url, body in bodies.items()}
        raw = production = 0
        lines = []
        for load in loads.values():
            if is_icon(load["url"]) or load["url"].startswith("data:"):
                continue
            size = load["size"]
            raw += size
            note = f" ({load['encoding']})" if load["encoding"] else " (uncompressed)"
            if not load["encoding"] and load["url"] in bodies and STATIC_URL in load["url"]:
                # The test server sends static files as they are; WhiteNoise (production) sends them gzipped.
                size = size - len(bodies[load["url"]]) + gzipped[load["url"]]
                note = " (gzip size; the test server sent it uncompressed)"
            production += size
            lines.append(f"  {size:7} {load['url']}{note}")
        for request in worker:
            if is_icon(request.url):
                continue
            sizes = request.sizes()
            size = max(sizes["responseBodySize"], 0) + sizes["responseHeadersSize"]
            if request.url.endswith(SERVICE_WORKER):
                # The worker's own script: Chromium does not count its body here.
                size += len(Client().get(SERVICE_WORKER, headers={"accept-encoding": "gzip"}).content)
            raw += size
            production += size
            lines.append(f"  {size:7} {request.url} (the worker)")
        report = (
            f"check-in page, first load (icons excluded): {production / 1024:.1f} KB with static files"
            f" compressed as in production ({raw / 1024:.1f} KB from the uncompressing test server);"
            f" HTML + CSS + JS as gzip {sum(gzipped.values()) / 1024:.1f} KB ({len(gzipped)} files)\n"
            + "\n".join(lines)
        )
        print("\n" + report)
        assert {answer.request.resource_type for answer in texts} >= TEXT_TYPES
        assert production <= BUDGET, report
        assert sum(gzipped.values()) <= BUDGET, report

        # The second visit: styles and scripts come from the worker's cache, not the network.
        again: list[Response] = []
        page.on("response", lambda answer: again.append(answer) if answer.request.resource_type in TEXT_TYPES else None)
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")
        assets = [answer for answer in again if answer.request.resource_type != "document"]
        assert assets
        assert all(answer.from_service_worker for answer in assets), [
            answer.url for answer in assets if not answer.from_service_worker
        ]
    finally:
        context.close()


def watch_the_network(cdp: CDPSession) -> dict[str, dict[str, Any]]:
    """Every request the page makes: its URL, Content-Encoding, and bytes received (CDP)."""
    loads: dict[str, dict[str, Any]] = {}

    def sent(event: dict[str, Any]) -> None:
        loads.setdefault(event["requestId"], {"encoding": None, "size": 0})["url"] = event["request"]["url"]

    def answered(event: dict[str, Any]) -> None:
        headers = {name.lower(): value for name, value in event["response"]["headers"].items()}
        loads.setdefault(event["requestId"], {"size": 0})["encoding"] = headers.get("content-encoding")

    def finished(event: dict[str, Any]) -> None:
        loads.setdefault(event["requestId"], {"encoding": None})
        loads[event["requestId"]].update(size=int(event["encodedDataLength"]), done=True)

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", answered)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", lambda event: loads.setdefault(event["requestId"], {}).update(done=True))
    cdp.send("Network.enable")
    return loads


@pytest.mark.browser
def test_a_basic_check_in_takes_three_taps(page: Page, live_server: Any, transactional_db: Any) -> None:
    pat = make_patient()
    page.context.add_cookies([session_cookie(pat, live_server.url)])
    page.goto(live_server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you right now?")

    taps = [
        page.get_by_role("group", name="Pain right now").get_by_role("radio", name=re.compile(r"^6\b")),
        page.get_by_role("group", name="Tiredness right now").get_by_role("radio", name=re.compile(r"^4\b")),
        page.get_by_role("button", name="Save check-in"),
    ]
    assert len(taps) <= TAP_BUDGET
    for target in taps:
        target.tap()  # a touch, as a finger would: no typing, no scrolling by hand, nothing else

    expect(status(page)).to_contain_text(re.compile(r"Check-in saved at \d\d:\d\d\. It is in your diary\."))
    checkin = CheckIn.objects.get(patient=pat)
    assert (checkin.pain, checkin.fatigue) == (6, 4)
