import pytest
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE = {
    "display_name": "Lantern",
    "pronouns": "they/them",
    "time_zone": "America/Chicago",
    "language": "es",
    "country": "US",
}


def test_member_edits_their_profile(member_client, member):
    response = member_client.post(reverse("accounts:profile"), PROFILE)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.pronouns, member.time_zone) == (
        "Lantern",
        "they/them",
        "America/Chicago",
    )
    assert (member.language, member.country) == ("es", "US")


def test_taken_display_name_is_a_field_error(member_client, member):
    UserFactory(display_name="LANTERN")
    response = member_client.post(reverse("accounts:profile"), PROFILE)
    assert response.status_code == 200
    assert "taken" in " ".join(response.context["form"].errors["display_name"])
    member.refresh_from_db()
    assert member.display_name != "Lantern"


def test_unknown_time_zone_is_refused(member_client):
    response = member_client.post(
        reverse("accounts:profile"), {**PROFILE, "time_zone": "Mars/Base"}
    )
    assert "time_zone" in response.context["form"].errors


def test_times_are_shown_in_the_member_time_zone(member_client, member):
    from datetime import UTC, datetime

    from kinwell.core.models import Notification

    member.time_zone = "Asia/Tokyo"
    member.save()
    note = Notification.objects.create(user=member, title="Hello")
    Notification.objects.filter(pk=note.pk).update(
        created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    )
    page = member_client.get(reverse("core:home")).content.decode()
    assert "2 Mar, 08:30" in page  # 23:30 UTC is 08:30 the next morning in Tokyo
