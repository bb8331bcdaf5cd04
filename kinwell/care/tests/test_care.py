import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kinwell.accounts.tests.factories import UserFactory
from kinwell.care import services
from kinwell.care.models import CareLink, SharedCheckIn
from kinwell.checkins.models import CheckIn
from kinwell.circles.tests.test_circles import client_for
from kinwell.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ANSWERS = {"seen": 1, "safe": 2, "soothed": 1, "secure": 3, "stable": 2, "window": "below",
           "mood": 2, "note": "Told no one about the nightmare."}  # fmt: skip


@pytest.fixture
def clinician(db):
    return UserFactory(roles=["clinician"], display_name="Dr Ash")


def test_member_links_a_clinician_and_shares_one_check_in(member, clinician):
    client = client_for(member)
    client.post(reverse("care:index"), {"email": clinician.email.upper()})
    link = CareLink.objects.get()
    assert (link.member, link.clinician, link.active) == (member, clinician, True)
    client.post(reverse("checkins:today"), {**ANSWERS, "share_clinician": "on"})
    checkin = CheckIn.objects.get()
    assert SharedCheckIn.objects.get().checkin == checkin
    page = client_for(clinician).get(reverse("care:client", args=[member.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Below my window" in text or "below" in text.lower()
    assert "nightmare" not in text  # the note only when the member includes it
    assert AuditEvent.objects.filter(actor=clinician, subject=member).exists()


def test_only_a_linked_clinician_sees_anything(member, clinician, other_member):
    other_clinician = UserFactory(roles=["clinician"])
    services.care_link_create(member=member, clinician_email=clinician.email)
    assert (
        client_for(other_clinician).get(reverse("care:client", args=[member.pk])).status_code == 404
    )
    assert client_for(other_member).get(reverse("care:client", args=[member.pk])).status_code == 404
    assert client_for(member).get(reverse("care:client", args=[member.pk])).status_code == 404


def test_ending_the_link_hides_everything_at_once(member, clinician):
    link = services.care_link_create(member=member, clinician_email=clinician.email)
    client_for(member).post(reverse("checkins:today"), {**ANSWERS, "share_clinician": "on"})
    client_for(member).post(reverse("care:end", args=[link.pk]))
    assert client_for(clinician).get(reverse("care:client", args=[member.pk])).status_code == 404


def test_unshared_check_ins_stay_private_and_sharing_is_revocable(member, clinician):
    services.care_link_create(member=member, clinician_email=clinician.email)
    client = client_for(member)
    client.post(reverse("checkins:today"), ANSWERS)
    assert not SharedCheckIn.objects.exists()
    client.post(reverse("checkins:today"), {**ANSWERS, "share_clinician": "on", "share_note": "on"})
    text = client_for(clinician).get(reverse("care:client", args=[member.pk])).content.decode()
    assert "nightmare" in text
    checkin = CheckIn.objects.get()
    client.post(reverse("care:stop_checkin", args=[checkin.pk]))
    assert not SharedCheckIn.objects.exists()


def test_linking_needs_someone_with_the_clinician_role(member, other_member):
    with pytest.raises(ValidationError):
        services.care_link_create(member=member, clinician_email=other_member.email)
    with pytest.raises(ValidationError):
        services.care_link_create(member=member, clinician_email="nobody@example.test")
    response = client_for(member).post(reverse("care:index"), {"email": "not-an-email"})
    assert "valid email" in response.content.decode()
    assert not CareLink.objects.exists()


def test_another_members_check_in_cannot_be_stopped_or_shared(member, other_member, clinician):
    services.care_link_create(member=member, clinician_email=clinician.email)
    checkin = CheckIn.objects.create(user=member, day="2026-01-02", **{
        k: v for k, v in ANSWERS.items() if k != "note"})  # fmt: skip
    services.checkin_clinician_share_set(
        user=member, checkin=checkin, share=True, include_note=False
    )
    assert (
        client_for(other_member).post(reverse("care:stop_checkin", args=[checkin.pk])).status_code
        == 404
    )
    assert SharedCheckIn.objects.exists()
