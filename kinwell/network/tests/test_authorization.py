"""Only the member sees and changes their map: another member's person is a 404 on every
URL, the same page as an id that never existed."""

import re

import pytest
from django.urls import reverse

from kinwell.network.models import Contact, Person
from kinwell.network.services import contact_log
from kinwell.network.tests.helpers import VALID, add_person

pytestmark = pytest.mark.django_db


def urls_for(person, contact):
    return [
        ("get", reverse("network:person", args=[person.pk]), {}),
        ("post", reverse("network:person", args=[person.pk]), {**VALID, "alias": "Mine now"}),
        ("get", reverse("network:person_delete", args=[person.pk]), {}),
        ("post", reverse("network:person_delete", args=[person.pk]), {}),
        ("post", reverse("network:person_move", args=[person.pk]), {"direction": "closer"}),
        ("post", reverse("network:contact_log", args=[person.pk]), {}),
        ("post", reverse("network:contact_log", args=[person.pk]), {"from": "home"}),
        ("post", reverse("network:contact_delete", args=[person.pk, contact.pk]), {}),
        ("get", reverse("network:person_attachment", args=[person.pk]), {}),
        (
            "post",
            reverse("network:person_attachment", args=[person.pk]),
            {f"q{i}": "4" for i in range(1, 10)},
        ),
    ]


def test_another_member_gets_404_on_every_url_for_my_person(client, member, other_member):
    # A hyphen never occurs in the page's random tokens (CSRF, nonce), so a hit is a leak.
    sam = add_person(member, "Sam-Rowe", circle=2)
    contact = contact_log(user=member, person=sam).contact
    client.force_login(other_member)
    for method, url, data in urls_for(sam, contact):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert "Sam-Rowe" not in response.content.decode()
    sam.refresh_from_db()
    assert (sam.alias, sam.circle) == ("Sam-Rowe", 2)
    assert Contact.objects.filter(person=sam).count() == 1
    assert not Person.objects.filter(user=other_member).exists()
    from kinwell.assessments.models import AssessmentResponse

    assert not AssessmentResponse.objects.exists()


def test_my_contact_under_their_person_is_also_a_404(member_client, member, other_member):
    mine = add_person(member, "Sam")
    theirs = contact_log(user=other_member, person=add_person(other_member, "Kit")).contact
    url = reverse("network:contact_delete", args=[mine.pk, theirs.pk])
    assert member_client.post(url).status_code == 404
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_a_foreign_id_looks_exactly_like_a_missing_one(client, member, other_member, settings):
    settings.DEBUG = False
    sam = add_person(member, "Sam")
    client.force_login(other_member)
    foreign = client.get(reverse("network:person", args=[sam.pk]))
    missing = client.get(reverse("network:person", args=[sam.pk + 1000]))
    assert foreign.status_code == missing.status_code == 404

    def bare(page):  # the per-request CSP nonce and CSRF token differ on every page
        text = page.content.decode()
        return re.sub(
            r'(nonce="|"X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', "", text
        )

    assert bare(foreign) == bare(missing)


def test_the_map_shows_only_my_own_people(member_client, member, other_member):
    add_person(member, "Sam")
    add_person(other_member, "Kit")
    html = member_client.get(reverse("network:index")).content.decode()
    assert "Sam" in html and "Kit" not in html
    home = member_client.get(reverse("core:home")).content.decode()
    assert "Kit" not in home


@pytest.mark.parametrize("name", ["network:index", "network:person_new"])
def test_map_pages_need_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign_in"))


def test_the_nav_links_my_people(member_client):
    html = member_client.get(reverse("network:index")).content.decode()
    assert f'<a href="{reverse("network:index")}" aria-current="page">My people</a>' in html
