"""A new member checks in, sees their insights, builds a relationship map, is shown what it
is missing and reminded of someone they have not seen for a while, and logs that contact
from the home page in one tap."""

from datetime import timedelta

import pytest

from tests.browser.conftest import check_axe
from tests.browser.test_assessment_journey import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECK_IN = [
    ("Seen", "3 – Mostly"),
    ("Safe", "3 – Mostly safe"),
    ("Soothed", "2 – Some"),
    ("Secure", "3 – Steady"),
    ("Stable", "3 – Settled"),
]


def check_in(page) -> None:
    for legend, answer in CHECK_IN:
        page.get_by_role("group", name=legend).get_by_label(answer).check()
    page.get_by_label("Inside my window").check()
    page.get_by_label("Good", exact=True).check()


def add_person(page, alias, kind, circle, received, last_contact="", rhythm=""):
    page.get_by_role("link", name="Add a person").click()
    page.get_by_role("heading", name="Add someone to your map").wait_for()
    page.get_by_label("Name or nickname").fill(alias)
    page.get_by_label("Who are they to you?").select_option(label=kind)
    page.get_by_label(circle).check()
    page.get_by_role("group", name="What support do you get from them?").get_by_label(
        received
    ).check()
    page.get_by_role("group", name="How safe do you feel with them?").get_by_label(
        "3 – Mostly safe"
    ).check()
    if last_contact:
        page.get_by_label("When were you last in touch?").fill(last_contact)
    if rhythm:
        page.get_by_label("Remind me to reach out").select_option(label=rhythm)
    check_axe(page)
    page.get_by_role("button", name="Add to my map").click()
    page.get_by_text(f"{alias} is on your map.").wait_for()


def test_check_in_build_a_map_see_a_gap_and_a_nudge_and_log_a_contact(page):
    from kinwell.accounts.models import User
    from kinwell.checkins.models import CheckIn
    from kinwell.checkins.services import member_today
    from kinwell.network.models import Contact

    sign_up(page, "Linnet", "linnet@example.test")
    check_axe(page)
    member = User.objects.get(email="linnet@example.test")
    today = member_today(member)

    # Check in; with nobody on the map yet, the check-in points to it.
    page.get_by_role("link", name="Check in").first.click()
    assert page.get_by_role("link", name="your map").is_visible()
    check_in(page)
    check_axe(page)
    page.get_by_role("button", name="Check in").click()
    page.get_by_text("Checked in.").wait_for()

    # Insights draw a chart once there are two days to join: yesterday's is seeded.
    CheckIn.objects.create(
        user=member,
        day=today - timedelta(days=1),
        window="inside",
        mood=3,
        **dict.fromkeys(("seen", "safe", "soothed", "secure", "stable"), 2),
    )
    page.goto("/checkin/insights/")
    page.get_by_role("heading", name="How your days have been").wait_for()
    # Chart.js draws the five S's; the server-drawn charts are the no-script fallback.
    page.locator("#five-s-chart").wait_for(state="visible")
    assert page.evaluate("() => window.Chart.getChart('five-s-chart').data.datasets.length") == 5
    assert not page.locator("svg.chart").first.is_visible()
    check_axe(page)

    # An empty map, then two people.
    page.get_by_role("link", name="My people").first.click()
    page.get_by_role("heading", name="Start with one person").wait_for()
    check_axe(page)
    add_person(page, "Sam", "Friend", "Outer circle", "Practical")
    two_months_ago = (today - timedelta(days=61)).isoformat()
    add_person(page, "Jo", "Family", "Middle circle", "Company", two_months_ago, "Every month")

    # The picture has both people as named links; the gaps are spelled out.
    assert page.locator("svg.map a.node").count() == 2
    assert page.get_by_role("link", name="Sam: Friend, outer circle").is_visible()
    assert page.get_by_role("heading", name="No one in your inner circle yet").is_visible()
    assert page.get_by_role("heading", name="No one for emotional support yet").is_visible()
    check_axe(page)

    # Move Sam closer from the list (htmx swaps the map in place).
    page.get_by_role("button", name="Closer: Sam").click()
    page.get_by_text("Sam is now in your middle circle.").wait_for()
    assert page.get_by_role("link", name="Sam: Friend, middle circle").is_visible()
    check_axe(page)

    # The home page nudges about Jo; one tap logs the contact.
    page.get_by_role("link", name="Home").first.click()
    nudge = page.get_by_text("It's been about 2 months since you were in touch with Jo.")
    assert nudge.is_visible()
    check_axe(page)
    page.get_by_role("button", name="I was in touch with Jo today").click()
    page.get_by_text("Logged: you were in touch with Jo today.").wait_for()
    check_axe(page)
    contact = Contact.objects.get(person__user=member)
    assert (contact.person.alias, contact.day, contact.source) == ("Jo", today, "home")
    page.reload()
    assert page.get_by_text("since you were in touch with Jo").count() == 0

    # Today's check-in can now say who the member connected with.
    page.get_by_role("link", name="Check in").first.click()
    connections = page.get_by_role("group", name="Who did I connect with today?")
    connections.get_by_label("Sam").check()
    check_axe(page)
    page.get_by_role("button", name="Update my check-in").click()
    page.get_by_text("Checked in.").wait_for()
    page.goto("/checkin/history/")
    assert page.get_by_role("cell", name="Sam").is_visible()
    check_axe(page)

    # Open Jo from the picture and answer how the relationship feels.
    page.get_by_role("link", name="My people").first.click()
    page.get_by_role("link", name="Jo: Family, middle circle").click()
    page.get_by_role("heading", name="Jo", exact=True).wait_for()
    check_axe(page)
    page.get_by_role("link", name="How do you feel with Jo?").click()
    questions = page.locator("[data-question]")
    assert questions.count() == 9
    for i, answer in enumerate(["Agree"] * 4 + ["Disagree"] * 5):
        questions.nth(i).get_by_label(answer, exact=True).check()
    check_axe(page)
    page.get_by_role("button", name="Save my answers").click()
    page.get_by_text("Your answers suggest you feel fairly secure with Jo").wait_for()
    check_axe(page)
