"""Stored text that looks like markup stays text, in a real browser.

Markup that would run script is stored through the real services in every place a member
writes words others (or they themselves) see again: a circle post, a chat message, a
check-in note shared with the circle, a map person's alias, a display name and a program
reflection shared with the circle. Every page that shows them is opened as the owner and
as a circle peer: no script ran (window.__pwned stays undefined), no dialog opened, and
the words are on the page as the characters that were typed. Then the live path: a chat
message with markup arrives over the WebSocket in the peer's open page, and stays text."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kinwell.accounts.tests.factories import PASSWORD, UserFactory
from kinwell.circles.tests.factories import add_facilitator, make_circle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each carries its place's name, so the test can tell which one is on the page.
FULL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'  # 70
POST = f"post {FULL}"
CHAT = f"chat {FULL}"
NOTE = f"note {FULL}"
REFLECTION = f"reflection {FULL}"
# Display names hold 40 characters and aliases 60: the same attack, shorter.
NAME = "<img src=x onerror=window.__pwned=3>"
ALIAS = "alias <img src=x onerror=window.__pwned=4><svg onload=alert(5)>"[:60]
LIVE = "live <img src=x onerror=window.__pwned=6><script>alert(7)</script>"


def _store() -> dict[str, Any]:
    """The owner writes everything through the services the pages use."""
    from kinwell.accounts.services import user_update_profile
    from kinwell.checkins.services import checkin_save
    from kinwell.circles.services import chat_send, post_create
    from kinwell.network.services import person_create
    from kinwell.programs.services import (
        circle_program_start,
        enrolment_start,
        progress_share_set,
        step_complete,
    )

    owner: Any = UserFactory(display_name="Owner", time_zone="UTC")
    peer = UserFactory(display_name="Peer", time_zone="UTC")
    facilitator = UserFactory(display_name="Fay", time_zone="UTC", roles=["facilitator"])
    user_update_profile(actor=owner, user=owner, display_name=NAME)
    circle = make_circle(members=[owner, peer], name="Cedar")
    add_facilitator(circle, facilitator)
    post, _ = post_create(author=owner, circle_id=circle.pk, body=POST)
    chat_send(author=owner, circle_id=circle.pk, body=CHAT, client_id="inject-1")
    checkin_save(
        user=owner,
        seen=3, safe=3, soothed=3, secure=3, stable=3, window="inside", mood=3,
        note=NOTE, share_with=[circle.pk], share_note=True,
    )  # fmt: skip
    person = person_create(user=owner, alias=ALIAS, kind="friend", circle=1, safety=3)
    run = circle_program_start(actor=facilitator, circle_id=circle.pk, slug="safe-enough")
    for member in (owner, peer):
        enrolment_start(user=member, slug="safe-enough")
        progress_share_set(user=member, circle_id=circle.pk, circle_program_id=run.pk, share=True)
    enrolment, _ = enrolment_start(user=owner, slug="safe-enough")
    saved = step_complete(
        user=owner, enrolment_id=enrolment.pk, day=1, reflection=REFLECTION, share=True
    )
    return {
        "owner": owner,
        "peer": peer,
        "circle": circle,
        "post": post,
        "person": person,
        "step": saved.step,
    }


def _sign_in(browser: Any, live_server: Any, user: Any) -> Any:
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/account/sign-in/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    return page


def _assert_inert(page: Any, url: str, shown: tuple[str, ...]) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(100)  # a broken image's onerror fires just after load
    where = f"{url} ({page.url})"
    assert page.evaluate("typeof window.__pwned") == "undefined", f"{where}: script ran"
    assert page.dialogs == [], f"{where}: a dialog opened: {page.dialogs}"
    text = page.inner_text("body")
    for words in shown:
        assert words in text, f"{where}: {words!r} is not on the page as text"


def test_markup_in_stored_text_stays_text_for_owner_and_peer(browser, live_server, screen_as):
    screen_as("none")
    w = _store()
    circle, post = w["circle"].pk, w["post"].pk
    pages = {
        "owner": [
            (reverse("core:home"), ()),
            (reverse("circles:circle", args=[circle]), (POST, CHAT, NAME)),
            (reverse("circles:post", args=[circle, post]), (POST, NAME)),
            (reverse("checkins:history"), ()),
            (reverse("checkins:today"), ()),
            (reverse("network:index"), (ALIAS,)),
            (reverse("network:person", args=[w["person"].pk]), (ALIAS,)),
            (reverse("programs:reflection", args=[w["step"].pk]), (REFLECTION,)),
            (reverse("programs:circle", args=[circle]), (REFLECTION,)),
            (reverse("accounts:profile"), ()),
        ],
        "peer": [
            (reverse("circles:circle", args=[circle]), (POST, CHAT, NOTE, NAME)),
            (reverse("circles:post", args=[circle, post]), (POST, NAME)),
            (reverse("programs:circle", args=[circle]), (REFLECTION, NAME)),
            (reverse("safety:member", args=[w["owner"].pk]), (NAME,)),
            (reverse("core:home"), ()),
        ],
    }
    for role, visits in pages.items():
        page = _sign_in(browser, live_server, w[role])
        for url, shown in visits:
            _assert_inert(page, url, shown)
        page.context.close()


def test_markup_arriving_over_the_live_chat_stays_text(
    browser, live_server, asgi_server, screen_as
):
    screen_as("none")
    owner = UserFactory(display_name="Ash", time_zone="UTC")
    peer = UserFactory(display_name="Bea", time_zone="UTC")
    circle = make_circle(members=[owner, peer], name="Cedar")
    url = reverse("circles:circle", args=[circle.pk])
    writer = _sign_in(browser, live_server, owner)
    reader = _sign_in(browser, live_server, peer)
    for page in (writer, reader):
        page.goto(url)
        page.get_by_text("Live chat is on.").wait_for()

    writer.get_by_label("Message").fill(LIVE)
    writer.get_by_role("button", name="Send").click()
    reader.get_by_text(LIVE).wait_for()  # arrived over the socket, as text
    writer.get_by_text("Sent.").wait_for()
    for page in (reader, writer):
        page.wait_for_timeout(100)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.dialogs == []
        assert page.locator("#chat img[src='x']").count() == 0
        assert LIVE in page.inner_text("#chat")
        page.context.close()
