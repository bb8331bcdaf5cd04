import pytest
from django.urls import NoReverseMatch, reverse

from kinwell.network import selectors
from kinwell.network.selectors import map_gaps
from kinwell.network.tests.helpers import add_person

pytestmark = pytest.mark.django_db


def keys(user) -> list[str]:
    return [g.key for g in map_gaps(selectors.people_for_member(user=user))]


def test_no_one_in_the_inner_circle_is_a_gap_with_its_count(member):
    add_person(member, "Sam", circle=2)
    add_person(member, "Jo", circle=3, support_received=["practical"])
    [gap] = [g for g in map_gaps(selectors.people_for_member(user=member)) if g.key == "no_inner"]
    assert gap.title == "No one in your inner circle yet"
    assert "Inner circle: 0 of the 2 people" in gap.detail
    assert any("peer circle" in s.text for s in gap.suggestions)
    assert any("guided program" in s.text for s in gap.suggestions)


def test_no_emotional_support_is_a_gap_that_points_to_help(member):
    add_person(member, "Sam", circle=1, support_received=["practical"])
    add_person(member, "Jo", circle=1, support_received=["companionship"])
    gaps = {g.key: g for g in map_gaps(selectors.people_for_member(user=member))}
    assert set(gaps) == {"no_emotional"}
    assert "Emotional support: 0 of the 2 people" in gaps["no_emotional"].detail
    help_link = [s for s in gaps["no_emotional"].suggestions if s.url == reverse("safety:help")]
    assert help_link and help_link[0].link_text == "Get help now"


def test_all_support_from_one_person_is_a_gap_that_names_them(member):
    add_person(member, "Sam", circle=1, support_received=["emotional", "practical"])
    add_person(member, "Jo", circle=2, support_received=[])
    add_person(member, "Ali", circle=3, support_received=[])
    gaps = {g.key: g for g in map_gaps(selectors.people_for_member(user=member))}
    assert set(gaps) == {"one_source"}
    assert gaps["one_source"].title == "All the support you receive comes from Sam"
    assert "2 kinds of support (emotional, practical), from 1 of the 3 people" in (
        gaps["one_source"].detail
    )


def test_a_balanced_map_has_no_gaps(member):
    add_person(member, "Sam", circle=1, support_received=["emotional"])
    add_person(member, "Jo", circle=2, support_received=["practical"])
    assert keys(member) == []


def test_an_empty_map_shows_a_first_step_instead_of_gaps(member_client, member):
    assert keys(member) == []
    html = member_client.get(reverse("network:index")).content.decode()
    assert "Start with one person" in html
    assert "Where your map could grow" not in html


def test_gaps_are_spelled_out_on_the_map_page(member_client, member):
    add_person(member, "Sam", circle=3, support_received=["practical"])
    html = member_client.get(reverse("network:index")).content.decode()
    assert "Where your map could grow" in html
    assert "No one in your inner circle yet" in html
    assert "No one for emotional support yet" in html
    assert "All the support you receive comes from Sam" in html
    assert "Inner circle: 0 of the 1 person" in html
    assert f'href="{reverse("safety:help")}"' in html


def test_the_peer_circle_suggestion_links_to_circles_once_that_page_exists(monkeypatch):
    def no_circles(name, *args, **kwargs):
        if name.startswith("circles:"):
            raise NoReverseMatch(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(selectors, "reverse", no_circles)
    plain = selectors._peer_circle()
    assert plain.url == "" and "coming" in plain.text

    monkeypatch.setattr(
        selectors, "reverse", lambda name, *a, **k: "/circles/" if name == "circles:index" else ""
    )
    linked = selectors._peer_circle()
    assert linked.url == "/circles/" and linked.link_text == "Find a peer circle"
