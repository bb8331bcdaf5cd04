from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.checkins.models import CheckIn, Reminder
from kinwell.checkins.services import reminders_send
from kinwell.core.models import Notification

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


def test_reminder_comes_once_after_the_chosen_local_time():
    member = UserFactory(time_zone="Pacific/Auckland")
    Reminder.objects.create(user=member, at=time(20, 0))
    # 19:59 in Auckland (UTC+13 in November) is 06:59 UTC.
    assert reminders_send(now=datetime(2026, 11, 22, 6, 59, tzinfo=UTC)) == 0
    assert reminders_send(now=datetime(2026, 11, 22, 7, 1, tzinfo=UTC)) == 1
    assert reminders_send(now=datetime(2026, 11, 22, 9, 0, tzinfo=UTC)) == 0
    note = Notification.objects.get(user=member)
    assert "streak" not in (note.title + note.body).lower()
    # The next local day, it comes again.
    assert reminders_send(now=datetime(2026, 11, 23, 7, 1, tzinfo=UTC)) == 1


def test_no_reminder_on_a_day_already_checked_in():
    member = UserFactory(time_zone="Europe/London")
    Reminder.objects.create(user=member, at=time(9, 0))
    CheckIn.objects.create(
        user=member, day="2026-11-22", seen=2, safe=2, soothed=2, secure=2, stable=2,
        window="inside", mood=3,
    )  # fmt: skip
    assert reminders_send(now=datetime(2026, 11, 22, 10, 0, tzinfo=UTC)) == 0


def test_switched_off_reminders_stay_quiet():
    member = UserFactory()
    Reminder.objects.create(user=member, at=time(0, 0), enabled=False)
    assert reminders_send(now=datetime(2026, 11, 22, 23, 0, tzinfo=UTC)) == 0


def test_email_reminders_go_by_email(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    member = UserFactory(time_zone="UTC")
    Reminder.objects.create(user=member, at=time(8, 0), channel=Reminder.Channel.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=datetime(2026, 11, 22, 8, 30, tzinfo=UTC)) == 1
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert "/checkin/" in message.body
    assert not Notification.objects.filter(user=member).exists()


def test_reminder_settings_page(member, member_client):
    url = reverse("checkins:reminders")
    assert member_client.get(url).status_code == 200
    response = member_client.post(url, {"enabled": "on", "at": "25:99", "channel": "in_app"})
    assert "Enter a time like 20:30" in response.content.decode()
    member_client.post(url, {"enabled": "on", "at": "21:15", "channel": "email"})
    reminder = Reminder.objects.get(user=member)
    assert reminder.at == time(21, 15) and reminder.channel == "email"
    member_client.post(url, {"at": "21:15", "channel": "email"})
    reminder.refresh_from_db()
    assert reminder.enabled is False
