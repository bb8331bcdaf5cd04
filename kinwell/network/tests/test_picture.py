import itertools
import math
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from kinwell.network import picture
from kinwell.network.tests.helpers import add_person

KINDS = [None, "emotional", "practical", "informational", "companionship"]


def people_on_rings(inner: int, middle: int, outer: int) -> list[SimpleNamespace]:
    people: list[SimpleNamespace] = []
    for circle, count in ((1, inner), (2, middle), (3, outer)):
        for _i in range(count):
            pk = len(people) + 1
            people.append(
                SimpleNamespace(
                    pk=pk, alias=f"Person {pk}", circle=circle, main_support=KINDS[pk % 5]
                )
            )
    return people


def reach(node) -> float:
    return picture.REACH[node.shape] * node.r


@settings(max_examples=80, deadline=None)
@given(
    st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)).filter(
        lambda t: sum(t) <= 40
    )
)
def test_up_to_forty_people_never_overlap_and_stay_in_their_ring(counts):
    drawn = picture.layout(people_on_rings(*counts))
    nodes = drawn["nodes"]
    assert len(nodes) == sum(counts)
    for a, b in itertools.combinations(nodes, 2):
        assert math.dist((a.x, a.y), (b.x, b.y)) >= reach(a) + reach(b) + picture.GAP - 0.5, (a, b)
    for node in nodes:
        distance = math.dist((node.x, node.y), (picture.CENTRE, picture.CENTRE))
        inner = (
            picture.YOU_R if node.person.circle == 1 else picture.RING_EDGES[node.person.circle - 1]
        )
        outer = picture.RING_EDGES[node.person.circle] - picture.LABEL_LANE
        assert inner <= distance - reach(node) and distance + reach(node) <= outer + 0.5


def test_forty_people_in_the_inner_circle_alone_still_fit():
    nodes = picture.layout(people_on_rings(40, 0, 0))["nodes"]
    for a, b in itertools.combinations(nodes, 2):
        assert math.dist((a.x, a.y), (b.x, b.y)) >= reach(a) + reach(b)


def test_the_layout_is_the_same_every_time():
    people = people_on_rings(3, 5, 7)
    first = [(n.person.pk, n.x, n.y) for n in picture.layout(people)["nodes"]]
    again = [(n.person.pk, n.x, n.y) for n in picture.layout(list(reversed(people)))["nodes"]]
    assert first == again


def test_a_small_map_gets_big_nodes():
    assert picture.layout(people_on_rings(2, 3, 2))["node_r"] == 20
    assert picture.layout(people_on_rings(30, 5, 5))["node_r"] < 12


def test_colour_is_never_the_only_cue():
    legend = picture.legend()
    assert len({item["shape"] for item in legend}) == len(legend)
    assert len({item["colour"] for item in legend}) == len(legend)


@pytest.mark.parametrize(("alias", "letters"), [("Sam", "Sa"), ("Dr Okafor", "DO"), ("jo", "Jo")])
def test_initials(alias, letters):
    assert picture.initials(alias) == letters


@pytest.mark.django_db
def test_the_svg_has_every_person_as_a_named_link(member_client, member):
    people = [
        add_person(member, "Sam", circle=1, support_received=["emotional"]),
        add_person(member, "Jo & Kit", circle=2, support_received=["practical", "emotional"]),
        add_person(member, "Walking group", kind="group", circle=3, support_received=[]),
    ]
    html = member_client.get(reverse("network:index")).content.decode()
    svg = html[html.index('<svg class="map"') : html.index("</svg>", html.index('class="map"'))]
    links = re.findall(r'<a href="([^"]+)" class="node" aria-label="([^"]+)"', svg)
    assert len(links) == 3
    by_href = dict(links)
    for person in people:
        label = by_href[reverse("network:person", args=[person.pk])]
        assert label.startswith(person.alias.replace("&", "&amp;") + ":")
    assert (
        "gives you emotional, practical support"
        in by_href[reverse("network:person", args=[people[1].pk])]
    )
    assert 'role="group"' in svg and 'aria-labelledby="map-title"' in svg
    # The text alternative lists the same people, grouped by circle.
    listing = html[html.index('id="list-heading"') :]
    for heading, alias in (
        ("Inner circle", "Sam"),
        ("Middle circle", "Jo &amp; Kit"),
        ("Outer circle", "Walking group"),
    ):
        assert listing.index(heading) < listing.index(f">{alias}</a>")
