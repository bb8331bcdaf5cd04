"""Two new members ask to join, are matched into the same circle with three others, accept
the agreements, and talk: one writes in the live chat, the other sees it arrive without
reloading and answers "I see you"."""

import pytest

from kinwell.accounts.tests.factories import PASSWORD, UserFactory
from kinwell.circles.models import Acknowledgement, ChatMessage, JoinRequest
from kinwell.circles.slots import to_utc_slots
from tests.browser.conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email):
    page.goto("/account/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def ask_to_join(page):
    page.get_by_role("link", name="Circles").first.click()
    check_axe(page)
    page.get_by_role("link", name="Ask to join a circle").click()
    page.get_by_role("button", name="Ask to join").click()  # empty: clear errors, nothing saved
    page.get_by_text("Choose at least one day you could meet.").wait_for()
    page.get_by_label("Grief and loss").check()
    page.get_by_label("Monday").check()
    page.get_by_label("19:00", exact=True).check()
    page.get_by_label("Finding my feet").check()
    check_axe(page)
    page.get_by_role("button", name="Ask to join").click()


def open_circle(page):
    page.get_by_role("link", name="Circles").first.click()
    page.get_by_role("link", name="Read the agreements to join in").first.click()
    check_axe(page)
    page.get_by_label("I have read these agreements and will keep them").check()
    page.get_by_role("button", name="Join the circle").click()
    page.get_by_role("heading", name="Chat").wait_for()
    page.get_by_text("Live chat is on.").wait_for()


def test_two_members_meet_in_a_circle_and_see_each_other_live(browser, live_server, asgi_server):
    ash = UserFactory(display_name="Ash", time_zone="UTC")
    bea = UserFactory(display_name="Bea", time_zone="UTC")
    slot = to_utc_slots(["mon"], ["19:00"], ash)
    for name in ("Cal", "Dee", "Eli"):
        JoinRequest.objects.create(
            user=UserFactory(display_name=name, time_zone="UTC"),
            focus="grief",
            language="en",
            utc_offset=0,
            slots=slot,
            stage="steady",
        )

    pages = []
    for person in (ash, bea):
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, person.email)
        ask_to_join(page)
        pages.append(page)
    ash_page, bea_page = pages
    bea_page.get_by_text("We found you a circle").wait_for()

    open_circle(ash_page)
    open_circle(bea_page)
    check_axe(bea_page)

    ash_page.get_by_label("Message").fill("First week without Mum's calls. Hard evening.")
    ash_page.get_by_role("button", name="Send").click()
    bea_page.get_by_text("First week without Mum's calls. Hard evening.").wait_for()
    assert ChatMessage.objects.filter(author=ash).count() == 1
    # The writer gets no "I see you" button for their own words.
    ash_page.get_by_text("Sent.").wait_for()
    assert ash_page.locator("#chat .ack").count() == 0

    message = bea_page.locator(".message", has_text="Hard evening")
    message.get_by_role("button", name="I see you").click()
    message.get_by_role("button", name="You see them").wait_for()
    assert Acknowledgement.objects.filter(user=bea, message__author=ash).exists()
    check_axe(bea_page)
