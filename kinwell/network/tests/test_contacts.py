from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kinwell.checkins.services import member_today
from kinwell.network.models import Contact
from kinwell.network.services import contact_delete, contact_log
from kinwell.network.tests.helpers import add_person
from kinwell.safety.models import Escalation

pytestmark = pytest.mark.django_db


def test_logging_a_contact_moves_last_contact_and_the_next_reminder(member):
    today = member_today(member)
    sam = add_person(member, last_contact=today - timedelta(days=40), rhythm_days=30)
    assert sam.contact_due_on == today - timedelta(days=10)
    logged = contact_log(user=member, person=sam)
    assert logged.created and logged.contact.day == today
    sam.refresh_from_db()
    assert sam.last_contact == today
    assert sam.contact_due_on == today + timedelta(days=30)


def test_an_older_contact_does_not_move_last_contact_back(member):
    today = member_today(member)
    sam = add_person(member, last_contact=today - timedelta(days=2))
    contact_log(user=member, person=sam, day=today - timedelta(days=9))
    sam.refresh_from_db()
    assert sam.last_contact == today - timedelta(days=2)


def test_logging_twice_the_same_day_is_harmless_and_says_so(member_client, member):
    sam = add_person(member)
    url = reverse("network:contact_log", args=[sam.pk])
    first = member_client.post(url, {}, follow=True)
    assert "Logged: you were in touch with Sam today." in first.content.decode()
    again = member_client.post(url, {}, follow=True)
    assert "Already logged: you were in touch with Sam today." in again.content.decode()
    assert Contact.objects.filter(person=sam).count() == 1


def test_a_note_on_a_second_log_fills_an_empty_note_only(member, screen_as):
    screen_as("none")
    sam = add_person(member)
    contact_log(user=member, person=sam)
    second = contact_log(user=member, person=sam, note="coffee by the river")
    assert not second.created
    third = contact_log(user=member, person=sam, note="something else")
    assert Contact.objects.get().note == "coffee by the river"
    assert not third.created


def test_a_note_over_500_characters_is_a_field_error_and_nothing_is_saved(member_client, member):
    sam = add_person(member)
    response = member_client.post(
        reverse("network:contact_log", args=[sam.pk]), {"note": "a" * 501}
    )
    assert response.status_code == 200
    assert "500 characters" in " ".join(response.context["contact_form"].errors["note"])
    assert not Contact.objects.exists()
    with pytest.raises(ValidationError):
        contact_log(user=member, person=sam, note="b" * 501)
    assert not Contact.objects.exists()


def test_a_contact_day_still_to_come_is_refused(member_client, member):
    sam = add_person(member)
    tomorrow = member_today(member) + timedelta(days=1)
    response = member_client.post(
        reverse("network:contact_log", args=[sam.pk]), {"day": tomorrow.isoformat()}
    )
    assert response.status_code == 200
    assert "still to come" in " ".join(response.context["contact_form"].errors["day"])
    assert not Contact.objects.exists()


def test_a_worrying_note_is_stored_escalated_and_help_shown_at_once(
    member_client, member, screen_as
):
    screen_as("urgent")
    sam = add_person(member)
    response = member_client.post(
        reverse("network:contact_log", args=[sam.pk]), {"note": "told Sam I want to end it"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "You matter" in html and "Talk to someone now" in html
    contact = Contact.objects.get()
    assert contact.note == "told Sam I want to end it"
    escalation = Escalation.objects.get(author=member)
    assert (escalation.source_type, escalation.source_id) == ("contact_note", contact.pk)


def test_a_note_is_screened_once_not_on_every_repeat(member, screen_as):
    screen_as("concern")
    sam = add_person(member)
    contact_log(user=member, person=sam, note="so tired of everyone")
    contact_log(user=member, person=sam, note="so tired of everyone")
    assert Escalation.objects.filter(author=member).count() == 1


def test_taking_back_a_contact_restores_the_date_i_noted(member_client, member):
    today = member_today(member)
    noted = today - timedelta(days=20)
    sam = add_person(member, last_contact=noted, rhythm_days=14)
    logged = contact_log(user=member, person=sam)
    member_client.post(reverse("network:contact_delete", args=[sam.pk, logged.contact.pk]))
    sam.refresh_from_db()
    assert not Contact.objects.exists()
    assert sam.last_contact == noted
    assert sam.contact_due_on == noted + timedelta(days=14)


def test_contact_delete_service_checks_the_owner(member, other_member):
    logged = contact_log(user=member, person=add_person(member))
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        contact_delete(user=other_member, contact=logged.contact)
    assert Contact.objects.exists()


def test_the_person_page_lists_contacts_with_their_notes(member_client, member, screen_as):
    screen_as("none")
    sam = add_person(member)
    contact_log(user=member, person=sam, note="walked the long way home")
    html = member_client.get(reverse("network:person", args=[sam.pk])).content.decode()
    assert "walked the long way home" in html
