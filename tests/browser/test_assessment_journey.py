"""A new member takes the PHQ-9, understands the result and sees it over time."""

import pytest

from tests.browser.conftest import check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page, name, email):
    page.goto("/account/sign-up/")
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("quiet river stones")
    page.get_by_label("Password again").fill("quiet river stones")
    page.get_by_label("I am 18 or older").check()
    page.get_by_label("I have read and accept").check()
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", name=f"Welcome back, {name}").wait_for()


def test_take_phq9_see_result_and_chart(page):
    sign_up(page, "Heron", "heron@example.test")
    page.get_by_role("link", name="Questionnaires").first.click()
    check_axe(page)
    page.get_by_role("link", name="Take the PHQ-9").click()
    check_axe(page)
    questions = page.locator("[data-question]")
    assert questions.count() == 9
    for i in range(9):
        questions.nth(i).get_by_label("Several days").check()
    page.get_by_role("button", name="See my result").click()
    page.get_by_role("heading", name="Your PHQ-9 result").wait_for()
    assert page.get_by_text("Score: 9").is_visible()
    assert page.get_by_role("heading", name="What this cannot tell").is_visible()
    check_axe(page)
    page.get_by_role("link", name="Your results over time").click()
    assert page.locator("svg.chart").is_visible()
    assert page.locator("table.data-table tbody tr").count() == 1
    check_axe(page)
    page.goto("/checkin/insights/")
    page.get_by_role("heading", name="How your days have been").wait_for()
    check_axe(page)


def test_one_question_per_screen_on_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_up(page, "Wren", "wren2@example.test")
    page.goto("/assessments/gad7/")
    assert page.locator("[data-progress]").inner_text() == "Question 1 of 7"
    assert page.locator("[data-question]:visible").count() == 1
    page.locator("[data-question]:visible").get_by_label("Not at all").check()
    page.get_by_role("button", name="Next").click()
    assert page.locator("[data-progress]").inner_text() == "Question 2 of 7"
    page.get_by_role("button", name="Back").click()
    assert page.locator("[data-progress]").inner_text() == "Question 1 of 7"
    check_axe(page)
    context.close()
