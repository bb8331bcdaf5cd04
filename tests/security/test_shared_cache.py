"""The same pages with a warm cache: the owner loads each of their own pages first (twice,
so anything cached per page is stored), then everyone else loads the same URL. Whatever
is cached (the home page is, tests/security cannot see what is added later) must never
be served to someone else. The matrix tests run with a cold cache; this one does not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.security.matrix import ALLOW, LIMITED, MATRIX
from tests.security.world import MARKERS, OWNER

pytestmark = pytest.mark.django_db

SHARED_PAGES = [
    (route, index)
    for route, entry in MATRIX.items()
    for index, case in enumerate(entry.cases)
    if "GET" in case.methods and case.expect[OWNER] == ALLOW and LIMITED in case.expect.values()
]


@pytest.mark.parametrize(
    ("route", "index"),
    SHARED_PAGES,
    ids=[f"{r}/{MATRIX[r].cases[i].label}" if MATRIX[r].cases[i].label else r
         for r, i in SHARED_PAGES],
)  # fmt: skip
def test_a_page_cached_for_the_owner_is_never_served_to_others(world, route, index):
    case = MATRIX[route].cases[index]
    url = reverse(route, kwargs=case.kwargs(world))
    owner = world.client(OWNER)
    for _ in range(2):
        assert owner.get(url, headers=dict(case.headers)).status_code < 500
    others = [role for role, outcome in case.expect.items() if outcome == LIMITED]
    for role in others:
        response = world.client(role).get(url, headers=dict(case.headers))
        leaked = [m for m in MARKERS if m in response.content.decode(errors="replace")]
        assert not leaked, f"GET {url} as {role} after the owner: the owner's {leaked}"
