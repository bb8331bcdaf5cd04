from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse

from kinwell.checkins.services import member_today
from kinwell.network.models import Contact
from kinwell.network.selectors import overdue_people, since_words
from kinwell.network.tests.helpers import add_person, d, freeze, utc

pytestmark = pytest.mark.django_db


def names(user) -> list[str]:
    return [n.person.alias for n in overdue_people(user=user)]


def test_overdue_people_come_most_overdue_first_and_at_most_three(member):
    today = member_today(member)
    for alias, ago in [("A", 10), ("B", 40), ("C", 9), ("D", 25), ("E", 8)]:
        add_person(member, alias, last_contact=today - timedelta(days=ago), rhythm_days=7)
    assert names(member) == ["B", "D", "A"]


def test_someone_within_their_rhythm_is_not_nudged(member):
    today = member_today(member)
    add_person(member, "Weekly on the day", last_contact=today - timedelta(days=7), rhythm_days=7)
    add_person(member, "Monthly", last_contact=today - timedelta(days=29), rhythm_days=30)
    assert names(member) == []
    add_person(member, "A day over", last_contact=today - timedelta(days=8), rhythm_days=7)
    assert names(member) == ["A day over"]


def test_no_rhythm_never_nudges(member):
    today = member_today(member)
    add_person(member, "Old friend", last_contact=today - timedelta(days=900), rhythm_days=0)
    add_person(member, "Never noted", rhythm_days=0)
    assert names(member) == []


def test_someone_never_contacted_is_nudged_a_rhythm_after_being_added(member, monkeypatch):
    freeze(monkeypatch, utc(2026, 3, 1, 12))
    add_person(member, "New friend", rhythm_days=14)
    freeze(monkeypatch, utc(2026, 3, 15, 12))
    assert names(member) == []
    freeze(monkeypatch, utc(2026, 3, 16, 12))
    [nudge] = overdue_people(user=member)
    assert nudge.text == "You haven't noted a time in touch with New friend yet."


@pytest.mark.parametrize(
    ("time_zone", "before", "after"),
    [
        # Due 1 May; overdue from the member's own 2 May, 00:00.
        ("Pacific/Tongatapu", utc(2026, 5, 1, 10, 59), utc(2026, 5, 1, 11, 0)),  # UTC+13
        ("Pacific/Honolulu", utc(2026, 5, 2, 9, 59), utc(2026, 5, 2, 10, 0)),  # UTC-10
    ],
)
def test_overdue_turns_at_the_members_own_midnight(member, monkeypatch, time_zone, before, after):
    member.time_zone = time_zone
    member.save()
    freeze(monkeypatch, utc(2026, 4, 25, 12))
    add_person(member, "Sam", last_contact=d("2026-04-24"), rhythm_days=7)
    freeze(monkeypatch, before)
    assert names(member) == []
    freeze(monkeypatch, after)
    assert names(member) == ["Sam"]


def test_the_same_moment_is_overdue_in_tonga_but_not_yet_in_hawaii(
    member, other_member, monkeypatch
):
    member.time_zone, other_member.time_zone = "Pacific/Tongatapu", "Pacific/Honolulu"
    freeze(monkeypatch, utc(2026, 4, 25, 12))
    for user in (member, other_member):
        user.save()
        add_person(user, "Sam", last_contact=d("2026-04-24"), rhythm_days=7)
    freeze(monkeypatch, utc(2026, 5, 1, 11, 30))  # 2 May 00:30 in Tonga, 1 May 01:30 in Hawaii
    assert names(member) == ["Sam"]
    assert names(other_member) == []


@pytest.mark.parametrize(
    ("days", "words"),
    [(1, "a day"), (9, "9 days"), (21, "3 weeks"), (45, "6 weeks"), (62, "about 2 months")],
)
def test_nudges_say_how_long_in_plain_words(days, words):
    assert since_words(days) == words


def test_home_shows_a_nudge_with_a_kind_suggestion(member_client, member):
    today = member_today(member)
    add_person(member, "Sam", last_contact=today - timedelta(days=21), rhythm_days=14)
    html = unescape(member_client.get(reverse("core:home")).content.decode())
    assert "It's been 3 weeks since you were in touch with Sam." in html
    assert "Staying in touch" in html
    assert "I was in touch with Sam today" in html


def test_one_post_from_home_logs_the_contact_and_the_nudge_goes(member_client, member):
    today = member_today(member)
    sam = add_person(member, "Sam", last_contact=today - timedelta(days=21), rhythm_days=14)
    response = member_client.post(
        reverse("network:contact_log", args=[sam.pk]), {"from": "home"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("core:home")
    html = unescape(response.content.decode())
    assert "Logged: you were in touch with Sam today." in html
    assert "It's been" not in html and "Staying in touch" not in html
    contact = Contact.objects.get(person=sam)
    assert (contact.day, contact.source) == (today, "home")


def test_one_tap_with_htmx_answers_in_place(member_client, member):
    today = member_today(member)
    sam = add_person(member, "Sam", last_contact=today - timedelta(days=21), rhythm_days=14)
    response = member_client.post(
        reverse("network:contact_log", args=[sam.pk]), {"from": "home"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.strip().startswith(f'<li class="nudge done" id="nudge-{sam.pk}">')
    assert 'role="status"' in html and "Logged" in html
    again = member_client.post(
        reverse("network:contact_log", args=[sam.pk]), {"from": "home"}, HTTP_HX_REQUEST="true"
    )
    assert "Already logged" in again.content.decode()
    assert Contact.objects.count() == 1


def test_home_stays_within_its_query_budget_with_nudges(
    member_client, member, django_assert_max_num_queries
):
    today = member_today(member)
    for alias in ("A", "B", "C", "D"):
        add_person(member, alias, last_contact=today - timedelta(days=30), rhythm_days=7)
    member_client.get(reverse("core:home"))  # warm the cached navigation
    with django_assert_max_num_queries(6):
        html = member_client.get(reverse("core:home")).content.decode()
    assert html.count('class="nudge"') == 3
