import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.circles import selectors, services
from kinwell.circles.models import Acknowledgement, CheckInShare
from kinwell.circles.tests.factories import add_facilitator, make_circle
from kinwell.circles.tests.test_circles import client_for
from kinwell.core.models import Notification

pytestmark = pytest.mark.django_db

ANSWERS = {
    "seen": 1,
    "safe": 2,
    "soothed": 1,
    "secure": 3,
    "stable": 2,
    "window": "below",
    "mood": 2,
    "note": "Quiet day, missed Mum.",
}


def check_in(client, **extra):
    return client.post(reverse("checkins:today"), {**ANSWERS, **extra})


def test_sharing_a_check_in_shows_the_answers_but_not_the_note(member, other_member):
    circle = make_circle(members=[member, other_member])
    check_in(client_for(member), share_with=[circle.pk])
    page = client_for(other_member).get(reverse("circles:circle", args=[circle.pk]))
    text = page.content.decode()
    assert "Check-ins shared this week" in text
    assert "Seen 1 · Safe 2 · Soothed 1 · Secure 3 · Stable 2" in text
    assert "missed Mum" not in text


def test_the_note_is_shared_only_when_asked(member, other_member):
    circle = make_circle(members=[member, other_member])
    check_in(client_for(member), share_with=[circle.pk], share_note="on")
    text = client_for(other_member).get(reverse("circles:circle", args=[circle.pk])).content
    assert "missed Mum" in text.decode()


def test_unshared_check_ins_stay_private(member, other_member):
    circle = make_circle(members=[member, other_member])
    check_in(client_for(member))
    assert not CheckInShare.objects.exists()
    text = client_for(other_member).get(reverse("circles:circle", args=[circle.pk])).content
    assert "Check-ins shared this week" not in text.decode()


def test_sharing_with_a_circle_you_are_not_in_is_refused(member):
    mine = make_circle(members=[member])
    theirs = make_circle(name="Willow")
    response = check_in(client_for(member), share_with=[theirs.pk])
    assert "Choose circles you are part of" in response.content.decode() or (
        "Select a valid choice" in response.content.decode()
    )
    assert not CheckInShare.objects.filter(circle=theirs).exists()
    from kinwell.checkins.models import CheckIn

    checkin = CheckIn.objects.create(
        user=member, day="2026-01-01", **{k: v for k, v in ANSWERS.items() if k != "note"}
    )
    with pytest.raises(ValidationError):
        services.checkin_shares_set(user=member, checkin=checkin, circle_ids=[theirs.pk])
    services.checkin_shares_set(user=member, checkin=checkin, circle_ids=[mine.pk])


def test_revoking_hides_it_from_the_circle_at_once(member, other_member):
    circle = make_circle(members=[member, other_member])
    check_in(client_for(member), share_with=[circle.pk])
    share = CheckInShare.objects.get()
    assert (
        client_for(other_member).post(reverse("circles:share_revoke", args=[share.pk])).status_code
        == 302
    )
    assert CheckInShare.objects.exists()  # someone else cannot revoke it
    history = client_for(member).get(reverse("checkins:history")).content.decode()
    assert circle.name in history
    client_for(member).post(reverse("circles:share_revoke", args=[share.pk]))
    assert not CheckInShare.objects.exists()
    assert selectors.shared_checkins(circle=circle, viewer=other_member) == []


def test_unticking_a_circle_on_the_same_day_stops_sharing(member, other_member):
    circle = make_circle(members=[member, other_member])
    check_in(client_for(member), share_with=[circle.pk])
    check_in(client_for(member))
    assert not CheckInShare.objects.exists()


def test_i_see_you_on_a_shared_check_in(member, other_member):
    circle = make_circle(members=[member, other_member])
    check_in(client_for(member), share_with=[circle.pk])
    share = CheckInShare.objects.get()
    response = client_for(other_member).post(
        reverse("circles:ack", args=["checkin", share.pk]),
        {"response": "with"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f"{other_member.display_name} (I&#x27;m with you)" in response.content.decode()
    assert Acknowledgement.objects.get().share == share
    assert Notification.objects.filter(user=member, title__contains="I'm with you").exists()
    with pytest.raises(ValidationError):
        services.ack_toggle(user=member, share_id=share.pk)
    outsider = UserFactory()
    assert (
        client_for(outsider).post(reverse("circles:ack", args=["checkin", share.pk])).status_code
        == 404
    )


def test_facilitator_sees_the_group_overview_with_counts(member, other_member):
    circle = make_circle(members=[member, other_member])
    facilitator = UserFactory(roles=["facilitator"])
    add_facilitator(circle, facilitator)
    check_in(client_for(member), share_with=[circle.pk])
    check_in(client_for(other_member), share_with=[circle.pk], seen=3)
    overview = selectors.group_overview(circle=circle)
    assert overview["n"] == 2 and overview["people"] == 2
    assert overview["seen"] == pytest.approx(2.0)
    page = client_for(facilitator).get(reverse("circles:facilitate", args=[circle.pk]))
    assert "2 check-ins from 2 members" in page.content.decode()
