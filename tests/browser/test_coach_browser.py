"""A member practises replying: types a reply, pauses, sees the coach's meters; adds a
question and sees the explorations meter rise; then compares with an example reply. The
draft is never stored."""

import re

import pytest
from playwright.sync_api import expect

from kinwell.accounts.tests.factories import PASSWORD, UserFactory
from tests.browser.conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email):
    page.goto("/account/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*sign-in).*$"))


def meter(page, mechanism):
    return page.locator(f'.coach-box [data-mechanism="{mechanism}"]')


def test_member_practises_a_reply_and_sees_the_meters_change(page):
    from kinwell.coach.models import CoachPreference

    member = UserFactory(display_name="Rue")
    sign_in(page, member.email)
    page.goto("/coach/practice/")
    page.get_by_role("heading", name="Practise replying").wait_for()
    expect(page.get_by_role("heading", name="Compare")).to_be_hidden()
    check_axe(page)

    reply = page.get_by_label("Your reply")
    reply.press_sequentially("I feel so sad reading this.", delay=10)
    # The coach answers after a pause in typing, without a page load.
    expect(meter(page, "emotional_reactions")).to_have_attribute("data-level", "2")
    expect(meter(page, "emotional_reactions").locator(".coach-level")).to_have_text("strong")
    expect(meter(page, "explorations").locator(".coach-level")).to_have_text("none")
    expect(page.get_by_text("To go deeper")).to_be_visible()
    assert page.url.endswith("/coach/practice/")
    check_axe(page)

    reply.press_sequentially(" What has been the hardest part for you?", delay=10)
    expect(meter(page, "explorations")).to_have_attribute("data-level", re.compile("^[12]$"))
    expect(meter(page, "explorations").locator(".coach-level")).to_have_text(
        re.compile("^(a little|strong)$")
    )
    expect(page.get_by_text("It can be wrong")).to_be_visible()

    # Having tried, they can compare with an example reply from our corpus.
    page.get_by_text("See one strong reply to this post").click()
    expect(page.locator(".coach-compare blockquote")).to_be_visible()
    check_axe(page)

    # Odd input is met kindly, in words.
    reply.fill("")
    reply.press_sequentially("Lo siento mucho, espero que estés bien", delay=5)
    expect(page.get_by_text("The coach only reads English for now.")).to_be_visible()

    page.get_by_role("link", name="Next post").click()
    expect(page.get_by_text("Post 2 of")).to_be_visible()
    assert not CoachPreference.objects.exists()
