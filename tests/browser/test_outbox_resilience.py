"""The outbox under the failures a phone meets: replays, a page closed mid-send, an expired
session, a shared phone, a refusal from the diary.

The rule under all of them: every check-in saved on the phone reaches the diary exactly
once, as the person who saved it, or stays on the phone where that person can see it.
Pat and Olive are two patients (tests/conftest.py); they share one phone here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, Route, expect

from diary.models import CheckIn
from tests.browser.support import (
    check_in,
    flush_from_page,
    make_patient,
    outbox_items,
    put_in_outbox,
    route_checkin_posts,
    sign_in,
    status,
    wait_for_worker,
    wait_until,
)
from tests.browser.test_offline import OLIVE, open_more, sign_in_and_go_offline
from tests.conftest import PASSWORD

CHECK_IN_PAGE = "How are you right now?"


def queue_offline(page: Page, answers: list[tuple[int, int]], notes: str = "") -> None:
    """Save check-ins on the offline shell; each one waits in the outbox."""
    for number, (pain, tiredness) in enumerate(answers, start=1):
        if notes:
            open_more(page)
            page.get_by_role("textbox", name="Notes").fill(f"{notes} {number}")
        check_in(page, pain, tiredness)
        saved = "1 check-in" if number == 1 else f"{number} check-ins"
        expect(status(page)).to_contain_text(f"{saved} saved on this phone")


def rows(**filters: Any) -> list[tuple[Any, ...]]:
    return sorted(CheckIn.objects.filter(**filters).values_list("client_uuid", "pain", "fatigue"))


@pytest.mark.browser
def test_replaying_the_outbox_never_stores_a_check_in_twice(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    sign_in_and_go_offline(page, live_server.url)
    queue_offline(page, [(3, 2), (4, 3), (5, 4)])
    queued = outbox_items(page, pat)
    assert len(queued) == 3
    assert CheckIn.objects.count() == 0

    page.context.set_offline(False)
    wait_until(page, lambda: CheckIn.objects.count() == 3)
    expect(status(page)).to_contain_text("3 check-ins sent to your diary")
    wait_until(page, lambda: not outbox_items(page, pat))

    # The same three again (as if the phone never heard the answers), sent by two flushes at
    # once, then by the page loading again: the client_uuid keeps each of them one row.
    put_in_outbox(page, queued)
    summaries = flush_from_page(page, times=2)
    assert sorted(sent["client_uuid"] for summary in summaries for sent in summary["sent"]) == sorted(
        item["client_uuid"] for item in queued
    )
    put_in_outbox(page, queued)
    page.reload()
    wait_until(page, lambda: not outbox_items(page, pat))

    stored = rows(patient=pat)
    assert len(stored) == 3
    assert {str(uuid) for uuid, _, _ in stored} == {item["client_uuid"] for item in queued}
    assert sorted((pain, fatigue) for _, pain, fatigue in stored) == [(3, 2), (4, 3), (5, 4)]


@pytest.mark.browser
def test_a_page_closed_while_sending_loses_nothing_and_duplicates_nothing(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    sign_in_and_go_offline(page, live_server.url)
    queue_offline(page, [(2, 1), (6, 5), (7, 7)])
    context = page.context

    # The first check-in reaches the diary and is stored, but its answer never comes back:
    # the page is closed while that request is still open.
    held: list[Route] = []

    def answer(route: Route, number: int) -> None:
        if number == 1:
            route.fetch()  # the server stores it...
            held.append(route)  # ...and the phone waits for an answer that never arrives
        else:
            route.fallback()

    route_checkin_posts(context, answer)
    context.set_offline(False)
    wait_until(page, lambda: bool(held))
    assert CheckIn.objects.count() == 1
    page.close()
    for route in held:
        # Whoever sent it (the page, or the worker's Background Sync) sees the connection drop.
        route.abort()
    context.unroute_all(behavior="ignoreErrors")

    reopened = context.new_page()
    reopened.goto(live_server.url)
    expect(reopened.get_by_role("heading", level=1)).to_have_text(CHECK_IN_PAGE)
    wait_until(reopened, lambda: CheckIn.objects.count() == 3 and not outbox_items(reopened, pat))
    assert sorted((pain, fatigue) for _, pain, fatigue in rows(patient=pat)) == [(2, 1), (6, 5), (7, 7)]

    # Nothing left to send a fourth time, however often the page flushes.
    flush_from_page(reopened, times=2)
    assert CheckIn.objects.count() == 3


@pytest.mark.browser
def test_check_ins_outlive_an_expired_session_and_go_once_after_signing_in_again(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    sign_in_and_go_offline(page, live_server.url)
    queue_offline(page, [(4, 4), (5, 6)])

    # The session ends on the server while the phone is offline (expiry, or signed out elsewhere).
    Session.objects.all().delete()
    page.context.set_offline(False)

    expect(status(page)).to_contain_text("2 check-ins saved on this phone. Sign in again to send them.")
    sign_in_again = page.get_by_role("link", name="Sign in again to send them")
    expect(sign_in_again).to_be_visible()
    assert len(outbox_items(page, pat)) == 2
    assert CheckIn.objects.count() == 0

    sign_in_again.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill(pat.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CHECK_IN_PAGE)

    wait_until(page, lambda: CheckIn.objects.count() == 2 and not outbox_items(page, pat))
    expect(status(page)).to_contain_text("2 check-ins sent to your diary")
    page.reload()
    flush_from_page(page)
    assert sorted((pain, fatigue) for _, pain, fatigue in rows(patient=pat)) == [(4, 4), (5, 6)]
    assert CheckIn.objects.count() == 2


@pytest.mark.browser
def test_the_next_patient_on_a_shared_phone_sees_and_sends_nothing_of_the_last_one(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    olive = make_patient(OLIVE, "Olive Other")
    sign_in_and_go_offline(page, live_server.url)
    queue_offline(page, [(3, 2), (8, 7)], notes="Pat's private note")
    pats_items = outbox_items(page, pat)

    # Back online, but the diary is down: Pat signs out anyway, and accepts losing them.
    route_checkin_posts(page.context, lambda route, _: route.fulfill(status=503, json={"detail": "Down"}))
    page.context.set_offline(False)
    page.goto(live_server.url)  # the signed-in page (the offline shell has no Sign out)
    expect(status(page)).to_contain_text("The diary could not take them just now")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("dialog", name="Check-ins not sent yet").get_by_role(
        "button", name="Sign out and delete them"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.context.unroute_all(behavior="ignoreErrors")

    sign_in(page, live_server.url, OLIVE)
    assert "Pat's private note" not in page.content()
    assert outbox_items(page, pat) == []
    check_in(page, 1, 1)
    wait_until(page, lambda: CheckIn.objects.count() == 1)
    expect(status(page)).to_contain_text("Check-in saved at")

    # Even had the sign-out not emptied the phone (an old browser ignoring Clear-Site-Data),
    # Pat's check-ins would stay hers: not shown to Olive, not sent as Olive's.
    put_in_outbox(page, pats_items)
    put_in_outbox(page, [{**pats_items[0], "client_uuid": "00000000-0000-4000-8000-000000000001"}], "attention")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(CHECK_IN_PAGE)
    summaries = flush_from_page(page)
    assert summaries[0]["userId"] == olive.pk
    assert summaries[0]["sent"] == []
    expect(page.get_by_role("region", name="Check-ins that need your attention")).to_be_hidden()
    expect(status(page)).not_to_contain_text("saved on this phone")
    page.goto(f"{live_server.url}/history")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your check-ins")

    for shown in (page.content(), page.inner_text("body")):
        assert "Pat's private note" not in shown
        assert "Pat Patient" not in shown
    assert CheckIn.objects.filter(patient=pat).count() == 0
    assert [(pain, fatigue) for _, pain, fatigue in rows(patient=olive)] == [(1, 1)]


@pytest.mark.browser
def test_a_check_in_the_diary_refuses_waits_until_it_is_fixed_or_deleted(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    pat = make_patient()
    sign_in(page, live_server.url)
    # Settled first: a worker still installing could send the check-in past the test's refusals.
    wait_for_worker(page)

    def refuse_the_first_two(route: Route, number: int) -> None:
        if number <= 2:
            route.fulfill(status=400, json={"pain": ["Refused by the test server."], "detail": "Not like this."})
        else:
            route.fallback()

    route_checkin_posts(page.context, refuse_the_first_two)
    check_in(page, 4, 2)
    refused = page.get_by_role("region", name="Check-ins that need your attention")
    expect(refused).to_be_visible()
    check_in(page, 6, 5)
    entries = refused.get_by_role("listitem").filter(has=page.get_by_role("heading"))
    expect(entries).to_have_count(2)
    expect(refused).to_contain_text("Pain: Refused by the test server.")
    expect(refused).to_contain_text("Not like this.")
    assert CheckIn.objects.count() == 0
    assert [item["state"] for item in outbox_items(page, pat)] == ["attention", "attention"]

    # The first: deleted, and gone from the phone.
    first = entries.filter(has_text="pain 4/10, tiredness 2/10")
    first.get_by_role("button", name=re.compile("^Delete check-in of")).click()
    expect(status(page)).to_contain_text("Check-in deleted from this phone.")
    expect(entries).to_have_count(1)

    # The second: changed (pain 6 → 5) and saved again; this time the diary takes it.
    entries.get_by_role("button", name=re.compile("^Change and save again")).click()
    pain = page.get_by_role("group", name="Pain right now")
    expect(pain.get_by_role("radio", name=re.compile(r"^6\b"))).to_be_checked()
    pain.get_by_role("radio", name=re.compile(r"^5\b")).check()
    page.get_by_role("button", name="Save check-in").click()

    wait_until(page, lambda: CheckIn.objects.count() == 1)
    expect(refused).to_be_hidden()
    wait_until(page, lambda: not outbox_items(page, pat))
    assert [(pain, fatigue) for _, pain, fatigue in rows(patient=pat)] == [(5, 5)]
