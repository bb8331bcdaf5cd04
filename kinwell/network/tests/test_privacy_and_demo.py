import json

import pytest
from django.urls import reverse

from kinwell.accounts.tests.factories import PASSWORD
from kinwell.assessments.models import AssessmentResponse
from kinwell.assessments.services import response_submit
from kinwell.core import privacy
from kinwell.network.models import Contact, Person
from kinwell.network.selectors import overdue_people
from kinwell.network.services import contact_log
from kinwell.network.tests.helpers import add_person

pytestmark = pytest.mark.django_db


def test_the_map_is_declared_in_the_privacy_registry():
    keys = {c.key: c for c in privacy.categories()}
    assert keys["network.people"].model is Person
    assert keys["network.contacts"].model is Contact
    assert keys["network.people"].visible_to.startswith("Only you")


def test_export_holds_my_people_and_contacts_and_deletion_removes_them(
    client, member, other_member, screen_as
):
    screen_as("none")
    sam = add_person(member, "Sam")
    contact_log(user=member, person=sam, note="long walk")
    response_submit(
        user=member, instrument_id="ecr-rs", answers={str(i): 4 for i in range(1, 10)}, person=sam
    )
    add_person(other_member, "Kit")
    client.force_login(member)
    data = json.loads(client.get(reverse("accounts:export")).content)
    people = data["categories"]["network.people"]["rows"]
    contacts = data["categories"]["network.contacts"]["rows"]
    assert [p["alias"] for p in people] == ["Sam"]
    assert [c["note"] for c in contacts] == ["long walk"]
    answers = data["categories"]["assessments.responses"]["rows"]
    assert answers[0]["person_id"] == sam.pk
    client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert not Person.objects.filter(alias="Sam").exists()
    assert not Contact.objects.exists()
    assert not AssessmentResponse.objects.exists()
    assert Person.objects.filter(alias="Kit").exists()


def test_demo_members_get_realistic_maps_once():
    from kinwell.accounts.models import User
    from kinwell.core.demo import seed_demo

    seed_demo(password="demo-password-1")
    counts = (Person.objects.count(), Contact.objects.count(), AssessmentResponse.objects.count())
    seed_demo(password="demo-password-1")
    assert (
        Person.objects.count(),
        Contact.objects.count(),
        AssessmentResponse.objects.count(),
    ) == counts
    for name in ("River", "Sage"):
        user = User.objects.get(display_name=name)
        assert 5 <= Person.objects.filter(user=user).count() <= 8
        assert overdue_people(user=user), name
        assert (
            AssessmentResponse.objects.filter(
                user=user, instrument="ecr-rs", person__user=user
            ).count()
            == 1
        )
    river = User.objects.get(display_name="River")
    assert Contact.objects.filter(person__user=river, checkin__isnull=False).count() == 3
