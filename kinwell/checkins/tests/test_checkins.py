from datetime import UTC, datetime

import pytest
from django.urls import reverse

from kinwell.checkins.models import CheckIn
from kinwell.checkins.services import member_today
from kinwell.safety.models import Escalation

pytestmark = pytest.mark.django_db

ANSWERS = {
    "seen": 3,
    "safe": 4,
    "soothed": 2,
    "secure": 3,
    "stable": 3,
    "window": "inside",
    "mood": 4,
}


def test_check_in_once_a_day_and_edit_it(member_client, member, screen_as):
    screen_as("none")
    response = member_client.post(reverse("checkins:today"), {**ANSWERS, "note": "ok day"})
    assert response.url == reverse("core:home")
    member_client.post(reverse("checkins:today"), {**ANSWERS, "mood": 2, "note": "ok day"})
    checkin = CheckIn.objects.get(user=member)
    assert checkin.mood == 2 and checkin.note == "ok day"


def test_every_answer_is_required_and_in_range(member_client):
    response = member_client.post(reverse("checkins:today"), {**ANSWERS, "seen": 7})
    assert response.status_code == 200
    assert "seen" in response.context["form"].errors
    assert not CheckIn.objects.exists()


def test_the_day_is_the_members_own(member, monkeypatch):
    member.time_zone = "Pacific/Auckland"
    fixed = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)  # already 2 May in Auckland
    monkeypatch.setattr("django.utils.timezone.now", lambda: fixed)
    assert str(member_today(member)) == "2026-05-02"
    member.time_zone = "America/Los_Angeles"
    assert str(member_today(member)) == "2026-05-01"


def test_urgent_note_is_stored_escalated_and_help_shown_at_once(member_client, member, screen_as):
    screen_as("urgent")
    member_client.post(reverse("safety:plan_edit"), {"coping_steps": "Call Sam"})
    response = member_client.post(reverse("checkins:today"), {**ANSWERS, "note": "I can't go on"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "You matter" in html and "Talk to someone now" in html
    assert 'href="tel:116123"' in html  # the member's country (GB) lines
    assert "Call Sam" in html  # their own plan
    assert CheckIn.objects.get(user=member).note == "I can't go on"
    assert Escalation.objects.get(author=member).source_type == "checkin_note"


def test_unchanged_note_is_not_escalated_twice(member_client, member, screen_as):
    screen_as("concern")
    member_client.post(reverse("checkins:today"), {**ANSWERS, "note": "so tired of it all"})
    member_client.post(
        reverse("checkins:today"), {**ANSWERS, "mood": 1, "note": "so tired of it all"}
    )
    assert Escalation.objects.filter(author=member).count() == 1


def test_history_lists_only_my_check_ins(member_client, member, other_member, screen_as):
    screen_as("none")
    CheckIn.objects.create(
        user=other_member,
        day="2026-01-01",
        window="below",
        mood=1,
        **dict.fromkeys(("seen", "safe", "soothed", "secure", "stable"), 0),
    )
    member_client.post(reverse("checkins:today"), ANSWERS)
    page = member_client.get(reverse("checkins:history")).content.decode()
    assert "1 day" in page and "Thu 1 Jan" not in page


def test_an_overlong_note_is_a_field_error_and_the_text_is_kept(member_client):
    long_note = "word " * 1100
    response = member_client.post(reverse("checkins:today"), {**ANSWERS, "note": long_note})
    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    assert long_note.strip()[:100] in response.content.decode()
    assert not CheckIn.objects.exists()


def test_insights_show_averages_with_their_counts(member_client, member):
    from datetime import timedelta

    today = member_today(member)
    for ago, value in ((1, 1), (2, 3)):
        CheckIn.objects.create(
            user=member,
            day=today - timedelta(days=ago),
            window="inside",
            mood=3,
            **dict.fromkeys(("seen", "safe", "soothed", "secure", "stable"), value),
        )
    CheckIn.objects.create(
        user=member,
        day=today - timedelta(days=60),
        window="above",
        mood=1,
        **dict.fromkeys(("seen", "safe", "soothed", "secure", "stable"), 0),
    )
    page = member_client.get(reverse("checkins:insights") + "?days=7").content.decode()
    assert "You checked in on 2 of the last 7 days" in page
    assert "<td>2.0</td>" in page and "<svg" in page
    ninety = member_client.get(reverse("checkins:insights") + "?days=90").content.decode()
    assert "You checked in on 3 of the last 90 days" in ninety
    assert "streak" not in ninety.lower()
