import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kinwell.assessments.models import AssessmentResponse
from kinwell.assessments.services import response_submit
from kinwell.network.models import Contact, Person
from kinwell.network.services import contact_log, person_update
from kinwell.network.tests.helpers import VALID, add_person, d, freeze, utc

pytestmark = pytest.mark.django_db


def test_adding_a_person_puts_them_on_my_map(member_client, member):
    response = member_client.post(
        reverse("network:person_new"),
        {**VALID, "support_received": ["emotional", "practical"], "rhythm_days": "30"},
    )
    assert response.status_code == 302
    person = Person.objects.get(user=member)
    assert (person.alias, person.kind, person.circle, person.safety) == ("Sam", "friend", 2, 3)
    assert person.support_received == ["emotional", "practical"]
    assert person.support_given == ["companionship"]
    assert person.rhythm_days == 30
    assert "Sam" in member_client.get(reverse("network:index")).content.decode()


def test_an_alias_over_60_characters_is_a_clear_error_and_nothing_is_saved(member_client):
    response = member_client.post(reverse("network:person_new"), {**VALID, "alias": "x" * 61})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["alias"])
    assert "60 characters" in errors and "61" in errors
    assert not Person.objects.exists()


def test_the_service_refuses_an_overlong_alias_too(member):
    with pytest.raises(ValidationError) as caught:
        add_person(member, "y" * 61)
    assert "alias" in caught.value.message_dict
    add_person(member, "y" * 60)  # exactly 60 is fine
    assert Person.objects.count() == 1


def test_an_alias_is_unique_per_member_ignoring_case_and_spaces(
    member_client, member, other_member
):
    add_person(member, "Sam")
    response = member_client.post(reverse("network:person_new"), {**VALID, "alias": "  sAM "})
    assert response.status_code == 200
    assert "already have someone called" in " ".join(response.context["form"].errors["alias"])
    assert Person.objects.filter(user=member).count() == 1
    add_person(other_member, "Sam")  # another member's map is their own business
    assert Person.objects.filter(user=other_member).count() == 1


def test_renaming_someone_to_another_persons_alias_is_refused(member):
    add_person(member, "Sam")
    jo = add_person(member, "Jo")
    with pytest.raises(ValidationError) as caught:
        person_update(user=member, person=jo, alias="SAM", kind="family", circle=1)
    assert "alias" in caught.value.message_dict
    jo.refresh_from_db()
    assert jo.alias == "Jo"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "enemy"),
        ("circle", "4"),
        ("safety", "7"),
        ("safety", "-1"),
        ("support_received", "money"),
        ("rhythm_days", "3"),
        ("last_contact", "not a date"),
    ],
)
def test_bad_values_are_form_errors_and_nothing_is_saved(member_client, field, value):
    response = member_client.post(reverse("network:person_new"), {**VALID, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Person.objects.exists()


def test_a_last_contact_after_the_members_own_today_is_refused(member_client, member, monkeypatch):
    member.time_zone = "Pacific/Tongatapu"  # UTC+13
    member.save()
    freeze(monkeypatch, utc(2026, 5, 1, 12, 0))  # 2 May, 01:00 in Tonga
    ok = member_client.post(reverse("network:person_new"), {**VALID, "last_contact": "2026-05-02"})
    assert ok.status_code == 302
    later = member_client.post(
        reverse("network:person_new"), {**VALID, "alias": "Jo", "last_contact": "2026-05-03"}
    )
    assert "still to come" in " ".join(later.context["form"].errors["last_contact"])
    assert list(Person.objects.values_list("alias", flat=True)) == ["Sam"]


def test_the_same_date_is_still_to_come_west_of_utc(member, monkeypatch):
    member.time_zone = "Pacific/Honolulu"  # UTC-10: still 1 May
    freeze(monkeypatch, utc(2026, 5, 1, 12, 0))
    with pytest.raises(ValidationError) as caught:
        add_person(member, last_contact=d("2026-05-02"))
    assert "last_contact" in caught.value.message_dict


def test_editing_a_person_on_their_page_saves_and_shows_errors_in_place(member_client, member):
    sam = add_person(member)
    url = reverse("network:person", args=[sam.pk])
    response = member_client.post(url, {**VALID, "alias": "Sam B", "circle": "1"})
    assert response.url == url
    sam.refresh_from_db()
    assert (sam.alias, sam.circle) == ("Sam B", 1)
    bad = member_client.post(url, {**VALID, "alias": "", "circle": "1"})
    assert bad.status_code == 200 and "alias" in bad.context["form"].errors
    sam.refresh_from_db()
    assert sam.alias == "Sam B"


def test_move_closer_and_further_one_circle_at_a_time(member_client, member):
    sam = add_person(member, circle=3)
    url = reverse("network:person_move", args=[sam.pk])
    member_client.post(url, {"direction": "closer"})
    sam.refresh_from_db()
    assert sam.circle == 2
    member_client.post(url, {"direction": "closer"})
    member_client.post(url, {"direction": "further"})
    sam.refresh_from_db()
    assert sam.circle == 2


def test_moving_past_the_inner_circle_says_where_they_already_are(member_client, member):
    sam = add_person(member, circle=1)
    response = member_client.post(
        reverse("network:person_move", args=[sam.pk]), {"direction": "closer"}, follow=True
    )
    assert "Sam is already in your inner circle." in response.content.decode()
    sam.refresh_from_db()
    assert sam.circle == 1


def test_an_unknown_move_direction_is_a_400_with_a_reason(member_client, member):
    sam = add_person(member)
    response = member_client.post(
        reverse("network:person_move", args=[sam.pk]), {"direction": "sideways"}
    )
    assert response.status_code == 400
    assert "closer or further" in response.content.decode()
    sam.refresh_from_db()
    assert sam.circle == 2


def test_moving_from_the_map_with_htmx_returns_the_updated_map(member_client, member):
    sam = add_person(member, circle=2)
    response = member_client.post(
        reverse("network:person_move", args=[sam.pk]),
        {"direction": "closer", "back": "map"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.strip().startswith('<div id="map-panel">')
    assert "Sam is now in your inner circle." in html
    assert f'id="closer-{sam.pk}"' in html  # focus goes back to the same button


def test_removing_a_person_removes_their_contacts_and_answers(member_client, member):
    sam = add_person(member)
    contact_log(user=member, person=sam)
    response_submit(
        user=member, instrument_id="ecr-rs", answers={str(i): 4 for i in range(1, 10)}, person=sam
    )
    page = member_client.get(reverse("network:person_delete", args=[sam.pk]))
    assert "cannot be undone" in page.content.decode()
    member_client.post(reverse("network:person_delete", args=[sam.pk]))
    assert not Person.objects.exists()
    assert not Contact.objects.exists()
    assert not AssessmentResponse.objects.exists()


def test_a_map_holds_a_limited_number_of_people(member, monkeypatch):
    monkeypatch.setattr("kinwell.network.services.MAX_PEOPLE", 2)
    add_person(member, "A")
    add_person(member, "B")
    with pytest.raises(ValidationError, match="up to 2 people"):
        add_person(member, "C")


def test_moving_from_the_map_without_javascript_comes_back_to_the_map(member_client, member):
    sam = add_person(member, circle=3)
    response = member_client.post(
        reverse("network:person_move", args=[sam.pk]),
        {"direction": "closer", "back": "map"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("network:index")
    assert "Sam is now in your middle circle." in response.content.decode()
