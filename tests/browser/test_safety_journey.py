"""A new member writes an urgent check-in note: help and their plan appear at once, and a
moderator watching the safety queue sees the escalation arrive live."""

import pytest

from kinwell.accounts.tests.factories import PASSWORD, UserFactory
from tests.browser.conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email):
    page.goto("/account/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_urgent_note_brings_help_at_once_and_reaches_the_live_queue(
    browser, live_server, asgi_server
):
    moderator = UserFactory(display_name="Moss", roles=["moderator"], country="GB")
    member = UserFactory(display_name="Robin", country="GB")

    mod_context = browser.new_context(base_url=live_server.url)
    mod_page = mod_context.new_page()
    mod_page.set_default_timeout(10_000)
    sign_in(mod_page, moderator.email)
    mod_page.get_by_role("link", name="Safety queue").click()
    mod_page.get_by_text("Nothing here right now.").wait_for()
    check_axe(mod_page)

    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, member.email)
    page.locator(".plan-link").click()  # one tap from every page
    page.get_by_label("Things I can do on my own").fill("Hold ice, breathe out slowly")
    page.get_by_role("button", name="Save my plan").click()
    page.get_by_role("link", name="Check in").first.click()
    check_axe(page)
    for legend, answer in [
        ("Seen", "0 – Not at all"),
        ("Safe", "0 – Not safe"),
        ("Soothed", "0 – No comfort"),
        ("Secure", "0 – Shaky"),
        ("Stable", "0 – Chaotic"),
    ]:
        page.get_by_role("group", name=legend).get_by_label(answer).check()
    page.get_by_label("Above my window").check()
    page.get_by_label("Very low").check()
    page.get_by_label("Anything you want to remember").fill(
        "I have the pills counted out and I'm going to take them all tonight. goodbye"
    )
    page.get_by_role("button", name="Check in").click()

    page.get_by_role("heading", name="You matter").wait_for()
    assert page.get_by_role("link", name="Call 116 123").first.is_visible()
    assert page.get_by_text("Hold ice, breathe out slowly").is_visible()
    check_axe(page)

    row = mod_page.locator("#queue-rows tr.queue-row")
    row.wait_for()
    assert "Robin" in row.inner_text() and "Urgent" in row.inner_text()
    assert mod_page.get_by_text("New urgent escalation in the queue.").is_visible()
    row.get_by_role("link", name="Robin").click()
    assert "pills counted out" in mod_page.locator("blockquote.member-text").inner_text()
    mod_page.get_by_role("button", name="Acknowledge").click()
    mod_page.get_by_text("You have it.").wait_for()
    check_axe(mod_page)
    mod_context.close()
    context.close()
