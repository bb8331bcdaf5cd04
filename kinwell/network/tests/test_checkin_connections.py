import re

import pytest
from django.urls import reverse

from kinwell.checkins.models import CheckIn
from kinwell.checkins.services import member_today
from kinwell.network.models import Contact
from kinwell.network.services import contact_log
from kinwell.network.tests.helpers import add_person

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


def test_checking_in_with_people_logs_a_contact_for_each_linked_to_the_check_in(
    member_client, member
):
    sam, jo = add_person(member, "Sam"), add_person(member, "Jo")
    add_person(member, "Ali")
    page = member_client.get(reverse("checkins:today")).content.decode()
    assert "Who did I connect with today?" in page
    response = member_client.post(
        reverse("checkins:today"), {**ANSWERS, "connections": [sam.pk, jo.pk]}
    )
    assert response.url == reverse("core:home")
    checkin = CheckIn.objects.get(user=member)
    contacts = Contact.objects.filter(checkin=checkin)
    assert {c.person.alias for c in contacts} == {"Sam", "Jo"}
    assert all(c.day == checkin.day == member_today(member) for c in contacts)
    sam.refresh_from_db()
    assert sam.last_contact == checkin.day


def test_a_person_from_someone_elses_map_is_a_form_error_and_nothing_is_saved(
    member_client, member, other_member
):
    mine = add_person(member, "Sam")
    theirs = add_person(other_member, "Kit-Lane")
    response = member_client.post(
        reverse("checkins:today"), {**ANSWERS, "connections": [mine.pk, theirs.pk]}
    )
    assert response.status_code == 200
    assert "Choose people from your own map." in " ".join(
        response.context["form"].errors["connections"]
    )
    assert "Kit-Lane" not in response.content.decode()
    assert not CheckIn.objects.exists()
    assert not Contact.objects.exists()


def test_a_made_up_person_id_is_refused_the_same_way(member_client, member):
    add_person(member, "Sam")
    response = member_client.post(reverse("checkins:today"), {**ANSWERS, "connections": ["x1"]})
    assert "connections" in response.context["form"].errors
    assert not CheckIn.objects.exists()


def test_changing_the_check_in_keeps_the_people_in_step(member_client, member):
    sam, jo = add_person(member, "Sam"), add_person(member, "Jo")
    member_client.post(reverse("checkins:today"), {**ANSWERS, "connections": [sam.pk, jo.pk]})
    page = member_client.get(reverse("checkins:today")).content.decode()
    assert re.search(rf'value="{sam.pk}"[^>]*checked', page)
    member_client.post(reverse("checkins:today"), {**ANSWERS, "connections": [jo.pk]})
    assert list(Contact.objects.values_list("person__alias", flat=True)) == ["Jo"]
    sam.refresh_from_db()
    assert sam.last_contact is None


def test_a_contact_logged_earlier_today_is_linked_not_duplicated_and_kept(member_client, member):
    sam = add_person(member, "Sam")
    contact_log(user=member, person=sam, note="")
    member_client.post(reverse("checkins:today"), {**ANSWERS, "connections": [sam.pk]})
    contact = Contact.objects.get()
    assert contact.checkin == CheckIn.objects.get(user=member)
    member_client.post(reverse("checkins:today"), ANSWERS)  # nobody ticked now
    contact.refresh_from_db()
    assert contact.checkin is None  # unlinked, but the time in touch stays logged


def test_history_shows_who_i_connected_with(member_client, member):
    sam = add_person(member, "Sam")
    member_client.post(reverse("checkins:today"), {**ANSWERS, "connections": [sam.pk]})
    html = member_client.get(reverse("checkins:history")).content.decode()
    assert "Connected with" in html and "<td>Sam</td>" in html


def test_without_people_the_check_in_works_as_before_and_points_to_the_map(member_client):
    page = member_client.get(reverse("checkins:today")).content.decode()
    assert "Who did I connect with today?" not in page
    assert f'href="{reverse("network:index")}"' in page
    response = member_client.post(reverse("checkins:today"), ANSWERS)
    assert response.url == reverse("core:home")
    assert CheckIn.objects.count() == 1
