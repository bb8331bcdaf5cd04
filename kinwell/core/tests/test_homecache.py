"""The stored home page must never show stale or someone else's content."""

import re

import pytest
from django.contrib.messages import constants
from django.test import Client
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.core.services import notification_send, notifications_mark_read

pytestmark = pytest.mark.django_db

CHECKIN = {"seen": 2, "safe": 2, "soothed": 2, "secure": 2, "stable": 2, "window": "inside",
           "mood": 3}  # fmt: skip


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.get("/home/")  # sets the CSRF cookie, as a browser's first visit does
    return client


def test_repeat_visits_are_served_from_the_stored_copy(member, django_assert_max_num_queries):
    client = signed_in(member)
    client.get("/home/")
    with django_assert_max_num_queries(3):  # session, user, nav roles at most
        response = client.get("/home/")
    assert member.display_name in response.content.decode()


def test_a_new_notification_shows_at_once(member):
    client = signed_in(member)
    client.get("/home/")
    notification_send(user=member, title="Sage replied to your post")
    assert "Sage replied to your post" in client.get("/home/").content.decode()
    notifications_mark_read(user=member)
    assert 'class="note unread"' not in client.get("/home/").content.decode()


def test_checking_in_changes_the_home_page_at_once(member):
    client = signed_in(member)
    assert "Five quick questions" in client.get("/home/").content.decode()
    client.post(reverse("checkins:today"), CHECKIN)
    text = client.get("/home/").content.decode()
    assert "You checked in today" in text


def test_each_response_has_its_own_csp_nonce(member):
    client = signed_in(member)
    for _ in range(3):
        response = client.get("/home/")
        header = response["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", header).group(1)
        body = response.content.decode()
        assert f'nonce="{nonce}"' in body
        assert len(set(re.findall(r'nonce="([^"]+)"', body))) == 1


def test_members_never_see_each_others_home(member):
    other = UserFactory(display_name="Someone Else")
    notification_send(user=other, title="Private to someone else")
    mine, theirs = signed_in(member), signed_in(other)
    theirs.get("/home/")
    text = mine.get("/home/").content.decode()
    assert "Private to someone else" not in text
    assert "Someone Else" not in text


def test_a_page_with_a_message_is_built_fresh(member):
    client = signed_in(member)
    client.get("/home/")
    response = client.post(reverse("checkins:today"), CHECKIN, follow=True)
    messages = [m for m in response.context["messages"] if m.level == constants.SUCCESS]
    assert messages
    assert "Checked in" in response.content.decode()


def test_a_changed_display_name_shows_at_once(member):
    client = signed_in(member)
    client.get("/home/")
    member.display_name = "Renamed Person"
    member.save(update_fields=["display_name"])
    assert "Renamed Person" in client.get("/home/").content.decode()
