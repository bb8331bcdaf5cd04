"""A new member starts "Safe enough": day 1 is the guided 5-4-3-2-1 grounding, then a
reflection and "come back tomorrow"; the next day brings day 2, paced breathing, whose
timer starts and changes, with motion or, for people who ask for less, text only."""

from datetime import timedelta

import pytest
from django.db.models import F

from kinwell.accounts.tests.factories import PASSWORD, UserFactory
from kinwell.programs.models import Step
from tests.browser.conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email):
    page.goto("/account/sign-in/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def a_day_passes(user):
    Step.objects.filter(enrolment__user=user).update(
        completed_on=F("completed_on") - timedelta(days=1)
    )


def test_a_new_member_takes_a_program_one_day_at_a_time(page, screen_as):
    screen_as("none")
    ash = UserFactory(display_name="Ash", time_zone="UTC")
    sign_in(page, ash.email)

    page.goto("/programs/")
    page.get_by_role("heading", name="Guided programs").wait_for()
    check_axe(page)
    page.get_by_role("link", name="Safe enough").click()
    page.get_by_role("heading", name="Safe enough", level=1).wait_for()
    check_axe(page)
    page.get_by_role("button", name="Start this program").click()

    # Day 1: grounding, one sense at a time.
    page.get_by_role("heading", name="Grounding with your senses", level=1).wait_for()
    page.get_by_text("Step 1 of 5.").wait_for()
    check_axe(page)
    page.get_by_label("5 things you can see").fill("lamp, window, mug, plant, door")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Step 2 of 5.").wait_for()
    assert page.get_by_label("4 things you can feel").is_visible()
    assert not page.get_by_label("5 things you can see").is_visible()
    for _ in range(4):
        page.locator("[data-next]").click()
    page.get_by_text("All five senses done.").wait_for()
    page.locator("#id_reflection").fill("Before 6, after 4. Seeing was easiest.")
    check_axe(page)
    page.get_by_role("button", name="Finish day 1").click()

    page.get_by_role("heading", name="Come back tomorrow").wait_for()
    page.get_by_text("Day 2 opens tomorrow — rest is part of it.").wait_for()
    check_axe(page)
    step = Step.objects.get(enrolment__user=ash)
    assert step.reflection == "Before 6, after 4. Seeing was easiest."
    assert step.practice_notes == {}  # grounding answers are not kept unless asked

    # The same day, today's step is still "come back tomorrow".
    page.goto("/programs/safe-enough/today/")
    page.get_by_role("heading", name="Come back tomorrow").wait_for()

    a_day_passes(ash)
    page.goto("/programs/safe-enough/today/")
    page.get_by_role("heading", name="Slow breathing", level=1).wait_for()
    check_axe(page)
    status = page.locator("[data-breathing] [data-status]")
    assert status.inner_text() == "Press Start when you are ready."
    page.get_by_role("button", name="Start").click()
    page.get_by_text("Breathe in… Round 1 of 8.").wait_for()
    assert page.locator(".breath-circle").is_visible()
    page.wait_for_function("document.querySelector('.breath-circle').classList.contains('in')")
    check_axe(page)
    page.get_by_text("Breathe out…").wait_for(timeout=8_000)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("Stopped. You can start again whenever you like.").wait_for()

    page.locator("#id_reflection").fill("My shoulders dropped a little.")
    page.get_by_role("button", name="Finish day 2").click()
    page.get_by_text("Day 3 opens tomorrow — rest is part of it.").wait_for()
    assert Step.objects.filter(enrolment__user=ash).count() == 2


def test_breathing_is_text_only_for_people_who_ask_for_less_motion(browser, live_server, screen_as):
    screen_as("none")
    bea = UserFactory(display_name="Bea", time_zone="UTC")
    context = browser.new_context(base_url=live_server.url, reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, bea.email)
        page.goto("/programs/safe-enough/")
        page.get_by_role("button", name="Start this program").click()
        page.get_by_role("heading", name="Grounding with your senses", level=1).wait_for()
        page.get_by_role("button", name="Finish day 1").click()
        page.get_by_role("heading", name="Come back tomorrow").wait_for()
        a_day_passes(bea)
        page.goto("/programs/safe-enough/today/")
        page.get_by_role("button", name="Start").click()
        page.get_by_text("Breathe in… Round 1 of 8.").wait_for()
        assert not page.locator(".breath-circle").is_visible()
        assert page.locator("[data-breathing] [data-count]").inner_text().endswith("seconds")
        check_axe(page)
    finally:
        context.close()
